/**
 * A stuck mint transaction is replaced (same nonce, higher fee), never duplicated. The
 * shared dev chain mines every transaction at once, so this file starts a private dev chain
 * of its own with automine off: the first transaction waits in the mempool, the worker
 * replaces it, and when a block is finally mined exactly one version is in it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import pino from "pino";
import type { Address, Hex } from "viem";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  registerApprovedAsset,
  registerVerifiedInvestor,
  REQUEST_MINT,
  satisfyRequirements,
  waitForMint,
  type Actors,
} from "./support/flow.js";
import { devChainSignerKey, startDevChain, type DevChain } from "../src/chain/dev-chain.js";
import { attachNonceStore, connectChain, type ChainClients } from "../src/chain/client.js";
import { DataAssetTokenAbi, deployToken, setWhitelisted } from "../src/chain/token.js";
import { tranche } from "../src/offerings/table.js";
import { mintRequest } from "../src/minting/table.js";
import { chainTx } from "../src/chain/table.js";
import { startMintWorker, type MintWorker } from "../src/minting/worker.js";

let t: TestGateway;
let a: Actors;
let devChain: DevChain;
let privateChain: ChainClients;
let worker: MintWorker | undefined;

beforeAll(async () => {
  t = await startTestGateway();
  await t.gateway.worker!.stop();
  devChain = await startDevChain({ port: 0 });
  privateChain = await connectChain({ rpcUrl: devChain.rpcUrl, signerPrivateKey: devChainSignerKey(0) });
  attachNonceStore(privateChain, t.database.db);
});

afterAll(async () => {
  await worker?.stop();
  await t?.close();
  await devChain?.close();
});

describe("a stuck mint transaction", () => {
  it("is replaced with a higher fee and the same nonce; exactly one version is mined", async () => {
    a = await createActors(t);
    const asset = await registerApprovedAsset(t, a);
    const offering = await createOfferingWithTranche(t, a, asset.assetId);
    const inv = await registerVerifiedInvestor(t, a);
    await satisfyRequirements(t, a, { ...asset, offeringId: offering.offeringId });
    await deployAndWhitelist(t, a, offering.trancheId, inv.investorId);

    // The tranche's token, re-deployed on the private chain (the records stay as the gateway wrote them).
    const { address: token } = await deployToken(privateChain, {
      name: "Private",
      symbol: "PRV",
      assetId: asset.assetId,
      contentDigest: asset.contentDigest as Hex,
      offeringTermsDigest: asset.contentDigest as Hex,
    });
    await setWhitelisted(privateChain, { token, account: inv.wallet, whitelisted: true });
    await t.database.db.update(tranche).set({ tokenAddress: token }).where(eq(tranche.id, offering.trancheId));
    await privateChain.publicClient.request({ method: "evm_setAutomine" as any, params: [false] as any });

    const r = await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: "stuck-1", trancheId: offering.trancheId, investorId: inv.investorId, amount: "4242" } },
      a.issuerToken,
    );
    const id = r.data.requestMint.id as string;
    worker = startMintWorker({
      db: t.database.db,
      chain: privateChain,
      logger: pino({ level: "silent" }),
      confirmations: 1,
      stuckAfterMs: 400,
      pollIntervalMs: 100,
    });

    // Wait until the worker has replaced its first transaction at least once.
    let versions: (typeof chainTx.$inferSelect)[] = [];
    for (let i = 0; i < 200 && versions.length < 2; i++) {
      const [row] = await t.database.db.select().from(mintRequest).where(eq(mintRequest.id, id));
      if (row?.batchId) versions = await t.database.db.select().from(chainTx).where(eq(chainTx.writeId, row.batchId));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(versions.length).toBeGreaterThanOrEqual(2);
    const fees = versions.map((v) => BigInt(v.maxFeePerGas));
    expect(fees[1]! > fees[0]!).toBe(true);

    await privateChain.publicClient.request({ method: "evm_mine" as any, params: [] as any });
    const settled = await waitForMint(t, a.issuerToken, id);
    expect(settled.status, JSON.stringify(settled)).toBe("CONFIRMED");
    const after = await t.database.db
      .select()
      .from(chainTx)
      .where(eq(chainTx.writeId, (await t.database.db.select().from(mintRequest).where(eq(mintRequest.id, id)))[0]!.batchId!));
    expect(after.map((v) => v.hash)).toContain(settled.txHash);

    // On chain: one mint, from one of the recorded versions; every other version is gone for good.
    const block = await privateChain.publicClient.getBlock({ blockTag: "latest", includeTransactions: true });
    const mints = block.transactions.filter((tx) => tx.to?.toLowerCase() === token.toLowerCase());
    expect(mints.map((tx) => tx.hash)).toEqual([settled.txHash]);
    const supply = await privateChain.publicClient.readContract({
      address: token as Address,
      abi: DataAssetTokenAbi,
      functionName: "totalSupply",
    });
    expect(supply).toBe(4242n);
    await privateChain.publicClient.request({ method: "evm_setAutomine" as any, params: [true] as any });
  });
});
