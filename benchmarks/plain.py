"""Plain Django JSON views answering the benchmark's questions, as a hand-written REST
endpoint would: the ORM with select/prefetch_related, `JsonResponse`, no GraphQL. They are the
yardstick for the API's cached requests/s; they are mounted only by `benchmarks.urls`."""

from django.http import JsonResponse
from wagtail.rich_text import expand_db_html

from home.models import ArticlePage
from procedures.models import ProcedurePage

SIZES = (320, 640)


def image_json(image, *sizes: int) -> dict | None:
    if image is None:
        return None
    data = {"url": image.file.url, "width": image.width, "height": image.height, "alt": image.alt}
    if sizes:
        renditions = image.get_renditions(*(f"width-{size}" for size in sizes)).values()
        data["srcSet"] = ", ".join(f"{r.url} {r.width}w" for r in renditions)
    return data


def procedure_json(page: ProcedurePage) -> dict:
    return {
        "id": str(page.pk),
        "title": page.title,
        "slug": page.slug,
        "urlPath": page.url_path,
        "summary": page.summary,
        "body": expand_db_html(page.body),
        "approach": page.approach,
        "invasiveness": page.invasiveness,
        "permanence": page.permanence,
        "targets": list(page.targets or []),
        "muscles": [{"name": m.name, "slug": m.slug} for m in page.muscles.all()],
        "recoveryTime": page.recovery_time,
        "recoveryDays": page.recovery_days,
        "sessions": page.sessions,
        "onset": page.onset,
        "idealCandidates": page.ideal_candidates,
        "image": image_json(page.image, *SIZES),
        "relatedProcedures": [
            {"slug": r.slug, "title": r.title, "image": image_json(r.image)}
            for r in page.related_procedures.all()
            if r.live
        ],
        "lastPublishedAt": page.last_published_at.isoformat() if page.last_published_at else None,
    }


def procedure_queryset():
    return (
        ProcedurePage.objects.live()
        .public()
        .select_related("image")
        .prefetch_related("image__renditions", "muscles", "related_procedures__image")
    )


def procedures(request):
    pages = procedure_queryset().order_by("path")
    items = [procedure_json(page) for page in pages[:100]]
    return JsonResponse({"procedures": {"items": items, "pagination": {"total": pages.count()}}})


def procedure(request):
    page = procedure_queryset().filter(slug="calf-liposuction").first()
    return JsonResponse({"procedure": procedure_json(page) if page else None})


def article(request):
    page = (
        ArticlePage.objects.live()
        .public()
        .select_related("hero_image")
        .prefetch_related("hero_image__renditions", "benefits", "target_muscles")
        .get(slug="calf-reduction-surgery-the-basics-explained")
    )
    chosen = [block.value["procedure"] for block in page.body if block.block_type == "procedure"]
    referenced = {
        p.pk: p for p in procedure_queryset().filter(pk__in=[p.pk for p in chosen if p is not None])
    }
    return JsonResponse(
        {
            "article": {
                "title": page.title,
                "intro": expand_db_html(page.intro),
                "heroImage": image_json(page.hero_image, 640),
                "benefits": [benefit.text for benefit in page.benefits.all()],
                "targetMuscles": [
                    {"name": m.name, "slug": m.slug} for m in page.target_muscles.all()
                ],
                "procedures": [
                    {
                        "slug": p.slug,
                        "title": p.title,
                        "summary": p.summary,
                        "image": image_json(p.image, 320),
                        "muscles": [{"slug": m.slug} for m in p.muscles.all()],
                    }
                    for p in referenced.values()
                ],
                "body": [
                    {
                        "blockType": block.block_type,
                        "rawValue": block.block.get_prep_value(block.value),
                    }
                    for block in page.body
                ],
            }
        }
    )


def hello(request):
    """The floor: a Django request through the same middleware that does no work at all."""
    return JsonResponse({"data": {"__typename": "Query"}})
