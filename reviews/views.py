"""The "Medical review due" report, with any emergency action and its reason."""

from wagtail.admin.views.reports import PageReportView

from .emergency import latest_emergency
from .queries import pages_due


class ReviewDueReportView(PageReportView):
    page_title = "Medical review due"
    header_icon = "warning"
    index_url_name = "medical_review_due"
    index_results_url_name = "medical_review_due_results"
    results_template_name = "reviews/review_due_results.html"

    def get_queryset(self):
        self.queryset = pages_due().specific(defer=True).order_by("path")
        return super().get_queryset()

    def decorate_paginated_queryset(self, object_list):
        pages = list(object_list)
        emergencies = latest_emergency(page.pk for page in pages)
        for page in pages:
            page.emergency_entry = emergencies.get(page.pk)
        return pages
