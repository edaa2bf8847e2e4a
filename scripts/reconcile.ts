/**
 * npm run reconcile [-- --gateway http://127.0.0.1:4000]
 * Reconciles the registry against the chain (see src/indexer/reconcile.ts), stores the run and prints
 * the report as JSON. Exit code 0: no drift; 1: drift or an error; 2: bad configuration.
 *
 * With DATABASE_URL it works on the database and the chain (CHAIN_RPC_URL, or the embedded
 * dev chain on DEV_CHAIN_PORT) directly. Without it, the embedded PGlite database belongs
 * to the running gateway process (one process per data dir), so it asks that gateway to run
 * the reconciliation instead (the `runReconciliation` mutation, with an ADMIN token it signs
 * with JWT_SECRET).
 */
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import { loadConfigOrExit } from "../src/config.js";
import { openDatabase } from "../src/db/index.js";
import { connectChain } from "../src/chain/client.js";
import { devChainSignerKey } from "../src/chain/dev-chain.js";
import { issueToken } from "../src/auth/jwt.js";
import { reconcile } from "../src/indexer/reconcile.js";

const { values } = parseArgs({ options: { gateway: { type: "string" } } });

const config = loadConfigOrExit();

type Report = { id: string; ok?: boolean; error: string | null; tokensChecked: number; holdingsChecked: number; drift: unknown[] };

async function direct(): Promise<Report> {
  const rpcUrl = config.chain.kind === "external" ? config.chain.rpcUrl : `http://127.0.0.1:${config.chain.port}`;
  const signerPrivateKey = config.chain.kind === "external" ? config.chain.signerPrivateKey : devChainSignerKey(0);
  const chain = await connectChain({ rpcUrl, signerPrivateKey });
  const database = await openDatabase({ url: config.databaseUrl });
  try {
    const run = await reconcile({ db: database.db, chain, finalityDepth: config.finalityDepth }, "CLI");
    const drift = run.drift.map((d) => ({ ...d, difference: (BigInt(d.registryBalance) - BigInt(d.chainBalance)).toString() }));
    return { ...run, drift, ok: run.drift.length === 0 && !run.error };
  } finally {
    await database.close();
  }
}

async function viaGateway(url: string): Promise<Report> {
  const token = await issueToken(config.jwtSecret, { subject: "npm-run-reconcile", organizationId: randomUUID(), roles: ["ADMIN"] }, "5m");
  const res = await fetch(`${url.replace(/\/$/, "")}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: `mutation { runReconciliation { __typename
        ... on ReconciliationRun { id ok error tokensChecked holdingsChecked drift { kind tokenAddress holder registryBalance chainBalance difference } }
        ... on Error { code message } } }`,
    }),
  });
  const body = (await res.json()) as any;
  const run = body.data?.runReconciliation;
  if (run?.__typename !== "ReconciliationRun") throw new Error(`gateway answered ${JSON.stringify(body)}`);
  return run;
}

try {
  const report =
    config.databaseUrl && !values.gateway ? await direct() : await viaGateway(values.gateway ?? `http://${config.host}:${config.port}`);
  console.log(JSON.stringify(report, null, 2));
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  console.error(`reconciliation failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
