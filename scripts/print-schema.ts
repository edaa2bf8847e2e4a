/** Writes schema/schema.graphql from the Pothos builder; `--check` fails when the file is stale. */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { printedSchema } from "../src/graphql/schema.js";

const file = path.resolve(import.meta.dirname, "../schema/schema.graphql");
const sdl = printedSchema();
if (process.argv.includes("--check")) {
  const current = existsSync(file) ? readFileSync(file, "utf8") : "";
  if (current !== sdl) {
    console.error("schema/schema.graphql is out of date: run `npm run schema:print` and commit it.");
    process.exit(1);
  }
  console.log("schema/schema.graphql is up to date");
} else {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, sdl);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
