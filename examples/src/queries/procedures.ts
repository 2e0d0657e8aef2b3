/** The procedure finder: filters and pages over `procedures(...)`. */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";
import type { ProcedureListQuery, ProcedureListQueryVariables } from "../gql/graphql";

export const ProcedureListDocument = graphql(`
  query ProcedureList(
    $approach: Approach
    $invasiveness: Invasiveness
    $target: Tissue
    $muscle: String
    $maxRecoveryDays: Int
    $order: ProcedureOrder
    $page: Int = 1
    $perPage: Int = 10
  ) {
    procedures(
      approach: $approach
      invasiveness: $invasiveness
      target: $target
      muscle: $muscle
      maxRecoveryDays: $maxRecoveryDays
      order: $order
      page: $page
      perPage: $perPage
    ) {
      items {
        id
        slug
        title
        summary
        image {
          id
          url
          alt
          renditions(widths: [375, 750], square: true) {
            url
            width
            height
          }
        }
        approach
        invasiveness
        targets
        muscles {
          id
          name
          slug
        }
        recoveryDays
      }
      pagination {
        total
        totalPages
        currentPage
        nextPage
      }
    }
  }
`);

export type ProcedureCard = ProcedureListQuery["procedures"]["items"][number];

/** One page of procedures. */
export async function listProcedures(
  client: ApolloClient,
  variables: ProcedureListQueryVariables = {},
): Promise<ProcedureListQuery["procedures"]> {
  const { data } = await client.query({ query: ProcedureListDocument, variables });
  if (!data) throw new Error("procedures: no data");
  return data.procedures;
}

/** Every procedure matching the filters, following `pagination.nextPage`. */
export async function listAllProcedures(
  client: ApolloClient,
  filters: Omit<ProcedureListQueryVariables, "page"> = {},
): Promise<ProcedureCard[]> {
  const all: ProcedureCard[] = [];
  let page: number | null | undefined = 1;
  while (page) {
    const result = await listProcedures(client, { ...filters, page });
    all.push(...result.items);
    page = result.pagination.nextPage;
  }
  return all;
}
