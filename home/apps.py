from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Home and article"

    def ready(self) -> None:
        from cms.admin_names import name_block_inputs

        from .models import ArticlePage

        # The body's inputs get accessible names in the admin (once models and the rich text
        # editor can load, so here rather than where the blocks are declared).
        name_block_inputs(ArticlePage._meta.get_field("body").stream_block)
