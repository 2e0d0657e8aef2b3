/** A catch-all route: any page by its URL path, with a fragment per page type. */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";
import type { RouteQuery } from "../gql/graphql";

export const RouteDocument = graphql(`
  query Route($urlPath: String!) {
    page(urlPath: $urlPath) {
      __typename
      id
      title
      slug
      urlPath
      seoTitle
      searchDescription
      lastPublishedAt
      isPreview
      ... on ArticlePage {
        introHtml
        heroImage {
          id
          url
          alt
        }
        procedures {
          id
          slug
          title
        }
      }
      ... on ProcedurePage {
        summary
        bodyHtml
        image {
          id
          url
          alt
        }
        approach
        recoveryDays
      }
      ... on ProcedureIndexPage {
        introHtml
        children(limit: 50) {
          id
          title
          urlPath
        }
      }
    }
  }
`);

export type RoutePage = NonNullable<RouteQuery["page"]>;

/** What a router shows for a path: a screen per page type, or "not found". */
export type Screen =
  | { kind: "article"; page: Extract<RoutePage, { __typename: "ArticlePage" }> }
  | { kind: "procedure"; page: Extract<RoutePage, { __typename: "ProcedurePage" }> }
  | { kind: "procedureIndex"; page: Extract<RoutePage, { __typename: "ProcedureIndexPage" }> }
  | { kind: "home"; page: Extract<RoutePage, { __typename: "HomePage" }> }
  | { kind: "notFound" };

export async function resolveRoute(client: ApolloClient, urlPath: string): Promise<Screen> {
  const { data } = await client.query({ query: RouteDocument, variables: { urlPath } });
  const page = data?.page;
  if (!page) return { kind: "notFound" };
  switch (page.__typename) {
    case "ArticlePage":
      return { kind: "article", page };
    case "ProcedurePage":
      return { kind: "procedure", page };
    case "ProcedureIndexPage":
      return { kind: "procedureIndex", page };
    case "HomePage":
      return { kind: "home", page };
    default: {
      // tsc: every page type has a screen. At run time, an unknown page type is "not found".
      const _exhaustive: never = page;
      void _exhaustive;
      return { kind: "notFound" };
    }
  }
}
