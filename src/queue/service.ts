/**
 * A Postgres-backed job queue: `enqueue` inside the caller's transaction (outbox),
 * `claimJob` with FOR UPDATE SKIP LOCKED so any number of workers on any number of
 * machines share one table safely. A claim is a lease: if its worker dies, the job
 * becomes claimable again when the lease runs out.
 */
import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/index.js";
import { job } from "./table.js";

export type Job = typeof job.$inferSelect;

export async function enqueue(tx: Database | Transaction, queue: string, payload: Record<string, unknown>): Promise<void> {
  await tx.insert(job).values({ queue, payload });
}

/** Enqueues several jobs of one queue in one statement (a bulk request's outbox rows). */
export async function enqueueMany(tx: Database | Transaction, queue: string, payloads: Record<string, unknown>[]): Promise<void> {
  if (payloads.length === 0) return;
  await tx.insert(job).values(payloads.map((payload) => ({ queue, payload })));
}

/** Claims the oldest ready job of `queue` for `leaseSeconds`, or returns undefined. */
export async function claimJob(db: Database, queue: string, workerId: string, leaseSeconds: number): Promise<Job | undefined> {
  const [claimed] = await claimJobs(db, queue, workerId, leaseSeconds, { limit: 1 });
  return claimed;
}

/**
 * Claims up to `limit` ready jobs of `queue`, oldest first, optionally only those whose
 * payload has `payloadKey = payloadValue` (e.g. the mint jobs of one tranche, to batch them),
 * or, with `groupBy`, the oldest ready job and the other ready jobs whose payload has the same
 * `groupBy` value (one statement: the claim of a whole batch in one round trip).
 */
export async function claimJobs(
  db: Database,
  queue: string,
  workerId: string,
  leaseSeconds: number,
  options: { limit: number; payloadKey?: string; payloadValue?: string; groupBy?: string },
): Promise<Job[]> {
  const isReady = and(eq(job.queue, queue), lte(job.runAt, sql`now()`), or(isNull(job.lockedUntil), lte(job.lockedUntil, sql`now()`)));
  // The oldest ready job nobody else is claiming: locked here too, so the claim below cannot
  // come back empty while another worker holds every job of the group it named.
  const oldestGroup = options.groupBy
    ? db
        .select({ value: sql`${job.payload}->>${options.groupBy}` })
        .from(job)
        .where(isReady)
        .orderBy(job.id)
        .limit(1)
        .for("update", { skipLocked: true })
    : undefined;
  const match = oldestGroup
    ? sql`${job.payload}->>${options.groupBy} = (${oldestGroup})`
    : options.payloadKey
      ? sql`${job.payload}->>${options.payloadKey} = ${options.payloadValue}`
      : undefined;
  const ready = db
    .select({ id: job.id })
    .from(job)
    .where(and(isReady, match))
    .orderBy(job.id)
    .limit(options.limit)
    .for("update", { skipLocked: true });
  const claimed = await db
    .update(job)
    .set({
      lockedUntil: sql`now() + make_interval(secs => ${leaseSeconds})`,
      lockedBy: workerId,
      attempts: sql`${job.attempts} + 1`,
    })
    .where(inArray(job.id, ready))
    .returning();
  // Oldest first (RETURNING keeps no order).
  return claimed.sort((x, y) => x.id - y.id);
}

/** Extends the lease of jobs this worker still holds (a heartbeat while it waits on the chain). */
export async function extendLeases(db: Database, ids: number[], workerId: string, leaseSeconds: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(job)
    .set({ lockedUntil: sql`now() + make_interval(secs => ${leaseSeconds})` })
    .where(and(inArray(job.id, ids), eq(job.lockedBy, workerId)));
}

/**
 * The fence of every write a worker makes about the work a job stands for: true only if
 * `workerId` still holds the lease of every job in `ids`, which then stay locked (FOR UPDATE)
 * until `tx` ends, so no other worker can claim them in between. A worker paused past its
 * lease (GC, SIGSTOP, a slow VM) finds it false and must change nothing.
 */
export async function holdsLeases(tx: Transaction, ids: number[], workerId: string): Promise<boolean> {
  if (ids.length === 0) return true;
  const held = await tx
    .select({ id: job.id })
    .from(job)
    .where(and(inArray(job.id, ids), eq(job.lockedBy, workerId), sql`${job.lockedUntil} > now()`))
    .for("update");
  return held.length === new Set(ids).size;
}

/** Completes a job this worker holds (a job another worker has claimed since is left alone). */
export async function completeJob(db: Database, id: number, workerId: string): Promise<void> {
  await completeJobs(db, [id], workerId);
}

/** Completes several jobs this worker holds in one statement (a settled batch); returns how many it still held. */
export async function completeJobs(db: Database, ids: number[], workerId: string): Promise<number> {
  if (ids.length === 0) return 0;
  const deleted = await db
    .delete(job)
    .where(and(inArray(job.id, ids), eq(job.lockedBy, workerId)))
    .returning({ id: job.id });
  return deleted.length;
}

/** Releases a job this worker holds to run again after `delayMs`, keeping the error for operators. */
export async function retryJob(db: Database, id: number, workerId: string, error: string, delayMs: number): Promise<void> {
  await db
    .update(job)
    .set({
      lockedUntil: null,
      lockedBy: null,
      lastError: error.slice(0, 2000),
      runAt: sql`now() + make_interval(secs => ${delayMs / 1000})`,
    })
    .where(and(eq(job.id, id), eq(job.lockedBy, workerId)));
}
