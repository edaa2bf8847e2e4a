/**
 * The foundation's acceptance test: the whole flow over real HTTP against a started
 * gateway, a real database and a real EVM chain with the compiled contract deployed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataAssetTokenAbi } from "../src/chain/generated/DataAssetToken.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  REQUEST_MINT,
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
  waitForMint,
  type Actors,
} from "./support/flow.js";

let t: TestGateway;
let a: Actors;
beforeAll(async () => {
  t = await startTestGateway();
  a = await createActors(t);
});
afterAll(async () => t?.close());

describe("register → attest → deploy → whitelist → mint", () => {
  it("refuses the mint until compliance holds, then mints exactly the amount on chain", async () => {
    const { assetId, contentDigest } = await registerApprovedAsset(t, a);
    const { offeringId, trancheId } = await createOfferingWithTranche(t, a, assetId);
    const { investorId, wallet } = await registerVerifiedInvestor(t, a);
    const amount = "2500000000000000000000"; // 2,500 tokens of 18 decimals, in base units

    const refused = await t.gql(REQUEST_MINT, { input: { idempotencyKey: "mint-1", trancheId, investorId, amount } }, a.issuerToken);
    expect(refused.data.requestMint.__typename).toBe("ComplianceNotSatisfiedError");
    expect(refused.data.requestMint.code).toBe("COMPLIANCE_NOT_SATISFIED");
    expect([...refused.data.requestMint.unmetCodes].sort()).toEqual(
      [
        "OFFSHORE_INVESTOR_ELIGIBLE",
        "OFFSHORE_LEGAL_OPINION",
        "ONSHORE_CROSS_BORDER_ASSESSED",
        "ONSHORE_OWNERSHIP_CONFIRMED",
        "ONSHORE_PERSONAL_INFO_TREATED",
        "ONSHORE_SANDBOX_VALIDATED",
        "ONSHORE_VALUATION",
      ].sort(),
    );

    await satisfyRequirements(t, a, { assetId, contentDigest, offeringId });
    const report = await t.gql(
      `query($t: ID!, $i: ID!) { complianceReport(trancheId: $t, investorId: $i) { __typename ... on ComplianceReport { holds unmetCodes requirements { code holds reason } } } }`,
      { t: trancheId, i: investorId },
      a.issuerToken,
    );
    expect(report.data.complianceReport.unmetCodes).toEqual(["OFFSHORE_INVESTOR_ELIGIBLE"]);
    expect(report.data.complianceReport.requirements).toHaveLength(9);

    const token = await deployAndWhitelist(t, a, trancheId, investorId);
    const read = (functionName: any, args: any[] = []) =>
      t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName, args } as any);
    expect(await read("assetId")).toBe(assetId);
    expect(await read("contentDigest")).toBe(contentDigest);
    expect(await read("isWhitelisted", [wallet])).toBe(true);

    const accepted = await t.gql(REQUEST_MINT, { input: { idempotencyKey: "mint-1", trancheId, investorId, amount } }, a.issuerToken);
    expect(accepted.data.requestMint).toMatchObject({ __typename: "MintRequest", status: "REQUESTED", amount, recipient: wallet });
    const mintId = accepted.data.requestMint.id;

    const settled = await waitForMint(t, a.issuerToken, mintId);
    expect(settled.status).toBe("CONFIRMED");
    expect(settled.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const receipt = await t.chain.publicClient.getTransactionReceipt({ hash: settled.txHash });
    expect(receipt.status).toBe("success");
    expect(settled.blockNumber).toBe(receipt.blockNumber.toString());

    expect(await read("totalSupply")).toBe(BigInt(amount));
    expect(await read("balanceOf", [wallet])).toBe(BigInt(amount));

    // The same key returns the same request, and mints nothing more.
    const again = await t.gql(REQUEST_MINT, { input: { idempotencyKey: "mint-1", trancheId, investorId, amount } }, a.issuerToken);
    expect(again.data.requestMint).toMatchObject({ __typename: "MintRequest", id: mintId, status: "CONFIRMED" });
    const reused = await t.gql(REQUEST_MINT, { input: { idempotencyKey: "mint-1", trancheId, investorId, amount: "1" } }, a.issuerToken);
    expect(reused.data.requestMint).toMatchObject({ __typename: "IdempotencyKeyReusedError", code: "IDEMPOTENCY_KEY_REUSED" });
    expect(await read("totalSupply")).toBe(BigInt(amount));

    const asset = await t.gql(`query($id: ID!) { dataAsset(id: $id) { __typename ... on DataAsset { status } } }`, { id: assetId });
    expect(asset.data.dataAsset.status).toBe("TOKENIZED");
  });
});
