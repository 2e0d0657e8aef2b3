/** Procedures side by side: one row per fact, one cell per procedure, each with its source. */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";
import type { CompareProceduresQuery } from "../gql/graphql";
import { describeFact } from "./procedure";

export const CompareProceduresDocument = graphql(`
  query CompareProcedures($slugs: [String!]!) {
    compareProcedures(slugs: $slugs) {
      procedures {
        id
        slug
        title
        urlPath
      }
      rows {
        fact
        label
        cells {
          procedureId
          known
          text
          source {
            source
            inferred
            confirmed
            setBy
            citation {
              ...CitationFields
            }
          }
        }
      }
    }
  }
`);

export type Comparison = NonNullable<CompareProceduresQuery["compareProcedures"]>;
export type ComparisonCell = Comparison["rows"][number]["cells"][number];

/**
 * 2 to 5 live procedures by slug, in that order. Too few or too many, a repeated slug, or one
 * that names no live procedure rejects with `CombinedGraphQLErrors` (code BAD_USER_INPUT; the
 * unknown slugs in `extensions.unknown`).
 */
export async function compareProcedures(client: ApolloClient, slugs: string[]): Promise<Comparison> {
  const { data } = await client.query({ query: CompareProceduresDocument, variables: { slugs } });
  if (!data?.compareProcedures) throw new Error("The comparison came back empty.");
  return data.compareProcedures;
}

/** A cell as readers should see it: unknown is "Not stated", never "No"; inferred says so. */
export function describeCell(cell: ComparisonCell): string {
  return describeFact(cell.text, (text) => (cell.source?.inferred ? `${text} (inferred)` : text));
}

/** The comparison as a table of text: a header row of titles, then one row per fact. */
export function comparisonTable(comparison: Comparison): string[][] {
  return [
    ["", ...comparison.procedures.map((procedure) => procedure.title)],
    ...comparison.rows.map((row) => [row.label, ...row.cells.map(describeCell)]),
  ];
}
