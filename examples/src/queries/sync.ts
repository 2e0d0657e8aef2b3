/**
 * Offline sync: ask for what changed since the last sync, store it, and repeat at once with
 * `since: until` while `hasMore` is true. Keep the last `until` for the next sync.
 */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";
import type { ChangesQuery } from "../gql/graphql";

export const ChangesDocument = graphql(`
  query Changes($since: DateTime!, $limit: Int = 50) {
    changes(since: $since, limit: $limit) {
      pages {
        __typename
        id
        title
        slug
        urlPath
        lastPublishedAt
        ... on ProcedurePage {
          summary
          recoveryDays
        }
        ... on ArticlePage {
          introHtml
        }
      }
      removed {
        id
        urlPath
        removedAt
      }
      muscles {
        id
        name
        slug
      }
      removedMuscles
      redirects {
        oldPath
        newPath
        isPermanent
      }
      removedRedirects
      until
      hasMore
    }
  }
`);

export type SyncedPage = ChangesQuery["changes"]["pages"][number];
export type SyncedMuscle = ChangesQuery["changes"]["muscles"][number];
export type SyncedRedirect = ChangesQuery["changes"]["redirects"][number];

/** A minimal offline store: pages and muscles by id, redirects by old path, and the cursor. */
export interface OfflineStore {
  pages: Map<string, SyncedPage>;
  /** The filter chips: muscles by id. */
  muscles: Map<string, SyncedMuscle>;
  /** Old paths an app should follow to their new page (newPath null: not public). */
  redirects: Map<string, SyncedRedirect>;
  /** ids removed (unpublished, deleted, moved away, made private, expired) during syncs. */
  removedIds: Set<string>;
  /** The `until` of the last sync: the `since` of the next one. */
  cursor: string;
}

/** The beginning of time, for a first sync. */
export const EPOCH = "1970-01-01T00:00:00+00:00";

export function emptyStore(): OfflineStore {
  return {
    pages: new Map(),
    muscles: new Map(),
    redirects: new Map(),
    removedIds: new Set(),
    cursor: EPOCH,
  };
}

/** Brings `store` up to date; returns how many requests it took. */
export async function sync(
  client: ApolloClient,
  store: OfflineStore,
  { limit = 50, maxRequests = 1000 }: { limit?: number; maxRequests?: number } = {},
): Promise<number> {
  for (let requests = 1; requests <= maxRequests; requests++) {
    const { data } = await client.query({
      query: ChangesDocument,
      variables: { since: store.cursor, limit },
      // A sync feed is read once: do not keep it in the normalized cache.
      fetchPolicy: "no-cache",
    });
    if (!data) throw new Error("changes: no data");
    const { pages, removed, muscles, removedMuscles, redirects, removedRedirects, until, hasMore } =
      data.changes;
    // Removed paths first, then upserts: a moved page is removed at its old path and comes
    // back in `pages` at its new one, under the same id.
    for (const gone of removed) {
      if (store.pages.get(gone.id)?.urlPath === gone.urlPath) {
        store.pages.delete(gone.id);
        store.removedIds.add(gone.id);
      }
    }
    for (const page of pages) {
      store.pages.set(page.id, page);
      store.removedIds.delete(page.id);
    }
    for (const id of removedMuscles) store.muscles.delete(id);
    for (const muscle of muscles) store.muscles.set(muscle.id, muscle);
    for (const oldPath of removedRedirects) store.redirects.delete(oldPath);
    for (const redirect of redirects) store.redirects.set(redirect.oldPath, redirect);
    store.cursor = until;
    if (!hasMore) return requests;
  }
  throw new Error(`changes: still hasMore after ${maxRequests} requests`);
}
