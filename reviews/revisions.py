"""A save that changes no content makes no new revision, so the revision under review stays
the latest one and its approval stands."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from wagtail.models import COMMENTS_RELATION_NAME

# Bookkeeping Wagtail keeps in a revision beside the content; it differs between two saves of
# the same content, so it is not compared.
BOOKKEEPING = frozenset(
    {
        "pk",
        "path",
        "depth",
        "numchild",
        "url_path",
        "draft_title",
        "live",
        "live_revision",
        "has_unpublished_changes",
        "latest_revision",
        "latest_revision_created_at",
        "first_published_at",
        "last_published_at",
        "expired",
        "locked",
        "locked_at",
        "locked_by",
        COMMENTS_RELATION_NAME,
    }
)


def content_of(data: dict) -> dict:
    """Revision content as stored (JSON), without the bookkeeping."""
    stored = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return {key: value for key, value in stored.items() if key not in BOOKKEEPING}


def without_child_ids(value):
    """Child rows a draft of a live page holds have no id yet (a form may give them one), and
    their order is the list's order whatever `sort_order` says."""
    if isinstance(value, list):
        return [without_child_ids(item) for item in value]
    if isinstance(value, dict):
        return {k: without_child_ids(v) for k, v in value.items() if k not in ("pk", "sort_order")}
    return value


class UnchangedRevisionMixin:
    """`save_revision` returns the latest revision instead of an identical copy of it.

    Wagtail's edit view asks the form whether anything changed, and a form with a child row
    that has no database id yet (a citation added in a draft of a live page) always says yes;
    with `WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT` that copy restarted the review
    (wagtail/wagtail#13563). Only while a review is under way, so plain drafting (and its
    autosave, which overwrites its own revisions) is Wagtail's own. Comments made with such a
    save are kept on the latest revision.
    """

    def save_revision(self, user=None, approved_go_live_at=None, **kwargs):
        latest = self.get_latest_revision() if self.pk else None
        if (
            latest is None
            or not self.workflow_in_progress
            or approved_go_live_at is not None
            or kwargs.get("previous_revision") is not None
            or kwargs.get("overwrite_revision") is not None
            or without_child_ids(content_of(latest.content))
            != without_child_ids(content_of(self.serializable_data()))
        ):
            return super().save_revision(
                user=user, approved_go_live_at=approved_go_live_at, **kwargs
            )
        if kwargs.get("clean", True):
            self.full_clean()
        self.keep_comments(latest)
        return latest

    def keep_comments(self, revision) -> None:
        """New comments and replies of the form, saved against the unchanged revision."""
        comments = getattr(self, COMMENTS_RELATION_NAME)
        for comment in comments.filter(pk__isnull=True):
            comment.revision_created = revision
            comment.save()
        self.save(update_fields=[COMMENTS_RELATION_NAME], clean=False)
