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
