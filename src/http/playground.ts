/**
 * The GraphQL playground, served entirely by the gateway (no CDN): GraphiQL 3 and React 18
 * UMD builds are read from their npm packages at start and served under /playground/.
 * Many deployments run in networks without internet access, so nothing may load from outside.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { ServerResponse } from "node:http";

const require = createRequire(import.meta.url);
/** The packages' exports maps hide their UMD files: resolve each package root via its package.json. */
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

/** A Map, not an object: a name from the URL such as `__proto__` must find nothing. */
const ASSETS = new Map<string, { file: () => string; type: string }>([
  ["react.js", { file: () => path.join(packageDir("react"), "umd/react.production.min.js"), type: "text/javascript" }],
  ["react-dom.js", { file: () => path.join(packageDir("react-dom"), "umd/react-dom.production.min.js"), type: "text/javascript" }],
  ["graphiql.js", { file: () => path.join(packageDir("graphiql"), "graphiql.min.js"), type: "text/javascript" }],
  ["graphiql.css", { file: () => path.join(packageDir("graphiql"), "graphiql.min.css"), type: "text/css" }],
]);

const cache = new Map<string, Buffer>();

/** Serves /playground/<asset>; answers false when the name is not one of ours. */
export function servePlaygroundAsset(name: string, res: ServerResponse): boolean {
  const asset = ASSETS.get(name);
  if (!asset) return false;
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(asset.file());
    cache.set(name, body);
  }
  res.writeHead(200, { "content-type": `${asset.type}; charset=utf-8`, "cache-control": "public, max-age=3600" });
  res.end(body);
  return true;
}

/** Example operations for the main flow, shown in the editor on first visit. */
const EXAMPLE_QUERY = `# Data Asset Gateway — set "Authorization": "Bearer <token>" in Headers below.
# npm start prints a token per role. The main flow:
#   registerDataAsset → transitionDataAsset → recordOwnershipRight / recordProvenanceActivity
#   → attestCompliance → createOffering → deployTrancheToken → registerInvestor
#   → verifyInvestorKyc → whitelistInvestor → complianceReport → requestMint → mintRequest

query PublishedAssets {
  dataAssets(first: 10) {
    edges { node { id title category status securityLevel contentDigest owner { name } } }
    pageInfo { hasNextPage endCursor }
  }
}

mutation RegisterAsset {
  registerDataAsset(input: {
    title: "Port logistics 2025"
    category: "LOGISTICS"
    tags: ["port", "shipping"]
    contentDigest: "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    securityLevel: GENERAL
  }) {
    __typename
    ... on DataAsset { id status }
    ... on Error { code message }
  }
}

query ComplianceReport($trancheId: ID!, $investorId: ID) {
  complianceReport(trancheId: $trancheId, investorId: $investorId) {
    ... on ComplianceReport { holds unmetCodes requirements { code holds reason } }
    ... on Error { code message }
  }
}

mutation RequestMint($trancheId: ID!, $investorId: ID!) {
  requestMint(input: { idempotencyKey: "order-1", trancheId: $trancheId, investorId: $investorId, amount: "1000000000000000000" }) {
    __typename
    ... on MintRequest { id status }
    ... on ComplianceNotSatisfiedError { unmetCodes }
    ... on Error { code message }
  }
}
`;

/** The playground page. */
export function playgroundHtml(): string {
  const config = {
    defaultQuery: EXAMPLE_QUERY,
    defaultHeaders: JSON.stringify({ Authorization: "Bearer <paste a token printed by npm start>" }, null, 2),
  };
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Data Asset Gateway · GraphQL playground</title>
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <link rel="stylesheet" href="/playground/graphiql.css" />
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading the playground…</div>
  <script src="/playground/react.js"></script>
  <script src="/playground/react-dom.js"></script>
  <script src="/playground/graphiql.js"></script>
  <script>
    const config = ${JSON.stringify(config).replace(/</g, "\\u003c")};
    const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultQuery: config.defaultQuery,
        defaultHeaders: config.defaultHeaders,
        headerEditorEnabled: true,
        shouldPersistHeaders: true,
        defaultEditorToolsVisibility: "headers",
      }),
    );
  </script>
</body>
</html>`;
}
