/**
 * The issuer's side of the main flow through the typed client: check compliance, request a
 * mint, follow it to its outcome. Every result is typed from schema/schema.graphql, and the
 * union members are narrowed on __typename.
 *
 * Run against a started gateway: tsx examples/client/main-flow.ts <url> <issuer token> <tranche id> <investor id>
 */
import { createClient } from "./client.js";
import { ComplianceReport, MintRequestStatus, RequestMint } from "./operations.js";

export type MintOutcome =
  | { kind: "refused"; unmetCodes: string[] }
  | { kind: "settled"; id: string; status: string; txHash: string | null };

export async function mintWhenCompliant(
  url: string,
  issuerToken: string,
  params: { trancheId: string; investorId: string; amount: string; idempotencyKey: string },
): Promise<MintOutcome> {
  const client = createClient(url, issuerToken);
  const report = await client.request(ComplianceReport, { trancheId: params.trancheId, investorId: params.investorId });
  if (report.complianceReport.__typename === "ComplianceReport" && !report.complianceReport.holds) {
    return { kind: "refused", unmetCodes: report.complianceReport.unmetCodes };
  }
  const { requestMint } = await client.request(RequestMint, { input: params });
  switch (requestMint.__typename) {
    case "MintRequest":
      break;
    case "ComplianceNotSatisfiedError":
      return { kind: "refused", unmetCodes: requestMint.unmetCodes };
    default:
      throw new Error(`${requestMint.code}: ${requestMint.message}`);
  }
  for (;;) {
    const { mintRequest } = await client.request(MintRequestStatus, { id: requestMint.id });
    if (mintRequest.__typename !== "MintRequest") throw new Error(`${mintRequest.code}: ${mintRequest.message}`);
    if (["CONFIRMED", "FAILED", "REVERTED"].includes(mintRequest.status)) {
      return { kind: "settled", id: mintRequest.id, status: mintRequest.status, txHash: mintRequest.txHash ?? null };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [url, token, trancheId, investorId] = process.argv.slice(2);
  if (!url || !token || !trancheId || !investorId) {
    console.error("usage: tsx examples/client/main-flow.ts <graphql url> <issuer token> <tranche id> <investor id>");
    process.exit(2);
  }
  console.log(await mintWhenCompliant(url, token, { trancheId, investorId, amount: "1000", idempotencyKey: `example-${Date.now()}` }));
}
