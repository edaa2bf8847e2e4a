/**
 * The circulation layer against the chain: the token's transfer rules (set by the issuer over
 * GraphQL, written through the pipeline) and the gateway's transferCheck must give the same
 * verdict as the token itself, for every case of a matrix of (sender, receiver, amount, time,
 * venue) covering every rule and its boundary. For each case the test reads, at the block the
 * check read: `detectTransferRestriction` (ERC-1404) or its venue form, `canTransfer`
 * (ERC-7943), and a simulated `transfer` from the sender (its revert decoded to a code). Then
 * real transactions for the routes: `transfer`, `transferFrom`, a venue trade, the agent's
 * recovery. Its own dev chain: the lock-up boundary moves the chain's clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BaseError, ContractFunctionRevertedError, createWalletClient, http, type Address, type Hex, type PrivateKeyAccount } from "viem";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  ERROR_FIELDS,
  ok,
  REQUEST_MINT,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
  waitForMint,
  whitelistInvestor,
  type Actors,
} from "./support/flow.js";
import { startDevChain, type DevChain } from "../src/chain/dev-chain.js";
import { DataAssetTokenAbi } from "../src/chain/token.js";
import { settlementId } from "../src/chain/settlement.js";
import { chainRestrictionOf, restrictionOfRevert } from "../src/circulation/restrictions.js";
import { fundGas } from "./support/dvp.js";

const E18 = 10n ** 18n;
let devChain: DevChain;
let t: TestGateway;
let a: Actors;
let trancheId: string;
let offeringId: string;
let token: Address;
type Inv = Awaited<ReturnType<typeof registerVerifiedInvestor>>;
/** p1, p2, p4, p5: PROFESSIONAL in HK or SG; inst: INSTITUTIONAL (CN); us: PROFESSIONAL in the US; retail: RETAIL in SG. */
const inv = {} as Record<"p1" | "p2" | "p4" | "p5" | "inst" | "us" | "retail", Inv>;
let outsider: Address;
let venueA: string;
let venueB: string;

const CHECK = `query($input: TransferCheckInput!) { transferCheck(input: $input) { __typename
  ... on TransferCheck { allowed chainAllowed blockNumber at reasons { code enforcedBy } } ${ERROR_FIELDS} } }`;
const RULES = `mutation($input: TransferRulesInput!) { setTransferRules(input: $input) { __typename
  ... on TransferRules { lockUntil maxHolders maxBalance secondaryInvestorClasses venueInvestorClasses allowedCountries blockedCountries txHash } ${ERROR_FIELDS} } }`;
const HOLDERS = `query($t: ID!) { holders(trancheId: $t) { __typename ... on TrancheHolders {
  holderCount maxHolders holders { address balance country investorClass frozen frozenAmount lockedUntil } } ${ERROR_FIELDS} } }`;

const wallet = (account: PrivateKeyAccount) =>
  createWalletClient({ account, chain: t.chain.chain, transport: http(t.chain.chain.rpcUrls.default.http[0]) });

async function setRules(input: Record<string, unknown>) {
  return ok<any>(
    await t.gql(RULES, { input: { trancheId, secondaryInvestorClasses: ["PROFESSIONAL"], ...input } }, a.issuerToken),
    "setTransferRules",
    "TransferRules",
  );
}

async function mint(to: Inv, tokens: bigint) {
  const r = await t.gql(
    REQUEST_MINT,
    {
      input: {
        idempotencyKey: `mint-${to.investorId}-${tokens}-${Math.random()}`,
        trancheId,
        investorId: to.investorId,
        amount: (tokens * E18).toString(),
      },
    },
    a.issuerToken,
  );
  expect((await waitForMint(t, a.issuerToken, r.data.requestMint.id)).status).toBe("CONFIRMED");
}

/** The revert of a call, decoded to a restriction code ("OTHER" if it is not one; null if it did not revert). */
async function revertCode(call: () => Promise<unknown>, from: Address, to: Address): Promise<string | null> {
  try {
    await call();
    return null;
  } catch (error) {
    const reverted = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
    const raw = (reverted as ContractFunctionRevertedError | null)?.raw as Hex | undefined;
    return (raw && restrictionOfRevert(raw, from, to)) ?? `OTHER: ${(error as Error).message.slice(0, 200)}`;
  }
}

type Case = { name: string; from: Address; to: Address; amount: bigint; venue?: string; expect: string | null };

/**
 * Runs one case through transferCheck and the token at the block the check read; requires the
 * same verdict from all, the token's code as the check's first chain reason, and the expected code.
 */
async function agree(c: Case) {
  const answer = await t.gql(
    CHECK,
    { input: { trancheId, from: c.from, to: c.to, amount: c.amount.toString(), venueId: c.venue ?? null } },
    a.issuerToken,
  );
  const check = ok<any>(answer, "transferCheck", "TransferCheck");
  const blockNumber = BigInt(check.blockNumber);
  const read = (functionName: string, args: readonly unknown[]) =>
    t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName, args, blockNumber } as any);
  const venue = c.venue ? settlementId(c.venue) : null;
  const code = Number(
    venue
      ? await read("detectVenueTransferRestriction", [venue, c.from, c.to, c.amount])
      : await read("detectTransferRestriction", [c.from, c.to, c.amount]),
  );
  const onChain = chainRestrictionOf(code);
  const firstChainReason = check.reasons.find((r: any) => r.enforcedBy === "CHAIN")?.code ?? null;
  expect({ case: c.name, chain: onChain, check: firstChainReason }).toEqual({ case: c.name, chain: c.expect, check: c.expect });
  expect(check.chainAllowed, c.name).toBe(onChain === null);
  // No registry-only reason in the matrix: the whole verdict is the chain's.
  expect(check.allowed, `${c.name}: ${JSON.stringify(check.reasons)}`).toBe(check.chainAllowed);
  if (!venue) {
    expect(await read("canTransfer", [c.from, c.to, c.amount]), c.name).toBe(onChain === null);
    const simulated = await revertCode(
      () =>
        t.chain.publicClient.simulateContract({
          account: c.from,
          address: token,
          abi: DataAssetTokenAbi,
          functionName: "transfer",
          args: [c.to, c.amount],
          blockNumber,
        }),
      c.from,
      c.to,
    );
    expect(simulated, `${c.name}: the transfer itself`).toBe(onChain);
  }
  return check;
}

async function asAgent(functionName: string, args: readonly unknown[]) {
  return t.chain.withSignerLock(async () => {
    const hash = await t.chain.walletClient.writeContract({ address: token, abi: DataAssetTokenAbi, functionName, args } as any);
    const receipt = await t.chain.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
  });
}

async function createVenue(name: string): Promise<string> {
  return ok<any>(
    await t.gql(
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on Organization { id } ${ERROR_FIELDS} } }`,
      {
        input: {
          name,
          kind: "VENUE",
          jurisdiction: "SG",
          licenses: [{ type: "MAS_RMO", number: `RMO-${name}`, validUntil: new Date(Date.now() + 365 * 86_400_000).toISOString() }],
        },
      },
      t.adminToken,
    ),
    "createOrganization",
    "Organization",
  ).id;
}

beforeAll(async () => {
  devChain = await startDevChain({ port: 0 });
  t = await startTestGateway({ rpcUrl: devChain.rpcUrl, gateway: { indexer: { pollIntervalMs: 100 } } });
  a = await createActors(t);
  const { assetId, contentDigest } = await registerApprovedAsset(t, a, `Circulation ${Math.random()}`);
  const created = await createOfferingWithTranche(t, a, assetId);
  trancheId = created.trancheId;
  offeringId = created.offeringId;
  await satisfyRequirements(t, a, { assetId, contentDigest, offeringId: created.offeringId });
  const register = (cls: string, jurisdiction: string) => registerVerifiedInvestor(t, a, cls, { jurisdiction });
  inv.p1 = await register("PROFESSIONAL", "HK");
  inv.p2 = await register("PROFESSIONAL", "SG");
  inv.p4 = await register("PROFESSIONAL", "HK");
  inv.p5 = await register("PROFESSIONAL", "SG");
  inv.inst = await register("INSTITUTIONAL", "CN");
  inv.us = await register("PROFESSIONAL", "US");
  inv.retail = await register("RETAIL", "SG");
  token = (await deployAndWhitelist(t, a, trancheId, inv.p1.investorId)) as Address;
  for (const i of [inv.p2, inv.p4, inv.p5, inv.inst, inv.us]) await whitelistInvestor(t, a, trancheId, i.investorId);
  for (const i of Object.values(inv)) await fundGas(t, i.account.address);
  outsider = "0x000000000000000000000000000000000000dEaD";
  venueA = await createVenue("Lion City Exchange");
  venueB = await createVenue("Merlion ATS");
  await mint(inv.p1, 1000n);
  await mint(inv.p2, 100n);
}, 240_000);

afterAll(async () => {
  await t?.close();
  await devChain?.close();
});

describe("transfer rules on chain, and a pre-check that agrees with the token", () => {
  it("the token's defaults: whitelist and balance only, the same verdict from transferCheck, canTransfer and the transfer itself", async () => {
    const { p1, p2, inst } = inv;
    for (const c of [
      { name: "professional to professional", from: p1.wallet, to: p2.wallet, amount: 10n * E18, expect: null },
      { name: "to an institution (any class by default)", from: p1.wallet, to: inst.wallet, amount: 1n, expect: null },
      { name: "more than the balance", from: p2.wallet, to: p1.wallet, amount: 101n * E18, expect: "INSUFFICIENT_BALANCE" },
      { name: "to a wallet not whitelisted", from: p1.wallet, to: outsider, amount: 1n, expect: "RECEIVER_NOT_WHITELISTED" },
      { name: "from a wallet not whitelisted", from: outsider, to: p1.wallet, amount: 1n, expect: "SENDER_NOT_WHITELISTED" },
    ] as Case[]) {
      await agree(c);
    }
  });

  it("investor classes and countries: the secondary market to professionals, RETAIL only through an admitted venue, a country blocked after whitelisting", async () => {
    const { p1, p2, inst, us, retail } = inv;
    // Retail may not be whitelisted while no rule lets it buy: the offering issues to professionals only.
    const refused = await t.gql(
      `mutation($t: ID!, $i: ID!) { whitelistInvestor(trancheId: $t, investorId: $i) { __typename ${ERROR_FIELDS} } }`,
      { t: trancheId, i: retail.investorId },
      a.issuerToken,
    );
    expect(refused.data.whitelistInvestor.__typename).toBe("ComplianceNotSatisfiedError");
    const rules = await setRules({ venueInvestorClasses: ["RETAIL"], blockedCountries: ["US"] });
    expect(rules).toMatchObject({ secondaryInvestorClasses: ["PROFESSIONAL"], venueInvestorClasses: ["RETAIL"], blockedCountries: ["US"] });
    expect(await t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "blockedCountries" })).toEqual([
      "0x5553",
    ]);
    await whitelistInvestor(t, a, trancheId, retail.investorId);
    // Venue A is admitted on the token; venue B is licensed too, but not admitted.
    await asAgent("setVenue", [settlementId(venueA), true]);

    for (const c of [
      { name: "professional to professional", from: p1.wallet, to: p2.wallet, amount: E18, expect: null },
      {
        name: "to an institution on the secondary market",
        from: p1.wallet,
        to: inst.wallet,
        amount: E18,
        expect: "INVESTOR_CLASS_NOT_ALLOWED",
      },
      { name: "to retail by a plain transfer", from: p1.wallet, to: retail.wallet, amount: E18, expect: "INVESTOR_CLASS_NOT_ALLOWED" },
      { name: "to retail through the admitted venue", from: p1.wallet, to: retail.wallet, amount: E18, venue: venueA, expect: null },
      {
        name: "to retail through a venue not admitted",
        from: p1.wallet,
        to: retail.wallet,
        amount: E18,
        venue: venueB,
        expect: "VENUE_NOT_ADMITTED",
      },
      {
        name: "to an institution through the admitted venue",
        from: p1.wallet,
        to: inst.wallet,
        amount: E18,
        venue: venueA,
        expect: "INVESTOR_CLASS_NOT_ALLOWED",
      },
      {
        name: "to a US professional, whitelisted before the US was blocked",
        from: p1.wallet,
        to: us.wallet,
        amount: E18,
        expect: "COUNTRY_BLOCKED",
      },
    ] as Case[]) {
      await agree(c);
    }
    // An allow list: only SG and HK receivers.
    await setRules({ venueInvestorClasses: ["RETAIL"], allowedCountries: ["SG", "HK"] });
    await agree({ name: "to HK on an SG/HK allow list", from: p2.wallet, to: p1.wallet, amount: E18, expect: null });
    await agree({ name: "to the US, off the allow list", from: p1.wallet, to: us.wallet, amount: E18, expect: "COUNTRY_NOT_ALLOWED" });
  });

  it("the holder cap reached and freed, the balance cap at its boundary", async () => {
    const { p1, p2, p4, p5 } = inv;
    await setRules({ maxHolders: 3, maxBalance: (600n * E18).toString() });
    expect(await t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "holderCount" })).toBe(2n);
    await agree({ name: "a third holder", from: p1.wallet, to: p4.wallet, amount: 10n * E18, expect: null });
    await wallet(p1.account).writeContract({
      address: token,
      abi: DataAssetTokenAbi,
      functionName: "transfer",
      args: [p4.wallet, 10n * E18],
    });
    expect(await t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "holderCount" })).toBe(3n);
    await agree({ name: "a fourth holder", from: p1.wallet, to: p5.wallet, amount: E18, expect: "HOLDER_LIMIT_REACHED" });
    await agree({
      name: "a holder selling out to a new one: the count stays",
      from: p4.wallet,
      to: p5.wallet,
      amount: 10n * E18,
      expect: null,
    });
    // P4 sells everything to P2: a place is free again.
    await wallet(p4.account).writeContract({
      address: token,
      abi: DataAssetTokenAbi,
      functionName: "transfer",
      args: [p2.wallet, 10n * E18],
    });
    await agree({ name: "a new holder once a place is free", from: p1.wallet, to: p5.wallet, amount: E18, expect: null });
    // P2 holds 110: 490 more reaches the cap exactly; one base unit more exceeds it.
    await agree({ name: "to the balance cap exactly", from: p1.wallet, to: p2.wallet, amount: 490n * E18, expect: null });
    await agree({
      name: "one base unit past the balance cap",
      from: p1.wallet,
      to: p2.wallet,
      amount: 490n * E18 + 1n,
      expect: "BALANCE_LIMIT_EXCEEDED",
    });
    await setRules({});
  });

  it("freezes, partial freezes and a pause", async () => {
    const { p1, p2 } = inv;
    const p1Balance = (await t.chain.publicClient.readContract({
      address: token,
      abi: DataAssetTokenAbi,
      functionName: "balanceOf",
      args: [p1.wallet],
    })) as bigint;
    const partial = await t.gql(
      `mutation($t: ID!, $addr: String!, $amt: String!) { freezePartialTokens(trancheId: $t, address: $addr, amount: $amt) { __typename ... on PartialFreeze { amount txHash } ${ERROR_FIELDS} } }`,
      { t: trancheId, addr: p1.wallet, amt: (p1Balance - 5n * E18).toString() },
      a.issuerToken,
    );
    expect(partial.data.freezePartialTokens.__typename).toBe("PartialFreeze");
    await agree({ name: "the unfrozen part exactly", from: p1.wallet, to: p2.wallet, amount: 5n * E18, expect: null });
    await agree({ name: "into the frozen part", from: p1.wallet, to: p2.wallet, amount: 5n * E18 + 1n, expect: "AMOUNT_FROZEN" });
    const holders = ok<any>(await t.gql(HOLDERS, { t: trancheId }, a.issuerToken), "holders", "TrancheHolders");
    expect(holders.holders.find((h: any) => h.address === p1.wallet)).toMatchObject({
      frozenAmount: (p1Balance - 5n * E18).toString(),
      country: "HK",
    });
    await t.gql(
      `mutation($t: ID!, $addr: String!) { freezePartialTokens(trancheId: $t, address: $addr, amount: "0") { __typename } }`,
      { t: trancheId, addr: p1.wallet },
      a.issuerToken,
    );

    const FREEZE = `mutation($t: ID!, $a: String!) { freezeAddress(trancheId: $t, address: $a) { __typename ${ERROR_FIELDS} } }`;
    expect((await t.gql(FREEZE, { t: trancheId, a: p2.wallet }, a.issuerToken)).data.freezeAddress.__typename).toBe("TokenControlAction");
    await agree({ name: "to a frozen holder", from: p1.wallet, to: p2.wallet, amount: E18, expect: "RECEIVER_FROZEN" });
    await agree({ name: "from a frozen holder", from: p2.wallet, to: p1.wallet, amount: E18, expect: "SENDER_FROZEN" });
    await t.gql(
      `mutation($t: ID!, $a: String!) { unfreezeAddress(trancheId: $t, address: $a) { __typename } }`,
      { t: trancheId, a: p2.wallet },
      a.issuerToken,
    );
    await t.gql(`mutation($t: ID!) { pauseToken(trancheId: $t) { __typename } }`, { t: trancheId }, a.issuerToken);
    await agree({ name: "while paused", from: p1.wallet, to: p2.wallet, amount: E18, expect: "PAUSED" });
    await t.gql(`mutation($t: ID!) { unpauseToken(trancheId: $t) { __typename } }`, { t: trancheId }, a.issuerToken);
    await agree({ name: "unpaused again", from: p1.wallet, to: p2.wallet, amount: E18, expect: null });
  });

  it("a lock-up to its last second: refused at until − 1 by check and chain alike, allowed at until; the agent's recovery passes and is audited", async () => {
    const { p1, p2, inst } = inv;
    const rpc = (method: string, params: unknown[]) => t.chain.publicClient.request({ method: method as any, params: params as any });
    const now = (await t.chain.publicClient.getBlock()).timestamp;
    const until = now + 60n;
    await setRules({ lockUntil: new Date(Number(until) * 1000).toISOString() });
    await rpc("evm_mine", [Number(until - 1n)]);
    await agree({ name: "the lock-up's last second", from: p1.wallet, to: p2.wallet, amount: E18, expect: "LOCKED_UP" });
    // A transaction mined in that very second reverts with TransferLocked.
    await rpc("evm_setNextBlockTimestamp", [Number(until - 1n)]);
    const locked = await revertCode(
      () =>
        wallet(p1.account)
          .writeContract({ address: token, abi: DataAssetTokenAbi, functionName: "transfer", args: [p2.wallet, E18], gas: 200_000n })
          .then((hash) => t.chain.publicClient.waitForTransactionReceipt({ hash }))
          .then((r) => {
            if (r.status !== "success") throw new Error("reverted on chain");
          }),
      p1.wallet,
      p2.wallet,
    );
    expect(locked).toContain("reverted on chain");

    // The agent's recovery is not bound by the lock-up (nor by the class rule: to an institution), and is audited.
    const recovery = await t.gql(
      `mutation($input: ForcedTransferInput!) { forcedTransfer(input: $input) { __typename ... on TokenControlAction { id txHash } ${ERROR_FIELDS} } }`,
      { input: { trancheId, from: p1.wallet, toInvestorId: inst.investorId, amount: E18.toString(), reason: "court-ordered recovery" } },
      a.issuerToken,
    );
    expect(recovery.data.forcedTransfer.__typename, JSON.stringify(recovery)).toBe("TokenControlAction");
    const trail = await t.gql(
      `query($id: ID!) { auditTrail(entityId: $id) { ... on QueryAuditTrailSuccess { data { action } } } }`,
      { id: offeringId },
      a.officerToken,
    );
    expect(trail.data.auditTrail.data.map((e: any) => e.action)).toEqual(
      expect.arrayContaining(["token.forced_transfer", "token.transfer_rules_set"]),
    );

    await rpc("evm_mine", [Number(until)]);
    await agree({ name: "the lock-up's end", from: p1.wallet, to: p2.wallet, amount: E18, expect: null });
  });

  it("an eligible holder cannot reach a forbidden investor by transfer or transferFrom, nor by a venue trade; holders follow the chain", async () => {
    const { p1, p2, inst } = inv;
    const onChain = async (account: PrivateKeyAccount, functionName: "transfer" | "transferFrom", args: readonly unknown[]) =>
      revertCode(
        () => t.chain.publicClient.simulateContract({ account, address: token, abi: DataAssetTokenAbi, functionName, args } as any),
        p1.wallet,
        inst.wallet,
      );
    expect(await onChain(p1.account, "transfer", [inst.wallet, E18])).toBe("INVESTOR_CLASS_NOT_ALLOWED");
    // P1 approves P2, who pulls P1's tokens to the institution.
    const approve = await wallet(p1.account).writeContract({
      address: token,
      abi: DataAssetTokenAbi,
      functionName: "approve",
      args: [p2.wallet, 10n * E18],
    });
    await t.chain.publicClient.waitForTransactionReceipt({ hash: approve });
    expect(await onChain(p2.account, "transferFrom", [p1.wallet, inst.wallet, E18])).toBe("INVESTOR_CLASS_NOT_ALLOWED");
    // A venue trade to the institution, even on the admitted venue.
    expect(
      await revertCode(
        () =>
          t.chain.publicClient.simulateContract({
            account: t.chain.account,
            address: token,
            abi: DataAssetTokenAbi,
            functionName: "venueTransfer",
            args: [settlementId(venueA), p1.wallet, inst.wallet, E18],
          }),
        p1.wallet,
        inst.wallet,
      ),
    ).toBe("INVESTOR_CLASS_NOT_ALLOWED");

    // The registry's holders follow the chain (after the indexer catches up).
    const holderCount = (await t.chain.publicClient.readContract({
      address: token,
      abi: DataAssetTokenAbi,
      functionName: "holderCount",
    })) as bigint;
    let holders: any;
    for (let i = 0; i < 100; i++) {
      holders = ok<any>(await t.gql(HOLDERS, { t: trancheId }, a.issuerToken), "holders", "TrancheHolders");
      if (BigInt(holders.holderCount) === holderCount) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(BigInt(holders.holderCount)).toBe(holderCount);
    const TRANCHES = `query($o: ID!) { offering(id: $o) { ... on Offering { tranches { holderCount transferRules { secondaryInvestorClasses lockUntil } } } } }`;
    const viaTranche = (await t.gql(TRANCHES, { o: offeringId }, a.issuerToken)).data.offering.tranches[0];
    expect(viaTranche).toMatchObject({ holderCount: Number(holderCount), transferRules: { secondaryInvestorClasses: ["PROFESSIONAL"] } });
    const otherIssuer = await t.tokenFor(["ISSUER"], a.exchangeOrgId, "not-this-issuer");
    expect((await t.gql(TRANCHES, { o: offeringId }, otherIssuer)).data.offering?.tranches?.[0]?.holderCount ?? null).toBeNull();
    for (const h of holders.holders) {
      expect(h.balance, h.address).toBe(
        String(
          await t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "balanceOf", args: [h.address] }),
        ),
      );
    }
  });

  it("what only the registry knows: an expired KYC and an unlicensed venue refuse the check while the token would pass", async () => {
    const { p1, p2, retail } = inv;
    await setRules({ venueInvestorClasses: ["RETAIL"] });
    const check = async (input: Record<string, unknown>) =>
      ok<any>(
        await t.gql(CHECK, { input: { trancheId, amount: E18.toString(), ...input } }, a.issuerToken),
        "transferCheck",
        "TransferCheck",
      );
    // P2's KYC runs 180 days: a transfer meant for a year from now.
    const later = new Date(Date.now() + 365 * 86_400_000).toISOString();
    const expired = await check({ from: p1.wallet, to: p2.wallet, at: later });
    expect(expired).toMatchObject({ allowed: false, chainAllowed: true, reasons: [{ code: "KYC_EXPIRED", enforcedBy: "REGISTRY" }] });
    // A VENUE organization without a MAS_RMO licence, admitted on the token all the same.
    const unlicensed = ok<any>(
      await t.gql(
        `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on Organization { id } ${ERROR_FIELDS} } }`,
        { input: { name: "Unlicensed board", kind: "VENUE", jurisdiction: "SG" } },
        t.adminToken,
      ),
      "createOrganization",
      "Organization",
    ).id;
    await asAgent("setVenue", [settlementId(unlicensed), true]);
    const noLicence = await check({ from: p1.wallet, to: retail.wallet, venueId: unlicensed });
    expect(noLicence).toMatchObject({
      allowed: false,
      chainAllowed: true,
      reasons: [{ code: "VENUE_NOT_LICENSED", enforcedBy: "REGISTRY" }],
    });
    expect(await check({ from: p1.wallet, to: retail.wallet, venueId: venueA })).toMatchObject({ allowed: true, reasons: [] });
  });
});
