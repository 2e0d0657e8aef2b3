"""Wagtail's Add page view without autosave, so an abandoned form leaves no draft page behind.

Wagtail 8 autosaves the Add form like the edit form: its first autosave creates the page as a
draft (and takes its slug) before the editor has chosen to save. `WAGTAIL_AUTOSAVE_INTERVAL`
turns autosave off everywhere; this keeps it on the edit form, where the page already exists,
and off on the Add form only (Wagtail has no setting for that). The page is created when the
editor saves, publishes or submits it, as before Wagtail 8.
"""

from wagtail.admin.views.pages.create import CreateView


class CreateWithoutAutosave(CreateView):
    """The Add form; `autosave_enabled` is what Wagtail's create template reads."""

    def get_context_data(self, **kwargs) -> dict:
        self.autosave_enabled = False
        return super().get_context_data(**kwargs)
