// graphql-codegen's client preset: every `graphql(...)` operation in src/ is validated against
// the public schema (src/graphql/schema.graphql, made from the supergraph by
// scripts/public-schema.mjs) and gets a TypedDocumentNode, so a schema change that breaks a
// screen fails `npm run build`.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "src/graphql/schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**"],
  ignoreNoDocuments: false,
  silent: true,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTime: "string", Decimal: "string" },
      },
    },
  },
};

export default config;
