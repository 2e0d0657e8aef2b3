"""Which pages and redirects show an object, so a change to it is a change to them too."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from wagtail.contrib.redirects.models import Redirect
from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex

# An embedded procedure shows its own `relatedProcedures` (and so on): follow embeddings as
# deep as a query may nest (the depth limit keeps any answer shallower than this).
MAX_EMBEDDING_DEPTH = 10


@dataclass(frozen=True)
class Dependents:
    """Live pages whose answer embeds the objects, and redirects whose `newPath` is a page's."""

    pages: frozenset[int]
    redirects: frozenset[int]


def dependents(
    *, pages: Iterable[int] = (), muscles: Iterable[int] = (), images: Iterable[int] = ()
) -> Dependents:
    """Pages (other than `pages` themselves) that show any of the objects, directly or through
    a page they embed, and the redirects to `pages`.

    What a page shows by reference: the procedures of `relatedProcedures`, the article body's
    procedure blocks (`body`, `procedures`), muscles (`muscles`, `targetMuscles`), images
    (`image`, `heroImage`) and the pages and images its rich text links to or embeds. Foreign
    keys, StreamField choosers and rich text are read from Wagtail's reference index; the
    many-to-many fields, which the index does not cover, from their tables. A few queries per
    level of embedding, whatever the number of objects. The tree fields (`parent`,
    `children`, ...) are not embeddings: a client derives the tree from `urlPath`.
    """
    from home.models import ArticlePage
    from procedures.models import ProcedurePage

    changed = set(pages)
    shown: set[int] = set()
    muscles, images = list(muscles), list(images)
    if muscles:
        shown |= set(
            ProcedurePage.muscles.through.objects.filter(muscle_id__in=muscles).values_list(
                "procedurepage_id", flat=True
            )
        )
        shown |= set(
            ArticlePage.target_muscles.through.objects.filter(muscle_id__in=muscles).values_list(
                "articlepage_id", flat=True
            )
        )
    if images:
        shown |= referring_pages(get_image_model(), images)
    frontier = changed | shown
    seen = set(frontier)
    for _level in range(MAX_EMBEDDING_DEPTH):
        if not frontier:
            break
        embedding = referring_pages(Page, frontier)
        embedding |= set(
            ProcedurePage.related_procedures.through.objects.filter(
                to_procedurepage_id__in=frontier
            ).values_list("from_procedurepage_id", flat=True)
        )
        frontier = embedding - seen
        seen |= frontier
    live = Page.objects.filter(pk__in=seen - changed, live=True).values_list("pk", flat=True)
    redirects = Redirect.objects.filter(redirect_page_id__in=changed).values_list("pk", flat=True)
    return Dependents(pages=frozenset(live), redirects=frozenset(redirects))


def referring_pages(model: type, ids: Iterable[int]) -> set[int]:
    """Pages whose live content refers to any of these objects, by the reference index."""
    rows = ReferenceIndex.objects.filter(
        Q(to_content_type=ContentType.objects.get_for_model(model)),
        to_object_id__in=[str(pk) for pk in ids],
        base_content_type=ContentType.objects.get_for_model(Page),
    ).values_list("object_id", flat=True)
    return {int(pk) for pk in rows}
