/**
 * A licensed venue's secondary trades settled by delivery versus payment, over HTTP against the
 * real dev chain: the issuer admits a VENUE organization with a MAS_RMO licence (setVenue on the
 * tranche token), the venue's operator submits a trade both parties signed (EIP-712, their own
 * keys), and one settleTrade transaction moves the buyer's dUSD to the seller and the seller's
 * tokens to the buyer. Refusals (a venue not admitted, a buyer without the funds, a bad
 * signature) move nothing on either leg and send nothing. Every balance is read from the chain.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { parseEventLogs, type Address, type Hex } from "viem";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { createActors, ERROR_FIELDS, OPEN_OFFERING, ok, registerVerifiedInvestor, whitelistInvestor, type Actors } from "./support/flow.js";
import { balanceOf, waitFor } from "./support/indexer.js";
import { approve, devStablecoin, faucet, REQUEST_SUBSCRIPTION, SUBSCRIPTION, settlementId, stablecoinBalance } from "./support/dvp.js";
import { createDvpOffering } from "./support/dvp.js";
import { DataAssetTokenAbi } from "../src/chain/generated/DataAssetToken.js";
import { DvpSettlementAbi, settleTradeData, tradeTypedData, type TradeTerms } from "../src/chain/settlement.js";
import { sendWrite, sweepOpenWrites } from "../src/chain/writes.js";
import { WRITE_OWNERS } from "../src/write-owners.js";
import { VENUE_TRADE_KIND } from "../src/venues/service.js";
import { auditEvent } from "../src/audit/table.js";
import { chainWrite } from "../src/chain/table.js";
import { venueTrade } from "../src/venues/table.js";

const E18 = 10n ** 18n;
const E6 = 10n ** 6n;
const YEAR = 365 * 24 * 3600_000;
/** The gateway's clock: real time until the last test moves it past the venue's licence. */
let clock: Date | undefined;

let t: TestGateway;
let a: Actors;
let dusd: Address;
let settlement: Address;
let offeringId: string;
let trancheId: string;
let token: Address;
let venueOrgId: string;
let venueToken: string;
let otherVenueToken: string;
let expiredVenueOrgId: string;
type Inv = Awaited<ReturnType<typeof registerVerifiedInvestor>>;
let alice: Inv; // the seller
let bob: Inv; // the buyer
let carol: Inv; // a buyer without the funds
let fromBlock: bigint;

const TRADE_FIELDS = `id tradeId idempotencyKey status venueOrganizationId offeringId seller buyer amount price currency tokenAddress deadline txHash blockNumber revertReason tranche { id }`;
const SETTLE = `mutation($input: SettleTradeInput!) { settleTrade(input: $input) { __typename
  ... on VenueTrade { ${TRADE_FIELDS} }
  ... on TradeRefusedError { reason restriction }
  ... on VenueNotAdmittedError { venueOrganizationId trancheId }
  ... on VenueNotLicensedError { reason }
  ... on ValidationError { issues { path message } }
  ${ERROR_FIELDS} } }`;
const AUTHORIZE = `query($input: TradeTermsInput!) { tradeAuthorization(input: $input) { __typename
  ... on TradeAuthorization { tradeRecordId settlementContract typedData } ${ERROR_FIELDS} } }`;
const ADMIT = `mutation($o: ID!, $v: ID!) { admitVenue(offeringId: $o, venueOrganizationId: $v) { __typename
  ... on OfferingVenue { venueId admittedBy venue { id kind } admissions { trancheId tokenAddress txHash } }
  ... on VenueNotLicensedError { reason organizationId } ${ERROR_FIELDS} } }`;
const TRADES = `query($v: ID!) { venueTrades(venueOrganizationId: $v) { __typename ... on QueryVenueTradesSuccess { data { ${TRADE_FIELDS} } } ${ERROR_FIELDS} } }`;

async function createOrg(input: Record<string, unknown>): Promise<string> {
  return ok<any>(
    await t.gql(
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on Organization { id } ${ERROR_FIELDS} } }`,
      { input },
      t.adminToken,
    ),
    "createOrganization",
    "Organization",
  ).id;
}

/** Transactions the gateway's signer has sent (its nonce count): a refusal sends none. */
const signerNonce = () => t.chain.publicClient.getTransactionCount({ address: t.chain.account.address, blockTag: "latest" });
const venueWrites = async () => (await t.database.db.select().from(chainWrite).where(eq(chainWrite.kind, "VENUE_TRADE"))).length;
const venueAdmitted = (venueId: Hex) =>
  t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "venueAdmitted", args: [venueId] });

type Terms = { key: string; seller: Inv; buyer: Inv; amount: bigint; price: bigint; deadline?: bigint };

/** The trade's typed data from the gateway (tradeAuthorization), signed by each party with its own key. */
async function signedTrade(terms: Terms, signers: { seller?: PrivateKeyAccount; buyer?: PrivateKeyAccount } = {}) {
  const deadline = terms.deadline ?? BigInt(Math.floor(Date.now() / 1000) + 3600);
  const input = {
    idempotencyKey: terms.key,
    trancheId,
    seller: terms.seller.wallet,
    buyer: terms.buyer.wallet,
    amount: terms.amount.toString(),
    price: terms.price.toString(),
    deadline: deadline.toString(),
  };
  const auth = ok<any>(await t.gql(AUTHORIZE, { input }, venueToken), "tradeAuthorization", "TradeAuthorization");
  const trade: TradeTerms = {
    tradeId: settlementId(auth.tradeRecordId),
    venueId: settlementId(venueOrgId),
    token,
    seller: terms.seller.account.address,
    buyer: terms.buyer.account.address,
    amount: terms.amount,
    currency: dusd,
    price: terms.price,
    deadline,
  };
  const typed = tradeTypedData({ chainId: t.chain.chainId, settlement, trade });
  // What the gateway hands a client to sign is exactly this (uint256 as decimal strings).
  expect(auth.typedData).toEqual(JSON.parse(JSON.stringify(typed, (_k, v) => (typeof v === "bigint" ? v.toString() : v))));
  const sellerSignature = await (signers.seller ?? terms.seller.account).signTypedData(typed);
  const buyerSignature = await (signers.buyer ?? terms.buyer.account).signTypedData(typed);
  return { input: { ...input, sellerSignature, buyerSignature }, trade, recordId: auth.tradeRecordId as string };
}

async function balances() {
  return {
    aliceTokens: await balanceOf(t, token, alice.wallet),
    bobTokens: await balanceOf(t, token, bob.wallet),
    carolTokens: await balanceOf(t, token, carol.wallet),
    aliceDusd: await stablecoinBalance(t, dusd, alice.wallet),
    bobDusd: await stablecoinBalance(t, dusd, bob.wallet),
    carolDusd: await stablecoinBalance(t, dusd, carol.wallet),
  };
}

beforeAll(async () => {
  t = await startTestGateway({
    now: () => clock ?? new Date(),
    gateway: { kycSweepIntervalMs: 3_600_000, indexer: { pollIntervalMs: 100 } },
  });
  a = await createActors(t);
  dusd = await devStablecoin(t);
  const treasury = privateKeyToAccount(generatePrivateKey());
  ({ offeringId, trancheId, token } = await createDvpOffering(t, a, {
    name: "Port Data Note (secondary)",
    currency: dusd,
    treasury: treasury.address,
    tranche: {
      couponBps: 500,
      supplyCap: (1_000n * E18).toString(),
      maturityDate: new Date(Date.now() + YEAR).toISOString(),
      tokenName: "Port Senior",
      tokenSymbol: "PSNR",
    },
  }));
  [alice, bob, carol] = await Promise.all([registerVerifiedInvestor(t, a), registerVerifiedInvestor(t, a), registerVerifiedInvestor(t, a)]);
  for (const inv of [alice, bob, carol]) await whitelistInvestor(t, a, trancheId, inv.investorId);
  expect((await t.gql(OPEN_OFFERING, { id: offeringId }, a.issuerToken)).data.openOffering).toMatchObject({ status: "OPEN" });
  settlement = (await t.gql(`{ settlementContract }`)).data.settlementContract;

  // Alice buys 100 tokens in the primary offering (DvP subscription), so she has something to sell.
  await faucet(t, dusd, alice.account, 100n * E6);
  await approve(t, dusd, alice.account, settlement, 100n * E6);
  const sub = (
    await t.gql(
      REQUEST_SUBSCRIPTION,
      { input: { idempotencyKey: "alice", trancheId, investorId: alice.investorId, amount: (100n * E18).toString() } },
      a.issuerToken,
    )
  ).data.requestSubscription;
  expect(sub.__typename).toBe("InvestorSubscription");
  await waitFor("alice's subscription confirmed", async () => {
    const s = (await t.gql(SUBSCRIPTION, { id: sub.id }, a.issuerToken)).data?.subscription;
    return s?.status === "CONFIRMED" ? s : undefined;
  });
  // Bob can pay; Carol has 5 dUSD only. Each approves the settlement contract (the payment leg's spender).
  await faucet(t, dusd, bob.account, 100n * E6);
  await faucet(t, dusd, carol.account, 5n * E6);
  await approve(t, dusd, bob.account, settlement);
  await approve(t, dusd, carol.account, settlement);

  const nextYear = new Date(Date.now() + YEAR).toISOString();
  venueOrgId = await createOrg({
    name: "Lion City Exchange",
    kind: "VENUE",
    jurisdiction: "SG",
    licenses: [{ type: "MAS_RMO", number: "RMO-001", validUntil: nextYear }],
  });
  const otherVenueOrgId = await createOrg({
    name: "Other Exchange",
    kind: "VENUE",
    jurisdiction: "SG",
    licenses: [{ type: "MAS_RMO", number: "RMO-002", validUntil: nextYear }],
  });
  expiredVenueOrgId = await createOrg({
    name: "Lapsed Exchange",
    kind: "VENUE",
    jurisdiction: "SG",
    licenses: [{ type: "MAS_RMO", number: "RMO-003", validUntil: new Date(Date.now() - 2 * 24 * 3600_000).toISOString() }],
  });
  venueToken = await t.tokenFor(["VENUE_OPERATOR"], venueOrgId, "venue");
  otherVenueToken = await t.tokenFor(["VENUE_OPERATOR"], otherVenueOrgId, "other-venue");
  fromBlock = await t.chain.publicClient.getBlockNumber();
}, 240_000);

afterAll(async () => {
  await t?.close();
});

describe("venue trades settled by DvP", () => {
  it("admits only a licensed venue; admitVenue sets venueAdmitted on the token, once", async () => {
    const lapsed = (await t.gql(ADMIT, { o: offeringId, v: expiredVenueOrgId }, a.issuerToken)).data.admitVenue;
    expect(lapsed).toMatchObject({ __typename: "VenueNotLicensedError", code: "VENUE_NOT_LICENSED", reason: "NO_VALID_LICENSE" });
    const notVenue = (await t.gql(ADMIT, { o: offeringId, v: a.issuerOrgId }, a.issuerToken)).data.admitVenue;
    expect(notVenue).toMatchObject({ __typename: "VenueNotLicensedError", reason: "NOT_A_VENUE" });
    expect(await venueAdmitted(settlementId(expiredVenueOrgId))).toBe(false);

    expect(await venueAdmitted(settlementId(venueOrgId))).toBe(false);
    const admitted = ok<any>(await t.gql(ADMIT, { o: offeringId, v: venueOrgId }, a.issuerToken), "admitVenue", "OfferingVenue");
    expect(admitted).toMatchObject({ venueId: settlementId(venueOrgId), venue: { id: venueOrgId, kind: "VENUE" } });
    expect(admitted.admissions).toEqual([{ trancheId, tokenAddress: token, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) }]);
    expect(await venueAdmitted(settlementId(venueOrgId))).toBe(true);
    // Again: the same admission, nothing sent.
    const nonce = await signerNonce();
    const again = ok<any>(await t.gql(ADMIT, { o: offeringId, v: venueOrgId }, a.issuerToken), "admitVenue", "OfferingVenue");
    expect(again.admissions).toEqual(admitted.admissions);
    expect(await signerNonce()).toBe(nonce);
    const venues = (
      await t.gql(
        `query($id: ID!) { offering(id: $id) { ... on Offering { venues { venue { id } venueId } } } }`,
        { id: offeringId },
        a.issuerToken,
      )
    ).data.offering.venues;
    expect(venues).toEqual([{ venue: { id: venueOrgId }, venueId: settlementId(venueOrgId) }]);
  }, 60_000);

  it("refuses a venue not admitted for the offering with VENUE_NOT_ADMITTED, sending nothing", async () => {
    const before = await balances();
    const nonce = await signerNonce();
    const { input } = await signedTrade({ key: "other-1", seller: alice, buyer: bob, amount: 10n * E18, price: 10n * E6 });
    const refused = (await t.gql(SETTLE, { input }, otherVenueToken)).data.settleTrade;
    expect(refused).toMatchObject({ __typename: "VenueNotAdmittedError", code: "VENUE_NOT_ADMITTED", trancheId });
    // An issuer's or investor's token is no venue's.
    expect((await t.gql(SETTLE, { input }, a.issuerToken)).data.settleTrade).toMatchObject({ __typename: "ForbiddenError" });
    expect(await signerNonce()).toBe(nonce);
    expect(await venueWrites()).toBe(0);
    expect(await balances()).toEqual(before);
  }, 60_000);

  it("settles a trade both parties signed in one transaction: tokens to the buyer, dUSD to the seller, recorded from TradeSettled", async () => {
    const before = await balances();
    const nonce = await signerNonce();
    const { input, trade, recordId } = await signedTrade({ key: "trade-1", seller: alice, buyer: bob, amount: 40n * E18, price: 30n * E6 });
    const settled = ok<any>(await t.gql(SETTLE, { input }, venueToken), "settleTrade", "VenueTrade");
    expect(settled).toMatchObject({
      id: recordId,
      tradeId: trade.tradeId,
      status: "CONFIRMED",
      venueOrganizationId: venueOrgId,
      offeringId,
      seller: alice.account.address,
      buyer: bob.account.address,
      amount: (40n * E18).toString(),
      price: (30n * E6).toString(),
      currency: dusd,
      tokenAddress: token,
      tranche: { id: trancheId },
      revertReason: null,
    });
    // One transaction of the gateway's signer carried both legs.
    expect(await signerNonce()).toBe(nonce + 1);
    expect(await venueWrites()).toBe(1);
    const after = await balances();
    expect(after.aliceTokens).toBe(before.aliceTokens - 40n * E18);
    expect(after.bobTokens).toBe(before.bobTokens + 40n * E18);
    expect(after.bobDusd).toBe(before.bobDusd - 30n * E6);
    expect(after.aliceDusd).toBe(before.aliceDusd + 30n * E6);

    const receipt = await t.chain.publicClient.getTransactionReceipt({ hash: settled.txHash });
    expect(receipt.blockNumber.toString()).toBe(settled.blockNumber);
    const events = parseEventLogs({
      abi: [...DvpSettlementAbi, ...DataAssetTokenAbi],
      logs: await t.chain.publicClient.getLogs({ fromBlock, toBlock: "latest", address: [settlement, token] }),
    });
    const tradeEvents = events.filter((e) => e.eventName === "TradeSettled");
    expect(tradeEvents).toHaveLength(1);
    const [event] = tradeEvents as any[];
    expect(event.transactionHash).toBe(settled.txHash);
    expect(event.args).toEqual({
      tradeId: trade.tradeId,
      venueId: settlementId(venueOrgId),
      token,
      seller: alice.account.address,
      buyer: bob.account.address,
      amount: 40n * E18,
      currency: dusd,
      price: 30n * E6,
    });
    // The token's own record of the venue leg, in the same transaction.
    const venueTrades = events.filter((e) => e.eventName === "VenueTrade") as any[];
    expect(venueTrades.map((e) => [e.transactionHash, e.args.venueId, e.args.amount])).toEqual([
      [settled.txHash, settlementId(venueOrgId), 40n * E18],
    ]);
    // The registry's row is the event.
    const [row] = await t.database.db.select().from(venueTrade).where(eq(venueTrade.id, recordId));
    expect(row).toMatchObject({
      tradeId: event.args.tradeId,
      seller: event.args.seller,
      buyer: event.args.buyer,
      amount: event.args.amount.toString(),
      price: event.args.price.toString(),
      currency: event.args.currency,
      tokenAddress: event.args.token,
      txHash: event.transactionHash,
      blockNumber: event.blockNumber,
    });

    // The same idempotency key again: the same trade, nothing sent twice.
    const again = ok<any>(await t.gql(SETTLE, { input }, venueToken), "settleTrade", "VenueTrade");
    expect(again).toMatchObject({ id: settled.id, status: "CONFIRMED", txHash: settled.txHash });
    expect(await signerNonce()).toBe(nonce + 1);
    expect(await venueWrites()).toBe(1);
    expect(await balances()).toEqual(after);
    // The key with other terms is refused.
    const changed = (await t.gql(SETTLE, { input: { ...input, price: (1n * E6).toString() } }, venueToken)).data.settleTrade;
    expect(changed).toMatchObject({ __typename: "SettlementKeyReusedError", code: "IDEMPOTENCY_KEY_REUSED" });

    // The venue, the issuer and compliance read it; another venue does not.
    for (const token of [venueToken, a.issuerToken, a.officerToken, t.adminToken]) {
      const listed = (await t.gql(TRADES, { v: venueOrgId }, token)).data.venueTrades;
      expect(listed.data.map((r: any) => r.id)).toEqual([settled.id]);
    }
    expect((await t.gql(TRADES, { v: venueOrgId }, otherVenueToken)).data.venueTrades).toMatchObject({ __typename: "ForbiddenError" });
  }, 60_000);

  it("refuses a buyer without enough dUSD: a typed refusal, nothing moves on either leg, nothing is sent", async () => {
    const before = await balances();
    const nonce = await signerNonce();
    const { input } = await signedTrade({ key: "carol-1", seller: alice, buyer: carol, amount: 10n * E18, price: 30n * E6 });
    const refused = (await t.gql(SETTLE, { input }, venueToken)).data.settleTrade;
    expect(refused).toMatchObject({ __typename: "TradeRefusedError", code: "TRADE_REFUSED", reason: "ERC20InsufficientBalance" });
    expect(await balances()).toEqual(before);
    expect(await signerNonce()).toBe(nonce);
    expect(await venueWrites()).toBe(1);
  }, 60_000);

  it("refuses a bad signature, an expired trade, and a seller short of tokens, with the contract's reason", async () => {
    const before = await balances();
    const nonce = await signerNonce();
    // Carol signs in Bob's place.
    const forged = await signedTrade(
      { key: "forged", seller: alice, buyer: bob, amount: 10n * E18, price: 10n * E6 },
      { buyer: carol.account },
    );
    expect((await t.gql(SETTLE, { input: forged.input }, venueToken)).data.settleTrade).toMatchObject({
      __typename: "TradeRefusedError",
      reason: "InvalidTradeSignature",
    });
    const expired = await signedTrade({
      key: "expired",
      seller: alice,
      buyer: bob,
      amount: 10n * E18,
      price: 10n * E6,
      deadline: BigInt(Math.floor(Date.now() / 1000) - 60),
    });
    expect((await t.gql(SETTLE, { input: expired.input }, venueToken)).data.settleTrade).toMatchObject({
      __typename: "TradeRefusedError",
      reason: "TradeExpired",
    });
    // Bob sells more than he holds: the delivery leg would fail, so Carol's payment (which she can make) does not happen either.
    const short = await signedTrade({ key: "short", seller: bob, buyer: carol, amount: 50n * E18, price: 1n * E6 });
    expect((await t.gql(SETTLE, { input: short.input }, venueToken)).data.settleTrade).toMatchObject({
      __typename: "TradeRefusedError",
      reason: "ERC20InsufficientBalance",
    });
    expect(await balances()).toEqual(before);
    expect(await signerNonce()).toBe(nonce);
  }, 60_000);

  it("two calls racing with one key settle one trade, once", async () => {
    const before = await balances();
    const nonce = await signerNonce();
    const writes = await venueWrites();
    const { input, recordId } = await signedTrade({ key: "race", seller: alice, buyer: bob, amount: 5n * E18, price: 5n * E6 });
    const answers = await Promise.all([1, 2, 3].map(() => t.gql(SETTLE, { input }, venueToken)));
    for (const r of answers) expect(r.data.settleTrade).toMatchObject({ __typename: "VenueTrade", id: recordId });
    await waitFor("the raced trade confirmed", async () => {
      const rows = (await t.gql(TRADES, { v: venueOrgId }, venueToken)).data.venueTrades.data;
      return rows.find((r: any) => r.id === recordId && r.status === "CONFIRMED");
    });
    expect(await venueWrites()).toBe(writes + 1);
    expect(await signerNonce()).toBe(nonce + 1);
    const after = await balances();
    expect(after.aliceTokens).toBe(before.aliceTokens - 5n * E18);
    expect(after.bobTokens).toBe(before.bobTokens + 5n * E18);
    expect(after.bobDusd).toBe(before.bobDusd - 5n * E6);
    expect(after.aliceDusd).toBe(before.aliceDusd + 5n * E6);
  }, 60_000);

  it("a trade whose caller is gone after the broadcast is settled by the sweep, recorded from its TradeSettled event", async () => {
    const before = await balances();
    const { input, trade, recordId } = await signedTrade({ key: "orphan", seller: alice, buyer: bob, amount: 5n * E18, price: 5n * E6 });
    const wctx = { db: t.database.db, chain: t.chain, logger: t.chain.logger };
    // What settleTrade records and broadcasts, without waiting for the outcome (as a caller that died would).
    const sent = await sendWrite(
      wctx,
      {
        kind: VENUE_TRADE_KIND,
        to: settlement,
        data: settleTradeData(trade, input.sellerSignature, input.buyerSignature),
        gas: 500_000n,
        subject: { tradeRecordId: recordId },
      },
      async (tx, write) =>
        tx.insert(venueTrade).values({
          id: recordId,
          tradeId: trade.tradeId,
          idempotencyKey: "orphan",
          venueOrgId,
          offeringId,
          trancheId,
          requestedBy: "venue",
          tokenAddress: token,
          seller: trade.seller,
          buyer: trade.buyer,
          amount: trade.amount.toString(),
          price: trade.price.toString(),
          currency: dusd,
          deadline: trade.deadline,
          status: "SUBMITTED",
          writeId: write.id,
          txHash: write.hash,
        }),
    );
    expect(await sweepOpenWrites(wctx, WRITE_OWNERS, { idleMs: 0 })).toBeGreaterThanOrEqual(1);
    const [row] = await t.database.db.select().from(venueTrade).where(eq(venueTrade.id, recordId));
    expect(row).toMatchObject({ status: "CONFIRMED", txHash: sent.hash, amount: (5n * E18).toString(), price: (5n * E6).toString() });
    const audited = await t.database.db.select().from(auditEvent).where(eq(auditEvent.entityId, recordId));
    expect(audited.find((e) => e.action === "venue_trade.confirmed")?.payload).toMatchObject({
      fromEvent: true,
      tradeId: trade.tradeId,
      venueId: settlementId(venueOrgId),
    });
    // The same key afterwards: the same trade, nothing sent anew.
    const nonce = await signerNonce();
    expect((await t.gql(SETTLE, { input }, venueToken)).data.settleTrade).toMatchObject({
      id: recordId,
      status: "CONFIRMED",
      txHash: sent.hash,
    });
    expect(await signerNonce()).toBe(nonce);
    const after = await balances();
    expect(after.bobTokens).toBe(before.bobTokens + 5n * E18);
    expect(after.aliceDusd).toBe(before.aliceDusd + 5n * E6);
  }, 60_000);

  it("the indexer's cap table follows the chain, and the token's holderCount matches", async () => {
    await t.chain.publicClient.request({ method: "anvil_mine" as any, params: ["0x3"] as any });
    const expected = new Map([
      [alice.wallet, 50n * E18],
      [bob.wallet, 50n * E18],
    ]);
    let last: unknown;
    await waitFor(`cap table of ${token}`, async () => {
      const r = await t.gql(
        `query($token: String!) { holdings(tokenAddress: $token) { ... on QueryHoldingsSuccess { data { holder finalBalance } } } }`,
        { token },
        a.officerToken,
      );
      last = r;
      const rows: { holder: string; finalBalance: string }[] = r.data?.holdings?.data ?? [];
      const held = rows.filter((h) => h.finalBalance !== "0");
      return (
        held.length === expected.size && [...expected].every(([w, b]) => held.find((h) => h.holder === w)?.finalBalance === b.toString())
      );
    }).catch((error) => {
      throw new Error(`${error.message}: ${JSON.stringify(last)}`);
    });
    const holderCount = await t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "holderCount" });
    expect(holderCount).toBe(BigInt(expected.size));
    for (const [wallet, balance] of expected) expect(await balanceOf(t, token, wallet)).toBe(balance);
  }, 60_000);

  it("stops the venue's trades once its MAS_RMO licence has lapsed, sending nothing", async () => {
    const { input } = await signedTrade({ key: "lapsed-1", seller: alice, buyer: bob, amount: 1n * E18, price: 1n * E6 });
    const nonce = await signerNonce();
    clock = new Date(Date.now() + 2 * YEAR);
    try {
      const refused = (await t.gql(SETTLE, { input }, venueToken)).data.settleTrade;
      expect(refused).toMatchObject({ __typename: "VenueNotLicensedError", code: "VENUE_NOT_LICENSED", reason: "NO_VALID_LICENSE" });
    } finally {
      clock = undefined;
    }
    expect(await signerNonce()).toBe(nonce);
  }, 60_000);

  it("the token's circulation rules bind venue trades: RETAIL buys through the admitted venue only, a blocked country is refused with its restriction code", async () => {
    const RULES = `mutation($input: TransferRulesInput!) { setTransferRules(input: $input) { __typename ... on TransferRules { txHash } ${ERROR_FIELDS} } }`;
    ok(
      await t.gql(
        RULES,
        { input: { trancheId, secondaryInvestorClasses: ["PROFESSIONAL"], venueInvestorClasses: ["RETAIL"], blockedCountries: ["HK"] } },
        a.issuerToken,
      ),
      "setTransferRules",
      "TransferRules",
    );
    // A retail investor in Singapore: whitelisted for the secondary market only (the offering issues to professionals).
    const retail = await registerVerifiedInvestor(t, a, "RETAIL", { jurisdiction: "SG" });
    await whitelistInvestor(t, a, trancheId, retail.investorId);
    await faucet(t, dusd, retail.account, 10n * E6);
    await approve(t, dusd, retail.account, settlement);
    const CHECK = `query($input: TransferCheckInput!) { transferCheck(input: $input) { __typename ... on TransferCheck { allowed reasons { code } } ${ERROR_FIELDS} } }`;
    const check = async (buyer: { wallet: string }, venueId?: string) =>
      (await t.gql(CHECK, { input: { trancheId, from: alice.wallet, to: buyer.wallet, amount: E18.toString(), venueId } }, venueToken)).data
        .transferCheck;

    // The venue asks first: allowed on its venue, refused as a plain transfer.
    expect(await check(retail, venueOrgId)).toEqual({ __typename: "TransferCheck", allowed: true, reasons: [] });
    const before = { tokens: await balanceOf(t, token, retail.wallet), dusd: await stablecoinBalance(t, dusd, alice.wallet) };
    const bought = await signedTrade({ key: "retail-1", seller: alice, buyer: retail, amount: E18, price: 2n * E6 });
    expect(ok<any>(await t.gql(SETTLE, { input: bought.input }, venueToken), "settleTrade", "VenueTrade").status).toBe("CONFIRMED");
    expect(await balanceOf(t, token, retail.wallet)).toBe(before.tokens + E18);
    expect(await stablecoinBalance(t, dusd, alice.wallet)).toBe(before.dusd + 2n * E6);
    // Not through another venue (not admitted): refused before anything is sent.
    expect((await t.gql(SETTLE, { input: { ...bought.input, idempotencyKey: "retail-2" } }, otherVenueToken)).data.settleTrade.code).toBe(
      "VENUE_NOT_ADMITTED",
    );
    // Not by a plain transfer either.
    await expect(
      t.chain.publicClient.simulateContract({
        account: alice.account.address,
        address: token,
        abi: DataAssetTokenAbi,
        functionName: "transfer",
        args: [retail.wallet, E18],
      }),
    ).rejects.toThrow(/InvestorClassNotAllowed/);

    // Bob is in Hong Kong, blocked since he was whitelisted: the venue trade is refused with the rule's code, nothing moves.
    expect(await check(bob, venueOrgId)).toMatchObject({ allowed: false, reasons: [{ code: "COUNTRY_BLOCKED" }] });
    const toBob = await signedTrade({ key: "bob-blocked", seller: alice, buyer: bob, amount: E18, price: 2n * E6 });
    const snapshot = await balances();
    expect((await t.gql(SETTLE, { input: toBob.input }, venueToken)).data.settleTrade).toMatchObject({
      __typename: "TradeRefusedError",
      code: "TRADE_REFUSED",
      reason: "CountryBlocked",
      restriction: "COUNTRY_BLOCKED",
    });
    expect(await balances()).toEqual(snapshot);
  }, 60_000);
});
