/**
 * npm run audit:verify -- <file.jsonl>
 *
 * Recomputes the hash chain of an `npm run audit:export` file from the file alone (no
 * database, no network), with the gateway's own `hashEvent`: every seq follows the one before,
 * every prevHash is the previous line's hash, every hash matches its line's content. Prints a
 * JSON report: ok, the seq range, the anchor (the first prevHash; the genesis when the file
 * starts at seq 1) and the last hash, to compare with the live chain; or the first broken seq
 * and line. Exit code: 0 the chain holds; 1 it is broken; 2 usage.
 */
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { verifyJsonLines } from "../src/audit/export.js";

const { positionals } = parseArgs({ allowPositionals: true, options: {} });
const file = positionals[0];
if (!file || positionals.length > 1) {
  console.error("usage: npm run audit:verify -- <file.jsonl>");
  process.exit(2);
}
try {
  statSync(file);
} catch {
  console.error(`cannot read ${file}`);
  process.exit(2);
}

const report = await verifyJsonLines(createInterface({ input: createReadStream(file), crlfDelay: Infinity }));
console.log(JSON.stringify(report, null, 2));
if (!report.ok) console.error(`audit chain broken at seq ${report.brokenAtSequence} (line ${report.brokenAtLine}): ${report.reason}`);
process.exit(report.ok ? 0 : 1);
