/**
 * Generated data, nothing bulky checked in. Assets go in through the gateway's own import
 * service (the same validation and multi-row inserts as `npm run import`); their rights (3
 * each) and provenance (2 activities each) are generated in SQL, and every asset is published
 * (APPROVED) so anonymous readers see it.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import type { Sql } from "postgres";

export const CATEGORIES = [
  "LOGISTICS",
  "ENERGY",
  "HEALTHCARE",
  "FINANCE",
  "RETAIL",
  "MANUFACTURING",
  "AGRICULTURE",
  "TRANSPORT",
  "TELECOM",
  "WEATHER",
];
const WORDS = [
  "port",
  "container",
  "shipping",
  "grid",
  "solar",
  "claims",
  "payments",
  "footfall",
  "yield",
  "traffic",
  "signal",
  "rainfall",
  "freight",
  "customs",
  "inventory",
];
/** A rare word carried by exactly SEARCH_MATCHES assets, so every server's search answers the same set. */
export const SEARCH_TERM = "zircon";
export const SEARCH_MATCHES = 40;

export const digestOf = (text: string) => `0x${createHash("sha256").update(text).digest("hex")}`;

/** The i-th generated asset, as an import line (RegisterDataAssetInput). */
export function assetLine(i: number) {
  const w = (k: number) => WORDS[(i * 7 + k * 13) % WORDS.length];
  return {
    title: `${w(0)} ${w(1)} dataset ${i}${i % 2500 === 7 ? ` ${SEARCH_TERM}` : ""}`,
    description: `Daily ${w(2)} and ${w(3)} records, batch ${i}`,
    category: CATEGORIES[i % CATEGORIES.length],
    tags: [w(4), w(5)],
    format: "parquet",
    recordCount: String(1000 + (i % 100000)),
    contentDigest: digestOf(`asset-${i}`),
    securityLevel: "GENERAL",
  };
}

/** Writes assets [from, to) as JSON Lines. */
export async function writeJsonl(file: string, from: number, to: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = from; i < to; i++) {
    if (!out.write(`${JSON.stringify(assetLine(i))}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

export async function seedOrganizations(sql: Sql, count: number): Promise<string[]> {
  const rows = await sql.unsafe(SEED_ORGANIZATIONS_SQL(count));
  return rows.map((r) => r.id as string);
}

/**
 * Rights (3 per asset) and provenance (2 per asset) for assets that have none yet; then publish them. Plain SQL text (no
 * parameters), so PostgreSQL (postgres.js) and PGlite run the same statements.
 */
export const RIGHTS_PROVENANCE_PUBLISH_SQL = [
  `insert into ownership_right (asset_id, holder_org_id, right_type, share_bps, certificate_number)
    select a.id, a.owner_org_id, t.right_type, 10000, 'CERT-' || left(a.id::text, 8)
    from data_asset a cross join (values ('RESOURCE_HOLDING'), ('PROCESSING_USE'), ('PRODUCT_OPERATION')) t(right_type)
    where not exists (select 1 from ownership_right r where r.asset_id = a.id)`,
  `insert into provenance_activity (asset_id, kind, actor_org_id, started_at, ended_at, output_digest)
    select a.id, k.kind, a.owner_org_id, a.created_at - k.ago, a.created_at - k.ago + interval '1 hour',
           case when k.kind = 'SANDBOX_VALIDATION' then a.content_digest else a.content_digest || '00' end
    from data_asset a cross join (values ('COLLECTION', interval '2 days'), ('SANDBOX_VALIDATION', interval '1 day')) k(kind, ago)
    where not exists (select 1 from provenance_activity p where p.asset_id = a.id)`,
  `update data_asset set status = 'APPROVED' where status = 'DRAFT'`,
  // vacuum, not only analyze: it also flushes the GIN index's pending list left by the bulk
  // insert, which every server's search would otherwise scan on each query.
  `vacuum analyze`,
];

/** The organizations that own the generated assets. */
export const SEED_ORGANIZATIONS_SQL = (count: number) => `
    insert into organization (name, kind, jurisdiction)
    select 'Provider ' || g, 'DATA_PROVIDER', 'CN' from generate_series(1, ${Number(count)}) g
    returning id`;

export async function seedRightsProvenanceAndPublish(sql: Sql): Promise<void> {
  for (const statement of RIGHTS_PROVENANCE_PUBLISH_SQL) await sql.unsafe(statement);
}
