/** Site search: pages only, best match first. */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";
import type { SearchQuery } from "../gql/graphql";

export const SearchDocument = graphql(`
  query Search($query: String!, $limit: Int = 20) {
    search(query: $query, limit: $limit) {
      __typename
      id
      title
      urlPath
      searchDescription
      ... on ProcedurePage {
        summary
      }
    }
  }
`);

export type SearchHit = SearchQuery["search"][number];

export async function search(client: ApolloClient, query: string, limit = 20): Promise<SearchHit[]> {
  const { data } = await client.query({ query: SearchDocument, variables: { query, limit } });
  return data?.search ?? [];
}
