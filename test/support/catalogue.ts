/** GraphQL helpers shared by the catalogue tests (assets, ownership, lineage, search, audit, import). */
import { randomUUID } from "node:crypto";
import type { TestGateway } from "./harness.js";
import { ERROR_FIELDS, digest, ok } from "./flow.js";

export const REGISTER = `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ... on DataAsset { id status version } ${ERROR_FIELDS} } }`;
export const TRANSITION = `mutation($id: ID!, $to: AssetStatus!) { transitionDataAsset(assetId: $id, to: $to) {
  __typename ... on DataAsset { status } ... on InvalidTransitionError { currentStatus requestedStatus } ${ERROR_FIELDS} } }`;
export const UPDATE = `mutation($input: UpdateDataAssetInput!) { updateDataAsset(input: $input) { __typename ... on DataAsset { id title version contentDigest } ${ERROR_FIELDS} } }`;

export async function registerAsset(t: TestGateway, token: string, input: Record<string, unknown> = {}): Promise<string> {
  const r = await t.gql(
    REGISTER,
    { input: { title: "Asset", category: "LOGISTICS", contentDigest: digest(randomUUID()), securityLevel: "GENERAL", ...input } },
    token,
  );
  return ok<{ __typename: string; id: string }>(r, "registerDataAsset", "DataAsset").id;
}

/** DRAFT → SUBMITTED → IN_REVIEW → APPROVED. */
export async function approve(t: TestGateway, ownerToken: string, officerToken: string, id: string) {
  ok(await t.gql(TRANSITION, { id, to: "SUBMITTED" }, ownerToken), "transitionDataAsset", "DataAsset");
  ok(await t.gql(TRANSITION, { id, to: "IN_REVIEW" }, officerToken), "transitionDataAsset", "DataAsset");
  ok(await t.gql(TRANSITION, { id, to: "APPROVED" }, officerToken), "transitionDataAsset", "DataAsset");
}

/** Rows of a raw SQL result on either driver (PGlite answers { rows }, postgres.js an array). */
export function rowsOf<T = any>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];
}

/** The database's own message for a failed statement (drizzle wraps it as `cause`). */
export async function dbError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const e = error as { message: string; cause?: { message?: string } };
    return e.cause?.message ?? e.message;
  }
  throw new Error("the statement succeeded");
}
