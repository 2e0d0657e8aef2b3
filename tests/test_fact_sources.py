"""Each fact shows where it comes from, to editors and API clients; editors cite references."""

import pytest
from test_editing import procedure_form_data
from test_medical_review import act, submit

from procedures.models import ProcedurePage

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
    assert sources["recoveryDays"] == {
        "source": None,
        "inferred": False,
        "confirmed": True,
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
    data = procedure_form_data(page, **{"action-publish": "action-publish"})
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
    served = gql('{ procedure(slug: "calf-liposuction") { citations { title url accessed } } }')
    assert served["procedure"]["citations"] == [
        {
            "title": "Calf reduction: a review",
            "url": "https://example.org/calf-review",
            "accessed": "2026-11-01",
        }
    ]
