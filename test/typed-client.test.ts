/**
 * The codegen-typed client in examples/client runs the issuer's flow against the server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintWhenCompliant } from "../examples/client/main-flow.js";
import { createClient, GraphQLRequestError } from "../examples/client/client.js";
import { RegisterDataAsset } from "../examples/client/operations.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  digest,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
} from "./support/flow.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => t?.close());

describe("typed client (examples/client)", () => {
  it("is refused while compliance is unmet, then mints", async () => {
    const a = await createActors(t);
    const asset = await registerApprovedAsset(t, a);
    const { offeringId, trancheId } = await createOfferingWithTranche(t, a, asset.assetId);
    const { investorId } = await registerVerifiedInvestor(t, a);
    const url = `${t.url}/graphql`;

    const refused = await mintWhenCompliant(url, a.issuerToken, { trancheId, investorId, amount: "5", idempotencyKey: "typed-1" });
    expect(refused.kind).toBe("refused");
    expect(refused.kind === "refused" && refused.unmetCodes).toContain("ONSHORE_VALUATION");

    await satisfyRequirements(t, a, { ...asset, offeringId });
    await deployAndWhitelist(t, a, trancheId, investorId);
    const settled = await mintWhenCompliant(url, a.issuerToken, { trancheId, investorId, amount: "5", idempotencyKey: "typed-1" });
    expect(settled).toMatchObject({ kind: "settled", status: "CONFIRMED" });

    // Typed results: a domain error arrives as a typed member, not an exception.
    const owner = createClient(url, a.ownerToken);
    const bad = await owner.request(RegisterDataAsset, { input: { title: "x", category: "C", contentDigest: "0x12" } });
    expect(bad.registerDataAsset.__typename).toBe("ValidationError");
    const good = await owner.request(RegisterDataAsset, { input: { title: "x", category: "C", contentDigest: digest("typed") } });
    expect(good.registerDataAsset.__typename === "DataAsset" && good.registerDataAsset.status).toBe("DRAFT");
    // A transport-level error (variables that do not match the schema) is thrown with its code.
    await expect(owner.request(RegisterDataAsset, { input: { title: 1 } as any })).rejects.toBeInstanceOf(GraphQLRequestError);
  });
});
