/**
 * npm run import -- assets.jsonl --org <owner org uuid> [--atomic] [--actor <subject>] [--batch 1000]
 *
 * Imports data assets from a JSON Lines file (one RegisterDataAssetInput object per line)
 * into the database named by DATABASE_URL (or the PGlite data in DATA_DIR), owned by --org.
 * Shows progress on stderr and prints a summary with every bad line's number and reason.
 * Exit code: 0 all imported, 1 some lines refused (or the atomic import kept nothing), 2 usage.
 */
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { eq } from "drizzle-orm";
import { ConfigError, loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/index.js";
import { organization } from "../src/organizations/table.js";
import { importDataAssets, type ImportLine } from "../src/assets/import.js";
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
    const [owner] = await database.db.select({ id: organization.id }).from(organization).where(eq(organization.id, values.org!)).catch(() => []);
    if (!owner) usage(`organization ${values.org} not found`);

    let bytesRead = 0;
    async function* lines(): AsyncIterable<ImportLine> {
      const reader = createInterface({ input: createReadStream(file!, "utf8"), crlfDelay: Infinity });
      let n = 0;
      for await (const text of reader) {
        n += 1;
        bytesRead += Buffer.byteLength(text) + 1;
        yield { line: n, value: text };
      }
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
  console.error(error);
  process.exit(1);
});
