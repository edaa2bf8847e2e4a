/**
 * Helpers for the indexer tests: a gateway like the harness's, but on any chain (the shared
 * one, or a private dev chain for reorgs) and with indexer options; investors whose keys the
 * test holds (so they can sign transfers); and waiting on a condition with a deadline.
 */
import { inject } from "vitest";
import pino from "pino";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createWalletClient, http, parseEther, type Address } from "viem";
import { connectChain } from "../../src/chain/client.js";
import { devChainSignerKey } from "../../src/chain/dev-chain.js";
import { startGateway, type GatewayOptions } from "../../src/gateway.js";
import { insertOrganization } from "../../src/organizations/service.js";
import { issueToken } from "../../src/auth/jwt.js";
import { DataAssetTokenAbi } from "../../src/chain/token.js";
import { TEST_JWT_SECRET, openTestDatabase, type TestGateway } from "./harness.js";
import { ERROR_FIELDS, ok, type Actors } from "./flow.js";

export const TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789abcdef";

/** The pool's signer on the shared chain (as the harness picks it). */
export function poolSignerKey(): `0x${string}` {
  const poolId = Number(process.env.VITEST_POOL_ID ?? "1");
  return devChainSignerKey(1 + ((poolId - 1) % 19));
}

export type IndexerGatewayOptions = Partial<Pick<GatewayOptions, "finalityDepth" | "indexer" | "mintConfirmations" | "workerEnabled">> & {
  rpcUrl?: string;
  signerKey?: `0x${string}`;
};

/** Starts a gateway with its own database on `rpcUrl` (default: the shared test chain), webhooks on. */
export async function startIndexerGateway(options: IndexerGatewayOptions = {}): Promise<TestGateway> {
  const database = await openTestDatabase();
  const chain = await connectChain({ rpcUrl: options.rpcUrl ?? inject("rpcUrl"), signerPrivateKey: options.signerKey ?? poolSignerKey() });
  const gateway = await startGateway({
    db: database.db,
    chain,
    jwtSecret: TEST_JWT_SECRET,
    webhookSecret: TEST_WEBHOOK_SECRET,
    port: 0,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    finalityDepth: options.finalityDepth,
    indexer: options.indexer,
    mintConfirmations: options.mintConfirmations,
    workerEnabled: options.workerEnabled,
  });
  const operator = await insertOrganization(database.db, { name: "Operator", kind: "VENUE", jurisdiction: "HK", licenses: [] });
  const tokenFor = (roles: string[], organizationId: string, subject = "tester") =>
    issueToken(TEST_JWT_SECRET, { subject, organizationId, roles: roles as any });
  const adminToken = await tokenFor(["ADMIN"], operator.id, "admin");
  return {
    url: gateway.url,
    database,
    chain,
    gateway,
    adminToken,
    tokenFor,
    async gql(query, variables, token) {
      const res = await fetch(`${gateway.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as any;
      return { status: res.status, data: body.data, errors: body.errors };
    },
    async close() {
      await gateway.close();
      await database.close();
    },
  };
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
      { input: { did: `did:pkh:eip155:${t.chain.chainId}:${account.address}`, investorClass: "PROFESSIONAL", jurisdiction: "HK", walletAddress: account.address } },
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
  return t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "balanceOf", args: [holder], blockNumber });
}

export const HOLDINGS = `query($token: String!) { holdings(tokenAddress: $token) { __typename ... on QueryHoldingsSuccess { data { holder balance finalBalance pendingBalance pending tokenAddress } } ${ERROR_FIELDS} } }`;
