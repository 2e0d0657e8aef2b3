/**
 * One Apollo Client for the calf-reduction API: the real HttpLink over `fetch`, a normalized
 * cache that knows which types implement the `Page` and `ArticleBlock` interfaces, and optional
 * automatic persisted queries over GET (CDN- and ETag-friendly).
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { createHash } from "node:crypto";
import possibleTypesResult from "./gql/possible-types";

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. `https://cms.example.com/graphql/`. */
  uri: string;
  /** Sent as `apollographql-client-name` / `-version`, so the server's logs tell apps apart. */
  clientName?: string;
  clientVersion?: string;
  /** Automatic persisted queries: send a sha256 hash by GET first, the full text only once. */
  persistedQueries?: boolean;
  /** Defaults to the global `fetch` (Node 18+, every browser, React Native). */
  fetch?: typeof fetch;
}

/** The cache: `possibleTypes` comes from codegen (`src/gql/possible-types.ts`). */
export function createCache(): InMemoryCache {
  return new InMemoryCache({
    possibleTypes: possibleTypesResult.possibleTypes,
    // Every object with an `id` is normalized as `__typename:id` (Apollo's default). A
    // preview's id is "<id>:preview", so a draft never overwrites the live page in the cache.
    // Fields with arguments (`procedures(page:)`, `renditions(widths:)`) are cached per
    // argument set, which is what a paged list and an image's renditions want.
  });
}

/** sha256 of the query text, hex, as Apollo's persisted-query protocol expects. */
export function sha256(query: string): string {
  return createHash("sha256").update(query).digest("hex");
}

export function createClient(options: ClientOptions): ApolloClient {
  const http = new HttpLink({ uri: options.uri, fetch: options.fetch });
  const link: ApolloLink = options.persistedQueries
    ? createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(http)
    : http;
  return new ApolloClient({
    link,
    cache: createCache(),
    clientAwareness: {
      name: options.clientName ?? "calf-reduction-example",
      version: options.clientVersion ?? "1.0.0",
    },
  });
}
