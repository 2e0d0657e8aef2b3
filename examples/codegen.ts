import type { CodegenConfig } from "@graphql-codegen/cli";

/**
 * The schema is the server's generated contract, `schema.graphql` at the repository root.
 * `SCHEMA=path/to/other.graphql npm run codegen` points codegen elsewhere (a file or a URL).
 */
const schema = process.env.SCHEMA ?? "../schema.graphql";

const scalars = { DateTime: "string", Date: "string" };

const config: CodegenConfig = {
  schema,
  documents: ["src/**/*.ts", "!src/gql/**"],
  // A document that does not validate against the schema (a field that is gone, a fragment on
  // a type that does not exist) fails codegen, and so `npm run typecheck`.
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        scalars,
        strictScalars: true,
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: false,
        nonOptionalTypename: true,
      },
    },
    // `possibleTypes` for InMemoryCache: which concrete types implement `Page` and `ArticleBlock`.
    "src/gql/possible-types.ts": {
      plugins: ["fragment-matcher"],
      config: { apolloClientVersion: 3, useExplicitTyping: true },
    },
  },
};

export default config;
