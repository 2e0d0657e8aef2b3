"""Each fact shows where it comes from, to editors and API clients; editors cite references."""

import datetime

import pytest
from test_editing import procedure_form_data
from test_medical_review import act, submit

from procedures.models import FactCitation, ProcedureCitation, ProcedurePage

SOURCES = '{ procedure(slug: "%s") { factSources { fact source inferred confirmed setBy } } }'


def camel(fact: str) -> str:
    head, *rest = fact.lower().split("_")
    return head + "".join(part.title() for part in rest)


def sources_of(gql, slug: str) -> dict[str, dict]:
    """By the name of the field each source is for (`RECOVERY_DAYS` -> `recoveryDays`)."""
    entries = gql(SOURCES % slug)["procedure"]["factSources"]
    return {camel(entry.pop("fact")): entry for entry in entries}


@pytest.mark.django_db
def test_each_stated_fact_names_its_source_sentence(gql):
    sources = sources_of(gql, "calf-liposuction")
    assert set(sources) == {"approach", "permanence", "targets", "recoveryTime", "recoveryDays"}
    assert sources["recoveryDays"] == {
        "source": "The surgery requires one week of recovery.",
        "inferred": False,
        "confirmed": True,
        "setBy": "SEED",
    }


@pytest.mark.django_db
def test_all_seed_facts_are_sourced(gql):
    count = sum(len(sources_of(gql, page.slug)) for page in ProcedurePage.objects.all())
    assert count == 17 + 3  # the seed's 17 stated facts and 3 inferred approaches


@pytest.mark.django_db
def test_a_fact_set_by_an_editor_is_marked_as_theirs(gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    page.recovery_days = 10
    page.sessions = "single"
    page.save_revision().publish()
    sources = sources_of(gql, "calf-liposuction")
    # Published without a medical review and without a source: visibly the editor's, unconfirmed.
    assert sources["recoveryDays"] == {
        "source": None,
        "inferred": False,
        "confirmed": False,
        "setBy": "EDITOR",
    }
    assert sources["sessions"]["setBy"] == "EDITOR"
    assert sources["approach"]["setBy"] == "SEED"


@pytest.mark.django_db
def test_the_finder_can_tell_surgical_from_nonsurgical(gql):
    def slugs(approach: str) -> list[str]:
        query = f"{{ procedures(approach: {approach}) {{ items {{ slug }} }} }}"
        return sorted(item["slug"] for item in gql(query)["procedures"]["items"])

    assert slugs("NONSURGICAL") == ["botox-calf-reduction"]
    assert slugs("SURGICAL") == [
        "calf-liposuction",
        "partial-muscle-removal",
        "selective-neurectomy",
    ]


@pytest.mark.django_db
def test_an_inferred_fact_names_its_sentence_and_is_confirmed_by_medical_review(
    gql, django_user_model
):

    botox = sources_of(gql, "botox-calf-reduction")["approach"]
    assert botox == {
        "source": "BOTOX® is a noninvasive procedure that freezes muscle activity in the calf, "
        "causing it to shrink.",
        "inferred": True,
        "confirmed": False,
        "setBy": "SEED",
    }


@pytest.mark.django_db
def test_a_medical_review_confirms_inferred_facts(gql, django_user_model):
    from django.contrib.auth.models import Group

    editor = django_user_model.objects.create_user("ed", password="pw")
    doc = django_user_model.objects.create_user("doc", password="pw")
    doc.groups.add(Group.objects.get(name="Medical reviewers"))
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    submit(page, editor)
    act(ProcedurePage.objects.get(pk=page.pk), doc, "approve")
    assert sources_of(gql, "botox-calf-reduction")["approach"]["confirmed"] is True


@pytest.mark.django_db
def test_editors_see_each_facts_source_beside_the_field(admin_client):
    page = ProcedurePage.objects.get(slug="botox-calf-reduction")
    html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert "Source: “The treatment is administered in multiple treatments.”" in html
    assert "Inferred (to confirm in medical review) from: “BOTOX®" in html
    assert "A noninvasive treatment is not surgery." in html


@pytest.mark.django_db
def test_editors_can_cite_a_reference_and_the_api_serves_it(admin_client, gql):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    data = procedure_form_data(page, **{"action-save-draft": "action-save-draft"})
    data.update(
        {
            "citations-TOTAL_FORMS": 1,
            "citations-0-title": "Calf reduction: a review",
            "citations-0-url": "https://example.org/calf-review",
            "citations-0-accessed": "2026-11-01",
            "citations-0-ORDER": 1,
            "citations-0-id": "",
            "citations-0-DELETE": "",
        }
    )
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    # Published as an approval publishes: the saved revision, as it is.
    ProcedurePage.objects.get(pk=page.pk).get_latest_revision().publish()
    served = gql('{ procedure(slug: "calf-liposuction") { citations { title url accessed } } }')
    assert served["procedure"]["citations"] == [
        {
            "title": "Calf reduction: a review",
            "url": "https://example.org/calf-review",
            "accessed": "2026-11-01",
        }
    ]


CITED = (
    '{ procedure(slug: "%s") { factSources { fact source inferred confirmed setBy '
    "quote citation { title url accessed } } } }"
)
NHS = "https://www.nhs.uk/conditions/calf-reduction/"
ACCESSED = datetime.date(2026, 11, 1)
QUOTE = "Most people have one treatment session."


def cited_sources(gql, slug: str) -> dict[str, dict]:
    entries = gql(CITED % slug)["procedure"]["factSources"]
    return {camel(entry.pop("fact")): entry for entry in entries}


def cite_in_form(page: ProcedurePage, **overrides) -> dict:
    """The edit form as an editor posts it: a citation, and `sessions` sourced from it."""
    data = procedure_form_data(page, **overrides)
    data.update(
        {
            "citations-TOTAL_FORMS": 1,
            "citations-0-title": "NHS: calf reduction",
            "citations-0-url": NHS,
            "citations-0-accessed": "2026-11-01",
            "citations-0-ORDER": 1,
            "citations-0-id": "",
            "citations-0-DELETE": "",
            "fact_citations-TOTAL_FORMS": 1,
            "fact_citations-INITIAL_FORMS": 0,
            "fact_citations-MIN_NUM_FORMS": 0,
            "fact_citations-MAX_NUM_FORMS": 1000,
            "fact_citations-0-fact": "sessions",
            "fact_citations-0-citation_url": NHS,
            "fact_citations-0-quote": QUOTE,
            "fact_citations-0-ORDER": 1,
            "fact_citations-0-id": "",
            "fact_citations-0-DELETE": "",
        }
    )
    return data


@pytest.fixture
def team(django_user_model):
    from django.contrib.auth.models import Group

    editor = django_user_model.objects.create_user("ed", password="pw", is_superuser=True)
    doc = django_user_model.objects.create_user("doc", password="pw")
    doc.groups.add(Group.objects.get(name="Medical reviewers"))
    return editor, doc


@pytest.mark.django_db
def test_an_editor_sources_a_fact_and_it_is_confirmed_only_once_reviewed(client, gql, team):
    editor, doc = team
    client.force_login(editor)
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    data = cite_in_form(page, sessions="single", **{"action-submit": "action-submit"})
    response = client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    # Submitted, not approved: the live page does not state the fact yet.
    assert "sessions" not in cited_sources(gql, "calf-liposuction")

    act(ProcedurePage.objects.get(pk=page.pk), doc, "approve")
    sessions = cited_sources(gql, "calf-liposuction")["sessions"]
    assert sessions == {
        "source": QUOTE,
        "quote": QUOTE,
        "citation": {"title": "NHS: calf reduction", "url": NHS, "accessed": "2026-11-01"},
        "inferred": False,
        "confirmed": True,
        "setBy": "EDITOR",
    }
    # The seed's facts keep their sentences and carry no citation.
    approach = cited_sources(gql, "calf-liposuction")["approach"]
    assert approach["setBy"] == "SEED" and approach["citation"] is None


@pytest.mark.django_db
def test_an_editors_cited_fact_published_without_review_is_not_confirmed(gql, team):
    editor, _ = team
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    form_page = page.get_latest_revision_as_object()
    form_page.sessions = "single"
    form_page.citations = [
        ProcedureCitation(title="NHS: calf reduction", url=NHS, accessed=ACCESSED)
    ]
    form_page.fact_citations = [FactCitation(fact="sessions", citation_url=NHS, quote=QUOTE)]
    form_page.save_revision(user=editor).publish()
    sessions = cited_sources(gql, "calf-liposuction")["sessions"]
    assert sessions["citation"]["url"] == NHS
    assert sessions["quote"] == QUOTE
    assert sessions["confirmed"] is False


@pytest.mark.django_db
def test_a_later_unreviewed_publication_unconfirms_the_editors_facts(gql, team):
    _, doc = team
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    submit(
        page,
        team[0],
        sessions="single",
        citations=[ProcedureCitation(title="NHS", url=NHS, accessed=ACCESSED)],
        fact_citations=[FactCitation(fact="sessions", citation_url=NHS, quote=QUOTE)],
    )
    act(ProcedurePage.objects.get(pk=page.pk), doc, "approve")
    assert cited_sources(gql, "calf-liposuction")["sessions"]["confirmed"] is True
    page = ProcedurePage.objects.get(pk=page.pk)
    page.summary = "Changed and published without a medical review."
    page.save_revision().publish()
    assert cited_sources(gql, "calf-liposuction")["sessions"]["confirmed"] is False


@pytest.mark.django_db
def test_the_facts_tab_says_which_source_each_fact_has(admin_client, team):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    response = admin_client.post(
        f"/admin/pages/{page.pk}/edit/", cite_in_form(page, sessions="single", onset="gradual")
    )
    assert response.status_code == 302, response.context["form"].errors
    html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert (
        "Set by an editor from NHS: calf reduction (to confirm in medical review): "
        f"“{QUOTE}”" in html
    )
    assert "Set by an editor, no source cited" in html  # onset
    assert "Source: “The surgery requires one week of recovery.”" in html  # the seed's
    # The row offers the page's citations by title, not a URL to type.
    assert f'<option value="{NHS}" selected>NHS: calf reduction — {NHS}</option>' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"fact_citations-0-fact": "onset"},
            "fact",
            "Onset of results is empty on this page: set it, or remove this source",
        ),
        (
            {"fact_citations-0-citation_url": "https://example.org/elsewhere"},
            "citation_url",
            "Select a valid choice.",
        ),
        ({"citations-0-DELETE": "1"}, "citation_url", "is no longer among this page's citations"),
        ({"fact_citations-0-quote": ""}, "quote", "This field is required."),
        ({"fact_citations-0-quote": "q" * 1001}, "quote", "at most 1000 characters"),
    ],
)
def test_a_fact_source_must_cite_the_pages_citation_for_a_stated_fact(
    admin_client, overrides, field, message
):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    data = cite_in_form(page, sessions="single", **{"action-submit": "action-submit"})
    data.update(overrides)
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    assert response.status_code == 200
    row = response.context["form"].formsets["fact_citations"].forms[0]
    assert message in " ".join(row.errors[field])
    assert not ProcedurePage.objects.get(pk=page.pk).fact_citations.exists()


@pytest.mark.django_db
def test_one_source_per_fact(admin_client):
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    data = cite_in_form(page, sessions="single", **{"action-submit": "action-submit"})
    data.update(
        {
            "fact_citations-TOTAL_FORMS": 2,
            "fact_citations-1-fact": "sessions",
            "fact_citations-1-citation_url": NHS,
            "fact_citations-1-quote": "Another sentence.",
            "fact_citations-1-ORDER": 2,
            "fact_citations-1-id": "",
            "fact_citations-1-DELETE": "",
        }
    )
    response = admin_client.post(f"/admin/pages/{page.pk}/edit/", data)
    rows = response.context["form"].formsets["fact_citations"].forms
    assert "Sessions already has a source above; keep one." in rows[1].errors["fact"]
