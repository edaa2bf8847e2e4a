/**
 * Bulk issuance (issue 17): `requestMints` takes an issuer's close in one call. The chain is
 * the judge: balances and the token's mint events are read back with viem. All or nothing:
 * a list with any refused item names each one and records nothing.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { parseAbiItem, zeroAddress, type Address } from "viem";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  registerApprovedAsset,
  registerVerifiedInvestor,
  REQUEST_MINTS,
  satisfyRequirements,
  waitForMint,
  whitelistInvestor,
  type Actors,
} from "./support/flow.js";
import { DataAssetTokenAbi } from "../src/chain/token.js";
import { mintRequest } from "../src/minting/table.js";
import { job } from "../src/queue/table.js";
import { auditEvent } from "../src/audit/table.js";

let t: TestGateway;
let a: Actors;
let trancheId: string;
let token: Address;
let investors: { investorId: string; wallet: Address }[];
/** Verified, wallet proven, never whitelisted on the token: compliance refuses a mint to it. */
let unlisted: string;

const requestMints = (items: unknown[], token = a.issuerToken) => t.gql(REQUEST_MINTS, { items }, token);
const item = (key: string, investorId: string, amount: string) => ({ idempotencyKey: key, trancheId, investorId, amount });
const balanceOf = (account: Address) =>
  t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "balanceOf", args: [account] });
const totalSupply = () => t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "totalSupply" });
const counts = async () => {
  const [[requests], [jobs], [events]] = await Promise.all([
    t.database.db.select({ n: sql<number>`count(*)::int` }).from(mintRequest),
    t.database.db.select({ n: sql<number>`count(*)::int` }).from(job),
    t.database.db.select({ n: sql<number>`count(*)::int` }).from(auditEvent),
  ]);
  return { requests: requests!.n, jobs: jobs!.n, events: events!.n };
};

beforeAll(async () => {
  t = await startTestGateway();
  a = await createActors(t);
  const asset = await registerApprovedAsset(t, a);
  // A cap the tests can reach: 10^6 base units.
  const offering = await createOfferingWithTranche(t, a, asset.assetId, "1000000");
  trancheId = offering.trancheId;
  investors = [];
  for (let i = 0; i < 8; i++) investors.push(await registerVerifiedInvestor(t, a));
  unlisted = (await registerVerifiedInvestor(t, a)).investorId;
  await satisfyRequirements(t, a, { ...asset, offeringId: offering.offeringId });
  token = await deployAndWhitelist(t, a, trancheId, investors[0]!.investorId);
  for (const inv of investors.slice(1)) await whitelistInvestor(t, a, trancheId, inv.investorId);
});

afterAll(async () => {
  await t?.close();
});

describe("requestMints", () => {
  it("mints a close of 24 items to 8 investors in a few mintBatch transactions, each item once; resending the list changes nothing", async () => {
    const fromBlock = await t.chain.publicClient.getBlockNumber();
    const supplyBefore = await totalSupply();
    const items = Array.from({ length: 24 }, (_, i) => item(`close-${i}`, investors[i % 8]!.investorId, String(100 + i)));
    const r = await requestMints(items);
    expect(r.data?.requestMints?.__typename, JSON.stringify(r)).toBe("MutationRequestMintsSuccess");
    const created = r.data.requestMints.data as { id: string; idempotencyKey: string; status: string; amount: string }[];
    // In the items' order, each REQUESTED.
    expect(created.map((m) => m.idempotencyKey)).toEqual(items.map((i) => i.idempotencyKey));
    expect(created.map((m) => m.amount)).toEqual(items.map((i) => i.amount));
    expect(new Set(created.map((m) => m.status))).toEqual(new Set(["REQUESTED"]));
    for (const m of created) expect((await waitForMint(t, a.issuerToken, m.id)).status).toBe("CONFIRMED");

    // The chain: one mint event per item, to the right wallet, for the right amount, in few transactions.
    const logs = await t.chain.publicClient.getLogs({
      address: token,
      event: parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)"),
      args: { from: zeroAddress },
      fromBlock,
    });
    expect(logs).toHaveLength(24);
    const minted = logs.map((l) => `${l.args.to!.toLowerCase()}:${l.args.value}`).sort();
    const wanted = items.map((i, k) => `${investors[k % 8]!.wallet.toLowerCase()}:${i.amount}`).sort();
    expect(minted).toEqual(wanted);
    expect(new Set(logs.map((l) => l.transactionHash)).size).toBeLessThanOrEqual(3);
    expect((await totalSupply()) - supplyBefore).toBe(items.reduce((sum, i) => sum + BigInt(i.amount), 0n));
    for (let k = 0; k < 8; k++) {
      const own = items.filter((_, i) => i % 8 === k).reduce((sum, i) => sum + BigInt(i.amount), 0n);
      expect(await balanceOf(investors[k]!.wallet)).toBeGreaterThanOrEqual(own);
    }

    // The same list again: the same requests, nothing new recorded or minted.
    const before = await counts();
    const again = await requestMints(items);
    expect(again.data.requestMints.data.map((m: { id: string }) => m.id)).toEqual(created.map((m) => m.id));
    expect(await counts()).toEqual(before);
    await new Promise((r) => setTimeout(r, 300));
    expect(await totalSupply()).toBe(supplyBefore + items.reduce((sum, i) => sum + BigInt(i.amount), 0n));
  });

  it("refuses a list with bad items whole, naming each item with the error requestMint would give, and records nothing", async () => {
    const before = await counts();
    const supply = await totalSupply();
    const first = await requestMints([item("reused-once", investors[0]!.investorId, "5")]);
    expect(first.data.requestMints.__typename).toBe("MutationRequestMintsSuccess");
    // Settled before counting, so the worker's own writes do not move the counts below.
    expect((await waitForMint(t, a.issuerToken, first.data.requestMints.data[0].id)).status).toBe("CONFIRMED");
    const after = await counts();
    const items = [
      item(`good-${randomUUID()}`, investors[1]!.investorId, "10"),
      item(`bad-amount-${randomUUID()}`, investors[1]!.investorId, "1.5"),
      item(`unknown-${randomUUID()}`, randomUUID(), "10"),
      item(`unlisted-${randomUUID()}`, unlisted, "10"),
      item("reused-once", investors[0]!.investorId, "6"),
      item(`good-${randomUUID()}`, investors[2]!.investorId, "10"),
      { ...item("dup", investors[2]!.investorId, "1") },
      { ...item("dup", investors[2]!.investorId, "1") },
    ];
    const r = await requestMints(items);
    const refused = r.data?.requestMints;
    expect(refused?.__typename, JSON.stringify(r)).toBe("BulkMintRefusedError");
    expect(refused.code).toBe("BULK_MINT_REFUSED");
    expect(refused.retryable).toBe(false);
    expect(refused.items.map((i: any) => [i.index, i.code])).toEqual([
      [1, "VALIDATION_FAILED"],
      [2, "NOT_FOUND"],
      [3, "COMPLIANCE_NOT_SATISFIED"],
      [4, "IDEMPOTENCY_KEY_REUSED"],
      [7, "VALIDATION_FAILED"],
    ]);
    expect(refused.items[0].issues).toEqual([{ path: "amount", message: expect.any(String) }]);
    expect(refused.items[2].unmetCodes).toContain("OFFSHORE_INVESTOR_ELIGIBLE");
    expect(refused.items[3].existingRequestId).toEqual(expect.any(String));
    expect(refused.items[4]).toMatchObject({ idempotencyKey: "dup", issues: [{ path: "idempotencyKey" }] });
    // Nothing of the good items either: no request, no job, no audit event.
    expect(await counts()).toEqual(after);
    expect(after.requests).toBe(before.requests + 1);
    expect(await totalSupply()).toBe(supply + 5n);
  });

  it("counts every item against the supply cap in the list's order: the item that crosses it is named, nothing is recorded", async () => {
    const supply = await totalSupply();
    const [{ total }] = (await t.database.db
      .select({ total: sql<string>`coalesce(sum(${mintRequest.amount}), 0)::text` })
      .from(mintRequest)
      .where(sql`${mintRequest.trancheId} = ${trancheId} and ${mintRequest.status} not in ('FAILED', 'REVERTED')`)) as [{ total: string }];
    const room = 1_000_000n - BigInt(total);
    const before = await counts();
    const items = [
      item(`cap-a-${randomUUID()}`, investors[3]!.investorId, (room - 10n).toString()),
      item(`cap-b-${randomUUID()}`, investors[4]!.investorId, "10"),
      item(`cap-c-${randomUUID()}`, investors[5]!.investorId, "1"),
    ];
    const r = await requestMints(items);
    expect(r.data.requestMints.__typename, JSON.stringify(r)).toBe("BulkMintRefusedError");
    expect(r.data.requestMints.items.map((i: any) => [i.index, i.code])).toEqual([[2, "SUPPLY_CAP_EXCEEDED"]]);
    expect(await counts()).toEqual(before);
    // Without the last item the list fits exactly.
    const fits = await requestMints(items.slice(0, 2));
    expect(fits.data.requestMints.__typename).toBe("MutationRequestMintsSuccess");
    for (const m of fits.data.requestMints.data) expect((await waitForMint(t, a.issuerToken, m.id)).status).toBe("CONFIRMED");
    expect(await totalSupply()).toBe(supply + room);
  });

  it("three concurrent sends of one list create each request once", async () => {
    // A fresh tranche: the first one's cap is reached by now.
    const asset = await registerApprovedAsset(t, a, "Bulk race asset");
    const offering = await createOfferingWithTranche(t, a, asset.assetId);
    await satisfyRequirements(t, a, { ...asset, offeringId: offering.offeringId });
    const raceToken = await deployAndWhitelist(t, a, offering.trancheId, investors[6]!.investorId);
    const list = Array.from({ length: 6 }, (_, i) => ({
      ...item(`race-${i}`, investors[6]!.investorId, String(1 + i)),
      trancheId: offering.trancheId,
    }));
    const answers = await Promise.all([requestMints(list), requestMints(list), requestMints(list)]);
    for (const r of answers) expect(r.data?.requestMints?.__typename, JSON.stringify(r)).toBe("MutationRequestMintsSuccess");
    const ids = answers.map((r) => r.data.requestMints.data.map((m: { id: string }) => m.id).join());
    expect(new Set(ids).size).toBe(1);
    const rows = await t.database.db.select().from(mintRequest).where(sql`idempotency_key like 'race-%'`);
    expect(rows).toHaveLength(6);
    for (const row of rows) expect((await waitForMint(t, a.issuerToken, row.id)).status).toBe("CONFIRMED");
    const supply = await t.chain.publicClient.readContract({ address: raceToken, abi: DataAssetTokenAbi, functionName: "totalSupply" });
    expect(supply).toBe(21n);
  });

  it("refuses an empty list and one over the limit before reading anything", async () => {
    const empty = await requestMints([]);
    expect(empty.data.requestMints).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    const tooMany = await requestMints(Array.from({ length: 501 }, (_, i) => item(`many-${i}`, investors[0]!.investorId, "1")));
    expect(tooMany.data.requestMints).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
  });
});
