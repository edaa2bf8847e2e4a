/**
 * Shared input rules (zod) and `parseInput`, which turns zod failures into a
 * `ValidationError` naming each field. Services validate their own params, so GraphQL,
 * the CLI and the worker get the same rules. (EVM addresses: `addressSchema` in chain/address.ts,
 * kept apart so that validating anything else does not load viem.)
 */
import { z } from "zod";
import { ValidationError } from "./errors.js";

const MAX_UINT256 = 2n ** 256n - 1n;

export const uuidSchema = z.string().uuid("must be a UUID");

/** A sha256 digest as 0x-prefixed lowercase-or-uppercase hex. */
export const digestSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed sha256 digest (64 hex digits)")
  .transform((v) => v.toLowerCase() as `0x${string}`);

/** A token amount in base units: a decimal string of a positive integer that fits uint256. Never a float. */
export const baseUnitAmountSchema = z.string().transform((value, ctx) => {
  // One transform, checked in order: later checks must not run on a value that failed earlier ones.
  if (!/^[0-9]+$/.test(value)) {
    ctx.addIssue({ code: "custom", message: "must be a whole number of base units written as a decimal string (no sign, point or exponent)" });
    return z.NEVER;
  }
  const amount = BigInt(value);
  if (amount === 0n) {
    ctx.addIssue({ code: "custom", message: "must be greater than zero" });
    return z.NEVER;
  }
  if (amount > MAX_UINT256) {
    ctx.addIssue({ code: "custom", message: "must fit in uint256" });
    return z.NEVER;
  }
  return amount.toString();
});

/** A non-negative whole number given as a decimal string (or bigint), read as bigint. */
export const wholeNumberSchema = z
  .union([z.string().regex(/^[0-9]+$/, "must be a whole number written as a decimal string"), z.bigint().nonnegative()])
  .transform((v) => BigInt(v));

export const jurisdictionSchema = z
  .string()
  .regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, "must be an ISO 3166 code such as HK or CN-SH");

export const didSchema = z
  .string()
  .regex(/^did:[a-z0-9]+:[A-Za-z0-9._%:-]+$/, "must be a W3C DID such as did:pkh:eip155:1:0xabc…");

/**
 * A timestamptz as PostgreSQL prints it (DateStyle ISO), e.g. `2026-11-28 10:00:00.123456+00`:
 * what a keyset cursor carries back, so a hand-made cursor is refused before PostgreSQL sees it.
 */
export function isPostgresTimestamp(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2}) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // A real calendar day (PostgreSQL refuses 2026-02-30; a JS Date would roll it over).
  return month >= 1 && month <= 12 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}

export const nonEmpty = (max = 500) => z.string().trim().min(1, "must not be empty").max(max);

/**
 * Validates `input` against `schema`, throwing a `ValidationError` that lists every issue.
 * @example const params = parseInput(registerSchema, input);
 */
export function parseInput<S extends z.ZodTypeAny>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ValidationError(result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
  }
  return result.data;
}
