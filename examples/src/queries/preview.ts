/**
 * Preview: the admin's Preview button opens the app with `?content_type=...&token=...`.
 * The draft's id is "<id>:preview" and `isPreview` is true, so the cache never mixes a draft
 * with the live page; still, fetch previews from the network only and never persist them.
 */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";
import type { PreviewQuery } from "../gql/graphql";

export const PreviewDocument = graphql(`
  query Preview($token: String!) {
    preview(token: $token) {
      __typename
      id
      title
      slug
      urlPath
      isPreview
      lastPublishedAt
      ... on ProcedurePage {
        summary
        bodyHtml
      }
      ... on ArticlePage {
        introHtml
      }
    }
  }
`);

export type PreviewPage = NonNullable<PreviewQuery["preview"]>;

/** The draft behind the token, or null when the token is wrong or has expired. */
export async function getPreview(client: ApolloClient, token: string): Promise<PreviewPage | null> {
  const { data } = await client.query({
    query: PreviewDocument,
    variables: { token },
    fetchPolicy: "network-only",
  });
  return data?.preview ?? null;
}
