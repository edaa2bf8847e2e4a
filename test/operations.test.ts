/**
 * Operations: /metrics exposes request durations per operation and the mint queue;
 * /healthz and /readyz; readiness turns 503 when the chain stops answering.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { startTestGateway, openTestDatabase, TEST_JWT_SECRET, type TestGateway } from "./support/harness.js";
import { startDevChain, devChainSignerKey } from "../src/chain/dev-chain.js";
import { connectChain } from "../src/chain/client.js";
import { startGateway } from "../src/gateway.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => t?.close());

describe("/metrics", () => {
  it("reports GraphQL durations per operation and the mint queue", async () => {
    await t.gql("query AssetsForMetrics { dataAssets(first: 1) { edges { cursor } } }");
    const res = await fetch(`${t.url}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/graphql_request_duration_seconds_count\{operation="AssetsForMetrics",outcome="ok"\} 1/);
    expect(text).toMatch(/^mint_queue_depth 0$/m);
    expect(text).toMatch(/^mint_queue_oldest_age_seconds 0$/m);
    expect(text).toMatch(/process_resident_memory_bytes/);
    // /readyz asks the chain for its block number: its latency is recorded per method.
    await fetch(`${t.url}/readyz`);
    const after = await (await fetch(`${t.url}/metrics`)).text();
    expect(after).toMatch(/chain_rpc_duration_seconds_count\{method="eth_blockNumber",outcome="ok"\} [1-9]/);
  });
});

describe("health and readiness", () => {
  it("answers /healthz and /readyz while database and chain answer", async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", database: "ok", chain: "ok", worker: "ok" });
  });

  it("turns /readyz to 503 naming the chain when the chain stops", async () => {
    const chainNode = await startDevChain({ port: 0 });
    const database = await openTestDatabase();
    const chain = await connectChain({ rpcUrl: chainNode.rpcUrl, signerPrivateKey: devChainSignerKey(0) });
    const gateway = await startGateway({
      db: database.db,
      listen: database.listen,
      chain,
      jwtSecret: TEST_JWT_SECRET,
      port: 0,
      logger: pino({ level: "silent" }),
      workerEnabled: false,
      // Nothing else may talk to the chain we stop (the poller would wait out RPC timeouts on close).
      indexer: { pollerEnabled: false, reconcileIntervalSeconds: 0 },
    });
    try {
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
      await chainNode.close();
      const res = await fetch(`${gateway.url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as any;
      expect(body.database).toBe("ok");
      expect(body.chain).toMatch(/^unavailable/);
    } finally {
      await gateway.close();
      await database.close();
    }
  });
});
