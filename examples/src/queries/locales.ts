/**
 * Readers in their own language: a procedure in the reader's locale (or its fallback), and the
 * language switcher and hreflang links from `translations`.
 */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";
import type { LocalizedProcedureQuery } from "../gql/graphql";

export const LocalizedProcedureDocument = graphql(`
  query LocalizedProcedure($slug: String!, $locale: String) {
    procedure(slug: $slug, locale: $locale) {
      id
      title
      urlPath
      locale
      requestedLocale
      translations {
        locale
        urlPath
      }
    }
  }
`);

export type LocalizedProcedure = NonNullable<LocalizedProcedureQuery["procedure"]>;

/** The procedure as a reader of `locale` gets it: translated, or the fallback, which says so. */
export async function getLocalizedProcedure(
  client: ApolloClient,
  slug: string,
  locale: string,
): Promise<LocalizedProcedure | null> {
  const { data } = await client.query({
    query: LocalizedProcedureDocument,
    variables: { slug, locale },
  });
  return data?.procedure ?? null;
}

/** Whether the reader is shown another language than they asked for (show a notice). */
export function isFallback(page: Pick<LocalizedProcedure, "locale" | "requestedLocale">): boolean {
  return page.locale !== page.requestedLocale;
}

/**
 * A web app's routes: the default locale at the root, others under their code
 * (`/ko/procedures/…`). The API's `urlPath` is the path in that locale's own tree.
 */
export function localizedHref(locale: string, urlPath: string, defaultLocale = "en"): string {
  return locale === defaultLocale ? urlPath : `/${locale}${urlPath}`;
}

/** The language switcher's entries: one per locale the page is served in. */
export function languageSwitcher(page: LocalizedProcedure): { locale: string; href: string; current: boolean }[] {
  return page.translations.map((t) => ({
    locale: t.locale,
    href: localizedHref(t.locale, t.urlPath),
    current: t.locale === page.locale,
  }));
}

/** `<link rel="alternate" hreflang>` elements for the page's <head>. */
export function hreflangLinks(page: LocalizedProcedure, origin: string): string[] {
  return page.translations.map(
    (t) => `<link rel="alternate" hreflang="${t.locale}" href="${origin}${localizedHref(t.locale, t.urlPath)}">`,
  );
}
