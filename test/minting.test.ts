/**
 * The mint pipeline through GraphQL on a real gateway: concurrent idempotency, batched
 * mints settling one by one, a revert decoded by name, the mintRequests list, and the
 * AGENT's token controls read back from the tranche.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, inArray, sql } from "drizzle-orm";
import pino from "pino";
import { parseEventLogs, type Address } from "viem";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  ERROR_FIELDS,
  ok,
  registerApprovedAsset,
  registerVerifiedInvestor,
  REQUEST_MINT,
  satisfyRequirements,
  waitForMint,
  type Actors,
} from "./support/flow.js";
import { DataAssetTokenAbi, setWhitelisted } from "../src/chain/token.js";
import { mintRequest } from "../src/minting/table.js";
import { chainWrite } from "../src/chain/table.js";
import { tranche } from "../src/offerings/table.js";
import { startMintWorker } from "../src/minting/worker.js";

let t: TestGateway;
let a: Actors;
let trancheId: string;
let token: Address;
let investors: { investorId: string; wallet: Address }[];

const balanceOf = (account: Address) =>
  t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "balanceOf", args: [account] });

async function whitelist(investorId: string) {
  ok(
    await t.gql(
      `mutation($t: ID!, $i: ID!) { whitelistInvestor(trancheId: $t, investorId: $i) { __typename ... on WhitelistEntry { txHash } ${ERROR_FIELDS} } }`,
      { t: trancheId, i: investorId },
      a.issuerToken,
    ),
    "whitelistInvestor",
    "WhitelistEntry",
  );
}

const mint = (key: string, investorId: string, amount: string) =>
  t.gql(REQUEST_MINT, { input: { idempotencyKey: key, trancheId, investorId, amount } }, a.issuerToken);

beforeAll(async () => {
  t = await startTestGateway();
  a = await createActors(t);
  const asset = await registerApprovedAsset(t, a);
  const offering = await createOfferingWithTranche(t, a, asset.assetId);
  trancheId = offering.trancheId;
  investors = [];
  for (let i = 0; i < 4; i++) investors.push(await registerVerifiedInvestor(t, a));
  await satisfyRequirements(t, a, { ...asset, offeringId: offering.offeringId });
  token = await deployAndWhitelist(t, a, trancheId, investors[0]!.investorId);
  for (const inv of investors.slice(1)) await whitelist(inv.investorId);
});

afterAll(async () => {
  await t?.close();
});

describe("requestMint", () => {
  it("100 concurrent calls with 10 idempotency keys create exactly 10 requests, each minted once", async () => {
    const before = await balanceOf(investors[0]!.wallet);
    const calls = Array.from({ length: 100 }, (_, i) => mint(`concurrent-${i % 10}`, investors[0]!.investorId, String(100 + (i % 10))));
    const results = await Promise.all(calls);
    for (const r of results) expect(r.data?.requestMint?.__typename, JSON.stringify(r)).toBe("MintRequest");
    const ids = new Set(results.map((r) => r.data.requestMint.id as string));
    expect(ids.size).toBe(10);
    const rows = await t.database.db.select().from(mintRequest).where(sql`${mintRequest.idempotencyKey} like 'concurrent-%'`);
    expect(rows).toHaveLength(10);
    for (const id of ids) expect((await waitForMint(t, a.issuerToken, id)).status).toBe("CONFIRMED");
    const expected = Array.from({ length: 10 }, (_, i) => BigInt(100 + i)).reduce((x, y) => x + y, 0n);
    expect((await balanceOf(investors[0]!.wallet)) - before).toBe(expected);
  });

  it("the same key with other parameters answers IdempotencyKeyReusedError", async () => {
    const first = await mint("reused-key", investors[0]!.investorId, "5");
    expect(first.data.requestMint.__typename).toBe("MintRequest");
    const second = await mint("reused-key", investors[0]!.investorId, "6");
    expect(second.data.requestMint).toMatchObject({ __typename: "IdempotencyKeyReusedError", code: "IDEMPOTENCY_KEY_REUSED" });
    await waitForMint(t, a.issuerToken, first.data.requestMint.id);
  });
});

describe("mint worker", () => {
  it("sends requests waiting together as one mintBatch, settles each, and decodes a revert by name", async () => {
    // Stop the gateway's worker so requests pile up, then let a fresh worker find them together.
    await t.gateway.worker!.stop();
    // The recipient is removed from the on-chain whitelist behind our database's back:
    // the compliance check (which reads our records) passes, the token refuses.
    const stale = investors[3]!;
    await setWhitelisted(t.chain, { token, account: stale.wallet, whitelisted: false });

    const good = [];
    for (let i = 0; i < 6; i++) {
      const r = await mint(`batch-${i}`, investors[i % 3]!.investorId, String(1000 + i));
      expect(r.data.requestMint.status).toBe("REQUESTED");
      good.push(r.data.requestMint.id as string);
    }
    const bad = (await mint("batch-bad", stale.investorId, "777")).data.requestMint.id as string;

    const worker = startMintWorker({ db: t.database.db, chain: t.chain, logger: pino({ level: "silent" }), confirmations: 1 });
    try {
      const settled = await Promise.all(good.map((id) => waitForMint(t, a.issuerToken, id)));
      expect(settled.map((m) => m.status)).toEqual(good.map(() => "CONFIRMED"));
      // One transaction carries all six; each request settled on its own row.
      const hashes = new Set(settled.map((m) => m.txHash));
      expect(hashes.size).toBe(1);
      const receipt = await t.chain.publicClient.getTransactionReceipt({ hash: settled[0]!.txHash });
      const transfers = parseEventLogs({ abi: DataAssetTokenAbi, eventName: "Transfer", logs: receipt.logs });
      expect(transfers.map((l) => l.args.value).sort()).toEqual([1000n, 1001n, 1002n, 1003n, 1004n, 1005n]);
      const batches = await t.database.db
        .select()
        .from(chainWrite)
        .where(inArray(chainWrite.minedTxHash, [...hashes] as string[]));
      expect(batches).toHaveLength(1);

      const reverted = await waitForMint(t, a.issuerToken, bad);
      expect(reverted.status).toBe("REVERTED");
      const detail = await t.gql(
        `query($id: ID!) { mintRequest(id: $id) { ... on MintRequest { status revertReason error { code reason revertReason action retryable } } } }`,
        { id: bad },
        a.issuerToken,
      );
      expect(detail.data.mintRequest).toMatchObject({
        status: "REVERTED",
        revertReason: "NotWhitelisted",
        error: { code: "MINT_FAILED", reason: "REVERTED", revertReason: "NotWhitelisted", retryable: false },
      });
      expect(detail.data.mintRequest.error.action).toMatch(/whitelistInvestor/);
      expect(await balanceOf(stale.wallet)).toBe(0n);
    } finally {
      await worker.stop();
      await setWhitelisted(t.chain, { token, account: stale.wallet, whitelisted: true });
    }
    // Give the rest of the file a worker again.
    (t.gateway as { worker?: unknown }).worker = startMintWorker({
      db: t.database.db,
      chain: t.chain,
      logger: pino({ level: "silent" }),
      confirmations: 1,
    });
  });
});

describe("mintRequests", () => {
  const LIST = `query($filter: MintRequestFilter, $first: Int, $after: String) {
    mintRequests(filter: $filter, first: $first, after: $after) {
      edges { cursor node { id status amount } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

  it("pages through the caller's requests filtered by status and tranche", async () => {
    const confirmed = await t.database.db.select({ id: mintRequest.id }).from(mintRequest).where(eq(mintRequest.status, "CONFIRMED"));
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const r = await t.gql(LIST, { filter: { status: "CONFIRMED", trancheId }, first: 4, after }, a.issuerToken);
      expect(r.errors).toBeUndefined();
      const page = r.data.mintRequests;
      for (const e of page.edges) {
        expect(e.node.status).toBe("CONFIRMED");
        seen.push(e.node.id);
      }
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen.sort()).toEqual(confirmed.map((c) => c.id).sort());

    const reverted = await t.gql(LIST, { filter: { status: "REVERTED" } }, a.issuerToken);
    expect(reverted.data.mintRequests.edges).toHaveLength(1);
    // Another organization sees none of them.
    const stranger = await t.tokenFor(["ISSUER"], a.providerOrgId, "stranger");
    const none = await t.gql(LIST, { filter: { trancheId } }, stranger);
    expect(none.data.mintRequests.edges).toEqual([]);
  });

  it("keeps every row when many were created in one millisecond or one transaction", async () => {
    // Half the tranche's requests share one microsecond; the rest differ only in microseconds.
    await t.database.db.execute(sql`
      update mint_request m set created_at = timestamptz '2026-11-28 10:00:00.123000+00' + (n.i % 2) * (n.i * interval '1 microsecond')
      from (select id, row_number() over (order by id) as i from mint_request where tranche_id = ${trancheId}) n
      where m.id = n.id`);
    const all = await t.database.db.select({ id: mintRequest.id }).from(mintRequest).where(eq(mintRequest.trancheId, trancheId));
    expect(all.length).toBeGreaterThan(6);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const r = await t.gql(LIST, { filter: { trancheId }, first: 3, after }, a.issuerToken);
      expect(r.errors).toBeUndefined();
      seen.push(...r.data.mintRequests.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!r.data.mintRequests.pageInfo.hasNextPage) break;
      after = r.data.mintRequests.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(all.length);
    expect([...seen].sort()).toEqual(all.map((r) => r.id).sort());
  });

  it("answers a hand-made cursor with a validation error", async () => {
    for (const createdAt of ["2026-02-30 10:00:00+00", "yesterday", "2026-11-28T10:00:00Z"]) {
      const after = Buffer.from(JSON.stringify({ createdAt, id: trancheId })).toString("base64url");
      const r = await t.gql(LIST, { first: 2, after }, a.issuerToken);
      expect(JSON.stringify(r.errors)).toMatch(/not a cursor from this API/);
    }
  });

  it("refuses a page larger than 100", async () => {
    const r = await t.gql(LIST, { first: 101 }, a.issuerToken);
    expect(JSON.stringify(r.errors ?? r.data)).toMatch(/at most 100/);
  });
});

describe("token controls", () => {
  const TRANCHE = `query($id: ID!) { offering(id: $id) { ... on Offering { tranches { id paused frozenAddresses controlActions { action account toAccount amount txHash actorSubject } } } } }`;
  const CONTROL = (field: string, args: string, vars: string, extra = "") =>
    `mutation(${vars}) { ${field}(${args}) { __typename ... on TokenControlAction { action txHash account } ${extra} ${ERROR_FIELDS} } }`;
  const pause = CONTROL("pauseToken", "trancheId: $t, reason: $r", "$t: ID!, $r: String");
  const unpause = CONTROL("unpauseToken", "trancheId: $t", "$t: ID!");
  const freeze = CONTROL("freezeAddress", "trancheId: $t, address: $a", "$t: ID!, $a: String!");
  const unfreeze = CONTROL("unfreezeAddress", "trancheId: $t, address: $a", "$t: ID!, $a: String!");
  const forced = CONTROL(
    "forcedTransfer",
    "input: $input",
    "$input: ForcedTransferInput!",
    "... on ComplianceNotSatisfiedError { unmetCodes } ... on InsufficientBalanceError { balance }",
  );

  async function trancheState() {
    const [row] = await t.database.db.select({ offeringId: tranche.offeringId }).from(tranche).where(eq(tranche.id, trancheId));
    const r = await t.gql(TRANCHE, { id: row!.offeringId }, a.issuerToken);
    return r.data.offering.tranches[0];
  }

  it("pauses and unpauses the token, visible on the tranche; a mint while paused reverts EnforcedPause", async () => {
    const paused = await t.gql(pause, { t: trancheId, r: "incident drill" }, a.issuerToken);
    expect(paused.data.pauseToken).toMatchObject({ __typename: "TokenControlAction", action: "PAUSE" });
    expect(await t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "paused" })).toBe(true);
    expect((await trancheState()).paused).toBe(true);
    const again = await t.gql(pause, { t: trancheId }, a.issuerToken);
    expect(again.data.pauseToken.__typename).toBe("ConflictError");

    const m = await mint("while-paused", investors[0]!.investorId, "9");
    const settled = await waitForMint(t, a.issuerToken, m.data.requestMint.id);
    expect(settled).toMatchObject({ status: "REVERTED" });
    const [row] = await t.database.db.select().from(mintRequest).where(eq(mintRequest.id, m.data.requestMint.id));
    expect(row!.revertReason).toBe("EnforcedPause");

    const unpaused = await t.gql(unpause, { t: trancheId }, a.issuerToken);
    expect(unpaused.data.unpauseToken.action).toBe("UNPAUSE");
    expect((await trancheState()).paused).toBe(false);
  });

  it("freezes an address, recovers its tokens by forced transfer to an eligible investor, and audits it all", async () => {
    const lost = investors[1]!;
    const heir = investors[2]!;
    const held = await balanceOf(lost.wallet);
    expect(held).toBeGreaterThan(0n);

    const frozen = await t.gql(freeze, { t: trancheId, a: lost.wallet }, a.issuerToken);
    expect(frozen.data.freezeAddress).toMatchObject({ action: "FREEZE", account: lost.wallet.toLowerCase() });
    expect((await trancheState()).frozenAddresses).toEqual([lost.wallet.toLowerCase()]);
    expect(
      await t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "isFrozen", args: [lost.wallet] }),
    ).toBe(true);

    // A recipient who is not eligible (not whitelisted on this tranche) is refused before anything is sent.
    const outsider = await registerVerifiedInvestor(t, a);
    const refused = await t.gql(
      forced,
      { input: { trancheId, from: lost.wallet, toInvestorId: outsider.investorId, amount: "1", reason: "lost keys" } },
      a.issuerToken,
    );
    expect(refused.data.forcedTransfer.__typename).toBe("ComplianceNotSatisfiedError");
    const tooMuch = await t.gql(
      forced,
      { input: { trancheId, from: lost.wallet, toInvestorId: heir.investorId, amount: String(held + 1n), reason: "lost keys" } },
      a.issuerToken,
    );
    expect(tooMuch.data.forcedTransfer).toMatchObject({ __typename: "InsufficientBalanceError", balance: held.toString() });

    const heirBefore = await balanceOf(heir.wallet);
    const moved = await t.gql(
      forced,
      { input: { trancheId, from: lost.wallet, toInvestorId: heir.investorId, amount: held.toString(), reason: "lost keys" } },
      a.issuerToken,
    );
    expect(moved.data.forcedTransfer).toMatchObject({ __typename: "TokenControlAction", action: "FORCED_TRANSFER" });
    expect(await balanceOf(lost.wallet)).toBe(0n);
    expect((await balanceOf(heir.wallet)) - heirBefore).toBe(held);

    const unfrozen = await t.gql(unfreeze, { t: trancheId, a: lost.wallet }, a.issuerToken);
    expect(unfrozen.data.unfreezeAddress.action).toBe("UNFREEZE");
    const state = await trancheState();
    expect(state.frozenAddresses).toEqual([]);
    expect(state.controlActions.map((c: { action: string }) => c.action)).toEqual([
      "UNFREEZE",
      "FORCED_TRANSFER",
      "FREEZE",
      "UNPAUSE",
      "PAUSE",
    ]);
    expect(state.controlActions[1]).toMatchObject({
      account: lost.wallet.toLowerCase(),
      toAccount: heir.wallet.toLowerCase(),
      amount: held.toString(),
      actorSubject: "issuer",
    });
  });

  it("refuses controls to an issuer of another organization and bad input", async () => {
    const stranger = await t.tokenFor(["ISSUER"], a.providerOrgId, "stranger");
    const r = await t.gql(pause, { t: trancheId }, stranger);
    expect(r.data.pauseToken.__typename).toBe("ForbiddenError");
    const bad = await t.gql(freeze, { t: trancheId, a: "0x1234" }, a.issuerToken);
    expect(bad.data.freezeAddress.__typename).toBe("ValidationError");
    const investorRole = await t.tokenFor(["COMPLIANCE_OFFICER"], a.issuerOrgId, "officer2");
    const wrongRole = await t.gql(pause, { t: trancheId }, investorRole);
    expect(wrongRole.data.pauseToken.__typename).toBe("ForbiddenError");
  });
});

describe("npm run worker", () => {
  it("refuses to start without a shared database, naming the variable", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/worker-main.ts"], {
      cwd: path.resolve(import.meta.dirname, ".."),
      env: { ...process.env, DATABASE_URL: "", CHAIN_RPC_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stderr.on("data", (c) => (output += c));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(output).toMatch(/DATABASE_URL: is required for a separate worker process/);
  });
});
