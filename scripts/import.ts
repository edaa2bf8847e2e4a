/**
 * npm run import -- assets.jsonl --org <owner org uuid> [--atomic] [--actor <subject>] [--batch 1000]
 *
 * Imports data assets from a JSON Lines file (one RegisterDataAssetInput object per line)
 * into the database named by DATABASE_URL (or the PGlite data in DATA_DIR), owned by --org.
 * Shows progress on stderr and prints a summary with every bad line's number and reason.
 * The file is read as bytes: a line that is not valid UTF-8 is a bad line (not U+FFFD text).
 * Exit code: 0 all imported; 1 some lines refused (the others were kept, or, with --atomic,
 * nothing was); 2 usage (no file, no such organization…); 3 the import stopped (the database
 * could not be reached or refused more than a line): batches written before it are kept,
 * nothing with --atomic. It never prints a stack or SQL.
 */
import { createReadStream, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { ConfigError, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/index.js";
import { organization } from "../src/organizations/table.js";
import { importDataAssets, type ImportLine } from "../src/assets/import.js";
import { typedDatabaseError } from "../src/db/errors.js";
import { BaseError } from "../src/errors.js";
import { createContextFactory } from "../src/edge/context.js";

function usage(message: string): never {
  console.error(`${message}\nusage: npm run import -- <file.jsonl> --org <owner org uuid> [--atomic] [--actor <subject>] [--batch <rows>]`);
  process.exit(2);
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      org: { type: "string" },
      atomic: { type: "boolean", default: false },
      actor: { type: "string", default: "import-cli" },
      batch: { type: "string", default: "1000" },
    },
  });
  const file = positionals[0];
  if (!file) usage("no input file");
  if (!values.org) usage("--org is required: the organization that will own the imported assets");
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000) usage("--batch must be a whole number from 1 to 5000");
  let totalBytes: number;
  try {
    totalBytes = statSync(file).size;
  } catch {
    usage(`cannot read ${file}`);
  }

  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) usage(error.message);
    throw error;
  }
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const [owner] = await database.db
      .select({ id: organization.id })
      .from(organization)
      .where(eq(organization.id, values.org!))
      .catch(() => []);
    if (!owner) usage(`organization ${values.org} not found`);

    let bytesRead = 0;
    /** The file's lines as bytes (split at LF), decoded by the import, which reports bad UTF-8 by line. */
    async function* lines(): AsyncIterable<ImportLine> {
      let n = 0;
      let rest: Buffer | undefined;
      for await (const chunk of createReadStream(file!) as AsyncIterable<Buffer>) {
        bytesRead += chunk.length;
        const data = rest ? Buffer.concat([rest, chunk]) : chunk;
        let start = 0;
        for (let end = data.indexOf(10, start); end !== -1; end = data.indexOf(10, start)) {
          n += 1;
          yield { line: n, value: data.subarray(start, end) };
          start = end + 1;
        }
        rest = start < data.length ? data.subarray(start) : undefined;
      }
      if (rest) yield { line: n + 1, value: rest };
    }
    const tty = process.stderr.isTTY;
    const summary = await importDataAssets(
      // The operator running the CLI vouches for the actor: no token, the edge's one context factory.
      await createContextFactory({ db: database.db, jwtSecret: config.jwtSecret })({
        actor: { subject: values.actor!, organizationId: owner.id, roles: ["ASSET_OWNER"] },
      }),
      lines(),
      {
        atomic: values.atomic,
        batchSize,
        collectAssetIds: false, // only counts are printed
        onProgress: ({ processed, imported, failed }) => {
          const ratio = totalBytes === 0 ? 1 : Math.min(1, bytesRead / totalBytes);
          const bar = "#".repeat(Math.round(ratio * 30)).padEnd(30, ".");
          const text = `[${bar}] ${(ratio * 100).toFixed(0).padStart(3)}%  ${processed} lines, ${imported} imported, ${failed} refused`;
          process.stderr.write(tty ? `\r${text}` : `${text}\n`);
        },
      },
    );
    if (tty) process.stderr.write("\n");
    for (const f of summary.failed) console.log(`line ${f.line}: ${f.reason}`);
    const mode = summary.atomic ? "atomic" : "line by line";
    if (summary.atomic && !summary.committed) {
      console.log(`summary (${mode}): ${summary.failed.length} bad lines, nothing imported`);
    } else {
      console.log(`summary (${mode}): ${summary.imported} imported, ${summary.failed.length} refused`);
    }
    process.exitCode = summary.failed.length > 0 ? 1 : 0;
  } finally {
    await database.close();
  }
}

main().catch((error) => {
  // A typed error's message is meant for the user. Otherwise the innermost cause: the driver's
  // or the system's message, not drizzle's wrapper, which quotes the SQL. Never a stack.
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  const typed = typedDatabaseError(error) ?? (error instanceof BaseError ? error : undefined);
  console.error(`import stopped: ${typed?.message ?? (cause instanceof Error ? cause.message : String(cause))}`);
  console.error("batches written before it are kept (with --atomic, nothing is)");
  process.exit(3);
});
