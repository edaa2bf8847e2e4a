import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import { builder } from "../graphql/builder.js";
import { ErrorInterface, defined, toConnection } from "../graphql/common.js";
import { OrganizationRef } from "../organizations/graphql.js";
import { NotFoundError, ValidationError } from "../errors.js";
import { importDataAssets, type ImportFailure, type ImportSummary } from "./import.js";
import { ASSET_STATUSES, PERSONAL_INFO_TREATMENTS, SECURITY_LEVELS } from "./table.js";
import { InvalidTransitionError } from "./lifecycle.js";
import { loadersFor } from "./loaders.js";
import { CHANNELS, statusStream } from "../notifications/change-feed.js";
import {
  ASSET_ORDERS,
  getDataAsset,
  registerDataAsset,
  searchDataAssets,
  transitionDataAsset,
  updateDataAsset,
  type DataAsset,
  type DataAssetVersion,
} from "./service.js";

export const SecurityLevel = builder.enumType("SecurityLevel", { values: SECURITY_LEVELS });
export const PersonalInfoTreatment = builder.enumType("PersonalInfoTreatment", { values: PERSONAL_INFO_TREATMENTS });
export const AssetStatus = builder.enumType("AssetStatus", { values: ASSET_STATUSES });

builder.objectType(InvalidTransitionError, {
  name: "InvalidTransitionError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    currentStatus: t.expose("currentStatus", { type: AssetStatus }),
    requestedStatus: t.expose("requestedStatus", { type: AssetStatus }),
  }),
});

export const DataAssetVersionRef = builder.objectRef<DataAssetVersion>("DataAssetVersion").implement({
  description: "An immutable snapshot of an asset's metadata. Every metadata edit makes a new one.",
  fields: (t) => ({
    version: t.exposeInt("version"),
    title: t.exposeString("title"),
    description: t.exposeString("description"),
    category: t.exposeString("category"),
    tags: t.exposeStringList("tags"),
    format: t.exposeString("format", { nullable: true }),
    recordCount: t.string({ nullable: true, resolve: (v) => v.recordCount?.toString() ?? null }),
    byteSize: t.string({ nullable: true, resolve: (v) => v.byteSize?.toString() ?? null }),
    contentDigest: t.exposeString("contentDigest"),
    securityLevel: t.expose("securityLevel", { type: SecurityLevel, nullable: true }),
    containsPersonalInfo: t.exposeBoolean("containsPersonalInfo"),
    personalInfoTreatment: t.expose("personalInfoTreatment", { type: PersonalInfoTreatment }),
    createdBy: t.exposeString("createdBy"),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When this version took effect" }),
  }),
});

export const DataAssetRef = builder.objectRef<DataAsset>("DataAsset").implement({
  description: "A standardized data asset: metadata and digests only; the data never leaves.",
  fields: (t) => ({
    id: t.exposeID("id"),
    title: t.exposeString("title"),
    description: t.exposeString("description"),
    category: t.exposeString("category"),
    tags: t.exposeStringList("tags"),
    format: t.exposeString("format", { nullable: true }),
    recordCount: t.string({ nullable: true, resolve: (a) => a.recordCount?.toString() ?? null }),
    byteSize: t.string({ nullable: true, resolve: (a) => a.byteSize?.toString() ?? null }),
    contentDigest: t.exposeString("contentDigest", { description: "sha256 of the canonical data bundle" }),
    securityLevel: t.expose("securityLevel", { type: SecurityLevel, nullable: true }),
    containsPersonalInfo: t.exposeBoolean("containsPersonalInfo"),
    personalInfoTreatment: t.expose("personalInfoTreatment", { type: PersonalInfoTreatment }),
    status: t.expose("status", { type: AssetStatus }),
    version: t.exposeInt("version", { description: "Number of the version this answer shows" }),
    // Nested fields go through per-request DataLoaders: one statement per field for a whole list
    // (rights and latest provenance share one). Values this request has already read (a page
    // reads them first) are answered directly, not through a promise: see `known` in loaders.ts.
    // ownershipRights and provenance are declared by their own domains (ownership/graphql.ts,
    // provenance/graphql.ts) over the same loaders.
    owner: t.field({
      type: OrganizationRef,
      resolve: (a, _args, ctx) => {
        const loaders = loadersFor(ctx);
        const known = loaders.known.organization.get(a.ownerOrgId);
        if (known) return known;
        return loaders.organization
          .load(a.ownerOrgId)
          .then((org) => org ?? Promise.reject(new NotFoundError("Organization", a.ownerOrgId)));
      },
    }),
    versions: t.field({
      type: [DataAssetVersionRef],
      description: "Every version, oldest first",
      resolve: (a, _args, ctx) => loadersFor(ctx).versions.load(a.id),
    }),
    latestVersion: t.field({
      type: DataAssetVersionRef,
      nullable: true,
      resolve: (a, _args, ctx) => loadersFor(ctx).latestVersion.load(a.id),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const RegisterDataAssetInput = builder.inputType("RegisterDataAssetInput", {
  fields: (t) => ({
    title: t.string({ required: true }),
    description: t.string(),
    category: t.string({ required: true, description: "Classification code" }),
    tags: t.stringList(),
    format: t.string(),
    recordCount: t.string({ description: "Whole number, as a decimal string" }),
    byteSize: t.string({ description: "Whole number, as a decimal string" }),
    contentDigest: t.string({ required: true, description: "0x-prefixed sha256 of the canonical data bundle" }),
    securityLevel: t.field({ type: SecurityLevel }),
    containsPersonalInfo: t.boolean(),
    personalInfoTreatment: t.field({ type: PersonalInfoTreatment }),
  }),
});

builder.mutationField("registerDataAsset", (t) =>
  t.field({
    type: DataAssetRef,
    description: "Registers a data asset owned by the caller's organization, in DRAFT. ASSET_OWNER.",
    authScopes: { anyRole: ["ASSET_OWNER"] },
    errors: {},
    args: { input: t.arg({ type: RegisterDataAssetInput, required: true }) },
    resolve: (_root, { input }, ctx) => registerDataAsset(ctx, defined(input)),
  }),
);

const UpdateDataAssetInput = builder.inputType("UpdateDataAssetInput", {
  description: "Fields left out keep their value; null clears an optional field.",
  fields: (t) => ({
    assetId: t.id({ required: true }),
    title: t.string(),
    description: t.string(),
    category: t.string(),
    tags: t.stringList(),
    format: t.string(),
    recordCount: t.string(),
    byteSize: t.string(),
    contentDigest: t.string(),
    securityLevel: t.field({ type: SecurityLevel }),
    containsPersonalInfo: t.boolean(),
    personalInfoTreatment: t.field({ type: PersonalInfoTreatment }),
  }),
});

builder.mutationField("updateDataAsset", (t) =>
  t.field({
    type: DataAssetRef,
    description: "Edits an asset's metadata; every edit that changes something makes a new immutable version. ASSET_OWNER of the asset.",
    authScopes: { anyRole: ["ASSET_OWNER"] },
    errors: {},
    args: { input: t.arg({ type: UpdateDataAssetInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      // Absent fields are left alone; an explicit null clears (required ones then fail validation).
      const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
      return updateDataAsset(ctx, { ...(given as any), assetId: input.assetId });
    },
  }),
);

builder.mutationField("transitionDataAsset", (t) =>
  t.field({
    type: DataAssetRef,
    description:
      "Moves an asset through its lifecycle (DRAFT → SUBMITTED → IN_REVIEW → APPROVED …). The owner submits and withdraws; a compliance officer reviews, approves, rejects and suspends.",
    authScopes: { anyRole: ["ASSET_OWNER", "COMPLIANCE_OFFICER"] },
    errors: { types: [InvalidTransitionError] },
    args: { assetId: t.arg.id({ required: true }), to: t.arg({ type: AssetStatus, required: true }) },
    resolve: (_root, { assetId, to }, ctx) => transitionDataAsset(ctx, { assetId, to }),
  }),
);

builder.queryField("dataAsset", (t) =>
  t.field({
    type: DataAssetRef,
    description: "One data asset. Drafts are visible only to their owner organization and to compliance.",
    errors: {},
    args: {
      id: t.arg.id({ required: true }),
      asOf: t.arg({ type: "DateTime", description: "Point-in-time read: the metadata version in force at this time" }),
    },
    resolve: (_root, { id, asOf }, ctx) => getDataAsset(ctx, id, asOf),
  }),
);

export const AssetOrder = builder.enumType("DataAssetOrder", {
  values: ASSET_ORDERS,
  description: "RELEVANCE (full-text rank) is the default when searching, CREATED_AT_DESC otherwise.",
});

const DataAssetFilter = builder.inputType("DataAssetFilter", {
  description: "Every given condition must hold; a list matches any of its values (tags: all of them).",
  fields: (t) => ({
    category: t.stringList(),
    securityLevel: t.field({ type: [SecurityLevel] }),
    status: t.field({ type: [AssetStatus] }),
    ownerOrgId: t.id(),
    tags: t.stringList({ description: "The asset carries every one of these tags" }),
    updatedAfter: t.field({ type: "DateTime", description: "updatedAt ≥ this" }),
    updatedBefore: t.field({ type: "DateTime", description: "updatedAt < this" }),
  }),
});

/**
 * The fields asked for directly in these selection sets (through fragments too), by field name
 * (aliases of one field together). Directives are not evaluated: a skipped field only means a
 * read that was not needed.
 */
function fieldsAsked(info: GraphQLResolveInfo, sets: readonly (SelectionSetNode | undefined)[]): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const visit = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        const same = fields.get(selection.name.value);
        if (same) same.push(selection);
        else fields.set(selection.name.value, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else {
        visit(info.fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  for (const set of sets) visit(set);
  return fields;
}
const under = (fields: Map<string, FieldNode[]>, name: string) => (fields.get(name) ?? []).map((field) => field.selectionSet);

/**
 * DataAsset fields that read no column of their own (relations, answered from the asset's id)
 * or another one (owner: ownerOrgId). Every other field of DataAsset, OwnershipRight and
 * ProvenanceActivity exposes the column of its name; a field that does not (one added later
 * elsewhere) is not a column name, and the page then reads every column (see PageColumns).
 */
const ASSET_FIELD_COLUMNS: Record<string, string[]> = {
  __typename: [],
  owner: ["ownerOrgId"],
  ownershipRights: [],
  latestProvenance: [],
  provenance: [],
  versions: [],
  latestVersion: [],
};
const columnsOf = (fields: Map<string, FieldNode[]>, special: Record<string, string[]> = { __typename: [] }) =>
  [...fields.keys()].flatMap((name) => (Object.hasOwn(special, name) ? special[name]! : [name]));

builder.queryField("dataAssets", (t) =>
  t.connection({
    type: DataAssetRef,
    description:
      "Searches the data assets the caller may see (published ones, plus the caller's own). `search` is Postgres full-text search over title, category and description (web-search syntax: quotes, OR, -word). Forward pagination: first ≤ 100 (a larger page is refused with VALIDATION_FAILED), after.",
    args: {
      search: t.arg.string(),
      filter: t.arg({ type: DataAssetFilter }),
      orderBy: t.arg({ type: AssetOrder }),
    },
    resolve: async (_root, args, ctx, info) => {
      // Owners, and rights and latest provenance when asked for, are read with the page, in
      // its one statement, only the columns the query shows; every node then resolves
      // without a statement or a promise of its own.
      const connection = fieldsAsked(
        info,
        info.fieldNodes.map((field) => field.selectionSet),
      );
      const node = fieldsAsked(info, under(fieldsAsked(info, under(connection, "edges")), "node"));
      const page = await searchDataAssets(
        ctx,
        {
          search: args.search,
          filter: args.filter ? { ...args.filter, ownerOrgId: args.filter.ownerOrgId ?? null } : null,
          orderBy: args.orderBy,
          first: args.first ?? undefined,
          after: args.after,
        },
        {
          rights: node.has("ownershipRights"),
          latestProvenance: node.has("latestProvenance"),
          columns: {
            asset: columnsOf(node, ASSET_FIELD_COLUMNS),
            rights: columnsOf(fieldsAsked(info, under(node, "ownershipRights"))),
            latestProvenance: columnsOf(fieldsAsked(info, under(node, "latestProvenance"))),
          },
        },
      );
      const loaders = loadersFor(ctx);
      for (const owner of page.owners) loaders.primeOrganization(owner);
      // The rights and activities carry only the columns asked here: they answer these nodes
      // only (keyed by the node object), never another field that reads the same asset's.
      page.edges.forEach(({ node }, i) => {
        if (page.rights) loaders.pageRelations.rights.set(node, page.rights[i]!);
        if (page.latestProvenance) loaders.pageRelations.latestProvenance.set(node, page.latestProvenance[i]!);
      });
      return toConnection(page, args.after);
    },
  }),
);

const ImportFailureRef = builder.objectRef<ImportFailure>("ImportFailure").implement({
  fields: (t) => ({
    line: t.exposeInt("line", { description: "1-based position in the input list (line number for JSONL)" }),
    reason: t.exposeString("reason"),
  }),
});

const ImportSummaryRef = builder.objectRef<ImportSummary>("ImportSummary").implement({
  fields: (t) => ({
    imported: t.exposeInt("imported"),
    failed: t.field({ type: [ImportFailureRef], resolve: (s) => s.failed }),
    atomic: t.exposeBoolean("atomic"),
    committed: t.exposeBoolean("committed", { description: "False when an atomic import found bad lines and kept nothing" }),
    assetIds: t.exposeIDList("assetIds"),
  }),
});

/** Most assets one importDataAssets call takes; larger imports use `npm run import`. */
export const MAX_IMPORT_BATCH = 1000;

builder.mutationField("importDataAssets", (t) =>
  t.field({
    type: ImportSummaryRef,
    description: `Registers up to ${MAX_IMPORT_BATCH} assets at once (DRAFT, owned by the caller's organization). Bad items are reported by position and the good ones kept; atomic: true keeps nothing unless all are good. ASSET_OWNER.`,
    authScopes: { anyRole: ["ASSET_OWNER"] },
    errors: {},
    args: {
      input: t.arg({ type: [RegisterDataAssetInput], required: true }),
      atomic: t.arg.boolean(),
    },
    resolve: (_root, { input, atomic }, ctx) => {
      if (input.length > MAX_IMPORT_BATCH) {
        throw new ValidationError([
          { path: "input", message: `at most ${MAX_IMPORT_BATCH} assets per call (got ${input.length}); use npm run import for more` },
        ]);
      }
      return importDataAssets(
        ctx,
        input.map((value, i) => ({ line: i + 1, value: defined(value) })),
        { atomic: atomic ?? false },
      );
    },
  }),
);

builder.subscriptionField("assetStatusChanged", (t) =>
  t.field({
    type: DataAssetRef,
    description: "The data asset now, then after each lifecycle change.",
    args: { assetId: t.arg.id({ required: true }) },
    subscribe: (_root, { assetId }, ctx) => statusStream(ctx.changes, CHANNELS.assetStatus, assetId, () => getDataAsset(ctx, assetId)),
    resolve: (asset) => asset,
  }),
);
