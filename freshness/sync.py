"""Records what `changes(since:)` reports: every publish, unpublish, delete, move and privacy
change of a page, with every page that shows it (`freshness/dependents.py`); every muscle and
redirect change; and every image edit, as a change of the pages that show the image."""

from collections.abc import Iterable
from dataclasses import replace

from django.db.models import OuterRef, Subquery
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import (
    page_published,
    page_slug_changed,
    page_unpublished,
    post_page_move,
    pre_page_move,
)

from cms.graphql.interfaces import PAGE_TYPES, public_url_path
from cms.graphql.publication import Visibility
from cms.models import PageEvent
from images.renditions import renditions_made

from .dependents import Dependents, dependents

Kind, Subject = PageEvent.Kind, PageEvent.Subject


def record(pages: Iterable[Page], kind: str, url_paths: dict | None = None) -> None:
    """One event per page, all at one instant (`changes` never splits an instant's events).

    A removal is recorded only for a page of an API type, and only once: a page already
    reported removed from that path, with no change since, is not reported again (deleting
    a live page unpublishes it first, and a parent's unpublish reports its subtree)."""
    pages = list(pages)
    if kind == Kind.REMOVED:
        api_models = api_page_models()
        pages = not_yet_removed(
            [page for page in pages if page.specific_class in api_models], url_paths or {}
        )
    now = timezone.now()
    PageEvent.objects.bulk_create(
        PageEvent(
            subject=Subject.PAGE,
            object_id=page.pk,
            tree_path=page.path,
            url_path=(url_paths or {}).get(page.pk) or public_url_path(page),
            kind=kind,
            at=now,
        )
        for page in pages
    )


def api_page_models() -> frozenset[type]:
    """The page types the API serves (registered as the schema is built; a worker or a shell
    records events without having built it)."""
    from cms.graphql import schema  # noqa: F401

    return frozenset(PAGE_TYPES)


def last_events(subject: str, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Each object's latest event: (kind, url_path)."""
    latest = PageEvent.objects.filter(subject=subject, object_id=OuterRef("object_id")).order_by(
        "-at", "-pk"
    )
    rows = (
        PageEvent.objects.filter(subject=subject, object_id__in=list(ids))
        .filter(pk=Subquery(latest.values("pk")[:1]))
        .values_list("object_id", "kind", "url_path")
    )
    return {object_id: (kind, url_path) for object_id, kind, url_path in rows}


def not_yet_removed(pages: list[Page], url_paths: dict) -> list[Page]:
    last = last_events(Subject.PAGE, [page.pk for page in pages])
    return [
        page
        for page in pages
        if last.get(page.pk) != (Kind.REMOVED, url_paths.get(page.pk) or public_url_path(page))
    ]


def record_dependents(found: Dependents) -> None:
    """The pages that show a changed object changed too, and so did redirects to it."""
    if found.pages:
        record(Page.objects.filter(pk__in=found.pages).only("pk", "path", "url_path"), Kind.CHANGED)
    if found.redirects:
        now = timezone.now()
        PageEvent.objects.bulk_create(
            redirect_event(redirect, Kind.CHANGED, now)
            for redirect in Redirect.objects.filter(pk__in=found.redirects).select_related(
                "site__root_page"
            )
        )


def record_with_dependents(pages: list[Page], kind: str, url_paths: dict | None = None) -> None:
    record(pages, kind, url_paths)
    record_dependents(dependents(pages=[page.pk for page in pages]))


def served_subtree(page: Page, visibility: Visibility) -> list[Page]:
    """`page` and the pages below it that readers of `visibility`'s site are served."""
    return list(visibility.filter(page.get_descendants(inclusive=True)))


def published(sender, instance, **kwargs) -> None:
    """The page changed; and pages below it that were hidden with it are served again."""
    last_kind = PageEvent.objects.filter(subject=Subject.PAGE, object_id=OuterRef("pk")).order_by(
        "-at", "-pk"
    )
    back = (
        Visibility.for_site(instance.get_site())
        .filter(instance.get_descendants())
        .annotate(last_kind=Subquery(last_kind.values("kind")[:1]))
        .filter(last_kind=Kind.REMOVED)
    )
    record_with_dependents([instance, *back], Kind.CHANGED)


def unpublished(sender, instance, **kwargs) -> None:
    """The page and what readers saw below it: a page is served only under live ancestors.

    Wagtail unpublishes a live page before deleting it, so this reports deletions too. An
    expired page was reported when it expired; a page of no site was never served."""
    site = instance.get_site()
    expired = instance.expire_at is not None and instance.expire_at <= timezone.now()
    if site is None or expired:
        return
    before = Visibility.for_site(site).as_if_live(instance)
    if instance.path.startswith(before.hidden_subtrees) or not instance.path.startswith(
        before.site_root_paths
    ):
        return
    record_with_dependents([instance, *before.filter(instance.get_descendants())], Kind.REMOVED)


def renamed_paths(pages, old_prefix: str, new_prefix: str) -> dict:
    """Each page's public path before its ancestor's (or its own) url path changed."""
    before = {}
    for page in pages:
        if page.url_path.startswith(new_prefix):
            before[page.pk] = public_url_path(
                Page(url_path=old_prefix + page.url_path[len(new_prefix) :])
            )
    return before


def slug_changed(sender, instance, instance_before, **kwargs) -> None:
    """The page and every page served below it leave their old paths for new ones."""
    if not instance_before.live:
        return
    page = Page.objects.get(pk=instance.pk)
    pages = served_subtree(page, Visibility.for_site(page.get_site()))
    old_paths = renamed_paths(pages, instance_before.url_path, page.url_path)
    record([p for p in pages if p.pk in old_paths], Kind.REMOVED, old_paths)
    record(pages, Kind.CHANGED)
    # Pages that show the renamed ones, and redirects to them (Wagtail adds some for the old
    # paths).
    subtree = page.get_descendants(inclusive=True).values_list("pk", flat=True)
    record_dependents(dependents(pages=subtree))


def moving(sender, instance, url_path_before: str, url_path_after: str, **kwargs) -> None:
    """Before a move: what readers of the page's site were served there is removed, whether
    the page goes elsewhere on the site, under a restricted page or to another site."""
    if url_path_before == url_path_after:
        return
    page = Page.objects.get(pk=instance.pk)
    record(served_subtree(page, Visibility.for_site(page.get_site())), Kind.REMOVED)


def moved(sender, instance, url_path_before: str, url_path_after: str, **kwargs) -> None:
    """After a move: what readers of the page's new site are served there is a change."""
    if url_path_before == url_path_after:
        return
    page = Page.objects.get(pk=instance.pk)
    record(served_subtree(page, Visibility.for_site(page.get_site())), Kind.CHANGED)
    # Pages that show the moved ones (a related procedure's urlPath, or it being gone), and
    # redirects to them (Wagtail adds some for the old paths).
    subtree = page.get_descendants(inclusive=True).values_list("pk", flat=True)
    record_dependents(dependents(pages=subtree))


def restriction_saved(sender, instance, **kwargs) -> None:
    """A restriction hides a page and everything below it."""
    page = instance.page
    now = Visibility.for_site(page.get_site())
    # The restriction is already saved: the rule as it stood without it.
    before = replace(now, restricted_paths=tuple(p for p in now.restricted_paths if p != page.path))
    record_with_dependents(served_subtree(page, before), Kind.REMOVED)


def restriction_deleted(sender, instance, **kwargs) -> None:
    """Lifting a restriction shows the pages again."""
    page = instance.page
    record_with_dependents(served_subtree(page, Visibility.for_site(page.get_site())), Kind.CHANGED)


def image_edited(sender, instance, **kwargs) -> None:
    """An image's file, alt text or collection is part of every page that shows it."""
    record_dependents(dependents(images=[instance.pk]))


def muscle_saved(sender, instance, **kwargs) -> None:
    """Only published muscles are shown: a muscle unpublished is removed, if it was shown."""
    if instance.live:
        record_muscle(instance, Kind.CHANGED)
    elif last_events(Subject.MUSCLE, [instance.pk]).get(instance.pk, ("",))[0] == Kind.CHANGED:
        record_muscle(instance, Kind.REMOVED)
    record_dependents(dependents(muscles=[instance.pk]))


def muscle_deleting(sender, instance, **kwargs) -> None:
    # Before the delete, while the pages that show it can still be found.
    if instance.live:
        record_muscle(instance, Kind.REMOVED)
    record_dependents(dependents(muscles=[instance.pk]))


def record_muscle(muscle, kind: str) -> None:
    PageEvent.objects.create(
        subject=Subject.MUSCLE, object_id=muscle.pk, kind=kind, at=timezone.now()
    )


def redirect_event(redirect: Redirect, kind: str, at) -> PageEvent:
    """Keyed by old path within its site (or all sites, with no tree path)."""
    site = redirect.site
    return PageEvent(
        subject=Subject.REDIRECT,
        object_id=redirect.pk,
        tree_path=site.root_page.path if site else "",
        url_path=redirect.old_path,
        kind=kind,
        at=at,
    )


def redirect_saving(sender, instance, **kwargs) -> None:
    """A redirect whose old path or site changes leaves its old path."""
    if instance.pk is None:
        return
    old = Redirect.objects.filter(pk=instance.pk).select_related("site__root_page").first()
    if old is not None and (old.old_path, old.site_id) != (instance.old_path, instance.site_id):
        redirect_event(old, Kind.REMOVED, timezone.now()).save()


def redirect_saved(sender, instance, **kwargs) -> None:
    redirect_event(instance, Kind.CHANGED, timezone.now()).save()


def redirect_deleted(sender, instance, **kwargs) -> None:
    redirect_event(instance, Kind.REMOVED, timezone.now()).save()


def connect() -> None:
    """Connected once, from `CmsConfig.ready`."""
    # Wagtail's redirects app makes redirects for a moved or renamed page's old paths with
    # `bulk_create`, which sends no signal: our handlers must run after it to see them, so
    # its handlers are connected first (its own `ready` then connects the same receivers
    # again, which Django ignores). tests/test_sync.py fails if that changes.
    from wagtail.contrib.redirects.signal_handlers import (
        autocreate_redirects_on_page_move,
        autocreate_redirects_on_slug_change,
    )

    from procedures.models import Muscle

    post_page_move.connect(autocreate_redirects_on_page_move)
    page_slug_changed.connect(autocreate_redirects_on_slug_change)
    page_published.connect(published, dispatch_uid="sync-published")
    page_unpublished.connect(unpublished, dispatch_uid="sync-unpublished")
    pre_page_move.connect(moving, dispatch_uid="sync-moving")
    post_page_move.connect(moved, dispatch_uid="sync-moved")
    page_slug_changed.connect(slug_changed, dispatch_uid="sync-slug")
    post_save.connect(restriction_saved, sender=PageViewRestriction, dispatch_uid="sync-r-save")
    post_delete.connect(restriction_deleted, sender=PageViewRestriction, dispatch_uid="sync-r-del")
    image = get_image_model()
    # Before a delete, while the deleted row's links can still be followed.
    post_save.connect(image_edited, sender=image, dispatch_uid="sync-image-save")
    pre_delete.connect(image_edited, sender=image, dispatch_uid="sync-image-delete")
    # Renditions the answers promised are made: the pages re-sent with their made URLs.
    renditions_made.connect(image_edited, dispatch_uid="sync-renditions-made")
    post_save.connect(muscle_saved, sender=Muscle, dispatch_uid="sync-muscle-save")
    pre_delete.connect(muscle_deleting, sender=Muscle, dispatch_uid="sync-muscle-delete")
    pre_save.connect(redirect_saving, sender=Redirect, dispatch_uid="sync-redirect-saving")
    post_save.connect(redirect_saved, sender=Redirect, dispatch_uid="sync-redirect-save")
    post_delete.connect(redirect_deleted, sender=Redirect, dispatch_uid="sync-redirect-del")
