"""The project's image model: Wagtail's own, with alt text made required."""

from django.db import models
from wagtail.images.models import AbstractImage, AbstractRendition, Image


class CMSImage(AbstractImage):
    """An image whose alt text an editor must write, because apps render it as-is."""

    # Wagtail's optional `description` already feeds its alt text; here it may not be left empty.
    description = models.CharField(
        max_length=255,
        verbose_name="alt text",
        help_text=(
            "Describe the image for someone who cannot see it, in one sentence "
            "(screen readers and search engines read this)."
        ),
    )

    admin_form_fields = Image.admin_form_fields

    class Meta(AbstractImage.Meta):
        verbose_name = "image"
        verbose_name_plural = "images"

    @property
    def alt(self) -> str:
        return self.description


class CMSRendition(AbstractRendition):
    image = models.ForeignKey(CMSImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
