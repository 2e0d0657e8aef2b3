"""Records what `changes(since:)` reports: every publish, unpublish, delete, move and privacy
change, and every snippet or image edit that changes what a page shows."""

from django.db.models.signals import post_delete, post_save, pre_delete
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from .graphql.interfaces import public_url_path
from .models import PageEvent


def record(pages, kind: str) -> None:
    now = timezone.now()
    PageEvent.objects.bulk_create(
        PageEvent(page_id=page.pk, url_path=public_url_path(page), kind=kind, at=now)
        for page in pages
    )


def published(sender, instance, **kwargs) -> None:
    record([instance], PageEvent.Kind.CHANGED)


def unpublished(sender, instance, **kwargs) -> None:
    record([instance], PageEvent.Kind.REMOVED)


def deleting(sender, instance, **kwargs) -> None:
    if isinstance(instance, Page):
        record([instance], PageEvent.Kind.REMOVED)


def moved(sender, instance, url_path_before: str, url_path_after: str, **kwargs) -> None:
    if url_path_before == url_path_after:
        return
    before = Page(pk=instance.pk, url_path=url_path_before)
    record([before], PageEvent.Kind.REMOVED)
    record(instance.get_descendants(inclusive=True).live(), PageEvent.Kind.CHANGED)


def slug_changed(sender, instance, instance_before, **kwargs) -> None:
    """The old path stops serving the page (the publish records the new one)."""
    record([instance_before], PageEvent.Kind.REMOVED)


def restriction_saved(sender, instance, **kwargs) -> None:
    """A restriction hides a page and everything below it."""
    record(instance.page.get_descendants(inclusive=True).live(), PageEvent.Kind.REMOVED)


def restriction_deleted(sender, instance, **kwargs) -> None:
    """Lifting a restriction shows the pages again."""
    record(instance.page.get_descendants(inclusive=True).live(), PageEvent.Kind.CHANGED)


def pages_showing(instance) -> list[Page]:
    """Live pages whose content includes this muscle or image."""
    from home.models import ArticlePage
    from procedures.models import Muscle, ProcedurePage

    if isinstance(instance, Muscle):
        pages = [*instance.procedures.live(), *instance.articles.live()]
    else:
        pages = [
            *ProcedurePage.objects.live().filter(image=instance),
            *ArticlePage.objects.live().filter(hero_image=instance),
        ]
    return pages


def content_edited(sender, instance, **kwargs) -> None:
    record(pages_showing(instance), PageEvent.Kind.CHANGED)


def connect() -> None:
    """Connected once, from `CmsConfig.ready`."""
    from procedures.models import Muscle

    page_published.connect(published, dispatch_uid="sync-published")
    page_unpublished.connect(unpublished, dispatch_uid="sync-unpublished")
    pre_delete.connect(deleting, dispatch_uid="sync-deleting")
    post_page_move.connect(moved, dispatch_uid="sync-moved")
    page_slug_changed.connect(slug_changed, dispatch_uid="sync-slug")
    post_save.connect(restriction_saved, sender=PageViewRestriction, dispatch_uid="sync-r-save")
    post_delete.connect(restriction_deleted, sender=PageViewRestriction, dispatch_uid="sync-r-del")
    # Before a delete, while the deleted row's links can still be followed.
    for signal in (post_save, pre_delete):
        for model in (Muscle, get_image_model()):
            signal.connect(content_edited, sender=model, dispatch_uid=f"sync-{model}-{signal}")
