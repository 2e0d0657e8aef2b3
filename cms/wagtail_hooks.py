from wagtail import hooks

from cms.graphql.page_queries import PageQueries


# Registered before grapple's own hook, so these resolvers come first in the Query's bases.
@hooks.register("register_schema_query", order=-10)
def add_page_queries(query_mixins: list) -> None:
    query_mixins.insert(0, PageQueries)
