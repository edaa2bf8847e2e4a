/**
 * The `issuerOfTranche` auth scope, evaluated by `@pothos/plugin-scope-auth` before a resolver
 * runs, so who may act on which organization's tranche is declared on the schema field. It
 * reads the offerings tables, so it lives here and is handed to the builder (which knows no
 * domain) by offerings/graphql.ts. The services keep their own checks too: the CLI and the
 * worker call them without GraphQL.
 */
import { eq } from "drizzle-orm";
import type { ServiceContext } from "../context.js";
import { offering, tranche } from "./table.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether the caller is an ISSUER of the organization that issues the tranche's offering.
 * An id that is malformed or names no tranche passes here, so the resolver answers the
 * precise ValidationError / NotFoundError instead of a misleading Forbidden.
 */
export async function isIssuerOfTranche(ctx: ServiceContext, trancheId: string): Promise<boolean> {
  if (ctx.auth.kind !== "actor" || !ctx.auth.actor.roles.includes("ISSUER")) return false;
  if (!UUID.test(trancheId)) return true;
  const [row] = await ctx.db
    .select({ issuerOrgId: offering.issuerOrgId })
    .from(tranche)
    .innerJoin(offering, eq(offering.id, tranche.offeringId))
    .where(eq(tranche.id, trancheId));
  return !row || row.issuerOrgId === ctx.auth.actor.organizationId;
}
