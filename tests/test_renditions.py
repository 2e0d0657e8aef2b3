"""Renditions are made ahead by a task, never in a reader's API request, and live at URLs that
change when the image's bytes do (images/renditions.py)."""

from io import BytesIO
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image as PILImage
from wagtail.models import Collection, CollectionViewRestriction

from images.models import CMSImage, CMSRendition
from images.renditions import prepare_renditions
from procedures.models import ProcedurePage

pytestmark = pytest.mark.django_db

IMAGE = (
    '{ procedure(slug: "calf-liposuction") { image { id '
    "srcSet(widths: [320, 480]) "
    "renditions(widths: [480]) { url width height } "
    "thumbs: renditions(widths: [160], square: true, format: WEBP) { url width height } } } }"
)


def png_bytes(shade: int, size=(1200, 800)) -> bytes:
    buffer = BytesIO()
    PILImage.new("RGB", size, (shade, 90, 120)).save(buffer, "PNG")
    return buffer.getvalue()


def the_image() -> CMSImage:
    return ProcedurePage.objects.get(slug="calf-liposuction").image


def an_image_of_its_own(name: str) -> CMSImage:
    """The procedure shows a new image: replacing a file deletes the old one from the disk,
    which no test's rollback brings back, so the seed's own files are left alone."""
    image = CMSImage.objects.create(
        title=name,
        description="A test image.",
        file=SimpleUploadedFile(f"{name}.png", png_bytes(30, (1600, 900)), "image/png"),
    )
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.image = image
    page.save_revision().publish()
    return image


def path_of(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def editor(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("ed", "ed@example.com", "pw"))
    return client


def test_the_seed_images_have_their_prepared_renditions(settings):
    image = the_image()
    made = set(image.renditions.values_list("filter_spec", flat=True))
    assert set(settings.IMAGE_PREPARED_RENDITIONS) <= made


def test_a_read_makes_no_rendition_it_promises_one_that_its_first_fetch_makes(gql, client):
    image = the_image()
    image.renditions.all().delete()
    with CaptureQueriesContext(connection) as queries:
        answer = gql(IMAGE)["procedure"]["image"]
    assert image.renditions.count() == 0
    assert not any("INSERT" in q["sql"] for q in queries.captured_queries)

    promised = answer["renditions"][0]
    assert "/renditions/" in promised["url"] and promised["url"].endswith(".png")
    assert answer["thumbs"][0]["url"].endswith(".webp")
    assert (promised["width"], promised["height"]) == (480, 270)
    assert answer["thumbs"][0]["width"] == answer["thumbs"][0]["height"] == 160

    fetched = client.get(path_of(promised["url"]))
    assert fetched.status_code == 302
    made = image.renditions.get(filter_spec="width-480")
    assert (made.width, made.height) == (promised["width"], promised["height"])
    assert fetched["Location"] == made.url
    served = client.get(made.url)
    assert served.status_code == 200
    assert "immutable" in served["Cache-Control"]


def test_a_promised_url_serves_nothing_forged_nor_private(gql, client):
    image = the_image()
    image.renditions.all().delete()
    url = path_of(gql(IMAGE)["procedure"]["image"]["renditions"][0]["url"])
    signature = url.split("/")[2]
    forged = url.replace("width-480", "width-4000").replace(signature, signature[::-1])
    assert client.get(forged).status_code == 404
    assert client.get(url.replace("width-480", "width-4000")).status_code == 404

    private = Collection.get_first_root_node().add_child(name="Clinic only")
    CollectionViewRestriction.objects.create(collection=private, restriction_type="login")
    image.collection = private
    image.save()
    assert client.get(url).status_code == 404
    assert image.renditions.count() == 0


def test_an_upload_gets_its_prepared_renditions_from_the_task(
    editor, settings, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("new.png", png_bytes(10), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            "/admin/images/add/",
            {"title": "New", "description": "A new test image.", "file": upload},
        )
    assert response.status_code == 302
    image = CMSImage.objects.get(title="New")
    made = set(image.renditions.values_list("filter_spec", flat=True))
    assert made == set(settings.IMAGE_PREPARED_RENDITIONS)


def test_replacing_the_file_under_the_same_name_changes_every_url(
    editor, gql, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = an_image_of_its_own("replaced-by-an-editor")
    before = gql(IMAGE)["procedure"]["image"]
    old_rendition = path_of(before["srcSet"].split(" ")[0])
    assert client.get(old_rendition).status_code == 200
    same_name = image.file.name.rsplit("/", 1)[-1]
    upload = SimpleUploadedFile(same_name, png_bytes(200, (1600, 900)), "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            f"/admin/images/{image.pk}/",
            {
                "title": image.title,
                "description": image.description,
                "collection": image.collection_id,
                "file": upload,
            },
        )
    assert response.status_code == 302, response.context["form"].errors
    image.refresh_from_db()
    after = gql(IMAGE)["procedure"]["image"]
    old_urls = before["srcSet"].split(", ") + [r["url"] for r in before["renditions"]]
    new_urls = after["srcSet"].split(", ") + [r["url"] for r in after["renditions"]]
    assert not set(old_urls) & set(new_urls)
    assert all(f"/{image.file_hash[:16]}" in url for url in new_urls)
    # A prepared width (320) was made by the task on upload; 480 is promised, at a new URL too.
    assert "/renditions/" not in new_urls[0] and "/renditions/" in new_urls[1]
    assert client.get(old_rendition).status_code == 404
    assert client.get(path_of(new_urls[0].split(" ")[0])).status_code == 200


def test_a_script_replacing_the_file_changes_the_urls_too(gql):
    image = an_image_of_its_own("replaced-by-a-script")
    before = gql(IMAGE)["procedure"]["image"]["renditions"][0]["url"]
    image.file = SimpleUploadedFile("same.png", png_bytes(99), "image/png")
    image.save()
    after = gql(IMAGE)["procedure"]["image"]["renditions"][0]["url"]
    assert after != before
    assert image.file_hash[:16] in after


def test_publishing_a_page_prepares_the_renditions_of_its_images(
    settings, django_capture_on_commit_callbacks
):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.image.renditions.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    made = set(page.image.renditions.values_list("filter_spec", flat=True))
    assert set(settings.IMAGE_PREPARED_RENDITIONS) <= made


def test_renditions_made_later_refresh_the_cached_answer_and_the_feed(
    gql, django_capture_on_commit_callbacks
):
    image = the_image()
    image.renditions.all().delete()
    promised = gql(IMAGE)["procedure"]["image"]["srcSet"]
    assert "/renditions/" in promised
    since = gql('{ changes(since: "1970-01-01T00:00:00Z", limit: 50) { until } }')["changes"]
    with django_capture_on_commit_callbacks(execute=True):
        assert prepare_renditions.call(image.pk) > 0
    refreshed = gql(IMAGE)["procedure"]["image"]["srcSet"]
    assert "/renditions/" not in refreshed.split(", ")[0]
    feed = gql(
        "query($s: DateTime!) { changes(since: $s) { pages { ... on ProcedurePage { slug } } } }",
        {"s": since["until"]},
    )["changes"]["pages"]
    assert "calf-liposuction" in [page.get("slug") for page in feed]
    # The task is idempotent: a second run makes nothing.
    assert prepare_renditions.call(image.pk) == 0
    assert CMSRendition.objects.filter(image=image, filter_spec="width-320").count() == 1
