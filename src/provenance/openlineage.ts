/**
 * Intake of OpenLineage RunEvents (https://openlineage.io/spec) at POST /lineage/openlineage,
 * mapped onto provenance activities.
 *
 * Mapping:
 * - Only `COMPLETE` events record anything: a run's outputs exist once it completes. Other
 *   event types (START, RUNNING, ABORT, FAIL, OTHER) are accepted (202) and stored nowhere.
 * - A dataset is a registered asset when its namespace is `data-asset-gateway` and its name
 *   is the asset id; any other dataset is an external source `<namespace>/<name>`.
 * - Digests come from the dataset facet `contentDigest: { digest: "0x…" }` (sha256), required
 *   on every input and on every asset output, as for any provenance activity.
 * - Each asset output gets one activity: kind from `job.facets.jobType.jobType` when it names
 *   one of ours (COLLECTION, CLEANING, …), else AGGREGATION; startedAt from the run's
 *   `nominalTime.nominalStartTime` facet, else eventTime; endedAt = eventTime; parameters keep
 *   the run id, job and producer. Outputs that are not assets are listed as ignored.
 * - Idempotent: the same runId delivered again for the same asset records nothing new.
 * The caller is a bearer token with ASSET_OWNER of the output assets, as for GraphQL.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { requireActor } from "../context.js";
import { ForbiddenError, ValidationError } from "../errors.js";
import { readBody, sendJson } from "../edge/http.js";
import { digestSchema } from "../validation.js";
import { ACTIVITY_KINDS } from "./table.js";
import { findOpenLineageActivity, insertProvenanceActivity } from "./service.js";

/** The OpenLineage namespace whose dataset names are registered asset ids. */
export const ASSET_NAMESPACE = "data-asset-gateway";

const digestFacet = z.object({ digest: digestSchema }).passthrough();
const dataset = z
  .object({
    namespace: z.string().min(1, "must not be empty"),
    name: z.string().min(1, "must not be empty"),
    facets: z.object({ contentDigest: digestFacet.optional() }).passthrough().optional(),
  })
  .passthrough();

const runEventSchema = z
  .object({
    eventType: z.enum(["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]).optional(),
    eventTime: z.string().datetime({ offset: true, message: "must be an ISO-8601 date-time" }),
    producer: z.string().min(1, "must name the producer (a URI)"),
    schemaURL: z.string().optional(),
    run: z
      .object({
        runId: z.string().uuid("must be a UUID"),
        facets: z
          .object({
            nominalTime: z
              .object({ nominalStartTime: z.string().datetime({ offset: true }) })
              .passthrough()
              .optional(),
          })
          .passthrough()
          .optional(),
      })
      .passthrough(),
    job: z
      .object({
        namespace: z.string().min(1, "must not be empty"),
        name: z.string().min(1, "must not be empty"),
        facets: z
          .object({ jobType: z.object({ jobType: z.string() }).passthrough().optional() })
          .passthrough()
          .optional(),
      })
      .passthrough(),
    inputs: z.array(dataset).max(100).default([]),
    outputs: z.array(dataset).max(100).default([]),
  })
  .passthrough()
  .superRefine((event, ctx) => {
    if (event.eventType !== "COMPLETE") return;
    event.inputs.forEach((d, i) => {
      if (!d.facets?.contentDigest)
        ctx.addIssue({
          code: "custom",
          path: ["inputs", i, "facets", "contentDigest", "digest"],
          message: "is required (sha256 of the dataset)",
        });
    });
    event.outputs.forEach((d, i) => {
      if (isAsset(d) && !d.facets?.contentDigest) {
        ctx.addIssue({
          code: "custom",
          path: ["outputs", i, "facets", "contentDigest", "digest"],
          message: "is required for an asset output",
        });
      }
    });
  });
export type RunEvent = z.output<typeof runEventSchema>;
type Dataset = z.output<typeof dataset>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isAsset = (d: { namespace: string; name: string }) => d.namespace === ASSET_NAMESPACE && UUID.test(d.name);
const sourceUri = (d: Dataset) =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(d.name) ? d.name : `${d.namespace.replace(/\/+$/, "")}/${d.name.replace(/^\/+/, "")}`;

/** A JSON path such as `$.inputs[0].facets.contentDigest.digest`. */
const jsonPath = (path: (string | number)[]) => `$${path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")}`;

/** Validates a RunEvent; a malformed one is a `ValidationError` whose issue paths are JSON paths. */
export function parseRunEvent(body: unknown): RunEvent {
  const result = runEventSchema.safeParse(body);
  if (!result.success) throw new ValidationError(result.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })));
  return result.data;
}

export type OpenLineageResult = { recorded: string[]; alreadyRecorded: string[]; ignoredOutputs: string[] };

/**
 * Records the activities of a COMPLETE RunEvent, all in one transaction (an event is taken whole or not at all).
 * @example await recordOpenLineageEvent(ctx, JSON.parse(body));
 */
export async function recordOpenLineageEvent(ctx: ServiceContext, body: unknown): Promise<OpenLineageResult> {
  requireActor(ctx);
  const event = parseRunEvent(body);
  const result: OpenLineageResult = { recorded: [], alreadyRecorded: [], ignoredOutputs: [] };
  if (event.eventType !== "COMPLETE") return result;
  const jobType = event.job.facets?.jobType?.jobType?.toUpperCase();
  const kind = (ACTIVITY_KINDS as readonly string[]).includes(jobType ?? "") ? (jobType as (typeof ACTIVITY_KINDS)[number]) : "AGGREGATION";
  const endedAt = new Date(event.eventTime);
  const nominal = event.run.facets?.nominalTime?.nominalStartTime;
  const startedAt = nominal && new Date(nominal) <= endedAt ? new Date(nominal) : endedAt;
  const inputs = event.inputs.map((d) =>
    isAsset(d)
      ? { assetId: d.name, digest: d.facets!.contentDigest!.digest }
      : { sourceUri: sourceUri(d), digest: d.facets!.contentDigest!.digest },
  );
  await ctx.db.transaction(async (tx) => {
    for (const [index, output] of event.outputs.entries()) {
      if (!isAsset(output)) {
        result.ignoredOutputs.push(sourceUri(output));
        continue;
      }
      const existing = await findOpenLineageActivity(tx, event.run.runId, output.name);
      if (existing) {
        result.alreadyRecorded.push(existing.id);
        continue;
      }
      try {
        const row = await insertProvenanceActivity(ctx, tx, {
          assetId: output.name,
          kind,
          startedAt,
          endedAt,
          inputs,
          outputDigest: output.facets!.contentDigest!.digest,
          parameters: {
            openLineage: {
              runId: event.run.runId,
              job: { namespace: event.job.namespace, name: event.job.name },
              producer: event.producer,
            },
          },
        });
        result.recorded.push(row.id);
      } catch (error) {
        // Point at the output that failed, in the event's own terms.
        if (error instanceof ValidationError) {
          throw new ValidationError(
            error.issues.map((i) => ({ path: `$.outputs[${index}]${i.path ? `.${i.path}` : ""}`, message: i.message })),
          );
        }
        throw error;
      }
    }
  });
  return result;
}

export type OpenLineageHttpOptions = {
  /** The request's context, from the edge's one factory (src/edge/context.ts). */
  context(): Promise<ServiceContext>;
  maxBodyBytes: number;
};

/**
 * POST /lineage/openlineage: one RunEvent as JSON. 201 with the activities recorded, 202 for a
 * non-COMPLETE event, 400 with JSON paths when malformed. Refusals are thrown and answered by
 * the server's one error reply (src/edge/http.ts), 413 for a body over the limit.
 */
export async function handleOpenLineageRequest(req: IncomingMessage, res: ServerResponse, options: OpenLineageHttpOptions): Promise<void> {
  if (req.method !== "POST") return sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: "POST a RunEvent" } });
  const raw = await readBody(req, options.maxBodyBytes);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new ValidationError([{ path: "$", message: "is not valid JSON" }]);
  }
  // Validate the event before the caller's rights: a malformed event is 400 whoever sends it.
  const event = parseRunEvent(body);
  const ctx = await options.context();
  const actor = requireActor(ctx);
  if (!actor.roles.includes("ASSET_OWNER")) throw new ForbiddenError("lineage intake needs the ASSET_OWNER role");
  const result = await recordOpenLineageEvent(ctx, event);
  return sendJson(res, event.eventType === "COMPLETE" ? 201 : 202, result);
}
