"""The article root fields of the API: `article` and `articles`."""

import graphene
from grapple.registry import registry

from cms.graphql.pages import find_page, live_pages, lookup_arguments
from cms.graphql.pagination import paginate, paginated_type, pagination_arguments
from cms.graphql.planning import prefetch_pages

from .models import ArticlePage


def article_type():
    return registry.pages[ArticlePage]


ArticleList = paginated_type("ArticleList", article_type)


class ArticleQuery:
    article = graphene.Field(
        article_type,
        description="One live article by id, slug or URL path, or its draft by preview token.",
        **lookup_arguments(),
    )
    articles = graphene.Field(
        graphene.NonNull(ArticleList),
        description="Live articles, most recently published first.",
        **pagination_arguments(),
    )

    def resolve_article(self, info, **kwargs):
        page = find_page(ArticlePage, info, **kwargs)
        return prefetch_pages([page], info)[0]

    def resolve_articles(self, info, page=1, per_page=None):
        qs = live_pages(ArticlePage, info).order_by("-first_published_at", "path")
        result = paginate(qs, page, per_page)
        prefetch_pages(result["items"], info, "items")
        return result
