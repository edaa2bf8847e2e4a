/**
 * Helpers for the indexer tests: a gateway like the harness's, but on any chain (the shared
 * one, or a private dev chain for reorgs) and with indexer options; investors whose keys the
 * test holds (so they can sign transfers); and waiting on a condition with a deadline.
 */
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createWalletClient, http, parseEther, type Address } from "viem";
import type { GatewayOptions } from "../../src/gateway.js";
import { DataAssetTokenAbi } from "../../src/chain/token.js";
import { poolSignerKey, startTestGateway, type TestGateway } from "./harness.js";
import { ERROR_FIELDS, ok, proveWallet, type Actors } from "./flow.js";

export const TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789abcdef";

export { poolSignerKey };

export type IndexerGatewayOptions = Partial<Pick<GatewayOptions, "finalityDepth" | "indexer" | "mintConfirmations" | "workerEnabled">> & {
  rpcUrl?: string;
  signerKey?: `0x${string}`;
};

/** A test gateway on `rpcUrl` (default: the shared test chain) with webhooks on and indexer options. */
export function startIndexerGateway(options: IndexerGatewayOptions = {}): Promise<TestGateway> {
  const { rpcUrl, signerKey, ...gateway } = options;
  return startTestGateway({ rpcUrl, signerKey, gateway: { webhookSecret: TEST_WEBHOOK_SECRET, ...gateway } });
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Registers a KYC-verified investor whose private key the test keeps, funded with ETH for gas. */
export async function registerInvestorWithKey(t: TestGateway, a: Actors): Promise<{ investorId: string; account: PrivateKeyAccount }> {
  const account = privateKeyToAccount(generatePrivateKey());
  const investor = ok<{ __typename: string; id: string }>(
    await t.gql(
      `mutation($input: RegisterInvestorInput!) { registerInvestor(input: $input) { __typename ... on Investor { id } ${ERROR_FIELDS} } }`,
      {
        input: {
          did: `did:pkh:eip155:${t.chain.chainId}:${account.address}`,
          investorClass: "PROFESSIONAL",
          jurisdiction: "HK",
          walletAddress: account.address,
        },
      },
      a.issuerToken,
    ),
    "registerInvestor",
    "Investor",
  );
  ok(
    await t.gql(
      `mutation($id: ID!, $exp: DateTime) { verifyInvestorKyc(investorId: $id, status: VERIFIED, expiresAt: $exp) { __typename ... on Investor { kycStatus } ${ERROR_FIELDS} } }`,
      { id: investor.id, exp: new Date(Date.now() + 180 * 24 * 3600 * 1000).toISOString() },
      a.officerToken,
    ),
    "verifyInvestorKyc",
    "Investor",
  );
  // Wallet control is proven (Sign-In with Ethereum) before it can be whitelisted.
  await proveWallet(t, a.issuerToken, investor.id, account);
  await t.chain.withSignerLock(async () => {
    const hash = await t.chain.walletClient.sendTransaction({ to: account.address, value: parseEther("1") });
    await t.chain.publicClient.waitForTransactionReceipt({ hash });
  });
  return { investorId: investor.id, account };
}

export async function whitelist(t: TestGateway, a: Actors, trancheId: string, investorId: string) {
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

/** Sends a token call as the gateway's signer (the token's AGENT) and waits for it to be mined. */
export async function asAgent(t: TestGateway, token: Address, functionName: "mint" | "forcedTransfer" | "burn", args: readonly unknown[]) {
  return t.chain.withSignerLock(async () => {
    const { request } = await t.chain.publicClient.simulateContract({
      account: t.chain.account,
      address: token,
      abi: DataAssetTokenAbi,
      functionName,
      args,
    } as any);
    const hash = await t.chain.walletClient.writeContract(request as any);
    const receipt = await t.chain.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
    return receipt;
  });
}

/** An investor's own `transfer`, signed with its key. */
export async function transferAs(t: TestGateway, from: PrivateKeyAccount, token: Address, to: Address, amount: bigint) {
  const wallet = createWalletClient({ account: from, chain: t.chain.chain, transport: http(t.chain.chain.rpcUrls.default.http[0]) });
  const hash = await wallet.writeContract({ address: token, abi: DataAssetTokenAbi, functionName: "transfer", args: [to, amount] });
  const receipt = await t.chain.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error("transfer reverted");
  return receipt;
}

/** Reads balanceOf on chain. */
export function balanceOf(t: TestGateway, token: Address, holder: Address, blockNumber?: bigint): Promise<bigint> {
  return t.chain.publicClient.readContract({
    address: token,
    abi: DataAssetTokenAbi,
    functionName: "balanceOf",
    args: [holder],
    blockNumber,
  });
}

export const HOLDINGS = `query($token: String!) { holdings(tokenAddress: $token) { __typename ... on QueryHoldingsSuccess { data { holder balance finalBalance pendingBalance pending tokenAddress } } ${ERROR_FIELDS} } }`;
