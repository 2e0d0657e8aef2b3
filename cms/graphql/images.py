"""Images as apps load them: absolute URLs, renditions at allowed widths, square crops.

A client could fill the disk by asking for every width: only `IMAGE_WIDTHS` are made, and an
asked width is snapped up to the nearest of them. Each image's renditions come from the
planner's prefetch (`find_existing_renditions` reads it), so a list of images asks the
database once for all their renditions; none is made in a reader's request
(images/renditions.py).
"""

from urllib.parse import urljoin

import graphene
from django.conf import settings
from graphql import GraphQLError

from freshness.tags import depends_on, object_tags
from images.renditions import pending_url, rendition_filter


class ImageFormat(graphene.Enum):
    """The file format of a rendition."""

    ORIGINAL = ""
    WEBP = "|format-webp"
    JPEG = "|format-jpeg"
    PNG = "|format-png"


def snap_widths(widths: list[int]) -> list[int]:
    """Each width snapped up to an allowed width (at most the largest), duplicates dropped."""
    allowed = sorted(settings.IMAGE_WIDTHS)
    snapped: list[int] = []
    for width in widths:
        if width < 1:
            raise GraphQLError(
                f"Image widths must be positive; got {width}.",
                extensions={"code": "BAD_USER_INPUT"},
            )
        chosen = next((option for option in allowed if option >= width), allowed[-1])
        if chosen not in snapped:
            snapped.append(chosen)
    return snapped


def filter_spec(width: int, square: bool, image_format: str) -> str:
    base = f"fill-{width}x{width}" if square else f"width-{width}"
    return base + image_format


def absolute_media_url(url: str, context) -> str:
    """`url` as a phone can load it: the configured public media base, else this request's
    scheme and host. A storage that already gives absolute URLs (a bucket, a CDN) is kept."""
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("/") and not url.startswith("//") and "/./" not in url and "/../" not in url:
        # A path from the root, as a file system storage gives: the base's origin and the path,
        # what `urljoin` gives, without parsing two URLs per image (Django's
        # `build_absolute_uri` takes the same shortcut).
        return context.media_origin + url
    return urljoin(context.media_base, url)


def formatted(value) -> str:
    """The filter suffix of an `ImageFormat` argument (graphene passes the enum member)."""
    return getattr(value, "value", value) or ""


class Rendition(graphene.ObjectType):
    """One size of an image, as made (an image is never scaled up)."""

    url = graphene.String(required=True)
    width = graphene.Int(required=True)
    height = graphene.Int(required=True)


DEFAULT_SRCSET_WIDTHS = [320, 640, 960, 1280, 1920]


class Image(graphene.ObjectType):
    """An image with the alt text its editor wrote."""

    id = graphene.ID(required=True)
    url = graphene.String(required=True, description="The original file, absolute.")
    width = graphene.Int(required=True)
    height = graphene.Int(required=True)
    alt = graphene.String(required=True)
    src_set = graphene.String(
        required=True,
        widths=graphene.List(
            graphene.NonNull(graphene.Int),
            required=True,
            default_value=DEFAULT_SRCSET_WIDTHS,
            description="Widths in pixels, snapped up to 160, 320, 480, 640, 768, 960, 1280, "
            "1600 or 1920.",
        ),
        format=graphene.Argument(ImageFormat, default_value=ImageFormat.ORIGINAL.value),
        description="An `srcset` attribute value: `url 320w, url 640w, ...`.",
    )
    renditions = graphene.List(
        graphene.NonNull(Rendition),
        required=True,
        widths=graphene.List(
            graphene.NonNull(graphene.Int),
            required=True,
            description="Widths in pixels, snapped up to the allowed widths (see `srcSet`).",
        ),
        square=graphene.Boolean(
            default_value=False, description="Crop to a square around the focal point."
        ),
        format=graphene.Argument(ImageFormat, default_value=ImageFormat.ORIGINAL.value),
        description="Renditions at the given widths, with their real sizes.",
    )

    @staticmethod
    def resolve_url(image, info) -> str:
        return absolute_media_url(image.file.url, info.context)

    @staticmethod
    def resolve_alt(image, info) -> str:
        return image.description

    @staticmethod
    def resolve_src_set(image, info, widths, format=None) -> str:
        made = renditions_of(image, info, widths, False, formatted(format))
        return ", ".join(f"{item.url} {item.width}w" for item in made)

    @staticmethod
    def resolve_renditions(image, info, widths, square=False, format=None) -> list:
        return renditions_of(image, info, widths, square, formatted(format))


def renditions_of(image, info, widths: list[int], square: bool, image_format: str) -> list:
    """The renditions the worker made; one it has not made yet is promised, not made here: its
    size comes from Wagtail's transform (no pixels read) and its URL makes it when fetched."""
    filters = [rendition_filter(filter_spec(w, square, image_format)) for w in snap_widths(widths)]
    made = image.find_existing_renditions(*filters)
    answer = []
    for chosen in filters:
        rendition = made.get(chosen)
        if rendition is not None:
            url, (width, height) = rendition.url, (rendition.width, rendition.height)
        else:
            url, (width, height) = pending_url(image, chosen.spec), chosen.get_transform(image).size
        answer.append(
            Rendition(url=absolute_media_url(url, info.context), width=width, height=height)
        )
    return answer


def image_field(source: str, description: str) -> graphene.Field:
    """An image foreign key, or null when none is set or its collection is private."""

    def resolve(page, info):
        image = getattr(page, source)
        if image is not None:
            # Hidden or not: moving it to a public collection must purge this answer too.
            depends_on(info.context, object_tags(image))
        if image is None or not info.context.visibility_of_images.allows(image):
            return None
        return image

    return graphene.Field(Image, description=description, resolver=resolve)
