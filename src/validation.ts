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
    ctx.addIssue({
      code: "custom",
      message: "must be a whole number of base units written as a decimal string (no sign, point or exponent)",
    });
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

const MAX_INT8 = 2n ** 63n - 1n;

/** A non-negative whole number given as a decimal string (or bigint), read as bigint; at most 2^63 − 1 (a bigint column). */
export const wholeNumberSchema = z
  .union([z.string().regex(/^[0-9]+$/, "must be a whole number written as a decimal string"), z.bigint().nonnegative()])
  .transform((v) => BigInt(v))
  .refine((v) => v <= MAX_INT8, "must be at most 9223372036854775807 (2^63 − 1)");

export const jurisdictionSchema = z.string().regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, "must be an ISO 3166 code such as HK or CN-SH");

/**
 * Text as PostgreSQL can store it. PostgreSQL text cannot hold NUL (U+0000), and a lone UTF-16
 * surrogate has no UTF-8 form: both would reach the database and fail there as a 500. Without
 * the `u` flag the regex sees UTF-16 code units, so it can tell a pair from a lone half.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point of this rule.
const NO_NUL = /^[^\u0000]*$/;
const NO_LONE_SURROGATE = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
const NUL_MESSAGE = "must not contain the NUL character (U+0000)";
const SURROGATE_MESSAGE = "must not contain a lone UTF-16 surrogate (not valid Unicode text)";

/** The problem with a string PostgreSQL cannot store, if any. */
export function textProblem(value: string): string | undefined {
  if (!NO_NUL.test(value)) return NUL_MESSAGE;
  if (!NO_LONE_SURROGATE.test(value)) return SURROGATE_MESSAGE;
  return undefined;
}

/**
 * Every free-text input: a string without NUL or lone surrogates. A ZodString, so `.trim()`,
 * `.max()`, `.url()` chain on it. The issue's path names the field.
 * @example const schema = z.object({ note: text().max(2000).nullish() });
 */
export const text = () => z.string().regex(NO_NUL, NUL_MESSAGE).regex(NO_LONE_SURROGATE, SURROGATE_MESSAGE);

export const nonEmpty = (max = 500) => text().trim().min(1, "must not be empty").max(max);

const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
/** Whether year-month-day is a day of the calendar (2026-02-30 is not; a JS Date would roll it over to March 2). */
function isCalendarDay(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false; // PostgreSQL has no year 0
  const days = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/**
 * A timestamptz as PostgreSQL prints it (DateStyle ISO), e.g. `2026-11-28 10:00:00.123456+00`:
 * what a keyset cursor carries back, so a hand-made cursor is refused before PostgreSQL sees it
 * (years 0001–9999, a real calendar day, an offset PostgreSQL accepts: at most ±15:59).
 */
export function isPostgresTimestamp(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2}) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-](0\d|1[0-5])(:[0-5]\d)?$/.exec(text);
  return Boolean(m) && isCalendarDay(Number(m![1]), Number(m![2]), Number(m![3]));
}

/** RFC 3339 date-time (section 5.6): full date, `T`, full time with seconds, and an offset (Z or ±hh:mm). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;
export const DATE_TIME_EXPECTED =
  "an RFC 3339 date-time with an offset, e.g. 2026-11-27T12:00:00Z or 2026-11-27T20:00:00+08:00 (a real calendar day, year 0001–9999)";

/** Whether a Date can be stored as a timestamptz and read back the same (years 0001–9999 in UTC). */
const storableDate = (date: Date) => !Number.isNaN(date.getTime()) && date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999;

/**
 * Reads a strict RFC 3339 date-time, or undefined. `new Date(text)` alone accepts "1" (2001)
 * and rolls 2026-02-30 over to March 2; this refuses both.
 * @example parseDateTime("2026-11-27T12:00:00Z") // a Date; parseDateTime("2026-02-30T00:00:00Z") // undefined
 */
export function parseDateTime(value: string): Date | undefined {
  const m = RFC3339.exec(value);
  if (!m || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) return undefined;
  const date = new Date(value.toUpperCase());
  return storableDate(date) ? date : undefined;
}

/** A date-time input: a Date (from the GraphQL DateTime scalar or a caller in process) or an RFC 3339 string. */
export const dateTimeSchema = z.union([z.date(), z.string()]).transform((value, ctx) => {
  const date = typeof value === "string" ? parseDateTime(value) : storableDate(value) ? value : undefined;
  if (!date) {
    ctx.addIssue({ code: "custom", message: `must be ${DATE_TIME_EXPECTED}` });
    return z.NEVER;
  }
  return date;
});

/** Limits of a JSON input (e.g. provenance parameters): deep nesting would overflow a recursive walk (hashing, jsonb). */
export const JSON_MAX_DEPTH = 32;
export const JSON_MAX_BYTES = 64 * 1024;

/**
 * Checks a JSON value without recursion: at most JSON_MAX_DEPTH levels, JSON_MAX_BYTES as
 * JSON text, and every key and string storable (jsonb refuses \u0000 too).
 */
function jsonProblem(root: unknown): { path: (string | number)[]; message: string } | undefined {
  const stack: { value: unknown; depth: number; path: (string | number)[] }[] = [{ value: root, depth: 0, path: [] }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value === "string") {
      const problem = textProblem(value);
      if (problem) return { path, message: problem };
    } else if (value !== null && typeof value === "object") {
      if (depth >= JSON_MAX_DEPTH) return { path, message: `is nested more than ${JSON_MAX_DEPTH} levels deep` };
      const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
      for (const [key, child] of entries) {
        if (typeof key === "string") {
          const problem = textProblem(key);
          if (problem) return { path, message: `has a key that ${problem}` };
        }
        stack.push({ value: child, depth: depth + 1, path: [...path, key] });
      }
    }
  }
  // Depth is bounded now, so serializing cannot overflow the stack.
  if (Buffer.byteLength(JSON.stringify(root) ?? "") > JSON_MAX_BYTES)
    return { path: [], message: `must be at most ${JSON_MAX_BYTES} bytes as JSON` };
  return undefined;
}

/**
 * A JSON object input (free-form key/values), within the depth and size limits.
 * @example const schema = z.object({ parameters: jsonObjectSchema.default({}) });
 */
export const jsonObjectSchema = z.record(z.unknown()).superRefine((value, ctx) => {
  const problem = jsonProblem(value);
  if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
});

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
