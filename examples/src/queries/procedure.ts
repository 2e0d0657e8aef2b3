/** A procedure's detail screen, by slug: every fact, the body HTML, a srcSet and related ones. */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";
import type { ProcedureDetailQuery } from "../gql/graphql";

export const ProcedureDetailDocument = graphql(`
  query ProcedureDetail($slug: String!) {
    procedure(slug: $slug) {
      id
      title
      slug
      urlPath
      seoTitle
      searchDescription
      lastPublishedAt
      isPreview
      summary
      bodyHtml
      image {
        id
        url
        width
        height
        alt
        srcSet(widths: [320, 640, 960, 1280])
        webp: srcSet(widths: [320, 640, 960, 1280], format: WEBP)
      }
      approach
      invasiveness
      permanence
      targets
      muscles {
        id
        name
        slug
      }
      recoveryTime
      recoveryDays
      sessions
      onset
      idealCandidates
      relatedProcedures {
        id
        slug
        title
        urlPath
      }
      factSources {
        fact
        source
        inferred
        confirmed
        setBy
      }
      review {
        ...MedicalReviewFields
      }
      reviewDue
      citations {
        ...CitationFields
      }
    }
  }
`);

export type ProcedureDetail = NonNullable<ProcedureDetailQuery["procedure"]>;

/** The live procedure, or `null` when no live page has that slug (not an error). */
export async function getProcedure(
  client: ApolloClient,
  slug: string,
): Promise<ProcedureDetail | null> {
  const { data } = await client.query({ query: ProcedureDetailDocument, variables: { slug } });
  return data?.procedure ?? null;
}

/** A nullable fact is unknown, never "no": show it as such. */
export function describeFact<T>(value: T | null | undefined, show: (v: T) => string): string {
  return value === null || value === undefined ? "Not stated" : show(value);
}
