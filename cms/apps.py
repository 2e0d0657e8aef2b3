from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "CMS plumbing"

    def ready(self) -> None:
        from . import cache_invalidation, compare, sync  # noqa: F401 (compare registers itself)

        cache_invalidation.connect()
        sync.connect()
