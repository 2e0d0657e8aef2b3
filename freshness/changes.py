"""Whenever content the API serves changes: bump the response cache's generation, and purge
the shared HTTP caches in front by the changed object's tags (`freshness/purge.py`)."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.contrib.redirects.models import Redirect
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import (
    Collection,
    CollectionViewRestriction,
    Locale,
    Page,
    PageViewRestriction,
    Site,
)
from wagtail.signals import page_published, page_unpublished, post_page_move

from freshness import purge
from freshness.response_cache import bump_generation
from images.renditions import renditions_made


def content_changed(sender=None, instance=None, **kwargs) -> None:
    # Now, for this process and tests, and again once the change is committed: a request that
    # read the old rows before the commit may have stored them under the new generation. Only
    # the second waits for every process to hear it, outside the transaction.
    bump_generation(confirm=False)
    transaction.on_commit(bump_generation)
    # After the bump is queued: an answer computed between the purge and the bump would be
    # the old one, so the cache is purged once the generation has moved.
    purge.after_commit(instance)


def page_deleted(sender, instance, **kwargs) -> None:
    if isinstance(instance, Page):
        content_changed(instance=instance)


def connect() -> None:
    """Connected once, from `CmsConfig.ready`."""
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(content_changed, dispatch_uid=f"cache-{signal}")
    post_delete.connect(page_deleted, dispatch_uid="cache-page-delete")
    from procedures.models import Muscle

    for model in (
        get_image_model(),
        # Rich text links documents; a document moved to a private collection loses its URL.
        get_document_model(),
        Muscle,
        Redirect,
        Site,
        # A new locale is a new value of every `locale` argument.
        Locale,
        # A collection moved under a restricted one hides its images.
        Collection,
        PageViewRestriction,
        CollectionViewRestriction,
    ):
        post_save.connect(content_changed, sender=model, dispatch_uid=f"cache-save-{model}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"cache-del-{model}")
    renditions_made.connect(content_changed, dispatch_uid="cache-renditions-made")
    m2m_changed.connect(
        content_changed,
        sender=PageViewRestriction.groups.through,
        dispatch_uid="cache-restriction-groups",
    )
