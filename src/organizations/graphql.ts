import { builder } from "../graphql/builder.js";
import { LICENSE_TYPES, ORGANIZATION_KINDS } from "./table.js";
import { createOrganization, getOrganization, listLicenses, type Organization, type OrganizationLicense } from "./service.js";

export const OrganizationKind = builder.enumType("OrganizationKind", { values: ORGANIZATION_KINDS });
export const LicenseType = builder.enumType("LicenseType", { values: LICENSE_TYPES });

const LicenseRef = builder.objectRef<OrganizationLicense>("License").implement({
  fields: (t) => ({
    type: t.expose("type", { type: LicenseType }),
    number: t.exposeString("number"),
    validUntil: t.expose("validUntil", { type: "DateTime" }),
  }),
});

export const OrganizationRef = builder.objectRef<Organization>("Organization").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    kind: t.expose("kind", { type: OrganizationKind }),
    jurisdiction: t.exposeString("jurisdiction"),
    licenses: t.field({ type: [LicenseRef], resolve: (org, _args, ctx) => listLicenses(ctx.db, org.id) }),
  }),
});

const LicenseInput = builder.inputType("LicenseInput", {
  fields: (t) => ({
    type: t.field({ type: LicenseType, required: true }),
    number: t.string({ required: true }),
    validUntil: t.field({ type: "DateTime", required: true }),
  }),
});

const CreateOrganizationInput = builder.inputType("CreateOrganizationInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    kind: t.field({ type: OrganizationKind, required: true }),
    jurisdiction: t.string({ required: true, description: "ISO 3166 code, e.g. HK, CN" }),
    licenses: t.field({ type: [LicenseInput] }),
  }),
});

builder.mutationField("createOrganization", (t) =>
  t.field({
    type: OrganizationRef,
    description: "Creates an organization with its licences. ADMIN.",
    authScopes: { anyRole: ["ADMIN"] },
    errors: {},
    args: { input: t.arg({ type: CreateOrganizationInput, required: true }) },
    resolve: (_root, { input }, ctx) => createOrganization(ctx, { ...input, licenses: input.licenses ?? [] }),
  }),
);

builder.queryField("organization", (t) =>
  t.field({
    type: OrganizationRef,
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getOrganization(ctx, id),
  }),
);
