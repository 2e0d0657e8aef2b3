"""The article's read side of the API: page and body block types, root fields, relation plan."""

import graphene
from django.db.models import prefetch_related_objects

from cms.graphql.images import image_field
from cms.graphql.interfaces import Page, page_type
from cms.graphql.pages import (
    listed_pages,
    live_pages,
    page_field,
    page_list_field,
    paginated_pages,
)
from cms.graphql.pagination import paginated_type
from cms.graphql.planning import (
    Relation,
    merge_trees,
    plan_translations,
    planned_queryset,
    register_plan,
)
from cms.graphql.publication import servable_pages
from cms.graphql.richtext import public_html
from cms.graphql.structured_data import json_ld_field
from freshness.tags import depends_on, page_tags
from procedures.api import MuscleNode, ProcedurePageNode
from procedures.models import ProcedurePage, live_muscles
from reviews.api import Reviewed, plan_reviews
from reviews.structured_data import medical_web_page, plan_medical_web_pages

from .models import ArticlePage, HomePage


@page_type(HomePage)
class HomePageNode(graphene.ObjectType):
    """The site's home page at `/`; the article and the procedure index are its children."""

    class Meta:
        name = "HomePage"
        interfaces = (Page,)


class ArticleBlockKind(graphene.Enum):
    """What a body block is, for clients that switch on a field rather than `__typename`
    (`ListBlock` and `BenefitsBlock` have the same fields)."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST = "list"
    BENEFITS = "benefits"
    PROCEDURE = "procedure"


class ArticleBlock(graphene.Interface):
    """One block of the article body. Select `__typename` (or `kind`) and switch on it; every
    type is listed in the schema, so a client's switch can be checked for completeness."""

    id = graphene.ID(required=True, description="Stable across edits of other blocks.")
    kind = graphene.Field(
        graphene.NonNull(ArticleBlockKind),
        description="The block's type as an enum: one value per type that implements this.",
    )

    @staticmethod
    def resolve_kind(block, info) -> str:
        return BLOCK_KINDS[type(block)]


class HeadingBlock(graphene.ObjectType):
    """A section heading."""

    class Meta:
        interfaces = (ArticleBlock,)

    text = graphene.String(required=True)


class ParagraphBlock(graphene.ObjectType):
    """A paragraph of rich text."""

    class Meta:
        interfaces = (ArticleBlock,)

    html = graphene.String(required=True)


class ListBlock(graphene.ObjectType):
    """A bulleted list."""

    class Meta:
        interfaces = (ArticleBlock,)

    items = graphene.List(graphene.NonNull(graphene.String), required=True)


class BenefitsBlock(graphene.ObjectType):
    """Where the article's benefits are shown: the same items as `ArticlePage.benefits`."""

    class Meta:
        interfaces = (ArticleBlock,)

    items = graphene.List(graphene.NonNull(graphene.String), required=True)


class ProcedureBlock(graphene.ObjectType):
    """A procedure shown by reference: its text lives on its own page."""

    class Meta:
        interfaces = (ArticleBlock,)

    procedure = graphene.Field(
        ProcedurePageNode, description="The procedure, or null when it is not live and public."
    )


BLOCK_KINDS = {
    HeadingBlock: ArticleBlockKind.HEADING.value,
    ParagraphBlock: ArticleBlockKind.PARAGRAPH.value,
    ListBlock: ArticleBlockKind.LIST.value,
    BenefitsBlock: ArticleBlockKind.BENEFITS.value,
    ProcedureBlock: ArticleBlockKind.PROCEDURE.value,
}


@page_type(ArticlePage)
class ArticlePageNode(Reviewed, graphene.ObjectType):
    """An educational article; procedures appear in its body by reference."""

    class Meta:
        name = "ArticlePage"
        interfaces = (Page,)

    intro_html = graphene.String(required=True, description="The opening paragraphs, as HTML.")
    hero_image = image_field("hero_image", "Shown at the top of the article.")
    body = graphene.List(graphene.NonNull(ArticleBlock), required=True)
    benefits = graphene.List(graphene.NonNull(graphene.String), required=True)
    target_muscles = graphene.List(
        graphene.NonNull(MuscleNode),
        required=True,
        description="The muscles the article says calf reduction targets.",
    )
    procedures = graphene.List(
        graphene.NonNull(ProcedurePageNode),
        required=True,
        description="The live, public procedures the body shows, in body order.",
    )
    json_ld = json_ld_field()

    @staticmethod
    def resolve_intro_html(article, info) -> str:
        return public_html(article.intro, info.context)

    @staticmethod
    def resolve_benefits(article, info) -> list[str]:
        return benefit_texts(article)

    @staticmethod
    def resolve_target_muscles(article, info) -> list:
        return live_muscles(article.target_muscles)

    @staticmethod
    def resolve_procedures(article, info) -> list:
        found = referenced_procedures(article, info)
        return [found[pk] for pk in article.referenced_procedure_ids() if pk in found]

    @staticmethod
    def resolve_json_ld(article, info) -> str:
        return medical_web_page(article, info.context)

    @staticmethod
    def resolve_body(article, info) -> list:
        # Raw block data: no block is converted, and no chosen page is loaded just for its id.
        blocks = []
        benefits = None
        for raw in article.body.raw_data:
            kind, value, block_id = raw["type"], raw["value"], raw["id"]
            if kind == "heading":
                blocks.append(HeadingBlock(id=block_id, text=value))
            elif kind == "paragraph":
                blocks.append(ParagraphBlock(id=block_id, html=public_html(value, info.context)))
            elif kind == "list":
                items = [item["value"] if isinstance(item, dict) else item for item in value]
                blocks.append(ListBlock(id=block_id, items=items))
            elif kind == "benefits":
                # Read once for every benefits block (from the plan's prefetch when planned).
                benefits = benefit_texts(article) if benefits is None else benefits
                blocks.append(BenefitsBlock(id=block_id, items=benefits))
            elif kind == "procedure":
                found = referenced_procedures(article, info)
                blocks.append(ProcedureBlock(id=block_id, procedure=found.get(value["procedure"])))
        return blocks


def benefit_texts(article: ArticlePage) -> list[str]:
    return [benefit.text for benefit in article.benefits.all()]


def referenced_procedures(article: ArticlePage, info) -> dict:
    """The servable procedures the body refers to, by id: planned, or loaded once here."""
    # Shown or hidden: one published later must purge this answer too.
    depends_on(info.context, page_tags(article.referenced_procedure_ids()))
    planned = getattr(article, "planned_procedures", None)
    if planned is None:
        pages = live_pages(ProcedurePage, info).filter(pk__in=article.referenced_procedure_ids())
        planned = article.planned_procedures = {page.pk: page for page in pages}
    return planned


def plan_referenced_procedures(articles: list, tree: dict, context) -> None:
    """One planned query for every procedure the articles show, for `procedures` and the
    body's procedure blocks alike; the benefits the body's blocks show; the articles' reviews."""
    plan_reviews(articles, tree)
    plan_medical_web_pages(articles, tree)
    if "body" in tree:
        prefetch_related_objects(articles, "benefits")
    wanted = merge_trees(tree.get("procedures", {}), tree.get("body", {}).get("procedure", {}))
    if "procedures" not in tree and "procedure" not in tree.get("body", {}):
        return
    ids = {pk for article in articles for pk in article.referenced_procedure_ids()}
    pages = servable_pages(ProcedurePage.objects.filter(pk__in=ids), context)
    planned = {page.pk: page for page in planned_queryset(pages, wanted, context)}
    plan_translations(list(planned.values()), wanted, context)
    for article in articles:
        article.planned_procedures = planned


register_plan(
    ArticlePage,
    {
        "heroImage": Relation("hero_image", kind="image"),
        "benefits": Relation("benefits"),
        "targetMuscles": Relation("target_muscles"),
        "citations": Relation("citations"),
    },
    after_fetch=plan_referenced_procedures,
)

ArticleList = paginated_type(
    "ArticleList", ArticlePageNode, "One page of articles and where it sits in the list."
)


class ArticleQuery(graphene.ObjectType):
    article = page_field(
        ArticlePageNode,
        ArticlePage,
        "One live article by id, slug or URL path, or its draft by preview token.",
    )
    articles = page_list_field(ArticleList, "Live articles, most recently published first.")

    @staticmethod
    def resolve_articles(root, info, page=1, per_page=None, locale=None):
        qs = listed_pages(ArticlePage, info).order_by("-first_published_at", "path")
        return paginated_pages(qs, info, page, per_page, locale)
