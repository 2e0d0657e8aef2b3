"""The project's image model: Wagtail's own, with alt text made required."""

import posixpath

from django.db import models
from wagtail.images.models import AbstractImage, AbstractRendition, Image

# Enough of the SHA-1 to tell two files of one image apart (64 bits).
VERSION_LENGTH = 16


def version_of(image) -> str:
    """The content address of an image's bytes: its SHA-1 (Wagtail keeps it), shortened."""
    return (image.file_hash or "unhashed")[:VERSION_LENGTH]


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

    def save(self, *args, **kwargs) -> None:
        """A new file, however it was set (the admin form, a script, an import), gets its hash
        (the renditions' content address) and loses the old file's renditions, as Wagtail's
        form does for its uploads."""
        if self.file and not self.file._committed:
            self._set_image_file_metadata()
            if self.pk is not None:
                self.renditions.all().delete()
        super().save(*args, **kwargs)


class CMSRendition(AbstractRendition):
    image = models.ForeignKey(CMSImage, on_delete=models.CASCADE, related_name="renditions")

    def get_upload_to(self, filename: str) -> str:
        """Under the image's content hash: a replaced file (even under the same name) gives
        renditions new URLs, so serving them `immutable` never pins an old picture."""
        folder, name = posixpath.split(super().get_upload_to(filename))
        return posixpath.join(folder, version_of(self.image), name)

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
