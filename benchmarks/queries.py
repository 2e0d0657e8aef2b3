"""The contract queries the benchmark and the query-count tests both measure."""

PROCEDURE_FIELDS = """
    id title slug urlPath summary bodyHtml approach invasiveness permanence targets
    muscles { name slug } recoveryTime recoveryDays sessions onset idealCandidates
    image { url width height alt srcSet(widths: [320, 640]) }
    relatedProcedures { slug title image { url alt } }
    lastPublishedAt
"""
PROCEDURES = (
    "{ procedures(perPage: 100) { items {" + PROCEDURE_FIELDS + "} pagination { total } } }"
)
PROCEDURE = '{ procedure(slug: "calf-liposuction") {' + PROCEDURE_FIELDS + "} }"
ARTICLE = """
{ article(slug: "calf-reduction-surgery-the-basics-explained") {
    title introHtml heroImage { url srcSet(widths: [640]) } benefits targetMuscles { name slug }
    procedures { slug title summary image { url srcSet(widths: [320]) } muscles { slug } }
    body { __typename id ... on HeadingBlock { text } ... on ParagraphBlock { html }
      ... on BenefitsBlock { items } ... on ProcedureBlock { procedure { slug image { alt } } } }
} }
"""
ACROSS_TYPES = """
{ pages(perPage: 100) { items { __typename title urlPath lastPublishedAt
    ... on ProcedurePage { image { url } muscles { slug } } } }
  search(query: "calf") { ... on ProcedurePage { slug image { url } } ... on ArticlePage { slug } }
}
"""
SLUGS_ONLY = "{ procedures(perPage: 100) { items { slug } } }"

# name -> (document, the plain Django view answering the same question, if there is one)
CONTRACT_QUERIES = {
    "procedures (100 per page)": (PROCEDURES, "procedures"),
    "procedure (one, by slug)": (PROCEDURE, "procedure"),
    "article with its procedures": (ARTICLE, "article"),
    "pages + search across types": (ACROSS_TYPES, None),
    "procedures, slugs only": (SLUGS_ONLY, None),
}
