"""The contract queries the benchmark and the query-count tests both measure."""

PROCEDURE_FIELDS = """
    id title slug urlPath summary body approach invasiveness permanence targets
    muscles { name slug } recoveryTime recoveryDays sessions onset idealCandidates
    image { url width height alt srcSet(sizes: [320, 640]) }
    relatedProcedures { slug title image { url alt } }
    lastPublishedAt
"""
PROCEDURES = (
    "{ procedures(perPage: 100) { items {" + PROCEDURE_FIELDS + "} pagination { total } } }"
)
PROCEDURE = '{ procedure(slug: "calf-liposuction") {' + PROCEDURE_FIELDS + "} }"
ARTICLE = """
{ article(slug: "calf-reduction-surgery-the-basics-explained") {
    title intro heroImage { url srcSet(sizes: [640]) } benefits targetMuscles { name slug }
    procedures { slug title summary image { url srcSet(sizes: [320]) } muscles { slug } }
    body { blockType field rawValue ... on ProcedureBlock { procedure { slug image { alt } } } }
} }
"""
ACROSS_TYPES = """
{ pages(limit: 100) { __typename title urlPath contentType url
    ... on ProcedurePage { image { url } muscles { slug } } }
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
