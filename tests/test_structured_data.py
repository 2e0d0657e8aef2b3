"""Each medical page's schema.org JSON-LD: valid for the vocabulary, only the procedure's stated
facts, the review of the live text, safe to paste into a script element, never a hidden page."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from graphql import get_operation_ast, parse
from test_medical_review import reviewer, submit  # noqa: F401
from test_publication_rules import CASES, target  # noqa: F401
from wagtail.models import Site

from cms.graphql.interfaces import public_url_path
from cms.graphql.limits import QueryLimits, estimate
from cms.graphql.schema import schema
from home.models import ArticlePage
from procedures.enums import Invasiveness, Tissue
from procedures.models import (
    FactCitation,
    FactSource,
    Muscle,
    ProcedureCitation,
    ProcedurePage,
)
from reviews.models import MedicalReview

VOCABULARY = json.loads(
    (Path(__file__).resolve().parent / "data" / "schemaorg-subset.json").read_text()
)
SCHEMA_ORG = "https://schema.org/"
ARTICLE_SLUG = "calf-reduction-surgery-the-basics-explained"
PROCEDURE_JSON_LD = '{ procedure(slug: "%s") { jsonLd } }'
ARTICLE_JSON_LD = f'{{ article(slug: "{ARTICLE_SLUG}") {{ jsonLd }} }}'
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")


def ancestors(name: str) -> set[str]:
    """The type and every type above it, in `types` or `dataTypes`."""
    parents = VOCABULARY["types"].get(name, VOCABULARY["dataTypes"].get(name, []))
    return {name}.union(*(ancestors(parent) for parent in parents))


def literal_fits(value: str, ranges: set[str]) -> bool:
    """A string is a literal of a data type in the range, or names an enumeration member."""
    kinds = set().union(*(ancestors(name) for name in ranges if name in VOCABULARY["dataTypes"]))
    if "Date" in ranges and DATE.match(value):
        return True
    if "DateTime" in ranges and DATE_TIME.match(value):
        return True
    if "URL" in kinds and value.startswith(("https://", "http://")):
        return True
    if "Text" in ranges:  # Text itself, not only one of its subtypes
        return True
    members = {
        SCHEMA_ORG + member
        for enumeration in ranges
        for member in VOCABULARY["enumerationMembers"].get(enumeration, [])
    }
    return value in members


def vocabulary_errors(node: dict, where: str = "$") -> list[str]:
    """Every way `node` strays from the vocabulary: an unknown type, a property not defined for
    its type (nor any type above it), a value outside the property's range."""
    errors = []
    types = node.get("@type")
    types = [types] if isinstance(types, str) else types or []
    if not types:
        return [f"{where}: no @type"]
    unknown = [name for name in types if name not in VOCABULARY["types"]]
    if unknown:
        return [f"{where}: unknown type {unknown}"]
    above = set().union(*(ancestors(name) for name in types))
    for key, value in node.items():
        if key in ("@type", "@context"):
            continue
        found = VOCABULARY["properties"].get(key)
        if found is None:
            errors.append(f"{where}.{key}: not in the vocabulary")
            continue
        if not above & set(found["domainIncludes"]):
            errors.append(f"{where}.{key}: not a property of {types}")
        ranges = set(found["rangeIncludes"])
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                item_types = item.get("@type")
                item_types = [item_types] if isinstance(item_types, str) else item_types or []
                if not set().union(*(ancestors(name) for name in item_types)) & ranges:
                    errors.append(f"{where}.{key}: {item_types} is not in its range {ranges}")
                errors += vocabulary_errors(item, f"{where}.{key}")
            elif not (isinstance(item, str) and literal_fits(item, ranges)):
                errors.append(f"{where}.{key}: {item!r} is not in its range {ranges}")
    return errors


def json_ld(gql, query: str) -> dict:
    data = gql(query)
    text = next(iter(data.values()))["jsonLd"]
    return json.loads(text)


def procedure_json_ld(gql, slug: str) -> dict:
    return json_ld(gql, PROCEDURE_JSON_LD % slug)


def strings_in(value) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return [value] if isinstance(value, str) else []


def test_the_vocabulary_subset_is_closed_and_rooted():
    named = set(VOCABULARY["types"]) | set(VOCABULARY["dataTypes"])
    for name, parents in {**VOCABULARY["types"], **VOCABULARY["dataTypes"]}.items():
        assert set(parents) <= named, name
    for name in VOCABULARY["types"]:
        assert "Thing" in ancestors(name), name
    for name, found in VOCABULARY["properties"].items():
        assert set(found["domainIncludes"]) <= named, name
        assert set(found["rangeIncludes"]) <= named, name
    for enumeration in VOCABULARY["enumerationMembers"]:
        assert "Enumeration" in ancestors(enumeration)


def test_the_checker_refuses_what_schema_org_does_not_define():
    page = {"@type": "MedicalWebPage", "name": "x"}
    assert vocabulary_errors(page) == []
    assert vocabulary_errors({**page, "followup": "One week"}) != []  # a procedure's property
    assert vocabulary_errors({"@type": "MedicalTreatment"}) != []
    about = {"@type": "MedicalProcedure", "procedureType": SCHEMA_ORG + "SurgicalProcedure"}
    assert vocabulary_errors({**page, "about": about}) != []  # a type, not a member
    assert vocabulary_errors({**page, "lastReviewed": "last week"}) != []
    assert vocabulary_errors({**page, "reviewedBy": {"@type": "MedicalProcedure"}}) != []


SEED_SLUGS = [
    "calf-liposuction",
    "botox-calf-reduction",
    "partial-muscle-removal",
    "selective-neurectomy",
    "radio-frequency-calf-reduction",
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", [PROCEDURE_JSON_LD % slug for slug in SEED_SLUGS] + [ARTICLE_JSON_LD]
)
def test_every_medical_page_has_json_ld_of_the_vocabulary(gql, query):
    data = json_ld(gql, query)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "MedicalWebPage"
    assert vocabulary_errors(data) == []


def stated(page: ProcedurePage) -> set[str]:
    """The facts the seed's sentences state (not inferred) of this unedited seed page."""
    return {source.fact for source in page.fact_sources.all() if not source.inferred}


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SEED_SLUGS)
def test_each_emitted_fact_is_the_models_stated_value(gql, slug):
    page = ProcedurePage.objects.get(slug=slug)
    facts = stated(page)
    about = procedure_json_ld(gql, slug)["about"]
    expected = {
        "@type": "SurgicalProcedure"
        if "approach" in facts and page.approach == "surgical"
        else "MedicalProcedure",
        "name": page.title,
        "description": page.summary,
    }
    if "invasiveness" in facts:
        expected["howPerformed"] = Invasiveness(page.invasiveness).label
        if page.invasiveness == Invasiveness.NONINVASIVE:
            expected["procedureType"] = SCHEMA_ORG + "NoninvasiveProcedure"
    locations = [Tissue(v).label for v in page.targets] if "targets" in facts else []
    locations += [m.name for m in page.muscles.all()] if "muscles" in facts else []
    if locations:
        expected["bodyLocation"] = locations
    if "recovery_time" in facts:
        expected["followup"] = page.recovery_time
    assert about == expected


@pytest.mark.django_db
def test_inferred_facts_are_not_emitted(gql):
    # Removing muscle and severing a nerve are surgery by definition, not by the source's word.
    for slug in ("partial-muscle-removal", "selective-neurectomy"):
        page = ProcedurePage.objects.get(slug=slug)
        assert page.approach == "surgical" and page.fact_sources.get(fact="approach").inferred
        assert procedure_json_ld(gql, slug)["about"]["@type"] == "MedicalProcedure"
    assert procedure_json_ld(gql, "calf-liposuction")["about"]["@type"] == "SurgicalProcedure"


@pytest.mark.django_db
def test_nothing_is_invented(gql):
    """Every string is a schema.org term or a value a model field holds."""
    site = Site.objects.get(is_default_site=True)
    for page in [*ProcedurePage.objects.all(), ArticlePage.objects.get()]:
        is_procedure = isinstance(page, ProcedurePage)
        data = json_ld(gql, PROCEDURE_JSON_LD % page.slug if is_procedure else ARTICLE_JSON_LD)
        held = {
            page.title,
            page.locale.language_code,
            site.root_url + public_url_path(page),
            page.first_published_at.isoformat(),
            page.last_published_at.isoformat(),
        }
        if is_procedure:
            held |= {page.summary, page.recovery_time}
            held |= {label for value, label in Invasiveness.choices if value == page.invasiveness}
            held |= {Tissue(value).label for value in page.targets}
        terms = {"https://schema.org", SCHEMA_ORG + "NoninvasiveProcedure"}
        invented = [
            text
            for key, text in flatten(data)
            if text not in held and text not in terms and key != "@type"
        ]
        assert invented == [], page.slug


def flatten(value, key=None) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for k, item in value.items() for pair in flatten(item, k)]
    if isinstance(value, list):
        return [pair for item in value for pair in flatten(item, key)]
    return [(key, value)]


@pytest.mark.django_db
def test_the_url_is_absolute_for_the_site_or_its_frontend(gql):
    site = Site.objects.get(is_default_site=True)
    assert procedure_json_ld(gql, "calf-liposuction")["url"] == (
        f"{site.root_url}/procedures/calf-liposuction/"
    )
    frontend = {"CLIENT_URLS": {"default": "https://www.example.com"}}
    with override_settings(WAGTAIL_HEADLESS_PREVIEW=frontend):
        # Another document: the answer above may be in the response cache.
        data = json_ld(gql, '{ procedure(slug: "botox-calf-reduction") { jsonLd } }')
    assert data["url"] == "https://www.example.com/procedures/botox-calf-reduction/"
    assert json_ld(gql, ARTICLE_JSON_LD)["url"] == f"{site.root_url}/{ARTICLE_SLUG}/"


@pytest.mark.django_db
def test_citations_are_the_pages_citations_in_order(gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.citations = [
        ProcedureCitation(
            title="NHS: calf reduction",
            url="https://www.nhs.uk/x",
            accessed=datetime.date(2026, 1, 2),
        ),
        ProcedureCitation(
            title="A review", url="https://example.org/review", accessed=datetime.date(2026, 1, 3)
        ),
    ]
    page.save_revision().publish()
    data = procedure_json_ld(gql, "calf-liposuction")
    assert data["citation"] == [
        {"@type": "CreativeWork", "name": citation.title, "url": citation.url}
        for citation in ProcedurePage.objects.get(pk=page.pk).citations.all()
    ]
    assert vocabulary_errors(data) == []
    assert "citation" not in procedure_json_ld(gql, "botox-calf-reduction")


def approve(page, author, reviewer, **changes) -> None:  # noqa: F811
    from test_medical_review import act

    submit(page, author, **changes)
    act(type(page).objects.get(pk=page.pk), reviewer, "approve")


@pytest.mark.django_db
@pytest.mark.parametrize("model", [ProcedurePage, ArticlePage])
def test_the_review_of_the_live_text_and_only_that(gql, django_user_model, reviewer, model):  # noqa: F811
    author = django_user_model.objects.create_user("ed", password="pw", is_superuser=True)
    page = model.objects.order_by("pk").first()
    query = PROCEDURE_JSON_LD % page.slug if model is ProcedurePage else ARTICLE_JSON_LD
    before = json_ld(gql, query)
    assert "lastReviewed" not in before and "reviewedBy" not in before  # the seed: none

    approve(page, author, reviewer)
    review = MedicalReview.objects.for_object(page).get()
    reviewed = json_ld(gql, query)
    assert reviewed["lastReviewed"] == review.reviewed_at.date().isoformat()
    assert reviewed["reviewedBy"] == {
        "@type": "Person",
        "name": "Dana Doctor",
        "honorificSuffix": "MD, FACS",
    }
    assert vocabulary_errors(reviewed) == []

    # Published again without a review (an emergency): nobody reviewed the text as it stands.
    page = model.objects.get(pk=page.pk)
    page.search_description = "Changed without a review."
    page.save_revision().publish()
    after = json_ld(gql, query)
    assert "lastReviewed" not in after and "reviewedBy" not in after
    assert after["description"] == "Changed without a review."


NHS = "https://www.nhs.uk/conditions/calf-reduction/"
QUOTE = "Recovery takes about two days."


@pytest.mark.django_db
def test_an_editors_fact_counts_once_reviewed_with_its_source(gql, django_user_model, reviewer):  # noqa: F811
    author = django_user_model.objects.create_user("ed", password="pw", is_superuser=True)
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    cited = {
        "recovery_time": "Two days",
        "citations": [ProcedureCitation(title="NHS", url=NHS, accessed=datetime.date(2026, 11, 1))],
        "fact_citations": [FactCitation(fact="recovery_time", citation_url=NHS, quote=QUOTE)],
    }
    # Published without a review: the editor's value is the page's, but not a stated fact.
    draft = page.get_latest_revision_as_object()
    for name, value in cited.items():
        setattr(draft, name, value)
    draft.save_revision().publish()
    assert ProcedurePage.objects.get(pk=page.pk).recovery_time == "Two days"
    assert "followup" not in procedure_json_ld(gql, "botox-calf-reduction")["about"]

    approve(ProcedurePage.objects.get(pk=page.pk), author, reviewer)
    about = procedure_json_ld(gql, "botox-calf-reduction")["about"]
    assert about["followup"] == "Two days"

    # Reviewed, but set without a source: not stated by anyone.
    page = ProcedurePage.objects.get(pk=page.pk)
    approve(page, author, reviewer, recovery_time="Three days", fact_citations=[])
    assert ProcedurePage.objects.get(pk=page.pk).recovery_time == "Three days"
    about = procedure_json_ld(gql, "botox-calf-reduction")["about"]
    assert "followup" not in about


@pytest.mark.django_db
def test_only_published_muscles_are_body_locations(gql, make_procedure):
    soleus = Muscle.objects.get(slug="soleus")
    gastrocnemius = Muscle.objects.get(slug="medial-gastrocnemius")
    Muscle.objects.filter(pk=gastrocnemius.pk).update(live=False)
    page = make_procedure("muscles-named", muscles=[soleus, gastrocnemius])
    # Set without a source: not stated, so not even the published muscle is emitted.
    assert "bodyLocation" not in procedure_json_ld(gql, page.slug)["about"]
    FactSource.objects.create(
        page=page,
        fact="muscles",
        sentence="It works on the soleus and the medial gastrocnemius.",
        value=sorted([soleus.slug, gastrocnemius.slug]),
    )
    page.save_revision().publish()  # a change to the source is a change to the page
    about = procedure_json_ld(gql, page.slug)["about"]
    assert about["bodyLocation"] == ["Soleus"]


SCRIPT = '</script><script>alert("x")</script> <!-- & \u2028'


@pytest.mark.django_db
def test_the_text_cannot_end_its_script_element(gql, make_procedure):
    page = make_procedure("script-in-title", title=f"Lipo {SCRIPT}", summary=f"Sum {SCRIPT}")
    text = gql(PROCEDURE_JSON_LD % page.slug)["procedure"]["jsonLd"]
    for character in "<>&\u2028":
        assert character not in text
    assert "\\u003c/script\\u003e" in text and "\\u0026" in text
    data = json.loads(text)  # the escapes mean the same characters
    assert data["name"] == f"Lipo {SCRIPT}"
    assert data["about"]["description"] == f"Sum {SCRIPT}"


@pytest.mark.parametrize("target", CASES, indirect=True)
def test_a_hidden_procedure_is_in_no_json_ld(gql, target):  # noqa: F811
    query = (
        "{ procedures(perPage: 100) { items { slug jsonLd } } "
        f'  procedure(slug: "{target.procedure.slug}") {{ jsonLd }} '
        f'  article(slug: "{ARTICLE_SLUG}") {{ jsonLd }} '
        '  search(query: "hidden") { ... on ProcedurePage { jsonLd } } }'
    )
    response = gql.post(query)
    payload = response.json()
    assert "errors" not in payload, payload
    assert target.marker not in response.content.decode()
    served = [json.loads(item["jsonLd"]) for item in payload["data"]["procedures"]["items"]]
    names = {item["name"] for item in served}
    if target.visible:  # live, with a newer draft: the live version only
        assert payload["data"]["procedure"] is not None
        assert "Live procedure" in names
    else:
        assert payload["data"]["procedure"] is None
        assert not any(target.procedure.title in name for name in names)


def estimated_sql(document: str) -> int:
    parsed = parse(document)
    operation = get_operation_ast(parsed)
    return estimate(
        schema.graphql_schema, parsed, operation, {}, QueryLimits.from_settings()
    ).sql_queries


def sql_of(client, document: str) -> int:
    from django.core.cache import cache

    body = {"query": document}
    client.post("/graphql/", body, content_type="application/json")  # warm content types
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/graphql/", body, content_type="application/json")
    assert "errors" not in response.json(), response.json()
    return len(captured.captured_queries)


LIST_JSON_LD = "{ procedures(perPage: 100) { items { jsonLd } } }"
ROUTE_JSON_LD = (
    f'{{ a: page(urlPath: "/{ARTICLE_SLUG}/") {{ ... on ArticlePage {{ jsonLd }} }} '
    '  p: page(urlPath: "/procedures/calf-liposuction/") { ... on ProcedurePage { jsonLd } } }'
)


@pytest.mark.django_db
def test_json_ld_of_a_list_runs_the_same_sql_for_any_length(client, make_procedure, settings):
    settings.GRAPHQL_RATE_LIMIT_POINTS = 0
    muscles = list(Muscle.objects.all())
    few = sql_of(client, LIST_JSON_LD)
    for number in range(8):
        page = make_procedure(f"more-{number}", muscles=muscles)
        page.citations = [
            ProcedureCitation(
                title=f"Source {number}",
                url=f"https://example.org/{number}",
                accessed=datetime.date(2026, 1, 1),
            )
        ]
        page.save_revision().publish()
    many = sql_of(client, LIST_JSON_LD)
    assert many == few
    assert many <= estimated_sql(LIST_JSON_LD)
    assert sql_of(client, ROUTE_JSON_LD) <= estimated_sql(ROUTE_JSON_LD)
