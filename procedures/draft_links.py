"""Keeps `DraftMuscleLink` rows in step with each page's latest draft, so the reference index
protects a muscle that only a draft links as it protects one a live page links."""

from django.db import transaction
from django.db.models.signals import post_save
from wagtail.models import Page, ReferenceIndex

from .fields import ProtectingParentalManyToManyField
from .models import DraftMuscleLink, Muscle


def muscle_fields(model: type[Page]) -> list[str]:
    return [
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, ProtectingParentalManyToManyField) and field.related_model is Muscle
    ]


def muscle_ids(page: Page, fields: list[str]) -> set[int]:
    return {muscle.pk for name in fields for muscle in getattr(page, name).all()}


def draft_only_muscle_ids(page: Page, fields: list[str]) -> set[int]:
    """Muscles the latest draft links that the page's row (its live version) does not."""
    if not page.has_unpublished_changes or not page.latest_revision_id:
        return set()
    draft = page.latest_revision.as_object()
    live = type(page).objects.get(pk=page.pk)  # the row, not the in-memory draft being saved
    return muscle_ids(draft, fields) - muscle_ids(live, fields)


def page_saved(sender, instance: Page, raw: bool = False, **kwargs) -> None:
    """Every revision save, publish and unpublish saves the page row: follow its draft."""
    if raw:
        return
    fields = muscle_fields(sender)
    wanted = draft_only_muscle_ids(instance, fields)
    links = DraftMuscleLink.objects.filter(page_id=instance.pk)
    with transaction.atomic():
        links.exclude(muscle_id__in=wanted).delete()
        have = set(links.values_list("muscle_id", flat=True))
        for muscle_id in wanted - have:
            link = DraftMuscleLink.objects.create(page_id=instance.pk, muscle_id=muscle_id)
            # At once, not in the background task Wagtail queues: a delete may come next.
            ReferenceIndex.create_or_update_for_object(link)


def connect() -> None:
    """Connected once, from `ProceduresConfig.ready`, for each page type that links muscles."""
    from django.apps import apps

    # Wagtail's own signal handlers then drop a link's index rows when the link is deleted.
    ReferenceIndex.register_model(DraftMuscleLink)
    for model in apps.get_models():
        if issubclass(model, Page) and muscle_fields(model):
            post_save.connect(page_saved, sender=model, dispatch_uid=f"draft-links-{model}")
