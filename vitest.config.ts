import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // graphql ships index.mjs (the `module` field vite prefers) beside index.js (what Node loads
  // for Apollo, Pothos and graphql-ws): tests load the one copy production loads, so a
  // GraphQLError made in src/ is a GraphQLError to them (instanceof holds, as in dist/).
  resolve: { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve("graphql") }] },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
