/**
 * The layering, kept by reading the import statements of every source file (as Ponder's
 * internal/layering.test.ts does): shared infrastructure imports no domain module, and each
 * domain's tables are declared in its own folder. Composition roots (the schema, the gateway,
 * the entry points) are the only files that may import everything.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, posix, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

/**
 * Domains: one folder each. A domain may depend on another (offerings on assets, minting on
 * offerings); infrastructure may depend on no domain.
 */
const DOMAINS = [
  "assets",
  "audit",
  "compliance",
  "identity",
  "indexer",
  "investors",
  "minting",
  "offerings",
  "organizations",
  "ownership",
  "provenance",
  "settlement",
  "distribution",
  "circulation",
  "venues",
];

/**
 * Shared infrastructure. `chain` is here: the chain clients, the write pipeline and the token
 * actions serve offerings, investors, minting and the indexer alike, and ServiceContext holds a
 * chain client. `notifications` is the LISTEN change feed; each domain declares its own
 * subscription field over it.
 */
const INFRASTRUCTURE = [
  "db/",
  "graphql/builder.ts",
  "graphql/common.ts",
  "graphql/database-errors.ts",
  "auth/",
  "http/",
  "edge/",
  "queue/",
  "chain/",
  "notifications/",
  "config.ts",
  "errors.ts",
  "validation.ts",
  "context.ts",
];

/**
 * Files that assemble the whole: they import every domain by design. (http/server.ts is not one:
 * gateway.ts hands it the schema, the domains' routes and their gauges.)
 */
const COMPOSITION_ROOTS = ["graphql/schema.ts", "gateway.ts", "main.ts", "worker-main.ts", "demo.ts", "write-owners.ts"];

/** The domain that owns each table. A new table must be named here, with its owner. */
const TABLE_OWNERS: Record<string, string> = {
  organization: "organizations",
  organization_license: "organizations",
  data_asset: "assets",
  data_asset_version: "assets",
  ownership_right: "ownership",
  provenance_activity: "provenance",
  compliance_attestation: "compliance",
  offering: "offerings",
  offering_asset: "offerings",
  tranche: "offerings",
  investor: "investors",
  tranche_whitelist: "investors",
  trusted_issuer: "identity",
  wallet_challenge: "identity",
  mint_batch: "minting",
  subscription: "settlement",
  redemption: "settlement",
  settlement_batch: "settlement",
  asset_revenue: "distribution",
  distribution: "distribution",
  distribution_tranche: "distribution",
  distribution_revenue: "distribution",
  distribution_payout: "distribution",
  transfer_rules: "circulation",
  frozen_tokens: "circulation",
  offering_venue: "venues",
  venue_trade: "venues",
  chain_contract: "chain",
  mint_request: "minting",
  token_control_state: "minting",
  frozen_address: "minting",
  token_control_action: "minting",
  audit_event: "audit",
  webhook_delivery: "indexer",
  chain_event: "indexer",
  indexer_cursor: "indexer",
  indexed_block: "indexer",
  chain_reorg: "indexer",
  reconciliation_run: "indexer",
  indexer_state: "indexer",
  // Infrastructure's own tables.
  job: "queue",
  signer_nonce: "chain",
  chain_write: "chain",
  chain_tx: "chain",
  chain_binding: "chain",
};

/** Every TypeScript source file under src/, as a path relative to src/ (generated code aside). */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") ? [relative(SRC, path).split("\\").join("/")] : [];
  });
}

/** The relative modules a file imports or re-exports (static, side-effect and dynamic imports), as paths relative to src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), "utf8");
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms),
    ...text.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers
    .filter((s) => s.startsWith("."))
    .map((s) => posix.normalize(posix.join(posix.dirname(file), s)).replace(/\.js$/, ".ts"));
}

const topFolder = (file: string) => (file.includes("/") ? file.slice(0, file.indexOf("/")) : undefined);
const isInfrastructure = (file: string) =>
  !COMPOSITION_ROOTS.includes(file) && INFRASTRUCTURE.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p));
const isDomain = (file: string) => DOMAINS.includes(topFolder(file) ?? "");

describe("layering", () => {
  const files = sourceFiles();

  it("reads the source tree (guards the test itself)", () => {
    expect(files).toContain("graphql/builder.ts");
    expect(importsOf("graphql/schema.ts")).toContain("assets/graphql.ts");
    for (const folder of new Set(files.map(topFolder).filter(Boolean))) {
      // Every folder is either a domain or infrastructure: a new folder must be placed.
      expect(DOMAINS.includes(folder!) || INFRASTRUCTURE.some((p) => p.startsWith(`${folder}/`)) || folder === "graphql").toBe(true);
    }
    for (const file of files.filter((f) => !f.includes("/"))) {
      expect(isInfrastructure(file) || COMPOSITION_ROOTS.includes(file), `${file} is neither infrastructure nor a composition root`).toBe(
        true,
      );
    }
    for (const file of files.filter((f) => f.startsWith("graphql/"))) {
      expect(isInfrastructure(file) || COMPOSITION_ROOTS.includes(file), `${file} is neither infrastructure nor a composition root`).toBe(
        true,
      );
    }
  });

  it("shared infrastructure imports no domain module (nor a composition root, which imports them all)", () => {
    const violations = files.filter(isInfrastructure).flatMap((file) =>
      importsOf(file)
        .filter((target) => isDomain(target) || COMPOSITION_ROOTS.includes(target))
        // The drizzle schema is the one list of every table: it re-exports each domain's table.ts.
        .filter((target) => !(file === "db/schema.ts" && target.endsWith("/table.ts")))
        .map((target) => `${file} imports ${target}`),
    );
    expect(violations).toEqual([]);
  });

  it("each table is declared in its owner's table.ts, and every table has an owner", () => {
    const declared = files.flatMap((file) =>
      [...readFileSync(join(SRC, file), "utf8").matchAll(/\bpgTable\(\s*["']([a-z_]+)["']/g)].map((m) => ({ table: m[1]!, file })),
    );
    expect(declared.length).toBeGreaterThan(20);
    const misplaced = declared
      .filter(({ table, file }) => file !== `${TABLE_OWNERS[table] ?? "(no owner named)"}/table.ts`)
      .map(({ table, file }) => `${table} is declared in ${file}; its owner is ${TABLE_OWNERS[table] ?? "not named in TABLE_OWNERS"}`);
    expect(misplaced).toEqual([]);
    // Every owner named is a real table (a renamed or dropped table must leave the list too).
    expect(Object.keys(TABLE_OWNERS).sort()).toEqual(declared.map((d) => d.table).sort());
  });

  it("the drizzle schema lists every table module", () => {
    const tableModules = files.filter((f) => f.endsWith("/table.ts"));
    expect(importsOf("db/schema.ts").sort()).toEqual(tableModules.sort());
  });
});
