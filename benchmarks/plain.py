"""Plain Django JSON views answering the benchmark's questions, as a hand-written REST
endpoint would: the ORM with select/prefetch_related, `JsonResponse`, no GraphQL. They are the
yardstick for the API; they are mounted only by `benchmarks.urls`.

A fair yardstick does the work the API's answer needs, no more and no less: the same fields,
the same servable rule for every page it shows, related ones included (`Visibility`: live,
unexpired, this site's, not private), no image from a private collection, rich text as the
public sees it, and absolute media URLs.
"""

from django.db.models import Prefetch
from django.http import JsonResponse
from wagtail.rich_text import expand_db_html

from cms.graphql.context import APIContext
from cms.graphql.images import absolute_media_url
from cms.graphql.interfaces import public_url_path
from cms.graphql.richtext import public_html
from home.models import ArticlePage
from procedures.models import ProcedurePage, live_muscles

SIZES = (320, 640)


class Answer:
    """What one request reads once and every item uses: its URLs and what it may show."""

    def __init__(self, request) -> None:
        # The API's own per-request facts (visibility, image privacy, media base): same work.
        self.context = APIContext(request=request)
        self.pages = self.context.visibility
        self.images = self.context.visibility_of_images

    def url(self, url: str) -> str:
        return absolute_media_url(url, self.context)

    def rich_text(self, value) -> str:
        return public_html(value, self.context)

    def shows(self, image) -> bool:
        return self.images.allows(image)

    def image(self, image, *sizes: int) -> dict | None:
        if image is None or not self.shows(image):
            return None
        data = {
            "url": self.url(image.file.url),
            "width": image.width,
            "height": image.height,
            "alt": image.description,
        }
        if sizes:
            renditions = image.get_renditions(*(f"width-{size}" for size in sizes)).values()
            data["srcSet"] = ", ".join(f"{self.url(r.url)} {r.width}w" for r in renditions)
        return data

    def procedures(self):
        """Servable procedures with what `procedure_json` reads, related ones servable too."""
        related = self.pages.filter(ProcedurePage.objects.order_by("path")).select_related("image")
        return (
            self.pages.filter(ProcedurePage.objects.all())
            .select_related("image")
            .prefetch_related(
                "image__renditions",
                "muscles",
                Prefetch("related_procedures", queryset=related, to_attr="servable_related"),
            )
        )


def procedure_json(page: ProcedurePage, answer: Answer) -> dict:
    return {
        "id": str(page.pk),
        "title": page.title,
        "slug": page.slug,
        "urlPath": public_url_path(page),
        "summary": page.summary,
        "body": answer.rich_text(page.body),
        "approach": page.approach,
        "invasiveness": page.invasiveness,
        "permanence": page.permanence,
        "targets": list(page.targets or []),
        "muscles": [{"name": m.name, "slug": m.slug} for m in live_muscles(page.muscles)],
        "recoveryTime": page.recovery_time,
        "recoveryDays": page.recovery_days,
        "sessions": page.sessions,
        "onset": page.onset,
        "idealCandidates": page.ideal_candidates,
        "image": answer.image(page.image, *SIZES),
        "relatedProcedures": [
            {"slug": r.slug, "title": r.title, "image": answer.image(r.image)}
            for r in page.servable_related
        ],
        "lastPublishedAt": page.last_published_at.isoformat() if page.last_published_at else None,
    }


def procedures(request):
    answer = Answer(request)
    pages = answer.procedures().order_by("path")
    items = [procedure_json(page, answer) for page in pages[:100]]
    return JsonResponse({"procedures": {"items": items, "pagination": {"total": pages.count()}}})


def procedure(request):
    answer = Answer(request)
    page = answer.procedures().filter(slug="calf-liposuction").first()
    return JsonResponse({"procedure": procedure_json(page, answer) if page else None})


def article(request):
    answer = Answer(request)
    page = (
        answer.pages.filter(ArticlePage.objects.all())
        .select_related("hero_image")
        .prefetch_related("hero_image__renditions", "benefits", "target_muscles")
        .get(slug="calf-reduction-surgery-the-basics-explained")
    )
    # The body's raw data holds the chosen ids: no block is converted, no page loaded twice.
    ids = page.referenced_procedure_ids()
    found = {
        p.pk: p
        for p in answer.pages.filter(ProcedurePage.objects.filter(pk__in=ids))
        .select_related("image")
        .prefetch_related("image__renditions", "muscles")
    }
    benefits = [benefit.text for benefit in page.benefits.all()]
    body = []
    for raw in page.body.raw_data:
        kind, value = raw["type"], raw["value"]
        block = {"type": kind, "id": raw["id"]}
        if kind == "heading":
            block["text"] = value
        elif kind == "paragraph":
            block["html"] = public_html(value, answer.context)
        elif kind == "benefits":
            block["items"] = benefits
        elif kind == "procedure":
            chosen = found.get(value["procedure"])
            block["procedure"] = chosen and {
                "slug": chosen.slug,
                "image": answer.image(chosen.image) and {"alt": chosen.image.description},
            }
        body.append(block)
    return JsonResponse(
        {
            "article": {
                "title": page.title,
                "intro": public_html(page.intro, answer.context),
                "heroImage": answer.image(page.hero_image, 640),
                "benefits": benefits,
                "targetMuscles": [
                    {"name": m.name, "slug": m.slug} for m in live_muscles(page.target_muscles)
                ],
                "procedures": [
                    {
                        "slug": p.slug,
                        "title": p.title,
                        "summary": p.summary,
                        "image": answer.image(p.image, 320),
                        "muscles": [{"slug": m.slug} for m in live_muscles(p.muscles)],
                    }
                    for p in (found[pk] for pk in ids if pk in found)
                ],
                "body": body,
            }
        }
    )


class Yardstick(Answer):
    """The leanest fair view: Wagtail's `live().public()` and prefetches, as a hand-written
    endpoint would do it, with no per-request site, privacy-path or collection lookups (so no
    site scoping, no hidden ancestors, no private images) and Wagtail's own rich text."""

    def __init__(self, request) -> None:
        self.context = APIContext(request=request)

    def shows(self, image) -> bool:
        return True

    def procedures(self):
        related = ProcedurePage.objects.live().public().order_by("path").select_related("image")
        return (
            ProcedurePage.objects.live()
            .public()
            .select_related("image")
            .prefetch_related(
                "image__renditions",
                "muscles",
                Prefetch("related_procedures", queryset=related, to_attr="servable_related"),
            )
        )

    def rich_text(self, value) -> str:
        return expand_db_html(value)


def yardstick_procedure(request):
    answer = Yardstick(request)
    page = answer.procedures().filter(slug="calf-liposuction").first()
    return JsonResponse({"procedure": procedure_json(page, answer) if page else None})


def yardstick_procedures(request):
    answer = Yardstick(request)
    pages = answer.procedures().order_by("path")
    items = [procedure_json(page, answer) for page in pages[:100]]
    return JsonResponse({"procedures": {"items": items, "pagination": {"total": pages.count()}}})


def hello(request):
    """The floor: a Django request through the same middleware that does no work at all."""
    return JsonResponse({"data": {"__typename": "Query"}})
