"""Admin wiring: a muscle's usage links a draft's bookkeeping row to the page it belongs to."""

from django.urls import reverse
from wagtail.admin.admin_url_finder import ModelAdminURLFinder, register_admin_url_finder

from .models import DraftMuscleLink


class DraftMuscleLinkURLFinder(ModelAdminURLFinder):
    """The usage listing's link for a draft's muscle: the page's edit view."""

    def construct_edit_url(self, instance: DraftMuscleLink) -> str:
        return reverse("wagtailadmin_pages:edit", args=(instance.page_id,))


register_admin_url_finder(DraftMuscleLink, DraftMuscleLinkURLFinder)
