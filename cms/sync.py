"""Records what `changes(since:)` reports: every publish, unpublish, delete, move and privacy
change, and every snippet or image edit that changes what a page shows."""

from django.db.models import OuterRef, Subquery
from django.db.models.signals import post_delete, post_save, pre_delete
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from .graphql.interfaces import public_url_path
from .graphql.publication import Visibility
from .models import PageEvent


def record(pages, kind: str, url_paths: dict | None = None) -> None:
    """One event per page, all at one instant (`changes` never splits an instant's events)."""
    now = timezone.now()
    PageEvent.objects.bulk_create(
        PageEvent(
            page_id=page.pk,
            tree_path=page.path,
            url_path=(url_paths or {}).get(page.pk) or public_url_path(page),
            kind=kind,
            at=now,
        )
        for page in pages
    )


def was_public(page: Page) -> bool:
    """Whether readers could see the page: only then may its path be reported as removed (a
    draft's or a private page's path is not for anonymous clients)."""
    return bool(page.live) and not page.get_view_restrictions().exists()


def published(sender, instance, **kwargs) -> None:
    """The page changed; and pages below it that were hidden with it are served again."""
    record([instance], PageEvent.Kind.CHANGED)
    last_kind = PageEvent.objects.filter(page_id=OuterRef("pk")).order_by("-at", "-pk")
    back = (
        Visibility.for_site(instance.get_site())
        .filter(instance.get_descendants())
        .annotate(last_kind=Subquery(last_kind.values("kind")[:1]))
        .filter(last_kind=PageEvent.Kind.REMOVED)
    )
    record(back, PageEvent.Kind.CHANGED)


def unpublished(sender, instance, **kwargs) -> None:
    """The page and what readers saw below it: a page is served only under live ancestors."""
    before = Visibility.for_site(instance.get_site()).as_if_live(instance)
    if not instance.path.startswith(before.hidden_subtrees):
        record([instance, *before.filter(instance.get_descendants())], PageEvent.Kind.REMOVED)


def deleting(sender, instance, **kwargs) -> None:
    # Multi-table inheritance deletes the specific row and the Page row: record the Page one.
    if type(instance) is Page and was_public(instance):
        record([instance], PageEvent.Kind.REMOVED)


def renamed_paths(pages, old_prefix: str, new_prefix: str) -> dict:
    """Each page's public path before its ancestor's (or its own) url path changed."""
    before = {}
    for page in pages:
        if page.url_path.startswith(new_prefix):
            before[page.pk] = public_url_path(
                Page(url_path=old_prefix + page.url_path[len(new_prefix) :])
            )
    return before


def path_changed(page: Page, url_path_before: str) -> None:
    """The page and every live page below it leave their old paths and serve new ones."""
    if page.get_view_restrictions().exists():
        return
    pages = list(page.get_descendants(inclusive=True).live())
    old_paths = renamed_paths(pages, url_path_before, page.url_path)
    record([p for p in pages if p.pk in old_paths], PageEvent.Kind.REMOVED, old_paths)
    record(pages, PageEvent.Kind.CHANGED)


def moved(sender, instance, url_path_before: str, url_path_after: str, **kwargs) -> None:
    if url_path_before != url_path_after:
        path_changed(Page.objects.get(pk=instance.pk), url_path_before)


def slug_changed(sender, instance, instance_before, **kwargs) -> None:
    if instance_before.live:
        path_changed(Page.objects.get(pk=instance.pk), instance_before.url_path)


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
