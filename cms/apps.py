from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "CMS plumbing"

    def ready(self) -> None:
        from . import cache_invalidation, sync

        cache_invalidation.connect()
        sync.connect()
