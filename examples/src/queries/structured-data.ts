/** A page's schema.org JSON-LD (a MedicalWebPage), for the <head> of its web page. */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";

export const PageJsonLdDocument = graphql(`
  query PageJsonLd($urlPath: String!) {
    page(urlPath: $urlPath) {
      __typename
      id
      ... on ArticlePage {
        jsonLd
      }
      ... on ProcedurePage {
        jsonLd
      }
    }
  }
`);

/** The JSON-LD text of the article or a procedure at `urlPath`; null for other pages. */
export async function getJsonLd(client: ApolloClient, urlPath: string): Promise<string | null> {
  const { data } = await client.query({ query: PageJsonLdDocument, variables: { urlPath } });
  const page = data?.page;
  if (page?.__typename === "ArticlePage" || page?.__typename === "ProcedurePage") {
    return page.jsonLd;
  }
  return null;
}

/**
 * The element for the page's <head>. The server escapes `<`, `>` and `&` in the text
 * (`\u003c` ...), so it is inserted as it is: do not HTML-escape it (that would corrupt the
 * JSON), and do not `JSON.stringify` a parsed copy back (that would undo the escaping).
 */
export function jsonLdScript(jsonLd: string): string {
  return `<script type="application/ld+json">${jsonLd}</script>`;
}
