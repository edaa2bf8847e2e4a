// Preloaded (`--import`) into the gateway by the benchmark only, for the memory figures. Not loaded by `npm start`.
// - samples process.memoryUsage() every 100 ms and keeps each field's maximum (which part of the heap the peak is in);
// - on SIGUSR2: collects garbage twice (gc() reached through V8's --expose-gc, set from here, so the server's own
//   flags are unchanged) and prints one `MEMORY_PROBE {json}` line on stderr: VmRSS / VmHWM from /proc before and
//   after the collection, and the sampled maxima; with BENCH_HEAP_SNAPSHOT_DIR set, it first writes a heap snapshot there.
import { readFileSync } from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
const mb = (n) => Math.round(n / 2 ** 20);
const proc = () => {
  const s = readFileSync("/proc/self/status", "utf8");
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0);
  return { rssMb: Math.round(kb("VmRSS") / 1024), hwmMb: Math.round(kb("VmHWM") / 1024) };
};
const max = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sample = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(max)) if (m[k] > max[k]) max[k] = m[k];
};
setInterval(sample, 100).unref();
let snapshots = 0;
process.on("SIGUSR2", () => {
  sample();
  // Read before the snapshot: writing one costs resident memory of its own.
  const before = proc();
  const m0 = process.memoryUsage();
  if (process.env.BENCH_HEAP_SNAPSHOT_DIR) {
    snapshots += 1;
    v8.writeHeapSnapshot(path.join(process.env.BENCH_HEAP_SNAPSHOT_DIR, `gateway-${process.pid}-${snapshots}.heapsnapshot`));
  }
  gc();
  gc();
  const after = proc();
  const m1 = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_size)]));
  const out = {
    rssBeforeGcMb: before.rssMb,
    hwmMb: before.hwmMb,
    rssAfterGcMb: after.rssMb,
    heapTotalBeforeGcMb: mb(m0.heapTotal),
    heapUsedBeforeGcMb: mb(m0.heapUsed),
    heapTotalAfterGcMb: mb(m1.heapTotal),
    heapUsedAfterGcMb: mb(m1.heapUsed),
    externalAfterGcMb: mb(m1.external),
    arrayBuffersAfterGcMb: mb(m1.arrayBuffers),
    max: Object.fromEntries(Object.entries(max).map(([k, v]) => [k, mb(v)])),
    spacesAfterGcMb: spaces,
  };
  process.stderr.write(`MEMORY_PROBE ${JSON.stringify(out)}\n`);
});
