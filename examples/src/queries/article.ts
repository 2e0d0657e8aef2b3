/** The article, rendered block by block. */
import type { ApolloClient } from "@apollo/client";
import { graphql } from "../gql";
import type { ArticleQuery } from "../gql/graphql";

export const ArticleDocument = graphql(`
  query Article($slug: String!) {
    article(slug: $slug) {
      id
      title
      slug
      urlPath
      seoTitle
      searchDescription
      lastPublishedAt
      introHtml
      heroImage {
        id
        url
        alt
        width
        height
        srcSet
      }
      review {
        ...MedicalReviewFields
      }
      reviewDue
      citations {
        ...CitationFields
      }
      benefits
      targetMuscles {
        id
        name
        slug
      }
      body {
        __typename
        kind
        id
        ... on HeadingBlock {
          text
        }
        ... on ParagraphBlock {
          html
        }
        ... on ListBlock {
          items
        }
        ... on BenefitsBlock {
          items
        }
        ... on ProcedureBlock {
          procedure {
            id
            slug
            title
            summary
            urlPath
            image {
              id
              url
              alt
            }
          }
        }
      }
    }
  }
`);

export type Article = NonNullable<ArticleQuery["article"]>;
export type ArticleBlock = Article["body"][number];

export async function getArticle(client: ApolloClient, slug: string): Promise<Article | null> {
  const { data } = await client.query({ query: ArticleDocument, variables: { slug } });
  return data?.article ?? null;
}

/** Escapes text for HTML. (`...Html` fields are already HTML and are inserted as they are.) */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function listHtml(items: readonly string[], className: string): string {
  return `<ul class="${className}">${items.map((item) => `<li>${escapeHtml(item)}</li>`).join("")}</ul>`;
}

/**
 * One block to HTML. The switch covers every `ArticleBlock` type the schema has: when the
 * server gains a block type and codegen runs again, `_exhaustive` stops compiling until the
 * new type has a case here.
 */
export function renderArticleBlock(block: ArticleBlock): string {
  switch (block.__typename) {
    case "HeadingBlock":
      return `<h2 id="${escapeHtml(block.id)}">${escapeHtml(block.text)}</h2>`;
    case "ParagraphBlock":
      return block.html;
    case "ListBlock":
      return listHtml(block.items, "list");
    case "BenefitsBlock":
      return listHtml(block.items, "benefits");
    case "ProcedureBlock": {
      // null when the procedure is not live (unpublished, private, expired): skip it.
      const procedure = block.procedure;
      if (!procedure) return "";
      return (
        `<aside class="procedure"><a href="${escapeHtml(procedure.urlPath)}">` +
        `${escapeHtml(procedure.title)}</a><p>${escapeHtml(procedure.summary)}</p></aside>`
      );
    }
    default: {
      // tsc: every block type has a case. At run time, an app built before the server gained
      // a block type renders nothing for it instead of breaking.
      const _exhaustive: never = block;
      void _exhaustive;
      return "";
    }
  }
}

export function renderArticle(article: Article): string {
  return [
    `<h1>${escapeHtml(article.title)}</h1>`,
    article.introHtml,
    ...article.body.map(renderArticleBlock),
  ].join("\n");
}
