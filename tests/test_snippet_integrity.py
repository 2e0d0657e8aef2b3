"""Muscles in use are protected, and the seed loader respects what editors deleted and linked."""

import pytest
from wagtail.models import ReferenceIndex

from home.models import ArticlePage
from home.seeding import load_seed
from procedures.models import Muscle, ProcedurePage


@pytest.mark.django_db
def test_a_used_muscle_lists_the_pages_that_use_it():
    muscle = Muscle.objects.get(slug="medial-gastrocnemius")
    article = ArticlePage.objects.get()
    references = ReferenceIndex.get_grouped_references_to(muscle)
    assert references.count() >= 1
    assert article.pk in [obj.pk for obj, _ in references]


@pytest.mark.django_db
def test_a_used_muscle_cannot_be_deleted(admin_client, gql):
    muscle = Muscle.objects.get(slug="medial-gastrocnemius")
    url = f"/admin/snippets/procedures/muscle/delete/{muscle.pk}/"
    page = admin_client.get(url)
    assert page.context["usage_count"] >= 1
    assert page.context["is_protected"] is True
    admin_client.post(url)  # refused: Wagtail sends the user back with "permission denied"
    assert Muscle.objects.filter(pk=muscle.pk).exists()
    article = gql("{ articles { items { targetMuscles { slug } } } }")["articles"]["items"][0]
    assert {"slug": "medial-gastrocnemius"} in article["targetMuscles"]


@pytest.mark.django_db
def test_an_unused_muscle_can_be_deleted(admin_client):
    muscle = Muscle.objects.create(name="Tibialis anterior", slug="tibialis-anterior")
    response = admin_client.post(f"/admin/snippets/procedures/muscle/delete/{muscle.pk}/")
    assert response.status_code == 302
    assert not Muscle.objects.filter(pk=muscle.pk).exists()


@pytest.mark.django_db
def test_the_seed_loader_does_not_bring_back_what_an_editor_deleted():
    article = ArticlePage.objects.get()
    article.target_muscles = [m for m in article.target_muscles.all() if m.slug != "soleus"]
    article.save_revision().publish()
    Muscle.objects.get(slug="soleus").delete()
    ProcedurePage.objects.get(slug="partial-muscle-removal").delete()

    report = load_seed()

    assert report.created == []
    assert not Muscle.objects.filter(slug="soleus").exists()
    assert not ProcedurePage.objects.filter(slug="partial-muscle-removal").exists()


@pytest.mark.django_db
def test_a_reset_keeps_the_links_an_editor_added():
    liposuction = ProcedurePage.objects.get(slug="calf-liposuction")
    botox = ProcedurePage.objects.get(slug="botox-calf-reduction")
    soleus = Muscle.objects.get(slug="soleus")
    liposuction.related_procedures = [*liposuction.related_procedures.all(), botox]
    liposuction.muscles = [soleus]
    liposuction.save_revision().publish()

    load_seed(reset=True)

    liposuction = ProcedurePage.objects.get(pk=liposuction.pk)
    related = {page.slug for page in liposuction.related_procedures.all()}
    assert related == {"radio-frequency-calf-reduction", "botox-calf-reduction"}
    assert list(liposuction.muscles.all()) == [soleus]


@pytest.mark.django_db
def test_renaming_a_muscle_is_a_draft_until_medical_review_approves_it(gql, django_user_model):
    from django.contrib.auth.models import Group

    editor = django_user_model.objects.create_user("ed", password="pw")
    doctor = django_user_model.objects.create_user("doc", password="pw")
    doctor.groups.add(Group.objects.get(name="Medical reviewers"))
    muscle = Muscle.objects.get(slug="soleus")
    assert muscle.get_workflow().name == "Medical review"
    draft = muscle.get_latest_revision_as_object()
    draft.name = "Soleus (renamed)"
    draft.save_revision(user=editor)
    query = '{ muscles { name } procedure(slug: "calf-liposuction") { title } }'
    assert {"name": "Soleus"} in gql(query)["muscles"]

    muscle.get_workflow().start(muscle, editor)
    state = Muscle.objects.get(pk=muscle.pk).current_workflow_state
    task = state.current_task_state.task.specific
    assert task.get_actions(muscle, editor) == []
    task.on_action(state.current_task_state, doctor, "approve")

    assert {"name": "Soleus (renamed)"} in gql(query)["muscles"]


@pytest.mark.django_db
def test_the_api_never_shows_an_unpublished_muscle(gql):
    draft = Muscle.objects.create(name="Plantaris", slug="plantaris", live=False)
    liposuction = ProcedurePage.objects.get(slug="calf-liposuction")
    liposuction.muscles = [draft]
    liposuction.save_revision().publish()
    served = gql('{ muscles { slug } procedure(slug: "calf-liposuction") { muscles { slug } } }')
    assert {"slug": "plantaris"} not in served["muscles"]
    assert served["procedure"]["muscles"] == []


def tick_in_a_draft(muscle: Muscle) -> ProcedurePage:
    """A live procedure whose newer draft (only) ticks `muscle`, as the edit form saves it."""
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    draft = page.get_latest_revision_as_object()
    draft.muscles = [*draft.muscles.all(), muscle]
    draft.save_revision()
    return page


@pytest.mark.django_db
def test_a_muscle_ticked_only_in_a_draft_cannot_be_deleted(admin_client):
    muscle = Muscle.objects.create(name="Tibialis anterior", slug="tibialis-anterior")
    tick_in_a_draft(muscle)
    url = f"/admin/snippets/procedures/muscle/delete/{muscle.pk}/"
    page = admin_client.get(url)
    assert page.context["usage_count"] == 1
    assert page.context["is_protected"] is True
    assert "Calf Liposuction (unpublished draft)" in page.content.decode()
    admin_client.post(url)
    assert Muscle.objects.filter(pk=muscle.pk).exists()


@pytest.mark.django_db
def test_the_usage_of_a_draft_only_muscle_links_to_the_page(admin_client):
    muscle = Muscle.objects.create(name="Tibialis anterior", slug="tibialis-anterior")
    page = tick_in_a_draft(muscle)
    usage = admin_client.get(f"/admin/snippets/procedures/muscle/usage/{muscle.pk}/")
    assert f"/admin/pages/{page.pk}/edit/" in usage.content.decode()


@pytest.mark.django_db
def test_publishing_or_dropping_the_draft_frees_the_bookkeeping(admin_client):
    from procedures.models import DraftMuscleLink

    tibialis = Muscle.objects.create(name="Tibialis anterior", slug="tibialis-anterior")
    page = tick_in_a_draft(tibialis)
    assert DraftMuscleLink.objects.filter(page=page).count() == 1
    page.get_latest_revision().publish()  # the live page links it now: the page's own reference
    assert DraftMuscleLink.objects.filter(page=page).count() == 0
    draft = ProcedurePage.objects.get(pk=page.pk).get_latest_revision_as_object()
    draft.muscles = []
    draft.save_revision()  # untick it in a new draft: the live page still links it
    draft.save_revision().publish()
    # What Wagtail's indexing task sees once the publish commits (here tasks run inside it).
    ReferenceIndex.create_or_update_for_object(ProcedurePage.objects.get(pk=page.pk))
    assert ReferenceIndex.get_grouped_references_to(tibialis).count() == 0
    response = admin_client.post(f"/admin/snippets/procedures/muscle/delete/{tibialis.pk}/")
    assert response.status_code == 302
    assert not Muscle.objects.filter(pk=tibialis.pk).exists()
