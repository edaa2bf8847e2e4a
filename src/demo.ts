/**
 * Demo organizations for the embedded defaults, so `npm start` is usable at once:
 * one per role, with the issuer holding an SFC Type 9 licence. Created only when the
 * database has no organization yet.
 */
import type { Database } from "./db/index.js";
import { organization } from "./organizations/table.js";
import { insertOrganization } from "./organizations/service.js";
import type { Role } from "./auth/roles.js";
import { issueToken } from "./auth/jwt.js";

const DEMO = [
  { role: "ASSET_OWNER", name: "Shanghai Port Data Co.", kind: "DATA_PROVIDER", jurisdiction: "CN", licenses: [] },
  {
    role: "COMPLIANCE_OFFICER",
    name: "Shanghai Data Exchange",
    kind: "DATA_EXCHANGE",
    jurisdiction: "CN",
    licenses: [{ type: "CN_DATA_EXCHANGE", number: "SHDE-001" }],
  },
  {
    role: "ISSUER",
    name: "Harbour Asset Management",
    kind: "ISSUER",
    jurisdiction: "HK",
    licenses: [{ type: "SFC_TYPE_9", number: "BQR123" }],
  },
  { role: "ADMIN", name: "Gateway Operator", kind: "VENUE", jurisdiction: "HK", licenses: [] },
] as const;

export type DemoIdentity = { role: Role; roles: Role[]; organizationId: string; organizationName: string; token: string };

export async function seedDemo(db: Database, jwtSecret: string): Promise<DemoIdentity[]> {
  const existing = await db.select().from(organization);
  const validUntil = new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000);
  const identities: DemoIdentity[] = [];
  for (const d of DEMO) {
    let org = existing.find((o) => o.name === d.name);
    if (!org && existing.length === 0) {
      org = await insertOrganization(db, {
        name: d.name,
        kind: d.kind,
        jurisdiction: d.jurisdiction,
        licenses: d.licenses.map((l) => ({ ...l, validUntil })),
      });
    }
    if (!org) continue;
    const roles: Role[] = d.role === "ADMIN" ? ["ADMIN", "INDEXER"] : [d.role];
    const token = await issueToken(jwtSecret, { subject: `demo-${d.role.toLowerCase()}`, organizationId: org.id, roles }, "7d");
    identities.push({ role: d.role, roles, organizationId: org.id, organizationName: org.name, token });
  }
  return identities;
}

/**
 * The shell variables README.md's tour uses: the token of each role (no "Bearer " prefix: the
 * tour sends `authorization: Bearer $OWNER`) and the id of each demo organization.
 */
const SHELL_NAMES: Record<(typeof DEMO)[number]["role"], { token: string; org: string }> = {
  ASSET_OWNER: { token: "OWNER", org: "PROVIDER_ORG" },
  COMPLIANCE_OFFICER: { token: "COMPLIANCE", org: "EXCHANGE_ORG" },
  ISSUER: { token: "ISSUER", org: "ISSUER_ORG" },
  ADMIN: { token: "ADMIN", org: "OPERATOR_ORG" },
};

/**
 * Shell-ready lines for the demo identities: paste them (or `eval "$(grep '^export ' start.log)"`).
 * @example console.log(demoShellLines(await seedDemo(db, secret), "http://127.0.0.1:4000"));
 */
export function demoShellLines(identities: DemoIdentity[], url: string): string {
  const lines = [`export GQL=${url}/graphql`];
  for (const i of identities) {
    const names = SHELL_NAMES[i.role as keyof typeof SHELL_NAMES];
    lines.push(`# ${i.roles.join(" + ")}: ${i.organizationName}`);
    lines.push(`export ${names.token}=${i.token}`);
    // INDEXER has no token of its own: the operator's token carries it beside ADMIN.
    if (i.roles.includes("INDEXER") && i.role !== "INDEXER") lines.push(`export INDEXER=$${names.token}`);
    lines.push(`export ${names.org}=${i.organizationId}`);
  }
  return lines.join("\n");
}
