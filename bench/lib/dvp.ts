/**
 * The DvP subscription workload: investors pay the offering's stablecoin and receive tranche
 * tokens in one transaction of the settlement contract. Ours end to end (GraphQL
 * requestSubscription → outbox → settlement worker → chain → CONFIRMED), one at a time and then
 * all at once (the worker batches them), next to a raw viem loop calling `subscribeBatch` of a
 * second DvpSettlement with one item per transaction (what a hand-written relayer does) and with
 * 50 items per transaction (the contract's own limit on this node). Every figure is checked on
 * chain: token balances, the treasury's stablecoin, the supply.
 */
import type postgres from "postgres";
import {
  createPublicClient,
  createWalletClient,
  erc20Abi,
  http,
  maxUint256,
  type Address,
  type Chain,
  type Hex,
  type PrivateKeyAccount,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { devChainSignerKey } from "../../src/chain/dev-chain.js";
import { DataAssetTokenAbi, DataAssetTokenBytecode } from "../../src/chain/generated/DataAssetToken.js";
import { DevStablecoinAbi, DevStablecoinBytecode } from "../../src/chain/generated/DevStablecoin.js";
import { DvpSettlementAbi, DvpSettlementBytecode } from "../../src/chain/generated/DvpSettlement.js";
import { NO_PERMIT, settlementId } from "../../src/chain/settlement.js";
import {
  ERROR_FIELDS,
  ok,
  OPEN_OFFERING,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
  whitelistInvestor,
  type Actors,
  type GatewayClient,
} from "../../test/support/flow.js";
import { REQUEST_SUBSCRIPTION } from "../../test/support/dvp.js";

const E18 = 10n ** 18n;
/** 1 dUSD a token: each subscription buys one whole token for 1,000,000 base units. */
const PRICE = 1_000_000n;
const INVESTORS = 10;
const RAW_BATCH = 50;

export type DvpFigures = {
  sequential: number;
  batched: number;
  oursSequentialPerSecond: number;
  oursBatchPerSecond: number;
  oursGasPerSubscription: number;
  rawPerSecond: number;
  rawGasPerSubscription: number;
  rawBatchedPerSecond: number;
  rawBatchedGasPerSubscription: number;
};

export async function benchDvp(
  sql: postgres.Sql,
  t: GatewayClient,
  a: Actors,
  rpcUrl: string,
  chain: Chain,
  counts: { sequential: number; batched: number },
): Promise<DvpFigures> {
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 50 });
  const walletOf = (account: PrivateKeyAccount) => createWalletClient({ account, chain, transport: http(rpcUrl) });
  const mined = async (hash: Hex) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    return receipt;
  };
  const balance = (currency: Address, holder: Address) =>
    publicClient.readContract({ address: currency, abi: erc20Abi, functionName: "balanceOf", args: [holder] });

  // The stablecoin is someone else's ERC-20 here, as USDC would be: deployed by another key.
  const deployer = privateKeyToAccount(devChainSignerKey(8));
  const deployerWallet = walletOf(deployer);
  const deploy = async (hash: Hex) => (await mined(hash)).contractAddress!;
  const dusd = await deploy(await deployerWallet.deployContract({ abi: DevStablecoinAbi, bytecode: DevStablecoinBytecode }));
  const treasury = privateKeyToAccount(generatePrivateKey()).address;
  const rawTreasury = privateKeyToAccount(generatePrivateKey()).address;

  // Our offering: one senior tranche priced in dUSD, opened with every requirement met.
  const asset = await registerApprovedAsset(t, a, "Bench DvP asset");
  const created = ok<any>(
    await t.gql(
      `mutation($input: CreateOfferingInput!) { createOffering(input: $input) { __typename ... on Offering { id tranches { id } } ${ERROR_FIELDS} } }`,
      {
        input: {
          name: "Bench DvP Note",
          productType: "DEBT",
          assetIds: [asset.assetId],
          allowedInvestorClasses: ["PROFESSIONAL"],
          currency: "USD",
          termsDigest: asset.contentDigest,
          settlementToken: dusd,
          treasury,
          tranche: {
            name: "Senior",
            seniority: "SENIOR",
            couponBps: 400,
            supplyCap: (10n ** 30n).toString(),
            price: PRICE.toString(),
            tokenName: "Bench DvP Senior",
            tokenSymbol: "BDVP",
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
  const settlement: Address = (await t.gql(`{ settlementContract }`)).data.settlementContract;

  // The raw peer: its own settlement contract (owned by the raw key) and tranche token.
  const rawSettlement = await deploy(
    await deployerWallet.deployContract({ abi: DvpSettlementAbi, bytecode: DvpSettlementBytecode, args: [deployer.address] }),
  );
  const rawToken = await deploy(
    await deployerWallet.deployContract({
      abi: DataAssetTokenAbi,
      bytecode: DataAssetTokenBytecode,
      args: ["Raw DvP", "RDVP", "raw", `0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`, deployer.address, rawSettlement],
    }),
  );

  // Investors: registered, verified and whitelisted through the gateway, funded from the faucet,
  // and each approves both settlement contracts once (the permit path is tested; here the
  // allowance is the steady state of a repeat investor).
  const investors: { investorId: string; account: PrivateKeyAccount }[] = [];
  const total = BigInt(counts.sequential + counts.batched + 2 * counts.sequential + RAW_BATCH * 2) * PRICE;
  for (let i = 0; i < INVESTORS; i++) {
    const inv = await registerVerifiedInvestor(t, a);
    await whitelistInvestor(t, a, trancheId, inv.investorId);
    await publicClient.request({ method: "anvil_setBalance" as any, params: [inv.account.address, "0x56BC75E2D63100000"] as any });
    const w = walletOf(inv.account);
    await mined(
      await w.writeContract({ address: dusd, abi: DevStablecoinAbi, functionName: "faucet", args: [inv.account.address, total] }),
    );
    for (const spender of [settlement, rawSettlement]) {
      await mined(await w.writeContract({ address: dusd, abi: erc20Abi, functionName: "approve", args: [spender, maxUint256] }));
    }
    await mined(
      await deployerWallet.writeContract({
        address: rawToken,
        abi: DataAssetTokenAbi,
        functionName: "setWhitelisted",
        args: [inv.account.address, true],
      }),
    );
    investors.push(inv);
  }
  for (const inv of investors) {
    while (
      !(await publicClient.readContract({
        address: token,
        abi: DataAssetTokenAbi,
        functionName: "isWhitelisted",
        args: [inv.account.address],
      }))
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const opened = await t.gql(OPEN_OFFERING, { id: offeringId }, a.issuerToken);
  if (opened.data?.openOffering?.status !== "OPEN") throw new Error(`openOffering: ${JSON.stringify(opened)}`);

  let sent = 0;
  const bought = new Map<Address, bigint>();
  const request = async (key: string) => {
    const inv = investors[sent++ % INVESTORS]!;
    const r = await t.gql(
      REQUEST_SUBSCRIPTION,
      { input: { idempotencyKey: key, trancheId, investorId: inv.investorId, amount: E18.toString() } },
      a.issuerToken,
    );
    if (r.data?.requestSubscription?.__typename !== "InvestorSubscription") throw new Error(`requestSubscription: ${JSON.stringify(r)}`);
    bought.set(inv.account.address, (bought.get(inv.account.address) ?? 0n) + E18);
    return r.data.requestSubscription.id as string;
  };
  const settled = async (ids: string[]) => {
    for (;;) {
      const rows = await sql`select status, count(*)::int as n from subscription where id = any(${ids}) group by status`;
      const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
      if ((by.FAILED ?? 0) + (by.REVERTED ?? 0) > 0) throw new Error(`subscriptions failed: ${JSON.stringify(by)}`);
      if ((by.CONFIRMED ?? 0) === ids.length) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  // Warm-up, not timed.
  const WARM_UP = 3;
  for (let i = 0; i < WARM_UP; i++) await settled([await request(`dvp-warm-${i}`)]);

  // Ours, one at a time: each waits for CONFIRMED before the next is requested.
  let started = performance.now();
  for (let i = 0; i < counts.sequential; i++) await settled([await request(`dvp-seq-${i}`)]);
  const oursSequentialPerSecond = counts.sequential / ((performance.now() - started) / 1000);

  // Ours, all at once (50 requests in flight): the settlement worker batches them.
  started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < counts.batched; i += 50) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(50, counts.batched - i) }, (_, k) => request(`dvp-batch-${i + k}`)))));
  }
  await settled(ids);
  const oursBatchPerSecond = counts.batched / ((performance.now() - started) / 1000);

  // The chain is the judge: supply, every investor's tokens, the treasury's stablecoin.
  const count = BigInt(WARM_UP + counts.sequential + counts.batched);
  const supply = await publicClient.readContract({ address: token, abi: erc20Abi, functionName: "totalSupply" });
  if (supply !== count * E18) throw new Error(`tranche supply is ${supply}, expected ${count * E18}`);
  if ((await balance(dusd, treasury)) !== count * PRICE)
    throw new Error(`treasury holds ${await balance(dusd, treasury)}, expected ${count * PRICE}`);
  for (const [holder, amount] of bought) {
    if ((await balance(token, holder)) !== amount) throw new Error(`${holder} holds ${await balance(token, holder)}, expected ${amount}`);
  }
  const hashes = await sql`select distinct tx_hash from subscription where offering_id = ${offeringId}`;
  let oursGas = 0n;
  for (const h of hashes) oursGas += (await publicClient.getTransactionReceipt({ hash: h.tx_hash as Hex })).gasUsed;

  // Raw viem: subscribeBatch with one item per transaction, then 50, each awaited to its receipt.
  let rawSent = 0;
  const item = () => {
    const inv = investors[rawSent++ % INVESTORS]!;
    return {
      id: settlementId(crypto.randomUUID()),
      investor: inv.account.address,
      amount: E18,
      cost: PRICE,
      permit: NO_PERMIT,
    };
  };
  const rawSubscribe = async (n: number) =>
    mined(
      await deployerWallet.writeContract({
        address: rawSettlement,
        abi: DvpSettlementAbi,
        functionName: "subscribeBatch",
        args: [rawToken, dusd, rawTreasury, Array.from({ length: n }, item)],
      }),
    );
  for (let i = 0; i < WARM_UP; i++) await rawSubscribe(1);
  let rawGas = 0n;
  started = performance.now();
  for (let i = 0; i < counts.sequential; i++) rawGas += (await rawSubscribe(1)).gasUsed;
  const rawPerSecond = counts.sequential / ((performance.now() - started) / 1000);
  let rawBatchedGas = 0n;
  const rawBatched = Math.max(RAW_BATCH, Math.floor(counts.batched / RAW_BATCH) * RAW_BATCH);
  started = performance.now();
  for (let i = 0; i < rawBatched; i += RAW_BATCH) rawBatchedGas += (await rawSubscribe(RAW_BATCH)).gasUsed;
  const rawBatchedPerSecond = rawBatched / ((performance.now() - started) / 1000);
  const rawCount = BigInt(WARM_UP + counts.sequential + rawBatched);
  if ((await balance(dusd, rawTreasury)) !== rawCount * PRICE) throw new Error("raw treasury balance is wrong");

  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    sequential: counts.sequential,
    batched: counts.batched,
    oursSequentialPerSecond: round(oursSequentialPerSecond),
    oursBatchPerSecond: round(oursBatchPerSecond),
    oursGasPerSubscription: Number(oursGas / count),
    rawPerSecond: round(rawPerSecond),
    rawGasPerSubscription: Number(rawGas / BigInt(counts.sequential)),
    rawBatchedPerSecond: round(rawBatchedPerSecond),
    rawBatchedGasPerSubscription: Number(rawBatchedGas / BigInt(rawBatched)),
  };
}
