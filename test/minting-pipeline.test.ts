/**
 * The mint worker keeps the chain busy (issue 17): the next batch is signed and broadcast
 * while the previous one waits to be mined. Its own dev chain, with automine turned off while
 * the batches go out, shows it: two mintBatch transactions wait in the mempool at consecutive
 * nonces before any block is mined, and once mined each request is minted exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeFunctionData, type Address } from "viem";
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
import { startDevChain, type DevChain } from "../src/chain/dev-chain.js";
import { DataAssetTokenAbi } from "../src/chain/token.js";

let devChain: DevChain;
let t: TestGateway;
let a: Actors;
let trancheId: string;
let token: Address;
let investors: { investorId: string; wallet: Address }[];

beforeAll(async () => {
  devChain = await startDevChain({ port: 0 });
  t = await startTestGateway({
    rpcUrl: devChain.rpcUrl,
    // Three requests a batch, two batches in flight; receipts looked for often (the test mines by hand).
    gateway: { mintWorker: { batchSize: 3, pipelineDepth: 2, receiptPollMs: 20 } },
  });
  a = await createActors(t);
  const asset = await registerApprovedAsset(t, a, `Pipeline ${Math.random()}`);
  const offering = await createOfferingWithTranche(t, a, asset.assetId);
  trancheId = offering.trancheId;
  investors = [];
  for (let i = 0; i < 3; i++) investors.push(await registerVerifiedInvestor(t, a));
  await satisfyRequirements(t, a, { ...asset, offeringId: offering.offeringId });
  token = (await deployAndWhitelist(t, a, trancheId, investors[0]!.investorId)) as Address;
  for (const inv of investors.slice(1)) await whitelistInvestor(t, a, trancheId, inv.investorId);
}, 120_000);

afterAll(async () => {
  await t?.close();
  await devChain?.close();
});

const rpc = (method: string, params: unknown[] = []) => t.chain.publicClient.request({ method: method as never, params: params as never });

describe("the mint worker's pipeline", () => {
  it("broadcasts the next batch at the next nonce before the previous one is mined; each request is minted once", async () => {
    const signer = t.chain.account.address;
    const mined = await t.chain.publicClient.getTransactionCount({ address: signer, blockTag: "latest" });
    await rpc("evm_setAutomine", [false]);
    try {
      const items = Array.from({ length: 6 }, (_, i) => ({
        idempotencyKey: `pipe-${i}`,
        trancheId,
        investorId: investors[i % 3]!.investorId,
        amount: String(10 + i),
      }));
      const r = await t.gql(REQUEST_MINTS, { items }, a.issuerToken);
      expect(r.data?.requestMints?.__typename, JSON.stringify(r)).toBe("MutationRequestMintsSuccess");

      // Both batches out, neither mined: the pending count is two ahead of the mined one.
      const deadline = Date.now() + 15_000;
      let pending = mined;
      while (pending < mined + 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        pending = await t.chain.publicClient.getTransactionCount({ address: signer, blockTag: "pending" });
      }
      expect(pending).toBe(mined + 2);
      expect(await t.chain.publicClient.getTransactionCount({ address: signer, blockTag: "latest" })).toBe(mined);

      await rpc("evm_mine");
      const ids = r.data.requestMints.data.map((m: { id: string }) => m.id as string);
      for (const id of ids) expect((await waitForMint(t, a.issuerToken, id)).status).toBe("CONFIRMED");
    } finally {
      await rpc("evm_setAutomine", [true]);
    }

    // The chain: the transactions at the two nonces are mintBatch calls of three requests each, all six minted once.
    const block = await t.chain.publicClient.getBlock({ blockTag: "latest", includeTransactions: true });
    const ours = block.transactions.filter((tx) => tx.from.toLowerCase() === signer.toLowerCase());
    expect(ours.map((tx) => tx.nonce)).toEqual([mined, mined + 1]);
    const minted = ours.flatMap((tx) => {
      const call = decodeFunctionData({ abi: DataAssetTokenAbi, data: tx.input });
      expect(call.functionName).toBe("mintBatch");
      const [to, amounts] = call.args as [Address[], bigint[]];
      expect(to).toHaveLength(3);
      return amounts;
    });
    expect(minted.sort((x, y) => Number(x - y))).toEqual([10n, 11n, 12n, 13n, 14n, 15n]);
    for (const [k, inv] of investors.entries()) {
      const balance = await t.chain.publicClient.readContract({
        address: token,
        abi: DataAssetTokenAbi,
        functionName: "balanceOf",
        args: [inv.wallet],
      });
      expect(balance).toBe(BigInt(10 + k) + BigInt(13 + k));
    }
  });
});
