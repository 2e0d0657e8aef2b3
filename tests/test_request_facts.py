"""The site, the privacy rule's paths and the private collections are kept in each process per
content generation (`freshness/memo.py`): a kept value never outlives what it was read from."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from wagtail.models import Page, Site

from freshness.memo import per_generation
from home.models import HomePage
from procedures.models import ProcedureIndexPage

pytestmark = pytest.mark.django_db

SLUGS = "{ procedures(perPage: 100) { items { slug } } }"


def slugs(gql) -> set[str]:
    cache.clear()  # the response cache is another test's concern: the kept facts are this one's
    return {item["slug"] for item in gql(SLUGS)["procedures"]["items"]}


def test_a_section_expiring_hides_its_pages_at_its_expiry_with_no_change_to_any_row(
    gql, make_procedure
):
    index = ProcedureIndexPage.objects.get()
    section = ProcedureIndexPage(title="Soon gone", slug="soon-gone")
    index.add_child(instance=section)
    section.save_revision().publish()
    child = a_procedure_under(section, make_procedure)
    Page.objects.filter(pk=section.pk).update(expire_at=timezone.now() + timedelta(seconds=1.5))
    cache.clear()
    per_generation.clear()  # the update above bypassed every signal, as the clock does
    assert child in slugs(gql)  # read and kept: valid until the section's expiry
    assert child in slugs(gql)
    time.sleep(1.6)
    assert child not in slugs(gql)


def a_procedure_under(parent, make_procedure) -> str:
    page = make_procedure("in-the-section")
    page.move(parent, pos="last-child")
    page.save_revision().publish()
    return page.slug


def test_a_new_site_for_a_host_is_served_from_the_next_request(client):
    query = "{ procedures(perPage: 100) { items { slug } } }"

    def read(host: str) -> list:
        cache.clear()
        response = client.post(
            "/graphql/", {"query": query}, content_type="application/json", HTTP_HOST=host
        )
        return response.json()["data"]["procedures"]["items"]

    assert read("other.example")  # no site of its own: the default site's procedures
    home = HomePage(title="Other site", slug="other-site-home")
    Page.get_first_root_node().add_child(instance=home)
    home.save_revision().publish()
    Site.objects.create(hostname="other.example", port=80, root_page=home)
    assert read("other.example") == []
    assert read("localhost")
