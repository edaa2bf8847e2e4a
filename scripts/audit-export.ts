/**
 * npm run audit:export -- --from <RFC3339> --to <RFC3339> [--out file.jsonl]
 *
 * Writes the audit trail's events that occurred in [from, to) as JSON Lines (one event per
 * line, with seq, prevHash and hash) to --out or stdout, from the database named by
 * DATABASE_URL (or the PGlite data in DATA_DIR, which only one process may open: stop the
 * gateway first). The stretch has no gap (see src/audit/export.ts), so `npm run audit:verify`
 * checks it offline. Exit code: 0 written (a summary on stderr); 2 usage or configuration.
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/index.js";
import { exportAuditEvents, toJsonLine } from "../src/audit/export.js";

function usage(message: string): never {
  console.error(`${message}\nusage: npm run audit:export -- --from <RFC3339> --to <RFC3339> [--out <file.jsonl>]`);
  process.exit(2);
}

/** RFC 3339 with a zone (Z or ±hh:mm), as the DateTime scalar takes it. */
function instant(name: string, value: string | undefined): Date {
  if (!value) usage(`--${name} is required`);
  const ok = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value);
  const date = new Date(value);
  if (!ok || Number.isNaN(date.getTime())) usage(`--${name} must be an RFC 3339 timestamp such as 2026-01-01T00:00:00Z, not ${value}`);
  return date;
}

async function main() {
  const { values } = parseArgs({ options: { from: { type: "string" }, to: { type: "string" }, out: { type: "string" } } });
  const from = instant("from", values.from);
  const to = instant("to", values.to);
  if (to <= from) usage("--to must be after --from");
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) usage(error.message);
    throw error;
  }
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  let count = 0;
  let first: number | undefined;
  let last: number | undefined;
  try {
    for await (const e of exportAuditEvents(database.db, { from, to })) {
      first ??= e.seq;
      last = e.seq;
      count += 1;
      if (!out.write(`${toJsonLine(e)}\n`)) await once(out, "drain");
    }
  } finally {
    await database.close();
  }
  if (values.out) {
    out.end();
    await once(out, "finish");
  }
  console.error(count === 0 ? "no audit events in that range" : `exported ${count} audit events, seq ${first}–${last}`);
}

main().catch((error) => {
  console.error(`audit export failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  process.exit(1);
});
