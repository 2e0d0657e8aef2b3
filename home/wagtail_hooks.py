from wagtail import hooks

from .schema import ArticleQuery


@hooks.register("register_schema_query")
def add_article_queries(query_mixins: list) -> None:
    query_mixins.append(ArticleQuery)
