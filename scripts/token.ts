/**
 * Prints a bearer token: npm run token -- --role ISSUER --org <organization uuid> [--sub alice] [--expires 12h]
 * Roles may repeat (--role ISSUER --role ADMIN). Signed with JWT_SECRET (or the dev secret).
 */
import { parseArgs } from "node:util";
import { loadConfigOrExit } from "../src/config.js";
import { issueToken } from "../src/auth/jwt.js";
import { ROLES, type Role } from "../src/auth/roles.js";

const { values } = parseArgs({
  options: {
    role: { type: "string", multiple: true },
    org: { type: "string" },
    sub: { type: "string", default: "cli-user" },
    expires: { type: "string", default: "12h" },
  },
});
const roles = (values.role ?? []) as Role[];
const bad = roles.filter((r) => !ROLES.includes(r));
if (roles.length === 0 || bad.length > 0 || !values.org || !/^[0-9a-f-]{36}$/i.test(values.org)) {
  console.error(`usage: npm run token -- --role <${ROLES.join("|")}> --org <organization uuid> [--sub name] [--expires 12h]`);
  if (bad.length > 0) console.error(`unknown role(s): ${bad.join(", ")}`);
  process.exit(2);
}
// A bad or refused setting (e.g. the development secret in production) exits 2 naming it, as npm start does.
const config = loadConfigOrExit();
console.log(await issueToken(config.jwtSecret, { subject: values.sub!, organizationId: values.org, roles }, values.expires));
