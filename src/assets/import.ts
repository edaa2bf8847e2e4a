/**
 * Bulk import of data assets: JSON Lines from the CLI (`npm run import`) or a list from
 * GraphQL (`importDataAssets`). Each line is validated with the same rules as
 * `registerDataAsset`; a bad line is reported with its number and reason and the good ones
 * are kept, or, with `atomic`, nothing is kept unless every line is good. Good lines are
 * written in batches: one INSERT each for assets, their first versions and their audit
 * events — never a round trip per row. A line is checked before it is written (valid UTF-8,
 * JSON, the schema: text without NUL or lone surrogates…), so the database refuses nothing
 * in the usual case; should it still refuse a batch for a row's value (a constraint the
 * schema does not know), that batch alone is written again row by row and the rows it
 * refuses are reported by line like the others.
 */
import { isUtf8 } from "node:buffer";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { ServiceContext } from "../context.js";
import { requireActor } from "../context.js";
import type { Transaction } from "../db/index.js";
import { typedDatabaseError } from "../db/errors.js";
import { ValidationError } from "../errors.js";
import { appendAuditEvents, auditActor } from "../audit/service.js";
import { registerDataAssetSchema, type DataAssetMetadata } from "./service.js";
import { dataAsset, dataAssetVersion } from "./table.js";

/**
 * One input line: its 1-based number and either the raw JSON text (JSONL), its bytes (a file
 * read as bytes: they must be UTF-8, checked here; a trailing CR is dropped) or a parsed value.
 */
export type ImportLine = { line: number; value: unknown };
export type ImportFailure = { line: number; reason: string };
export type ImportProgress = { processed: number; imported: number; failed: number };
export type ImportSummary = {
  /** Assets written (0 when an atomic import was rolled back). */
  imported: number;
  failed: ImportFailure[];
  atomic: boolean;
  /** False when an atomic import found bad lines and kept nothing. */
  committed: boolean;
  assetIds: string[];
};
export type ImportOptions = {
  atomic?: boolean;
  /** Rows per multi-row INSERT (default 1000). */
  batchSize?: number;
  /**
   * Whether the summary lists every imported id (default true). The CLI, which may import
   * millions of rows and prints only counts, turns it off so memory does not grow with the file.
   */
  collectAssetIds?: boolean;
  onProgress?(progress: ImportProgress): void;
};

/** What an import needs from the service context: no chain, no worker. */
export type ImportContext = Pick<ServiceContext, "db" | "auth" | "now">;

class AtomicRollback extends Error {}

function reasonOf(issues: { path: (string | number)[]; message: string }[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}

/**
 * The metadata as the audit payload stores it and reads it back from jsonb: bigints as decimal
 * strings. Already JSON-shaped, it is not copied through JSON again when the event is hashed.
 */
function jsonMetadata(params: DataAssetMetadata): Record<string, unknown> {
  const metadata: Record<string, unknown> = { ...params };
  if (params.recordCount != null) metadata.recordCount = params.recordCount.toString();
  if (params.byteSize != null) metadata.byteSize = params.byteSize.toString();
  return metadata;
}

/**
 * Imports assets owned by the caller's organization, in DRAFT, each as version 1.
 * @example const summary = await importDataAssets(ctx, [{ line: 1, value: '{"title":"…","category":"…","contentDigest":"0x…"}' }]);
 */
export async function importDataAssets(
  ctx: ImportContext,
  lines: AsyncIterable<ImportLine> | Iterable<ImportLine>,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const actor = requireActor(ctx as ServiceContext);
  const atomic = options.atomic ?? false;
  const batchSize = options.batchSize ?? 1000;
  const summary: ImportSummary = { imported: 0, failed: [], atomic, committed: true, assetIds: [] };
  let processed = 0;
  let pending: { line: number; params: DataAssetMetadata }[] = [];

  /** Stores the rows of `batch` (assets and their first versions), with ids `ids`, created `at`. */
  const storeRows = async (tx: Transaction, batch: typeof pending, ids: string[], at: string) => {
    // The batch as one JSON array (bigints as decimal strings), expanded in SQL by
    // jsonb_to_recordset: one parameter per statement instead of ~15 per row, so the cost of
    // building and binding the statement no longer grows with the row count.
    const records = JSON.stringify(
      batch.map(({ params: p }, i) => ({
        id: ids[i],
        title: p.title,
        description: p.description,
        category: p.category,
        tags: p.tags,
        format: p.format ?? null,
        record_count: p.recordCount?.toString() ?? null,
        byte_size: p.byteSize?.toString() ?? null,
        content_digest: p.contentDigest,
        security_level: p.securityLevel ?? null,
        contains_personal_info: p.containsPersonalInfo,
        personal_info_treatment: p.personalInfoTreatment,
      })),
    );
    await tx.execute(sql`insert into ${dataAsset} (id, owner_org_id, title, description, category, tags, format, record_count, byte_size, content_digest,
        security_level, contains_personal_info, personal_info_treatment, status, version, created_at, updated_at)
      select r.id, ${actor.organizationId}::uuid, r.title, r.description, r.category, r.tags, r.format, r.record_count, r.byte_size, r.content_digest,
        r.security_level, r.contains_personal_info, r.personal_info_treatment, 'DRAFT', 1, ${at}::timestamptz, ${at}::timestamptz
      from jsonb_to_recordset(${records}::text::jsonb) as r(
        id uuid, title text, description text, category text, tags text[], format text, record_count bigint, byte_size bigint,
        content_digest text, security_level text, contains_personal_info boolean, personal_info_treatment text)`);
    // Version 1 of each asset (see versionOf): a copy of the rows just stored, by the importing
    // subject. UUIDs need no escaping, so the ids go as one array literal.
    await tx.execute(sql`insert into ${dataAssetVersion} (asset_id, version, title, description, category, tags, format, record_count, byte_size, content_digest,
        security_level, contains_personal_info, personal_info_treatment, created_by, created_at)
      select id, 1, title, description, category, tags, format, record_count, byte_size, content_digest,
        security_level, contains_personal_info, personal_info_treatment, ${actor.subject}, created_at
      from ${dataAsset} where id = any(${`{${ids.join(",")}}`}::uuid[])`);
  };

  /**
   * The database's refusal of a row's value, as a line failure; anything else (a foreign key:
   * the owner organization is gone; a lost connection) is not one line's fault and stops the import.
   */
  const rowRefusal = (error: unknown) => {
    const typed = typedDatabaseError(error);
    if (!(typed instanceof ValidationError)) throw typed ?? error;
    return `the database refused it: ${typed.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")}`;
  };

  /** Writes one batch; its audit events go after those of `previous`, the batch before it. */
  const writeBatch = async (tx: Transaction, batch: typeof pending, previous: Promise<void>) => {
    const now = ctx.now();
    const at = now.toISOString();
    let kept = batch;
    let ids: string[] = batch.map(() => randomUUID());
    // In a savepoint, so that a refused batch leaves the transaction usable for the row-by-row retry.
    const refused = await tx
      .transaction((sp) => storeRows(sp, batch, ids, at))
      .then(
        () => false,
        (error) => {
          rowRefusal(error);
          return true;
        },
      );
    if (refused) {
      kept = [];
      const keptIds: string[] = [];
      for (const [i, row] of batch.entries()) {
        const stored = await tx
          .transaction((sp) => storeRows(sp, [row], [ids[i]!], at))
          .then(
            () => true,
            (error) => {
              summary.failed.push({ line: row.line, reason: rowRefusal(error) });
              return false;
            },
          );
        if (stored) {
          kept.push(row);
          keptIds.push(ids[i]!);
        }
      }
      ids = keptIds;
      // The failures of a batch come in line order among the others (the batches before it have reported theirs).
      summary.failed.sort((x, y) => x.line - y.line);
    }
    // The chain lists events in line order: append only once the previous batch has committed
    // (if it failed, this throws and this batch is rolled back too).
    await previous;
    if (kept.length === 0) return;
    await appendAuditEvents(
      tx,
      kept.map((b, i) => ({
        ...auditActor(ctx),
        action: "asset.registered",
        entityType: "DataAsset",
        entityId: ids[i]!,
        payload: { ownerOrgId: actor.organizationId, version: 1, importLine: b.line, metadata: jsonMetadata(b.params) },
      })),
      now,
    );
    summary.imported += ids.length;
    if (options.collectAssetIds ?? true) summary.assetIds.push(...ids);
  };

  const run = async (tx?: Transaction) => {
    // Batches are written while the following lines are read and validated. Line by line,
    // two batches are in flight on two connections: one stores its rows while the one before
    // appends its audit events and commits. Atomic, everything shares one transaction, so one.
    let last: Promise<void> = Promise.resolve();
    let beforeLast: Promise<void> = Promise.resolve();
    const flush = async () => {
      const batch = pending;
      pending = [];
      if (batch.length === 0) return;
      await (tx ? last : beforeLast);
      // Atomic: once a line failed nothing will be kept, so stop writing and only validate.
      if (atomic && summary.failed.length > 0) return;
      const previous = last;
      const write = (tx ? writeBatch(tx, batch, previous) : ctx.db.transaction((t) => writeBatch(t, batch, previous))).then(() =>
        options.onProgress?.({ processed, imported: summary.imported, failed: summary.failed.length }),
      );
      // A failed write is reported by a later await, not as an unhandled rejection meanwhile.
      write.catch(() => {});
      beforeLast = last;
      last = write;
    };
    try {
      for await (const { line, value } of lines as AsyncIterable<ImportLine>) {
        let candidate = value;
        let text = value;
        if (value instanceof Uint8Array) {
          const bytes = value.at(-1) === 13 ? value.subarray(0, -1) : value; // CRLF line ends
          // Decoding as utf8 would turn bad bytes into U+FFFD silently, and store them so.
          if (!isUtf8(bytes)) {
            processed += 1;
            summary.failed.push({ line, reason: "not valid UTF-8 (the file must be UTF-8 text)" });
            continue;
          }
          text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
        }
        if (typeof text === "string") {
          if (text.trim() === "") continue; // blank lines are not records
          try {
            candidate = JSON.parse(text);
          } catch (error) {
            processed += 1;
            summary.failed.push({ line, reason: `not valid JSON: ${(error as Error).message}` });
            continue;
          }
        }
        processed += 1;
        const parsed = registerDataAssetSchema.safeParse(candidate);
        if (!parsed.success) summary.failed.push({ line, reason: reasonOf(parsed.error.issues) });
        else pending.push({ line, params: parsed.data });
        if (pending.length >= batchSize) await flush();
      }
      await flush();
      await last; // each batch waits for the one before it, so this settles after all of them
    } finally {
      // Return (or throw) only once no write is running: when a batch fails, the one after it
      // may still be in flight, and it rolls itself back; the one before it may still be
      // committing, when the failure came first (a batch refused at its first statement does
      // not wait for the one before it).
      await Promise.allSettled([beforeLast, last]);
    }
    options.onProgress?.({ processed, imported: summary.imported, failed: summary.failed.length });
    if (atomic && summary.failed.length > 0) throw new AtomicRollback();
  };

  if (!atomic) {
    await run();
    return summary;
  }
  try {
    await ctx.db.transaction((tx) => run(tx));
  } catch (error) {
    if (!(error instanceof AtomicRollback)) throw error;
    return { ...summary, imported: 0, assetIds: [], committed: false };
  }
  return summary;
}
