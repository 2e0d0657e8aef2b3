"""The response cache per locale: with Redis, a change to one locale's own content makes a miss
of the answers that read that locale only; an English change, or anything not a page or a
muscle, of every answer. Without Redis one generation in the database stands for all.

On a private Redis (`test_memory_cache.redis_cache`), with each process's memory layer in
front, as production runs it.
"""

import urllib.parse

import pytest
from test_locales import first_procedure, korean, translate  # noqa: F401 (a fixture)
from test_memory_cache import private_redis, redis_cache  # noqa: F401 (fixtures)
from wagtail.models import Locale

from procedures.models import Muscle

pytestmark = pytest.mark.django_db

ENGLISH = '{ procedure(slug: "%s") { title summary } }'
KOREAN = '{ procedure(slug: "%s", locale: "ko") { title locale } }'
SWITCHER = '{ procedure(slug: "%s") { title translations { locale urlPath } } }'
MUSCLES_KO = '{ muscles(locale: "ko") { name slug } }'
MUSCLES_EN = "{ muscles { name slug } }"


def ko() -> Locale:
    return Locale.objects.get(language_code="ko")


def read(client, query: str) -> tuple[str, dict]:
    response = client.get("/graphql/?query=" + urllib.parse.quote(query))
    assert response.status_code == 200, response.content
    return response["X-Cache"], response.json()["data"]


def warm(client, *queries) -> dict:
    """Each query read twice: the second from the cache. Returns what each answered."""
    answers = {}
    for query in queries:
        read(client, query)
        state, answers[query] = read(client, query)
        assert state == "HIT", query
    return answers


@pytest.mark.usefixtures("redis_cache", "korean")
def test_a_korean_publish_keeps_english_answers_and_refreshes_what_read_korean(client):
    slug = first_procedure().slug
    english, korean_read, switcher = (q % slug for q in (ENGLISH, KOREAN, SWITCHER))
    before = warm(client, english, korean_read, switcher)
    assert before[korean_read]["procedure"]["locale"] == "en"  # falls back

    translate(first_procedure(), ko(), title="종아리 지방흡입")

    # English alone: still the cached answer, and still what a fresh read gives.
    state, answer = read(client, english)
    assert (state, answer) == ("HIT", before[english])
    # Read Korean, or listed the translations: computed again, with the translation.
    state, answer = read(client, korean_read)
    assert state == "MISS"
    assert answer["procedure"] == {"title": "종아리 지방흡입", "locale": "ko"}
    state, answer = read(client, switcher)
    assert state == "MISS"
    assert {t["locale"] for t in answer["procedure"]["translations"]} == {"en", "ko"}


@pytest.mark.usefixtures("redis_cache", "korean")
def test_an_english_change_refreshes_every_locale(client):
    page = first_procedure()
    english, korean_read = ENGLISH % page.slug, KOREAN % page.slug
    warm(client, english, korean_read)
    page.title = "Calf liposuction, revised"
    page.save_revision().publish()
    for query in (english, korean_read):
        state, answer = read(client, query)
        assert state == "MISS", query
        assert answer["procedure"]["title"] == "Calf liposuction, revised"


@pytest.mark.usefixtures("redis_cache", "korean")
def test_a_korean_muscle_keeps_english_muscles_and_refreshes_korean_ones(client):
    before = warm(client, MUSCLES_EN, MUSCLES_KO)
    source = Muscle.objects.filter(locale__language_code="en").order_by("name").first()
    translation = source.copy_for_translation(ko())
    translation.name = "비복근"
    translation.save()
    assert read(client, MUSCLES_EN) == ("HIT", before[MUSCLES_EN])
    state, answer = read(client, MUSCLES_KO)
    assert state == "MISS"
    assert "비복근" in {muscle["name"] for muscle in answer["muscles"]}


@pytest.mark.usefixtures("korean")
def test_without_redis_one_generation_stands_for_every_locale(client):
    """The README's no-Redis mode: every change, of any locale, is a miss for every answer."""
    slug = first_procedure().slug
    english = ENGLISH % slug
    warm(client, english)
    translate(first_procedure(), ko(), title="번역")
    assert read(client, english)[0] == "MISS"
