/**
 * What outside parties do on chain around a DvP settlement, with their own keys: an investor
 * funds a wallet from the dUSD faucet, signs an EIP-2612 permit or approves; the issuer's
 * treasury approves the settlement contract. Plus reads of balances and settlement events.
 */
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createWalletClient, erc20Abi, http, maxUint256, parseEventLogs, type Address, type Hex, type PrivateKeyAccount } from "viem";
import { DevStablecoinAbi, DvpSettlementAbi, ensureDevStablecoin, settlementId } from "../../src/chain/settlement.js";
import type { TestGateway } from "./harness.js";
import { waitFor } from "./indexer.js";
import {
  digest,
  ERROR_FIELDS,
  ok,
  OPEN_OFFERING,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
  whitelistInvestor,
  type Actors,
} from "./flow.js";

/** Gives an outside wallet gas money (anvil's own RPC: no transaction of the gateway's signer). */
export async function fundGas(t: TestGateway, address: Address) {
  await t.chain.publicClient.request({ method: "anvil_setBalance" as any, params: [address, "0x56BC75E2D63100000"] as any });
}

function walletOf(t: TestGateway, account: PrivateKeyAccount) {
  return createWalletClient({ account, chain: t.chain.chain, transport: http(t.chain.chain.rpcUrls.default.http[0]) });
}

async function mined(t: TestGateway, hash: Hex) {
  const receipt = await t.chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return receipt;
}

/** The test gateway's development stablecoin (deployed once per database and signer). */
export function devStablecoin(t: TestGateway): Promise<Address> {
  return ensureDevStablecoin(t.chain);
}

/** The wallet calls the public faucet for itself. */
export async function faucet(t: TestGateway, dusd: Address, account: PrivateKeyAccount, amount: bigint) {
  await fundGas(t, account.address);
  await mined(
    t,
    await walletOf(t, account).writeContract({
      address: dusd,
      abi: DevStablecoinAbi,
      functionName: "faucet",
      args: [account.address, amount],
    }),
  );
}

export async function approve(t: TestGateway, currency: Address, account: PrivateKeyAccount, spender: Address, amount = maxUint256) {
  await fundGas(t, account.address);
  await mined(
    t,
    await walletOf(t, account).writeContract({ address: currency, abi: erc20Abi, functionName: "approve", args: [spender, amount] }),
  );
}

export function stablecoinBalance(t: TestGateway, currency: Address, holder: Address, blockNumber?: bigint): Promise<bigint> {
  return t.chain.publicClient.readContract({ address: currency, abi: erc20Abi, functionName: "balanceOf", args: [holder], blockNumber });
}

export function tokenSupply(t: TestGateway, token: Address): Promise<bigint> {
  return t.chain.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "totalSupply" });
}

/** An EIP-2612 permit signed by the investor's wallet for `spender`, as PermitInput. */
export async function signPermit(
  t: TestGateway,
  currency: Address,
  account: PrivateKeyAccount,
  spender: Address,
  value: bigint,
  deadline = BigInt(Math.floor(Date.now() / 1000) + 3600),
) {
  const [name, nonce] = await Promise.all([
    t.chain.publicClient.readContract({ address: currency, abi: erc20Abi, functionName: "name" }),
    t.chain.publicClient.readContract({
      address: currency,
      abi: DevStablecoinAbi,
      functionName: "nonces",
      args: [account.address],
    }),
  ]);
  const signature = await account.signTypedData({
    domain: { name, version: "1", chainId: t.chain.chainId, verifyingContract: currency },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner: account.address, spender, value, nonce, deadline },
  });
  return { value: value.toString(), deadline: deadline.toString(), signature };
}

/** Every Subscribed / Redeemed event of the settlement contract since `fromBlock`, by registry id. */
export async function settlementEvents(t: TestGateway, settlement: Address, fromBlock: bigint) {
  const logs = await t.chain.publicClient.getLogs({ address: settlement, fromBlock, toBlock: "latest" });
  const events = parseEventLogs({ abi: DvpSettlementAbi, logs });
  const count = (name: "Subscribed" | "Redeemed") => {
    const byId = new Map<Hex, number>();
    for (const e of events) if (e.eventName === name) byId.set(e.args.id, (byId.get(e.args.id) ?? 0) + 1);
    return byId;
  };
  return { subscribed: count("Subscribed"), redeemed: count("Redeemed"), events };
}

export { settlementId };

export const SUBSCRIPTION_FIELDS = `id status amount cost wallet txHash errorCode errorMessage revertReason paidWith refund { id status payout txHash }`;
export const REQUEST_SUBSCRIPTION = `mutation($input: RequestSubscriptionInput!) { requestSubscription(input: $input) { __typename
  ... on InvestorSubscription { ${SUBSCRIPTION_FIELDS} }
  ... on SettlementRefusedError { reason }
  ... on ComplianceNotSatisfiedError { unmetCodes }
  ... on BelowMinimumTicketError { minimumTicket }
  ... on ValidationError { issues { path message } }
  ${ERROR_FIELDS} } }`;
export const SUBSCRIPTION = `query($id: ID!) { subscription(id: $id) { __typename ... on InvestorSubscription { ${SUBSCRIPTION_FIELDS} } ${ERROR_FIELDS} } }`;
export const REDEMPTION_FIELDS = `id kind status holder amount principal coupon due payout shortfall txHash errorCode revertReason`;
export const REDEMPTIONS = `query($f: SettlementFilter) { redemptions(filter: $f) { __typename ... on QueryRedemptionsSuccess { data { ${REDEMPTION_FIELDS} } } ${ERROR_FIELDS} } }`;

/**
 * A single-tranche DEBT offering for professionals, paid in `currency` into `treasury`, with
 * every requirement satisfied and its token deployed (with the settlement contract as AGENT):
 * the setup of the DvP, distribution and venue tests. `tranche` overrides the tranche input.
 */
export async function createDvpOffering(
  t: TestGateway,
  a: Actors,
  o: { name: string; currency: Address; treasury: Address; tranche: Record<string, unknown> },
): Promise<{ offeringId: string; trancheId: string; token: Address; assetId: string; contentDigest: string }> {
  const asset = await registerApprovedAsset(t, a, `${o.name} ${Math.random()}`);
  const created = ok<any>(
    await t.gql(
      `mutation($input: CreateOfferingInput!) { createOffering(input: $input) { __typename ... on Offering { id tranches { id } } ${ERROR_FIELDS} } }`,
      {
        input: {
          name: o.name,
          productType: "DEBT",
          assetIds: [asset.assetId],
          allowedInvestorClasses: ["PROFESSIONAL"],
          currency: "USD",
          termsDigest: asset.contentDigest,
          settlementToken: o.currency,
          treasury: o.treasury,
          tranche: { name: "Senior", seniority: "SENIOR", price: "1000000", ...o.tranche },
        },
      },
      a.issuerToken,
    ),
    "createOffering",
    "Offering",
  );
  const trancheId = created.tranches[0].id as string;
  await satisfyRequirements(t, a, { assetId: asset.assetId, contentDigest: asset.contentDigest, offeringId: created.id });
  const token = ok<any>(
    await t.gql(
      `mutation($id: ID!) { deployTrancheToken(trancheId: $id) { __typename ... on Tranche { tokenAddress } ${ERROR_FIELDS} } }`,
      { id: trancheId },
      a.issuerToken,
    ),
    "deployTrancheToken",
    "Tranche",
  ).tokenAddress as Address;
  return { offeringId: created.id, trancheId, token, assetId: asset.assetId, contentDigest: asset.contentDigest };
}

/**
 * A residual tranche offering (createDvpOffering, JUNIOR with a RESIDUAL coupon, 1,000 tokens
 * by default) paid in dUSD into a new treasury, `investors` verified and whitelisted investors
 * who each hold `funds` dUSD (100 by default) and have approved the settlement contract, and
 * the offering OPEN: the setup of the distribution tests.
 */
export async function openResidualOffering(
  t: TestGateway,
  a: Actors,
  o: { name: string; tokenSymbol: string; investors: number; supplyCap?: bigint; funds?: bigint },
) {
  const dusd = await devStablecoin(t);
  const treasury = privateKeyToAccount(generatePrivateKey());
  const offering = await createDvpOffering(t, a, {
    name: o.name,
    currency: dusd,
    treasury: treasury.address,
    tranche: {
      name: "Residual",
      seniority: "JUNIOR",
      couponKind: "RESIDUAL",
      supplyCap: (o.supplyCap ?? 1000n * 10n ** 18n).toString(),
      tokenName: `${o.name} Residual`,
      tokenSymbol: o.tokenSymbol,
    },
  });
  const settlement = (await t.gql(`{ settlementContract }`)).data.settlementContract as Address;
  const investors: Awaited<ReturnType<typeof registerVerifiedInvestor>>[] = [];
  for (let i = 0; i < o.investors; i++) {
    const inv = await registerVerifiedInvestor(t, a);
    await whitelistInvestor(t, a, offering.trancheId, inv.investorId);
    await faucet(t, dusd, inv.account, o.funds ?? 100n * 10n ** 6n);
    await approve(t, dusd, inv.account, settlement);
    investors.push(inv);
  }
  ok(await t.gql(OPEN_OFFERING, { id: offering.offeringId }, a.issuerToken), "openOffering", "Offering");
  return { ...offering, dusd, treasury, settlement, investors };
}

/** The issuer closes the offering (no more subscriptions; its distributions' periods start here). */
export async function closeOffering(t: TestGateway, a: Actors, offeringId: string): Promise<void> {
  ok(
    await t.gql(
      `mutation($id: ID!) { closeOffering(offeringId: $id) { __typename ... on Offering { status } ${ERROR_FIELDS} } }`,
      { id: offeringId },
      a.issuerToken,
    ),
    "closeOffering",
    "Offering",
  );
}

/** The data exchange records `amount` of revenue of an asset for one period. */
export async function recordRevenue(
  t: TestGateway,
  a: Actors,
  r: { assetId: string; periodStart: Date; periodEnd: Date; amount: bigint; currency: Address },
): Promise<void> {
  ok(
    await t.gql(
      `mutation($input: RecordAssetRevenueInput!) { recordAssetRevenue(input: $input) { __typename ... on AssetRevenue { id } ${ERROR_FIELDS} } }`,
      {
        input: {
          assetId: r.assetId,
          periodStart: r.periodStart.toISOString(),
          periodEnd: r.periodEnd.toISOString(),
          amount: r.amount.toString(),
          currency: r.currency,
          evidenceDigest: digest(`revenue ${r.assetId} ${r.periodEnd.toISOString()} ${r.amount}`),
        },
      },
      a.officerToken,
    ),
    "recordAssetRevenue",
    "AssetRevenue",
  );
}

/**
 * The preview of a distribution up to `periodEnd` once it pays `holders` holders: blocks are
 * mined past FINALITY_DEPTH, then it waits until the indexer's cap table is final.
 */
export async function previewWithHolders(
  t: TestGateway,
  a: Actors,
  offeringId: string,
  periodEnd: Date,
  holders: number,
): Promise<{ distributor: Address; payouts: { holder: string; amount: string }[] }> {
  await t.chain.publicClient.request({ method: "anvil_mine" as any, params: ["0x3"] as any });
  return waitFor(`a preview with ${holders} holders`, async () => {
    const r = await t.gql(
      `query($o: ID!, $e: DateTime!) { previewDistribution(offeringId: $o, periodEnd: $e) { __typename ... on DistributionPreview { distributor payouts { holder amount } } ${ERROR_FIELDS} } }`,
      { o: offeringId, e: periodEnd.toISOString() },
      a.issuerToken,
    );
    const p = r.data?.previewDistribution;
    return p?.__typename === "DistributionPreview" && p.payouts.length === holders ? p : undefined;
  });
}

/** The issuer declares the offering's distribution up to `periodEnd`. */
export async function declareDistribution(
  t: TestGateway,
  a: Actors,
  offeringId: string,
  idempotencyKey: string,
  periodEnd: Date,
): Promise<{ id: string; total: string }> {
  return ok<any>(
    await t.gql(
      `mutation($input: DeclareDistributionInput!) { declareDistribution(input: $input) { __typename ... on Distribution { id total } ${ERROR_FIELDS} } }`,
      { input: { idempotencyKey, offeringId, periodEnd: periodEnd.toISOString() } },
      a.issuerToken,
    ),
    "declareDistribution",
    "Distribution",
  );
}
