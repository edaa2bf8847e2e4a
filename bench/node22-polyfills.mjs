// PostGraphile 5's grafast and @dataplan/pg call Promise.withResolvers (Node >= 22); this
// machine runs Node 20. Without it a rejected TypeError surfaces as "Cannot read properties
// of undefined (reading 'items')" on every connection query. Loaded before PostGraphile.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
