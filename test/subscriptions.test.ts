/**
 * Subscriptions over graphql-ws on the gateway's port, fed by Postgres LISTEN/NOTIFY:
 * a client watching a mint sees it move to CONFIRMED when the worker settles it, and a
 * client watching an asset sees its lifecycle moves.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  REQUEST_MINT,
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
  digest,
  type Actors,
} from "./support/flow.js";

let t: TestGateway;
let a: Actors;
const clients: Client[] = [];
beforeAll(async () => {
  t = await startTestGateway();
  a = await createActors(t);
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await t?.close();
});

function wsClient(token?: string) {
  const client = createClient({
    url: `${t.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  clients.push(client);
  return client;
}

/** Collects events until `until` holds for one of them. */
function collect<T>(client: Client, query: string, variables: Record<string, unknown>, until: (value: T) => boolean, events: T[] = []) {
  const done = new Promise<T[]>((resolve, reject) => {
    const stop = client.subscribe<T>(
      { query, variables },
      {
        next: (msg) => {
          if (msg.errors) return reject(new Error(JSON.stringify(msg.errors)));
          events.push(msg.data as T);
          if (until(msg.data as T)) {
            stop();
            resolve(events);
          }
        },
        error: reject,
        complete: () => resolve(events),
      },
    );
  });
  return done;
}

/** Waits for the first event (the current state), so later moves happen after subscribing. */
async function waitFor(condition: () => boolean) {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for a subscription event");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("subscriptions", () => {
  it("mintStatusChanged delivers CONFIRMED when the worker settles the mint", async () => {
    const asset = await registerApprovedAsset(t, a);
    const { offeringId, trancheId } = await createOfferingWithTranche(t, a, asset.assetId);
    const { investorId } = await registerVerifiedInvestor(t, a);
    await satisfyRequirements(t, a, { ...asset, offeringId });
    await deployAndWhitelist(t, a, trancheId, investorId);
    // Stop the worker so the subscription is in place before the mint moves.
    await t.gateway.worker!.stop();
    const r = await t.gql(REQUEST_MINT, { input: { idempotencyKey: "sub-1", trancheId, investorId, amount: "42" } }, a.issuerToken);
    const id = r.data.requestMint.id;

    type Event = { mintStatusChanged: { id: string; status: string; txHash: string | null } };
    const received: Event[] = [];
    const events = collect<Event>(
      wsClient(a.issuerToken),
      `subscription($id: ID!) { mintStatusChanged(requestId: $id) { id status txHash } }`,
      { id },
      (e) => e.mintStatusChanged.status === "CONFIRMED",
      received,
    );
    await waitFor(() => received.length > 0);
    // A separate worker (its own instance, as another process would be) settles the mint.
    const { startMintWorker } = await import("../src/minting/worker.js");
    const pino = (await import("pino")).default;
    const worker = startMintWorker({ db: t.database.db, chain: t.chain, logger: pino({ level: "silent" }), confirmations: 1 });
    try {
      const seen = await events;
      expect(seen[0]!.mintStatusChanged).toMatchObject({ id, status: "REQUESTED" });
      expect(seen.at(-1)!.mintStatusChanged.status).toBe("CONFIRMED");
      expect(seen.at(-1)!.mintStatusChanged.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    } finally {
      await worker.stop();
    }
  });

  // Another process needs a database several processes share: PostgreSQL (PGlite is in-process).
  it.skipIf(!process.env.TEST_DATABASE_URL)(
    "mintStatusChanged delivers CONFIRMED for a mint settled by `npm run worker` in another process",
    async () => {
      const asset = await registerApprovedAsset(t, a);
      const { offeringId, trancheId } = await createOfferingWithTranche(t, a, asset.assetId);
      const { investorId } = await registerVerifiedInvestor(t, a);
      await satisfyRequirements(t, a, { ...asset, offeringId });
      await deployAndWhitelist(t, a, trancheId, investorId);
      await t.gateway.worker!.stop();
      const r = await t.gql(REQUEST_MINT, { input: { idempotencyKey: "sub-process", trancheId, investorId, amount: "7" } }, a.issuerToken);
      const id = r.data.requestMint.id;
      type Event = { mintStatusChanged: { status: string; txHash: string | null } };
      const received: Event[] = [];
      const events = collect<Event>(
        wsClient(a.issuerToken),
        `subscription($id: ID!) { mintStatusChanged(requestId: $id) { status txHash } }`,
        { id },
        (e) => e.mintStatusChanged.status === "CONFIRMED",
        received,
      );
      await waitFor(() => received.length > 0);
      const worker = spawn(process.execPath, ["--import", "tsx", "src/worker-main.ts"], {
        cwd: path.resolve(import.meta.dirname, ".."),
        env: {
          ...process.env,
          DATABASE_URL: t.database.url!,
          CHAIN_RPC_URL: inject("rpcUrl"),
          SIGNER_PRIVATE_KEY: t.signerKey,
          LOG_LEVEL: "warn",
        },
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      try {
        const seen = await events;
        expect(seen[0]!.mintStatusChanged.status).toBe("REQUESTED");
        expect(seen.at(-1)!.mintStatusChanged).toMatchObject({ status: "CONFIRMED" });
        expect(seen.at(-1)!.mintStatusChanged.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      } finally {
        worker.kill("SIGTERM");
        await exited;
      }
    },
  );

  it("assetStatusChanged follows the lifecycle", async () => {
    const r = await t.gql(
      `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { ... on DataAsset { id } } }`,
      { input: { title: "Watched", category: "C", contentDigest: digest("watched") } },
      a.ownerToken,
    );
    const id = r.data.registerDataAsset.id;
    type Event = { assetStatusChanged: { status: string } };
    const received: Event[] = [];
    const events = collect<Event>(
      wsClient(a.ownerToken),
      `subscription($id: ID!) { assetStatusChanged(assetId: $id) { status } }`,
      { id },
      (e) => e.assetStatusChanged.status === "SUBMITTED",
      received,
    );
    await waitFor(() => received.length > 0);
    await t.gql(`mutation($id: ID!) { transitionDataAsset(assetId: $id, to: SUBMITTED) { __typename } }`, { id }, a.ownerToken);
    expect((await events).map((e) => e.assetStatusChanged.status)).toEqual(["DRAFT", "SUBMITTED"]);
  });

  it("refuses a mint subscription without credentials", async () => {
    const outcome = await collect<unknown>(
      wsClient(),
      `subscription { mintStatusChanged(requestId: "00000000-0000-4000-8000-000000000000") { status } }`,
      {},
      () => true,
    ).catch((error) => JSON.stringify(error));
    expect(String(outcome)).toMatch(/authentication required|UNAUTHENTICATED|Unauthenticated/i);
  });
});
