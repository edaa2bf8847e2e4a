/**
 * Bulk import of data assets: JSON Lines from the CLI (`npm run import`) or a list from
 * GraphQL (`importDataAssets`). Each line is validated with the same rules as
 * `registerDataAsset`; a bad line is reported with its number and reason and the good ones
 * are kept, or, with `atomic`, nothing is kept unless every line is good. Good lines are
 * written in batches: one multi-row INSERT each for assets, their first versions and their
 * audit events — never a round trip per row.
 */
import { randomUUID } from "node:crypto";
import type { ServiceContext } from "../context.js";
import { requireActor } from "../context.js";
import type { Transaction } from "../db/index.js";
import { appendAuditEvents, auditActor } from "../audit/service.js";
import { registerDataAssetSchema, versionOf, type DataAssetMetadata } from "./service.js";
import { dataAsset, dataAssetVersion } from "./table.js";

/** One input line: its 1-based number and either the raw JSON text (JSONL) or a parsed value. */
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
  onProgress?(progress: ImportProgress): void;
};

/** What an import needs from the service context: no chain, no worker. */
export type ImportContext = Pick<ServiceContext, "db" | "auth" | "now">;

class AtomicRollback extends Error {}

function reasonOf(issues: { path: (string | number)[]; message: string }[]): string {
  return issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
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

  const writeBatch = async (tx: Transaction, batch: typeof pending) => {
    const now = ctx.now();
    const rows = batch.map((b) => ({ ...b.params, id: randomUUID(), ownerOrgId: actor.organizationId, createdAt: now, updatedAt: now }));
    await tx.insert(dataAsset).values(rows);
    await tx.insert(dataAssetVersion).values(rows.map((r) => versionOf(r, 1, actor.subject, now)));
    await appendAuditEvents(
      tx,
      rows.map((r, i) => ({
        ...auditActor(ctx),
        action: "asset.registered",
        entityType: "DataAsset",
        entityId: r.id,
        payload: { ownerOrgId: r.ownerOrgId, version: 1, importLine: batch[i]!.line, metadata: batch[i]!.params },
      })),
      now,
    );
    summary.imported += rows.length;
    summary.assetIds.push(...rows.map((r) => r.id));
  };

  const run = async (tx?: Transaction) => {
    const flush = async () => {
      const batch = pending;
      pending = [];
      if (batch.length === 0) return;
      // Atomic: once a line failed nothing will be kept, so stop writing and only validate.
      if (atomic && summary.failed.length > 0) return;
      if (tx) await writeBatch(tx, batch);
      else await ctx.db.transaction((t) => writeBatch(t, batch));
      options.onProgress?.({ processed, imported: summary.imported, failed: summary.failed.length });
    };
    for await (const { line, value } of lines as AsyncIterable<ImportLine>) {
      let candidate = value;
      if (typeof value === "string") {
        if (value.trim() === "") continue; // blank lines are not records
        try {
          candidate = JSON.parse(value);
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
