/**
 * Rows read as JSON built by PostgreSQL, and turned back into the rows drizzle would have
 * read on its own. One statement instead of two saves a round trip (related rows inside their
 * parent's statement), and the driver decodes one JSON text per row instead of every column of
 * every row: fewer strings and objects made per row, which is most of what a catalogue page
 * costs the gateway's garbage collector.
 */
import { getTableColumns, isTable, sql, type InferSelectModel, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";

type Columns = Record<string, PgColumn>;
const columnsOf = (source: PgTable | Columns): Columns => (isTable(source) ? getTableColumns(source) : (source as Columns));

/**
 * `json_build_object(...)` of every column of `source` (a table, or some of its columns),
 * keyed by the drizzle property names. Timestamps go as whole milliseconds since the epoch
 * (floored, as parsing the text does): `new Date(number)` costs a fraction of parsing an ISO
 * string, and a page holds hundreds. 64-bit integers go as decimal text (a JSON number would
 * round them past 2^53).
 */
export function jsonRow(source: PgTable | Columns): SQL {
  const pairs = Object.entries(columnsOf(source)).map(([key, column]) => {
    const value =
      column.dataType === "object date"
        ? sql`floor(extract(epoch from ${column}) * 1000)`
        : column.dataType === "bigint int64"
          ? sql`${column}::text`
          : sql`${column}`;
    return sql`${sql.raw(`'${key}'`)}, ${value}`;
  });
  return sql`json_build_object(${sql.join(pairs, sql`, `)})`;
}

const SAME_IN_JSON = /^(string( uuid| enum)?|number int(16|32)|boolean|object json)$/;

/**
 * Decodes what `jsonRow` built: the same Dates (milliseconds) as drizzle's own decoding of a
 * timestamptz, `new Date(text)`, which drops the microseconds, and the same bigints.
 * Other column types (strings, text arrays, 32-bit integers, booleans, json) read the same from
 * JSON as from a column; any other type (numeric, bytea…) is refused when the decoder is made.
 */
export function rowFromJson<T extends PgTable>(table: T): (json: Record<string, unknown>) => InferSelectModel<T>;
export function rowFromJson<R>(columns: Columns): (json: Record<string, unknown>) => R;
export function rowFromJson(source: PgTable | Columns): (json: Record<string, unknown>) => unknown {
  const columns = Object.entries(columnsOf(source));
  const other = columns.find(
    ([, column]) => !SAME_IN_JSON.test(column.dataType) && column.dataType !== "object date" && column.dataType !== "bigint int64",
  );
  if (other) throw new Error(`rowFromJson: column ${other[0]} (${other[1].dataType}) does not read the same from JSON`);
  const dates = columns.filter(([, column]) => column.dataType === "object date").map(([key]) => key);
  const bigints = columns.filter(([, column]) => column.dataType === "bigint int64").map(([key]) => key);
  return (json) => {
    for (const key of dates) if (json[key] != null) json[key] = new Date(json[key] as number);
    for (const key of bigints) if (json[key] != null) json[key] = BigInt(json[key] as string);
    return json;
  };
}
