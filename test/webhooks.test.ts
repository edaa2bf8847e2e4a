/**
 * POST /webhooks/chain: signatures over the raw bytes (both formats), refusals that store
 * nothing, and idempotent, order-independent application into the cap table. Real logs: a
 * token is deployed and used on the shared dev chain, its logs read with viem and delivered
 * by hand (the poller is off here, so webhooks are the only source).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { keccak256, numberToHex, pad, toBytes, zeroAddress, type Address, type Log } from "viem";
import { eq, sql } from "drizzle-orm";
import { deployToken, setWhitelisted } from "../src/chain/token.js";
import { signAlchemyDelivery, signGatewayDelivery } from "../src/indexer/webhooks.js";
import { eventCount, pendingDeliveryCount } from "../src/indexer/service.js";
import { chainEvent, webhookDelivery } from "../src/indexer/table.js";
import type { TestGateway } from "./support/harness.js";
import { digest } from "./support/flow.js";
import { HOLDINGS, TEST_WEBHOOK_SECRET, asAgent, balanceOf, startIndexerGateway, waitFor } from "./support/indexer.js";

let a: TestGateway; // receives each delivery once, in order; every event final (depth 0)
let b: TestGateway; // receives duplicates and reversed order; nothing final (huge depth)
let token: Address;
let logs: Log[];
const x = privateKeyToAccount(generatePrivateKey()).address;
const y = privateKeyToAccount(generatePrivateKey()).address;

const rpcLog = (l: Log, removed = false) => ({
  address: l.address,
  topics: l.topics,
  data: l.data,
  blockNumber: numberToHex(l.blockNumber!),
  blockHash: l.blockHash,
  transactionHash: l.transactionHash,
  transactionIndex: numberToHex(l.transactionIndex!),
  logIndex: numberToHex(l.logIndex!),
  removed,
});

const now = () => Math.floor(Date.now() / 1000);

/** webhook_deliveries_total by outcome, read from /metrics. */
async function webhookMetrics(t: TestGateway): Promise<Record<string, number>> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^webhook_deliveries_total\{outcome="([a-z_0-9]+)"\} (\d+)$/gm)) counts[m[1]!] = Number(m[2]);
  return counts;
}

async function post(t: TestGateway, body: string | Buffer, headers: Record<string, string>) {
  const res = await fetch(`${t.url}/webhooks/chain`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

function gatewayBody(t: TestGateway, ls: ReturnType<typeof rpcLog>[], id?: string) {
  return JSON.stringify({ id, chainId: t.chain.chainId, logs: ls });
}

/** A (re)delivery in the gateway's format: a sender re-signs each attempt with its own timestamp. */
async function sendGateway(t: TestGateway, ls: ReturnType<typeof rpcLog>[], secondsAgo = 0) {
  const body = gatewayBody(t, ls);
  return post(t, body, signGatewayDelivery(TEST_WEBHOOK_SECRET, body, now() - secondsAgo));
}

/** Waits until the inbox is empty: every accepted delivery applied. */
const drained = (t: TestGateway) => waitFor("inbox applied", async () => (await pendingDeliveryCount(t.database.db)) === 0);

async function capTable(t: TestGateway) {
  const r = await t.gql(HOLDINGS, { token }, t.adminToken);
  expect(r.data.holdings.__typename).toBe("QueryHoldingsSuccess");
  return r.data.holdings.data as { holder: string; balance: string; finalBalance: string; pending: boolean }[];
}

const deliveryCount = async (t: TestGateway) => (await t.database.db.select({ n: sql<number>`count(*)::int` }).from(webhookDelivery))[0]!.n;

beforeAll(async () => {
  [a, b] = await Promise.all([
    startIndexerGateway({ finalityDepth: 0, indexer: { pollerEnabled: false } }),
    startIndexerGateway({ finalityDepth: 1_000_000, indexer: { pollerEnabled: false } }),
  ]);
  ({ address: token } = await deployToken(a.chain, {
    name: "Webhook Test",
    symbol: "WHT",
    assetId: "webhook-test",
    contentDigest: digest("content") as `0x${string}`,
    offeringTermsDigest: digest("terms") as `0x${string}`,
  }));
  await setWhitelisted(a.chain, { token, account: x, whitelisted: true });
  await setWhitelisted(a.chain, { token, account: y, whitelisted: true });
  const first = await asAgent(a, token, "mint", [x, 1000n]);
  await asAgent(a, token, "mint", [y, 500n]);
  await asAgent(a, token, "forcedTransfer", [x, y, 300n]);
  await asAgent(a, token, "burn", [y, 50n]);
  logs = await a.chain.publicClient.getLogs({ address: token, fromBlock: first.blockNumber - 3n });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

describe("refused deliveries", () => {
  it("answers 401 to a forged signature, a stale timestamp, a replay and a one-byte change, and stores nothing", async () => {
    const body = gatewayBody(
      a,
      logs.map((l) => rpcLog(l)),
    );
    const events = await eventCount(a.database.db);
    const deliveries = await deliveryCount(a);
    const metricsBefore = await webhookMetrics(a);

    const forged = await post(a, body, signGatewayDelivery("not-the-secret-0123456789", body, now()));
    expect(forged).toMatchObject({ status: 401, body: { error: { code: "WEBHOOK_SIGNATURE_INVALID" } } });

    const staleTs = now() - 301;
    expect((await post(a, body, signGatewayDelivery(TEST_WEBHOOK_SECRET, body, staleTs))).status).toBe(401);

    const valid = signGatewayDelivery(TEST_WEBHOOK_SECRET, body, now());
    const changed = Buffer.from(body);
    const at = body.indexOf('"data":"0x') + 10;
    changed[at] = changed[at] === 0x30 ? 0x31 : 0x30; // one hex digit of the first log's data
    expect((await post(a, changed, valid)).status).toBe(401);

    expect((await post(a, body, {})).status).toBe(401);
    expect(
      (await post(a, body, { "x-alchemy-signature": signAlchemyDelivery("not-the-secret-0123456789", body)["x-alchemy-signature"]! }))
        .status,
    ).toBe(401);
    expect((await post(a, body, { ...valid, "x-timestamp": String(Number(valid["x-timestamp"]) + 1) })).status).toBe(401);

    expect(await eventCount(a.database.db)).toBe(events);
    expect(await deliveryCount(a)).toBe(deliveries);

    // The valid one is accepted once; the same signed bytes again are a replay.
    expect((await post(a, body, valid)).status).toBe(202);
    await drained(a);
    const applied = await eventCount(a.database.db);
    expect(applied).toBe(events + logs.length);
    const replay = await post(a, body, valid);
    expect(replay).toMatchObject({ status: 401, body: { error: { code: "WEBHOOK_REPLAYED" } } });
    expect(await deliveryCount(a)).toBe(deliveries + 1);
    expect(await eventCount(a.database.db)).toBe(applied);

    // /metrics counts deliveries by outcome: 7 refused signatures (replay included), 1 accepted.
    const metricsAfter = await webhookMetrics(a);
    expect((metricsAfter.rejected_signature ?? 0) - (metricsBefore.rejected_signature ?? 0)).toBe(7);
    expect((metricsAfter.accepted ?? 0) - (metricsBefore.accepted ?? 0)).toBe(1);
  });
});

describe("the cap table from deliveries", () => {
  it("is the same after one in-order delivery as after triple, reversed, mixed-format deliveries, and equals balanceOf", async () => {
    await drained(a);
    const inOrder = await capTable(a);
    expect(inOrder.map((h) => h.holder).sort()).toEqual([x, y].sort());
    for (const h of inOrder) {
      expect(h.balance).toBe((await balanceOf(a, token, h.holder as Address)).toString());
      expect(h).toMatchObject({ finalBalance: h.balance, pending: false }); // depth 0: all final
    }

    // B: each log alone, newest first, three times each, alternating the two formats.
    const reversed = [...logs].reverse();
    for (const [i, l] of reversed.entries()) {
      for (let copy = 0; copy < 3; copy++) {
        if ((i + copy) % 2 === 0) {
          expect((await sendGateway(b, [rpcLog(l)], copy)).status).toBe(202);
        } else {
          const body = JSON.stringify({
            webhookId: "wh_test",
            id: `whevt_${l.transactionHash}_${l.logIndex}_${copy}`,
            createdAt: new Date().toISOString(),
            type: "ADDRESS_ACTIVITY",
            event: { network: "HARDHAT_DEV", activity: [{ category: "token", hash: l.transactionHash, log: rpcLog(l) }] },
          });
          const headers = signAlchemyDelivery(TEST_WEBHOOK_SECRET, body);
          expect((await post(b, body, headers)).status).toBe(202);
          // Alchemy redelivers an event under the same id: acknowledged, stored once.
          expect(await post(b, body, headers)).toMatchObject({ status: 200, body: { status: "duplicate" } });
        }
      }
    }
    await drained(b);
    const shuffled = await capTable(b);
    expect(shuffled.map(({ holder, balance }) => ({ holder, balance }))).toEqual(
      inOrder.map(({ holder, balance }) => ({ holder, balance })),
    );
    expect(await eventCount(b.database.db)).toBe(logs.length);
    // B counts nothing as final yet: every balance is pending.
    for (const h of shuffled) expect(h).toMatchObject({ finalBalance: "0", pending: true });
  });

  it("reverses a log reported removed, and a late copy of the original does not bring it back", async () => {
    const transferTopic = keccak256(toBytes("Transfer(address,address,uint256)"));
    const mintToY = logs.find(
      (l) => l.topics[0] === transferTopic && l.topics[1] === pad(zeroAddress) && l.topics[2] === pad(y.toLowerCase() as Address),
    )!;
    expect(mintToY).toBeDefined();
    const before = await capTable(a);
    const yBefore = BigInt(before.find((h) => h.holder === y)!.balance);

    expect((await sendGateway(a, [rpcLog(mintToY, true)])).status).toBe(202);
    await drained(a);
    const afterRemoval = await capTable(a);
    expect(BigInt(afterRemoval.find((h) => h.holder === y)!.balance)).toBe(yBefore - 500n);

    expect((await sendGateway(a, [rpcLog(mintToY, false)])).status).toBe(202);
    await drained(a);
    expect(BigInt((await capTable(a)).find((h) => h.holder === y)!.balance)).toBe(yBefore - 500n);
    const [row] = await a.database.db
      .select({ removed: chainEvent.removed })
      .from(chainEvent)
      .where(sql`${chainEvent.txHash} = ${mintToY.transactionHash} and ${chainEvent.logIndex} = ${mintToY.logIndex}`);
    expect(row!.removed).toBe(true);
  });

  it("accepts Alchemy's custom (GraphQL) webhook shape, removed logs included", async () => {
    // The last block holds the burn of 50 from y; B already has it, so reporting it removed gives y 50 back.
    const c = logs.filter((l) => l.blockNumber === logs.at(-1)!.blockNumber);
    const yBefore = BigInt((await capTable(b)).find((h) => h.holder === y)!.balance);
    const body = JSON.stringify({
      webhookId: "wh_custom",
      id: "whevt_custom_1",
      createdAt: new Date().toISOString(),
      type: "GRAPHQL",
      event: {
        data: {
          block: {
            hash: c[0]!.blockHash,
            number: Number(c[0]!.blockNumber),
            logs: c.map((l) => ({
              data: l.data,
              topics: l.topics,
              index: l.logIndex,
              account: { address: l.address },
              transaction: { hash: l.transactionHash },
              removed: true,
            })),
          },
        },
      },
    });
    expect((await post(b, body, signAlchemyDelivery(TEST_WEBHOOK_SECRET, body))).status).toBe(202);
    await drained(b);
    expect(await eventCount(b.database.db)).toBe(logs.length);
    expect(BigInt((await capTable(b)).find((h) => h.holder === y)!.balance)).toBe(yBefore + 50n);
  });

  it("keeps a delivery that fails to apply in the inbox, with its error, without holding up the others", async () => {
    // A stored delivery that cannot be applied (as if written by an older, laxer version).
    const [broken] = await a.database.db
      .insert(webhookDelivery)
      .values({ format: "GATEWAY", deliveryKey: "gateway:broken", payload: { chainId: a.chain.chainId, logs: "not a list" } })
      .returning();
    const mint = logs.find((l) => l.topics.length === 3)!;
    const body = gatewayBody(a, [rpcLog(mint)]);
    expect((await post(a, body, signGatewayDelivery(TEST_WEBHOOK_SECRET, body, now()))).status).toBe(202);
    await waitFor("the good delivery applied", async () => (await pendingDeliveryCount(a.database.db)) === 1);
    await a.gateway.indexer.runOnce();
    const [kept] = await a.database.db.select().from(webhookDelivery).where(eq(webhookDelivery.id, broken!.id));
    expect(kept).toMatchObject({ appliedAt: null, lastError: expect.any(String) });
    expect(kept!.attempts).toBeGreaterThanOrEqual(1);

    // Once repaired it is applied on a later round: nothing was lost.
    await a.database.db
      .update(webhookDelivery)
      .set({ payload: { chainId: a.chain.chainId, logs: [] } })
      .where(eq(webhookDelivery.id, broken!.id));
    await a.gateway.indexer.runOnce();
    expect(await pendingDeliveryCount(a.database.db)).toBe(0);
  });

  it("answers 400 to a signed body that is not a known payload, and stores nothing", async () => {
    const body = JSON.stringify({ hello: "world" });
    const before = await deliveryCount(a);
    expect((await post(a, body, signGatewayDelivery(TEST_WEBHOOK_SECRET, body, now()))).status).toBe(400);
    expect(await deliveryCount(a)).toBe(before);
  });
});
