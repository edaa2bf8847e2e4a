/**
 * PostgreSQL refusals that are the caller's fault, as typed errors. Services validate first, so
 * these are the cases validation cannot see (a row that vanished, a key taken meanwhile, a
 * token naming an organization that does not exist) — without this they would answer
 * INTERNAL_SERVER_ERROR with the SQL. Recognized by SQLSTATE, on both drivers: postgres.js
 * throws `PostgresError`, PGlite a `DatabaseError`; drizzle wraps either in
 * `DrizzleQueryError` with the driver's error as `cause`.
 */
import { BaseError, ConflictError, NotFoundError, ValidationError } from "../errors.js";

/** The fields both drivers give a server error (postgres.js names some `*_name`). */
type PgServerError = Error & {
  code: string;
  severity?: string;
  detail?: string;
  table?: string;
  table_name?: string;
  column?: string;
  column_name?: string;
  constraint?: string;
  constraint_name?: string;
};

/** The PostgreSQL server error in `error` or its chain of causes, if any. */
export function postgresErrorOf(error: unknown): PgServerError | undefined {
  for (let e = error, hops = 0; e instanceof Error && hops < 5; e = (e as { cause?: unknown }).cause, hops++) {
    const code = (e as { code?: unknown }).code;
    // A SQLSTATE is five digits or capitals; node's own errors (ECONNRESET…) are longer.
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof (e as { severity?: unknown }).severity === "string") {
      return e as PgServerError;
    }
  }
  return undefined;
}

/** "data_asset" → "DataAsset", the entity names NotFoundError uses. */
const entityOf = (table: string) => table.replace(/(^|_)([a-z])/g, (_m, _sep, c: string) => c.toUpperCase());

/**
 * The typed error for a PostgreSQL refusal of the caller's input, or undefined for anything
 * else (a lost connection, a bug: those stay internal errors). The messages name the table
 * and key at fault, never the SQL.
 *
 * | SQLSTATE | refusal | typed error |
 * | 23503 | foreign key: the row named does not exist | NotFoundError (entity and id from the key) |
 * | 23505 | unique: a row with this key exists | ConflictError |
 * | 23514 | check constraint | ValidationError |
 * | 22021, 22P05 | bytes or characters text cannot hold (NUL, invalid UTF-8) | ValidationError |
 * | 22007, 22008 | date/time out of range or malformed | ValidationError |
 * | 22003 | numeric value out of range | ValidationError |
 * | 22P02 | malformed value for its type (uuid, number, array) | ValidationError |
 * | 54001 | stack depth exceeded (input nested too deeply) | ValidationError |
 * @example
 * try { await insertSomething(tx) } catch (error) { throw typedDatabaseError(error) ?? error }
 */
export function typedDatabaseError(error: unknown): BaseError | undefined {
  if (error instanceof BaseError) return undefined;
  const pg = postgresErrorOf(error);
  if (!pg) return undefined;
  const table = pg.table ?? pg.table_name;
  const column = pg.column ?? pg.column_name ?? "";
  // The driver's error stays the cause: logged for operators, never shown to a client.
  const cause = { cause: error };
  const invalid = (message: string) => new ValidationError([{ path: column, message }], cause);
  switch (pg.code) {
    case "23503": {
      // e.g. Key (owner_org_id)=(5f0c…) is not present in table "organization".
      const m = /^Key \((.+)\)=\((.*)\) is not present in table "(.+)"\.$/.exec(pg.detail ?? "");
      if (m) return new NotFoundError(entityOf(m[3]!), m[2]!, cause);
      // Deleting or re-keying a row others still reference.
      return new ConflictError(`${table ?? "the row"} is still referenced by other rows`, cause);
    }
    case "23505": {
      const m = /^Key \((.+)\)=\(.*\) already exists\.$/.exec(pg.detail ?? "");
      return new ConflictError(`${table ? entityOf(table) : "a row"} with the same ${m?.[1] ?? "key"} already exists`, cause);
    }
    case "23514":
      return invalid(`breaks the rule ${pg.constraint ?? pg.constraint_name ?? "of the table"}${table ? ` of ${entityOf(table)}` : ""}`);
    case "22021":
    case "22P05":
      return invalid("contains bytes or characters the database cannot store (NUL, a lone surrogate or invalid UTF-8)");
    case "22007":
    case "22008":
      return invalid("is a date-time the database cannot store (RFC 3339, years 0001–9999)");
    case "22003":
      return invalid("is a number out of the stored range");
    case "22P02":
      return invalid("is not a valid value for its type");
    case "54001":
      return invalid("is nested too deeply");
    default:
      return undefined;
  }
}
