/**
 * The revenue distribution workload: a CLOSED offering with one RESIDUAL tranche whose token N
 * holders hold, one period's revenue recorded by the exchange, the treasury's approval of the
 * gateway's distributor, then declareDistribution and the wait until PAID (the worker's declare
 * and payBatch transactions through the chain-write pipeline). The chain is the judge: every
 * holder's dUSD balance equals its payout, and the payouts sum to the total. Next to it, a raw
 * viem loop of plain ERC-20 `transfer`s from a treasury to the same N holders (in a second
 * deployment of the stablecoin, so that both sides pay holders with no balance yet).
 *
 * The N holders are made the cheap way: a bench key is given AGENT_ROLE on the tranche token
 * (one `grantRole` signed by the gateway's key, which administers the token; the gateway's
 * nonce manager also asks the node's pending count, so it is not put off), whitelists the
 * fresh addresses and mints to them with `mintBatch`. The indexer sees the Transfer events
 * like any other; registering and whitelisting N investors through GraphQL would cost minutes.
 */
import type postgres from "postgres";
import {
  createPublicClient,
  createWalletClient,
  erc20Abi,
  http,
  keccak256,
  maxUint256,
  toHex,
  type Address,
  type Chain,
  type Hex,
  type PrivateKeyAccount,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { devChainSignerKey } from "../../src/chain/dev-chain.js";
import { DataAssetTokenAbi } from "../../src/chain/generated/DataAssetToken.js";
import { DevStablecoinAbi, DevStablecoinBytecode } from "../../src/chain/generated/DevStablecoin.js";
import {
  ERROR_FIELDS,
  ok,
  OPEN_OFFERING,
  registerApprovedAsset,
  satisfyRequirements,
  type Actors,
  type GatewayClient,
} from "../../test/support/flow.js";

const E18 = 10n ** 18n;
const MINT_CHUNK = 200;
/** The period's revenue: 100 dUSD a holder (6 decimals; the faucet gives at most 1M dUSD a call), plus 7 base units so that rounding has work to do. */
const REVENUE_PER_HOLDER = 100_000_000n;

export type DistributionFigures = {
  holders: number;
  transactions: number;
  declareGas: number;
  payBatchGas: number;
  gasPerHolder: number;
  largestBatchGas: number;
  blockGasLimit: number;
  seconds: number;
  rawSeconds: number;
  rawGasPerHolder: number;
};

export async function benchDistribution(
  sql: postgres.Sql,
  t: GatewayClient,
  a: Actors,
  rpcUrl: string,
  chain: Chain,
  holderCount: number,
): Promise<DistributionFigures> {
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 50 });
  const walletOf = (account: PrivateKeyAccount) => createWalletClient({ account, chain, transport: http(rpcUrl) });
  const mined = async (hash: Hex) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  };
  const balance = (currency: Address, holder: Address) =>
    publicClient.readContract({ address: currency, abi: erc20Abi, functionName: "balanceOf", args: [holder] });
  const fund = (address: Address) =>
    publicClient.request({ method: "anvil_setBalance" as any, params: [address, "0x56BC75E2D63100000"] as any });
  const mine = (blocks: number) => publicClient.request({ method: "anvil_mine" as any, params: [toHex(blocks)] as any });

  const deployer = privateKeyToAccount(devChainSignerKey(8));
  const deployerWallet = walletOf(deployer);
  const dusd = (await mined(await deployerWallet.deployContract({ abi: DevStablecoinAbi, bytecode: DevStablecoinBytecode })))
    .contractAddress!;
  const treasury = privateKeyToAccount(generatePrivateKey());
  const rawTreasury = privateKeyToAccount(generatePrivateKey());
  await fund(treasury.address);
  await fund(rawTreasury.address);

  // The offering: one RESIDUAL tranche (it takes the whole period, whatever the period's length), no fee.
  const asset = await registerApprovedAsset(t, a, "Bench distribution asset");
  const created = ok<any>(
    await t.gql(
      `mutation($input: CreateOfferingInput!) { createOffering(input: $input) { __typename ... on Offering { id tranches { id } } ${ERROR_FIELDS} } }`,
      {
        input: {
          name: "Bench Revenue Rights",
          productType: "DEBT",
          assetIds: [asset.assetId],
          allowedInvestorClasses: ["PROFESSIONAL"],
          currency: "USD",
          termsDigest: asset.contentDigest,
          settlementToken: dusd,
          treasury: treasury.address,
          tranche: {
            name: "Residual",
            seniority: "SENIOR",
            couponKind: "RESIDUAL",
            couponBps: 0,
            supplyCap: (10n ** 30n).toString(),
            price: "1000000",
            tokenName: "Bench Revenue Residual",
            tokenSymbol: "BREV",
          },
        },
      },
      a.issuerToken,
    ),
    "createOffering",
    "Offering",
  );
  const offeringId: string = created.id;
  const trancheId: string = created.tranches[0].id;
  await satisfyRequirements(t, a, { assetId: asset.assetId, contentDigest: asset.contentDigest, offeringId });
  const token: Address = ok<any>(
    await t.gql(
      `mutation($id: ID!) { deployTrancheToken(trancheId: $id) { __typename ... on Tranche { tokenAddress } ${ERROR_FIELDS} } }`,
      { id: trancheId },
      a.issuerToken,
    ),
    "deployTrancheToken",
    "Tranche",
  ).tokenAddress;
  const opened = await t.gql(OPEN_OFFERING, { id: offeringId }, a.issuerToken);
  if (opened.data?.openOffering?.status !== "OPEN") throw new Error(`openOffering: ${JSON.stringify(opened)}`);

  // N holders: a bench agent whitelists fresh addresses and mints to them (balances 1..N tokens, unequal on purpose).
  const gatewayWallet = walletOf(privateKeyToAccount(devChainSignerKey(0)));
  const agent = privateKeyToAccount(devChainSignerKey(7));
  const agentWallet = walletOf(agent);
  await mined(
    await gatewayWallet.writeContract({
      address: token,
      abi: DataAssetTokenAbi,
      functionName: "grantRole",
      args: [keccak256(toHex("AGENT_ROLE")), agent.address],
    }),
  );
  const holders = Array.from({ length: holderCount }, () => privateKeyToAccount(generatePrivateKey()).address);
  let nonce = await publicClient.getTransactionCount({ address: agent.address, blockTag: "pending" });
  let last: Hex | undefined;
  for (const h of holders) {
    last = await agentWallet.writeContract({
      address: token,
      abi: DataAssetTokenAbi,
      functionName: "setWhitelisted",
      args: [h, true],
      nonce: nonce++,
      gas: 100_000n,
    });
  }
  await mined(last!);
  for (let i = 0; i < holders.length; i += MINT_CHUNK) {
    const chunk = holders.slice(i, i + MINT_CHUNK);
    last = await agentWallet.writeContract({
      address: token,
      abi: DataAssetTokenAbi,
      functionName: "mintBatch",
      args: [chunk, chunk.map((_, k) => BigInt(i + k + 1) * E18)],
      nonce: nonce++,
    });
  }
  await mined(last!);
  const closed = await t.gql(
    `mutation($id: ID!) { closeOffering(offeringId: $id) { __typename ... on Offering { status } ${ERROR_FIELDS} } }`,
    { id: offeringId },
    a.issuerToken,
  );
  if (closed.data?.closeOffering?.status !== "CLOSED") throw new Error(`closeOffering: ${JSON.stringify(closed)}`);

  // The period: from the close to a moment later; the exchange records its revenue.
  await new Promise((r) => setTimeout(r, 1100));
  const [{ closed_at: closedAt }] = (await sql`select closed_at from offering where id = ${offeringId}`) as unknown as [
    { closed_at: Date },
  ];
  const periodEnd = new Date();
  const revenue = REVENUE_PER_HOLDER * BigInt(holderCount) + 7n;
  ok<any>(
    await t.gql(
      `mutation($input: RecordAssetRevenueInput!) { recordAssetRevenue(input: $input) { __typename ... on AssetRevenue { id } ${ERROR_FIELDS} } }`,
      {
        input: {
          assetId: asset.assetId,
          periodStart: closedAt.toISOString(),
          periodEnd: periodEnd.toISOString(),
          amount: revenue.toString(),
          currency: dusd,
          evidenceDigest: asset.contentDigest,
        },
      },
      a.officerToken,
    ),
    "recordAssetRevenue",
    "AssetRevenue",
  );

  // Wait until the record block (head − FINALITY_DEPTH, scanned by the indexer) sees every holder.
  const PREVIEW = `query($o: ID!, $e: DateTime!) { previewDistribution(offeringId: $o, periodEnd: $e) {
    __typename ... on DistributionPreview { distributor total payouts { holder amount } } ${ERROR_FIELDS} } }`;
  let preview: any;
  for (let tries = 0; ; tries++) {
    await mine(3);
    const answer = await t.gql(PREVIEW, { o: offeringId, e: periodEnd.toISOString() }, a.issuerToken);
    // The indexer may still be behind the registry's own settlements: retryable, so retry.
    if (answer.data?.previewDistribution?.__typename === "IndexerBehindError" && tries <= 600) continue;
    preview = ok<any>(answer, "previewDistribution", "DistributionPreview");
    if (preview.payouts.length === holderCount) break;
    if (tries > 600) throw new Error(`the preview sees ${preview.payouts.length} of ${holderCount} holders`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const distributor = preview.distributor as Address;

  // The treasury: funded with the revenue and approving the distributor.
  const treasuryWallet = walletOf(treasury);
  await mined(
    await treasuryWallet.writeContract({ address: dusd, abi: DevStablecoinAbi, functionName: "faucet", args: [treasury.address, revenue] }),
  );
  await mined(
    await treasuryWallet.writeContract({ address: dusd, abi: erc20Abi, functionName: "approve", args: [distributor, maxUint256] }),
  );

  // Timed: declare → PAID.
  const started = performance.now();
  const declared = ok<any>(
    await t.gql(
      `mutation($input: DeclareDistributionInput!) { declareDistribution(input: $input) { __typename ... on Distribution { id total } ${ERROR_FIELDS} } }`,
      { input: { offeringId, periodEnd: periodEnd.toISOString(), idempotencyKey: "bench-period-1" } },
      a.issuerToken,
    ),
    "declareDistribution",
    "Distribution",
  );
  const distributionId: string = declared.id;
  for (;;) {
    const [row] = await sql`select status from distribution where id = ${distributionId}`;
    if (row!.status === "PAID") break;
    if (performance.now() - started > 600_000) throw new Error(`distribution still ${row!.status} after 10 minutes`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;

  // The chain is the judge.
  const payouts = await sql`select holder, amount, status, tx_hash from distribution_payout where distribution_id = ${distributionId}`;
  if (payouts.length !== holderCount) throw new Error(`${payouts.length} payouts for ${holderCount} holders`);
  let sum = 0n;
  for (const p of payouts) {
    if (p.status !== "CONFIRMED") throw new Error(`payout to ${p.holder} is ${p.status}`);
    const got = await balance(dusd, p.holder as Address);
    if (got !== BigInt(p.amount)) throw new Error(`${p.holder} holds ${got} dUSD base units, its payout is ${p.amount}`);
    sum += got;
  }
  if (sum !== BigInt(declared.total) || sum !== revenue)
    throw new Error(`holders received ${sum}, the total is ${declared.total}, revenue ${revenue}`);
  const [d] = await sql`select declare_tx_hash from distribution where id = ${distributionId}`;
  const declareGas = (await publicClient.getTransactionReceipt({ hash: d!.declare_tx_hash as Hex })).gasUsed;
  let payBatchGas = 0n;
  let largestBatchGas = 0n;
  const batches = [...new Set(payouts.map((p) => p.tx_hash as Hex))];
  for (const hash of batches) {
    const gas = (await publicClient.getTransactionReceipt({ hash })).gasUsed;
    payBatchGas += gas;
    if (gas > largestBatchGas) largestBatchGas = gas;
  }
  const blockGasLimit = (await publicClient.getBlock()).gasLimit;

  // Raw viem: a plain ERC-20 transfer from a treasury to each holder, each awaited to its receipt.
  // In a second deployment of the same stablecoin, so that each holder's balance slot is fresh
  // there too (a transfer to a holder that already has a balance costs about 17,000 gas less).
  const rawCoin = (await mined(await deployerWallet.deployContract({ abi: DevStablecoinAbi, bytecode: DevStablecoinBytecode })))
    .contractAddress!;
  const rawWallet = walletOf(rawTreasury);
  await mined(
    await rawWallet.writeContract({
      address: rawCoin,
      abi: DevStablecoinAbi,
      functionName: "faucet",
      args: [rawTreasury.address, revenue],
    }),
  );
  const amounts = new Map(payouts.map((p) => [p.holder as Address, BigInt(p.amount)]));
  let rawGas = 0n;
  const rawStarted = performance.now();
  for (const h of holders) {
    const receipt = await mined(
      await rawWallet.writeContract({ address: rawCoin, abi: erc20Abi, functionName: "transfer", args: [h, amounts.get(h) ?? 0n] }),
    );
    rawGas += receipt.gasUsed;
  }
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  for (const h of holders.slice(0, 5)) {
    if ((await balance(rawCoin, h)) !== (amounts.get(h) ?? 0n)) throw new Error(`raw transfer to ${h} is missing`);
  }

  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    holders: holderCount,
    transactions: 1 + batches.length,
    declareGas: Number(declareGas),
    payBatchGas: Number(payBatchGas),
    gasPerHolder: Number((declareGas + payBatchGas) / BigInt(holderCount)),
    largestBatchGas: Number(largestBatchGas),
    blockGasLimit: Number(blockGasLimit),
    seconds: round(seconds),
    rawSeconds: round(rawSeconds),
    rawGasPerHolder: Number(rawGas / BigInt(holderCount)),
  };
}
