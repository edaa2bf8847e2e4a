/**
 * GraphQL-over-HTTP conformance: the graphql-http package's server audits run against the
 * started gateway, and no MUST fails.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverAudits } from "graphql-http";
import { startTestGateway, type TestGateway } from "./support/harness.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => t?.close());

describe("graphql-http server audits", () => {
  it("passes every MUST", async () => {
    const audits = serverAudits({ url: () => `${t.url}/graphql`, fetchFn: fetch });
    const failures: string[] = [];
    const report: string[] = [];
    for (const audit of audits) {
      const result = await audit.fn();
      report.push(`${result.status.padEnd(5)} ${audit.name}`);
      if (audit.name.startsWith("MUST") && result.status !== "ok") {
        failures.push(`${audit.name}: ${"reason" in result ? result.reason : ""}`);
      }
    }
    console.log(report.join("\n"));
    expect(failures).toEqual([]);
  });
});
