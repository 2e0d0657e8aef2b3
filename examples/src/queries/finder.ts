/**
 * The procedure finder: chips per filter value with how many procedures each would find
 * (`facets`), several values per filter (`filter`), chips that find nothing hidden.
 */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";
import type { FinderQuery, ProcedureFilter } from "../gql/graphql";

export const FinderDocument = graphql(`
  query Finder($filter: ProcedureFilter, $locale: String) {
    procedures(filter: $filter, perPage: 50, locale: $locale) {
      items {
        id
        title
        slug
        urlPath
      }
      pagination {
        total
      }
      facets {
        approach {
          value
          count
        }
        invasiveness {
          value
          count
        }
        permanence {
          value
          count
        }
        target {
          value
          count
        }
        muscle {
          value
          count
          muscle {
            name
          }
        }
      }
    }
  }
`);

export type Finder = FinderQuery["procedures"];
export type FilterName = "approach" | "invasiveness" | "permanence" | "target" | "muscle";

export interface Chip {
  filter: FilterName;
  value: string;
  label: string;
  count: number;
  selected: boolean;
}

export async function find(
  client: ApolloClient,
  filter: ProcedureFilter = {},
  locale?: string,
): Promise<Finder> {
  const { data } = await client.query({ query: FinderDocument, variables: { filter, locale } });
  if (!data) throw new Error("no data");
  return data.procedures;
}

/** Every chip worth showing: those that find something, and those already selected. */
export function chips(finder: Finder, filter: ProcedureFilter): Chip[] {
  const selected = (name: FilterName, value: string) =>
    ((filter[name] as string[] | null | undefined) ?? []).includes(value);
  const facets = finder.facets;
  const all: Chip[] = [
    ...facets.approach.map((f) => ({ filter: "approach" as const, value: f.value, label: f.value, count: f.count })),
    ...facets.invasiveness.map((f) => ({ filter: "invasiveness" as const, value: f.value, label: f.value, count: f.count })),
    ...facets.permanence.map((f) => ({ filter: "permanence" as const, value: f.value, label: f.value, count: f.count })),
    ...facets.target.map((f) => ({ filter: "target" as const, value: f.value, label: f.value, count: f.count })),
    ...facets.muscle.map((f) => ({ filter: "muscle" as const, value: f.value, label: f.muscle.name, count: f.count })),
  ].map((chip) => ({ ...chip, selected: selected(chip.filter, chip.value) }));
  return all.filter((chip) => chip.count > 0 || chip.selected);
}

/** The filter after a tap on a chip: its value added to (or taken from) its filter's list. */
export function toggle(filter: ProcedureFilter, chip: Pick<Chip, "filter" | "value">): ProcedureFilter {
  const current = ((filter[chip.filter] as string[] | null | undefined) ?? []).slice();
  const next = current.includes(chip.value) ? current.filter((v) => v !== chip.value) : [...current, chip.value];
  return { ...filter, [chip.filter]: next };
}
