"""The "Medical review due" report."""

from wagtail.admin.views.reports import PageReportView

from .queries import pages_due


class ReviewDueReportView(PageReportView):
    page_title = "Medical review due"
    header_icon = "warning"
    index_url_name = "medical_review_due"
    index_results_url_name = "medical_review_due_results"

    def get_queryset(self):
        self.queryset = pages_due().specific(defer=True).order_by("path")
        return super().get_queryset()
