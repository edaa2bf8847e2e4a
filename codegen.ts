import type { CodegenConfig } from "@graphql-codegen/cli";

/** Typed client for examples/client: documents in operations.ts, types from schema/schema.graphql. */
const config: CodegenConfig = {
  schema: "schema/schema.graphql",
  documents: ["examples/client/operations.ts"],
  ignoreNoDocuments: false,
  // NodeNext resolution needs explicit .js extensions in relative imports.
  emitLegacyCommonJSImports: false,
  generates: {
    "examples/client/generated/": {
      preset: "client",
      config: { enumsAsTypes: true, useTypeImports: true, scalars: { DateTime: "string", JSON: "unknown" } },
      presetConfig: { fragmentMasking: false },
    },
  },
};
export default config;
