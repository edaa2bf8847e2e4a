/**
 * A token deployment the chain reverts answers DeployRevertedError: typed, not retryable, and
 * the tranche keeps no token. The revert is a real one on a private dev chain: with automine
 * off the deployment waits in the mempool while code is planted at the address it would
 * create, so the mined creation collides and reverts (status 0, no contract).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getContractAddress, type Hex } from "viem";
import { startTestGateway, type GraphQLResponse, type TestGateway } from "./support/harness.js";
import { createActors, createOfferingWithTranche, ERROR_FIELDS, registerApprovedAsset } from "./support/flow.js";
import { startDevChain, type DevChain } from "../src/chain/dev-chain.js";

let devChain: DevChain;
let t: TestGateway;

beforeAll(async () => {
  devChain = await startDevChain({ port: 0 });
  t = await startTestGateway({ rpcUrl: devChain.rpcUrl });
});

afterAll(async () => {
  await t?.close();
  await devChain?.close();
});

const DEPLOY = `mutation($id: ID!) { deployTrancheToken(trancheId: $id) {
  __typename ... on Tranche { tokenAddress } ${ERROR_FIELDS}
  ... on Error { retryable }
  ... on DeployRevertedError { reason txHash }
} }`;
const TRANCHE_TOKEN = `query($id: ID!) { offering(id: $id) { ... on Offering { tranches { id tokenAddress } } } }`;

const rpc = (method: string, params: unknown[]) => t.chain.publicClient.request({ method: method as any, params: params as any });

describe("a reverted token deployment", () => {
  it("answers DeployRevertedError (not retryable), records no token, and a later deployment succeeds", async () => {
    const a = await createActors(t);
    const asset = await registerApprovedAsset(t, a);
    const { offeringId, trancheId } = await createOfferingWithTranche(t, a, asset.assetId);
    const signer = t.chain.account.address;
    const nonce = await t.chain.publicClient.getTransactionCount({ address: signer });
    const target = getContractAddress({ from: signer, nonce: BigInt(nonce) });

    await rpc("evm_setAutomine", [false]);
    let answer: GraphQLResponse;
    try {
      const pending = t.gql(DEPLOY, { id: trancheId }, a.issuerToken);
      let answered = false;
      void pending.finally(() => (answered = true));
      // The deployment is broadcast (simulated before code was planted) and waits in the mempool.
      const deadline = Date.now() + 15_000;
      while (!answered && (await t.chain.publicClient.getTransactionCount({ address: signer, blockTag: "pending" })) === nonce) {
        if (Date.now() > deadline) throw new Error("the deployment was never broadcast");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await rpc("anvil_setCode", [target, "0x00"]);
      await rpc("evm_mine", []);
      answer = await pending;
    } finally {
      await rpc("evm_setAutomine", [true]);
    }

    expect(answer.errors).toBeUndefined();
    const refused = answer.data.deployTrancheToken;
    expect(refused).toMatchObject({ __typename: "DeployRevertedError", code: "DEPLOY_REVERTED", retryable: false });
    const receipt = await t.chain.publicClient.getTransactionReceipt({ hash: refused.txHash as Hex });
    expect(receipt.status).toBe("reverted");
    const before = await t.gql(TRANCHE_TOKEN, { id: offeringId }, a.issuerToken);
    expect(before.data.offering.tranches.find((x: { id: string }) => x.id === trancheId).tokenAddress).toBeNull();

    // The refusal left nothing half-done: the next deployment (a new nonce, a new address) lands.
    const deployed = await t.gql(DEPLOY, { id: trancheId }, a.issuerToken);
    expect(deployed.data.deployTrancheToken).toMatchObject({
      __typename: "Tranche",
      tokenAddress: expect.stringMatching(/^0x[0-9a-fA-F]{40}$/),
    });
  });
});
