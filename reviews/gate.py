"""Medical review is the only way a page under the review workflow goes live or comes down.

Wagtail asks a page's permission tester before every publish, schedule and unpublish it offers
or performs (the edit form's menu and POST, the unpublish view, bulk actions, copy and create
with publishing), so saying no there closes every route at once, for administrators too. The
workflow's own publication (reviews/approval.py) and the recorded emergency action
(reviews/emergency.py) are the two ways through.
"""

from wagtail.models import PagePermissionTester, WorkflowPage


def under_review(page) -> bool:
    """The page, or a page below it, is guarded by an active workflow."""
    if page.get_workflow() is not None:
        return True
    return WorkflowPage.objects.filter(
        workflow__active=True, page__path__startswith=page.path
    ).exists()


class ReviewGatePermissionTester(PagePermissionTester):
    """Wagtail's page permissions, without direct publishing of pages under review."""

    def can_publish(self) -> bool:
        if super().can_publish() and self.reviews_translation():
            return True
        return super().can_publish() and not under_review(self.page)

    def reviews_translation(self) -> bool:
        """A medical reviewer publishing a synced translation: that is its review
        (reviews/translations.py)."""
        from .translations import is_reviewer, is_translation_target

        return is_reviewer(self.user) and is_translation_target(self.page)

    def can_unpublish(self) -> bool:
        return super().can_unpublish() and not under_review(self.page)

    def can_publish_subpage(self) -> bool:
        # A new child is under its parent's workflow: it too goes live through review.
        return super().can_publish_subpage() and not under_review(self.page)

    def can_unschedule(self) -> bool:
        # Cancelling a scheduled publication publishes nothing.
        return super().can_publish()

    def can_set_view_restrictions(self) -> bool:
        return super().can_publish()

    def can_publish_in_emergency(self) -> bool:
        """What Wagtail alone would allow: the emergency action needs the publish permission."""
        return super().can_publish()

    def can_unpublish_in_emergency(self) -> bool:
        return super().can_unpublish()


class ReviewGatedPage:
    """Mixed into every page type of the site (the workflow covers the whole tree)."""

    def permissions_for_user(self, user) -> ReviewGatePermissionTester:
        return ReviewGatePermissionTester(user, self)
