from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "images"
    verbose_name = "Images"

    def ready(self) -> None:
        from django.db.models.signals import post_save
        from wagtail.signals import page_published

        from . import renditions
        from .models import CMSImage

        post_save.connect(
            renditions.image_saved, sender=CMSImage, dispatch_uid="prepare-renditions"
        )
        page_published.connect(renditions.page_published, dispatch_uid="prepare-page-renditions")
