"""Medical review of translations.

wagtail-localize's translation editor has no workflow actions (it shows the source beside the
translation, and publishes), so a translation's review is its publishing: a medical reviewer
may publish a page that is the target of a synced translation, and that publish is recorded as
a `MedicalReview` of the published revision. An editor cannot publish one. The API serves a
translation only while such a review covers its live revision: a page wagtail-localize made
live in other ways (turning a live alias into a translation keeps it live) falls back to its
reviewed source until a reviewer publishes it.
"""

from django.db.models import Exists, OuterRef, Q
from wagtail.models import Locale
from wagtail.signals import page_published
from wagtail_localize.views.update_translations import UpdateTranslationsView

from .models import REVIEWERS_GROUP, MedicalReview


def is_reviewer(user) -> bool:
    return user is not None and user.is_active and user.groups.filter(name=REVIEWERS_GROUP).exists()


def is_translation_target(page) -> bool:
    """The page is a translation wagtail-localize keeps in sync with a source in another
    locale (edited in its translation editor, not Wagtail's)."""
    from wagtail_localize.models import Translation

    if page.pk is None or page.alias_of_id is not None:
        return False
    return (
        Translation.objects.filter(
            source__object_id=page.translation_key, target_locale_id=page.locale_id, enabled=True
        )
        .exclude(source__locale_id=page.locale_id)
        .exists()
    )


def reviewed_live_revision() -> Q:
    """In SQL, for pages: a medical review covers the live revision."""
    return Q(Exists(MedicalReview.objects.filter(revision_id=OuterRef("live_revision_id"))))


def record_translation_review(sender, instance, revision=None, **kwargs) -> None:
    """A reviewer's publish of a translation is its medical review."""
    if revision is None or instance.locale_id == Locale.get_default().pk:
        return
    user = revision.user
    if not is_reviewer(user) or not is_translation_target(instance):
        return
    if not MedicalReview.objects.filter(revision=revision).exists():
        MedicalReview.record(revision, user)
        # The review is what makes the translation served: caches filled since the publish's
        # own invalidation (which may have run first) hold the fallback.
        from freshness.changes import content_changed

        content_changed(instance=instance)


class ReviewedUpdateTranslationsView(UpdateTranslationsView):
    """wagtail-localize's "Sync translated pages", whose "Publish immediately" only a medical
    reviewer may use: publishing a translation is its medical review (above), and an editor's
    publish would make an unreviewed revision live, so the API would withdraw the reviewed
    translation. For anyone else the box is disabled, so a posted value is ignored."""

    def get_form(self):
        form = super().get_form()
        if not is_reviewer(self.request.user):
            field = form.fields["publish_translations"]
            field.disabled = True
            field.help_text = (
                "Only a medical reviewer can publish translations: the sync brings the new "
                "text to each translation, which a reviewer publishes from its editor."
            )
        return form


def connect() -> None:
    page_published.connect(record_translation_review, dispatch_uid="reviews-translation-review")
