import { eq } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { requireActor } from "../context.js";
import { NotFoundError } from "../errors.js";
import { dateTimeSchema, jurisdictionSchema, nonEmpty, parseInput, uuidSchema } from "../validation.js";
import { LICENSE_TYPES, ORGANIZATION_KINDS, organization, organizationLicense } from "./table.js";
import type { Database } from "../db/index.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";

export type Organization = typeof organization.$inferSelect;
export type OrganizationLicense = typeof organizationLicense.$inferSelect;

const createOrganizationSchema = z.object({
  name: nonEmpty(200),
  kind: z.enum(ORGANIZATION_KINDS),
  jurisdiction: jurisdictionSchema,
  licenses: z
    .array(
      z.object({
        type: z.enum(LICENSE_TYPES),
        number: nonEmpty(100),
        validUntil: dateTimeSchema,
      }),
    )
    .max(20)
    .default([]),
});
export type CreateOrganizationParams = z.input<typeof createOrganizationSchema>;

/** Creates an organization with its licences (ADMIN). */
export async function createOrganization(ctx: ServiceContext, input: CreateOrganizationParams): Promise<Organization> {
  requireActor(ctx);
  const params = parseInput(createOrganizationSchema, input);
  return insertOrganization(ctx.db, params, auditActor(ctx));
}

/** The insert behind `createOrganization`, also used to seed the embedded demo (audited as SYSTEM). */
export async function insertOrganization(
  db: Database,
  params: z.output<typeof createOrganizationSchema>,
  by: { actor: string; actorOrgId: string | null } = { actor: "SYSTEM", actorOrgId: null },
): Promise<Organization> {
  return db.transaction(async (tx) => {
    const [org] = await tx
      .insert(organization)
      .values({ name: params.name, kind: params.kind, jurisdiction: params.jurisdiction })
      .returning();
    if (params.licenses.length > 0) {
      await tx.insert(organizationLicense).values(params.licenses.map((l) => ({ ...l, organizationId: org!.id })));
    }
    await appendAuditEvent(tx, {
      ...by,
      action: "organization.created",
      entityType: "Organization",
      entityId: org!.id,
      payload: { organizationId: org!.id, name: org!.name, kind: org!.kind, jurisdiction: org!.jurisdiction, licenses: params.licenses },
    });
    return org!;
  });
}

export async function getOrganization(ctx: ServiceContext, id: string): Promise<Organization> {
  const orgId = parseInput(uuidSchema, id);
  const [org] = await ctx.db.select().from(organization).where(eq(organization.id, orgId));
  if (!org) throw new NotFoundError("Organization", id);
  return org;
}
export async function listLicenses(db: Database, organizationId: string): Promise<OrganizationLicense[]> {
  return db.select().from(organizationLicense).where(eq(organizationLicense.organizationId, organizationId));
}
