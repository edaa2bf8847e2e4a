/**
 * An error keeps its cause for operators and shows it to no client: a database refusal mapped
 * to a typed error keeps the driver's error as `cause` (pino's err serializer logs its message
 * and stack after ours), and in production the answer carries the message and code alone.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { openTestDatabase, startTestGateway, type TestGateway } from "./support/harness.js";
import { digest } from "./support/flow.js";
import { typedDatabaseError } from "../src/db/errors.js";
import { NotFoundError, UnauthenticatedError } from "../src/errors.js";
import { organizationLicense } from "../src/organizations/table.js";

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({
    gateway: { production: true, workerEnabled: false, indexer: { pollerEnabled: false, pollIntervalMs: 3_600_000 } },
  });
});

afterAll(async () => {
  await t?.close();
});

describe("an error's cause", () => {
  it("is kept by the typed error a database refusal maps to, and logged with it", async () => {
    const database = await openTestDatabase();
    try {
      const refused = await database.db
        .insert(organizationLicense)
        .values({ organizationId: randomUUID(), type: "CN_DATA_EXCHANGE", number: "X-1", validUntil: new Date("2030-01-01") })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      const typed = typedDatabaseError(refused);
      expect(typed).toBeInstanceOf(NotFoundError);
      expect(typed!.cause).toBe(refused);

      // What an operator reads: the typed error's line carries the driver's words (SQLSTATE 23503's message).
      const wrapped = new UnauthenticatedError("your token's organization does not exist", {
        cause: typed,
        details: { organizationId: "…" },
      });
      const logged = pino.stdSerializers.err(wrapped);
      expect(logged.message).toContain("violates foreign key constraint");
      expect(logged.stack).toContain("caused by");
      expect(wrapped.details).toEqual({ organizationId: "…" });
    } finally {
      await database.close();
    }
  });

  it("never reaches a client in production: message and code only, no SQL, no stack", async () => {
    const ghost = await t.tokenFor(["ASSET_OWNER"], randomUUID(), "ghost");
    const res = await fetch(`${t.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ghost}` },
      body: JSON.stringify({
        query: `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ... on Error { code message retryable } } }`,
        variables: { input: { title: "Ghost", category: "TEST", contentDigest: digest("ghost-cause") } },
      }),
    });
    const text = await res.text();
    expect(JSON.parse(text).data.registerDataAsset).toMatchObject({
      __typename: "UnauthenticatedError",
      code: "UNAUTHENTICATED",
      retryable: false,
    });
    expect(text).not.toMatch(/foreign key|23503|insert into|cause|details|stack|\.ts:\d+/i);
  });
});
