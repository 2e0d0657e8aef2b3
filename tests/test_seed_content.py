"""The seed article is served word for word, each procedure's text stored once, facts as sourced."""

import html
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from wagtail.models import Page, Revision

from cms.models import SeedRecord
from home.models import ArticlePage
from home.seeding import load_seed
from images.models import CMSImage
from procedures.models import Muscle, ProcedurePage

# The source article, kept in the repository beside the structured seed made from it.
SEED = Path(__file__).resolve().parents[1] / "home" / "seed"
SEED_TEXT = (SEED / "calf-reduction-surgery-the-basics-explained.txt").read_text(encoding="utf-8")

ARTICLE_QUERY = """
query ($slug: String) {
  article(slug: $slug) {
    title introHtml benefits
    body { __typename ... on HeadingBlock { text } ... on ParagraphBlock { html } }
    procedures { title summary bodyHtml }
  }
}
"""


def normalize(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return re.sub(r"\s+", " ", text).strip()


def seed_sentences() -> list[str]:
    sentences = []
    for line in SEED_TEXT.splitlines():
        # The source's non-breaking spaces are copy artefacts; words and punctuation must match.
        line = normalize(line.lstrip().lstrip("•"))
        if line:
            sentences += [s for s in re.split(r"(?<=[.?!])\s+", line) if s]
    return sentences


def served_text(gql) -> str:
    article = gql(ARTICLE_QUERY, {"slug": "calf-reduction-surgery-the-basics-explained"})["article"]
    parts = [article["title"], article["introHtml"], *article["benefits"]]
    # Procedure blocks hold a reference and the benefits block the benefits, not new text.
    parts += [b.get("text") or b.get("html") for b in article["body"] if len(b) > 1]
    for procedure in article["procedures"]:
        parts += [procedure["title"], procedure["summary"], procedure["bodyHtml"]]
    return " | ".join(normalize(part) for part in parts)


def test_the_seed_has_the_sentences_we_expect():
    sentences = seed_sentences()
    assert sentences[0] == "Calf Reduction Surgery: The Basics Explained"
    assert "BOTOX® Calf Reduction" in sentences
    assert "Reduction of large ankles (“cankles”)" in sentences
    assert len(sentences) == 53


@pytest.mark.django_db
def test_every_sentence_of_the_seed_article_is_served(gql):
    text = served_text(gql)
    missing = [sentence for sentence in seed_sentences() if sentence not in text]
    assert missing == []


@pytest.mark.django_db
def test_the_api_serves_nothing_beyond_the_seed_text(gql):
    """Every served fragment is seed text: nothing is paraphrased or invented."""
    source = normalize(SEED_TEXT.replace("•", " "))
    for fragment in served_text(gql).split(" | "):
        assert fragment in source, fragment


def stored_text() -> list[str]:
    """Every text field editors write, as stored: article and procedure pages alike."""
    texts = []
    for article in ArticlePage.objects.all():
        texts += [article.title, article.intro, str(article.body.raw_data)]
        texts += [benefit.text for benefit in article.benefits.all()]
    for procedure in ProcedurePage.objects.all():
        texts += [procedure.title, procedure.summary, procedure.body]
    return [normalize(text) for text in texts]


@pytest.mark.django_db
def test_each_sentence_is_stored_exactly_once():
    texts = stored_text()
    counts = {s: sum(text.count(s) for text in texts) for s in seed_sentences()}
    assert {s: n for s, n in counts.items() if n != 1} == {}


@pytest.mark.django_db
def test_the_article_shows_procedures_by_reference():
    article = ArticlePage.objects.get()
    procedure_blocks = [b for b in article.body.raw_data if b["type"] == "procedure"]
    ids = [b["value"]["procedure"] for b in procedure_blocks]
    slugs = [ProcedurePage.objects.get(pk=pk).slug for pk in ids]
    assert slugs == [
        "calf-liposuction",
        "botox-calf-reduction",
        "partial-muscle-removal",
        "selective-neurectomy",
        "radio-frequency-calf-reduction",
    ]
    body = str(article.body.raw_data)
    for procedure in ProcedurePage.objects.all():
        assert normalize(procedure.summary) not in body


# What the source states about each procedure, or what follows from a sentence by definition
# (marked inferred in the seed); every other fact must be null (or empty).
SOURCED_FACTS = {
    "calf-liposuction": {
        "approach": "SURGICAL",
        "permanence": "PERMANENT",
        "targets": ["FAT"],
        "recoveryTime": "One week",
        "recoveryDays": 7,
    },
    "botox-calf-reduction": {
        "approach": "NONSURGICAL",  # inferred: a noninvasive treatment is not surgery
        "invasiveness": "NONINVASIVE",
        "permanence": "TEMPORARY",
        "targets": ["MUSCLE"],
        "sessions": "MULTIPLE",
    },
    "partial-muscle-removal": {
        "approach": "SURGICAL",  # inferred: removing muscle is a resection
        "targets": ["MUSCLE"],
        "idealCandidates": "Men and women with bulky legs.",
    },
    "selective-neurectomy": {
        "approach": "SURGICAL",  # inferred: severing a nerve is surgery
        "invasiveness": "MINIMALLY_INVASIVE",
        "permanence": "PERMANENT",
        "targets": ["NERVE"],
        "onset": "GRADUAL",
    },
    "radio-frequency-calf-reduction": {
        "invasiveness": "MINIMALLY_INVASIVE",
        "targets": ["FAT", "NERVE"],
    },
}
UNKNOWN = {
    "approach": None,
    "invasiveness": None,
    "permanence": None,
    "targets": [],
    "muscles": [],
    "recoveryTime": None,
    "recoveryDays": None,
    "sessions": None,
    "onset": None,
    "idealCandidates": None,
}
FACTS_QUERY = """
query ($slug: String) {
  procedure(slug: $slug) {
    approach invasiveness permanence targets muscles { slug }
    recoveryTime recoveryDays sessions onset idealCandidates
  }
}
"""


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SOURCED_FACTS)
def test_procedure_facts_are_the_sourced_ones_and_the_rest_null(gql, slug):
    facts = gql(FACTS_QUERY, {"slug": slug})["procedure"]
    assert facts == {**UNKNOWN, **SOURCED_FACTS[slug]}


@pytest.mark.django_db
def test_the_article_carries_benefits_and_target_muscles(gql):
    article = gql(
        '{ article(slug: "calf-reduction-surgery-the-basics-explained") '
        "{ benefits targetMuscles { name slug } review { reviewerName } reviewDue } }"
    )["article"]
    bullets = [
        normalize(line.lstrip().lstrip("•")) for line in SEED_TEXT.splitlines() if "•" in line
    ]
    assert article["benefits"] == bullets
    assert article["targetMuscles"] == [
        {"name": "Medial gastrocnemius", "slug": "medial-gastrocnemius"},
        {"name": "Soleus", "slug": "soleus"},
    ]
    # The source names no reviewer and no review date.
    assert article["review"] is None
    assert article["reviewDue"] is True


def site_counts() -> dict[str, int]:
    return {
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "images": CMSImage.objects.count(),
        "muscles": Muscle.objects.count(),
    }


@pytest.mark.django_db
def test_loading_again_changes_nothing():
    before = site_counts()
    report = load_seed()
    assert report.created == []
    assert report.reset == []
    assert site_counts() == before


@pytest.mark.django_db
def test_the_command_is_idempotent_too(capsys):
    before = site_counts()
    call_command("load_seed_content")
    call_command("load_seed_content")
    assert site_counts() == before
    assert "created 0" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_fresh_database_gets_the_whole_site():
    SeedRecord.objects.all().delete()
    Page.objects.filter(depth__gt=1).delete()
    CMSImage.objects.all().delete()
    Muscle.objects.all().delete()
    report = load_seed()
    assert len(report.created) == 16  # 2 muscles, 8 pages, 6 images
    assert ProcedurePage.objects.live().count() == 5
    assert (
        ArticlePage.objects.live()
        .get()
        .url_path.endswith("/calf-reduction-surgery-the-basics-explained/")
    )
    for image in CMSImage.objects.all():
        assert image.description  # alt text
        assert (image.width, image.height) == (1600, 900)


def edit_and_publish(slug: str, **fields) -> None:
    page = ProcedurePage.objects.get(slug=slug)
    for name, value in fields.items():
        setattr(page, name, value)
    page.save_revision().publish()


@pytest.mark.django_db
def test_loading_again_keeps_an_editors_changes():
    edit_and_publish("calf-liposuction", summary="Edited by an editor.", recovery_days=10)
    liposuction = ProcedurePage.objects.get(slug="calf-liposuction")
    liposuction.related_procedures = []
    liposuction.save_revision().publish()
    muscle = Muscle.objects.get(slug="soleus")
    muscle.name = "Soleus muscle"
    muscle.save()

    load_seed()

    liposuction = ProcedurePage.objects.get(slug="calf-liposuction")
    assert liposuction.summary == "Edited by an editor."
    assert liposuction.recovery_days == 10
    assert list(liposuction.related_procedures.all()) == []
    assert Muscle.objects.get(slug="soleus").name == "Soleus muscle"


@pytest.mark.django_db
def test_reset_restores_the_seed_text_and_facts():
    edit_and_publish("calf-liposuction", summary="Edited by an editor.", recovery_days=10)
    report = load_seed(reset=True)
    liposuction = ProcedurePage.objects.get(slug="calf-liposuction")
    assert liposuction.summary == "Calf liposuction is a surgical procedure."
    assert liposuction.recovery_days == 7
    assert "page calf-liposuction" in report.reset
    assert ProcedurePage.objects.count() == 5
