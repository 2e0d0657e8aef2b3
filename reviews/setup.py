"""The medical review workflow, its reviewers' group and (in development) the demo accounts.

Idempotent: `make run` and the test seed call it on every start; it adds what is missing and
changes nothing an administrator has set since.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from wagtail.models import (
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowContentType,
    WorkflowPage,
    WorkflowTask,
)

from .models import REVIEWERS_GROUP, MedicalReviewTask, ReviewerProfile

WORKFLOW_NAME = "Medical review"
EDITORS_GROUP = "Editors"


def ensure_medical_review() -> Workflow:
    """The "Medical reviewers" group, the "Medical review" task and workflow on every page."""
    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    reviewers.permissions.add(Permission.objects.get(codename="access_admin"))
    root = Page.get_first_root_node()
    # Reviewers may correct what they read. The publish permission no longer publishes a page
    # under review directly (reviews/gate.py); it allows the recorded emergency action.
    for codename in ("change_page", "lock_page", "publish_page"):
        GroupPagePermission.objects.get_or_create(
            group=reviewers, page=root, permission=Permission.objects.get(codename=codename)
        )
    editors = Group.objects.filter(name=EDITORS_GROUP).first()
    muscle_permissions = Permission.objects.filter(content_type__app_label="procedures")
    for group in filter(None, [reviewers, editors]):
        group.permissions.add(
            *muscle_permissions.filter(
                codename__in=["add_muscle", "change_muscle", "delete_muscle", "lock_muscle"]
            )
        )
    # As with pages, the approver publishes: reviewers only.
    reviewers.permissions.add(*muscle_permissions.filter(codename="publish_muscle"))

    task = MedicalReviewTask.objects.filter(name=WORKFLOW_NAME).first()
    if task is None:
        task = MedicalReviewTask.objects.create(name=WORKFLOW_NAME)
        task.groups.set([reviewers])
    workflow, created = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    from procedures.models import Muscle

    WorkflowContentType.objects.get_or_create(
        content_type=ContentType.objects.get_for_model(Muscle), defaults={"workflow": workflow}
    )
    if created:
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        # Wagtail's stock "Moderators approval" lets any moderator approve; it is replaced.
        WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
        Workflow.objects.filter(name="Moderators approval").update(active=False)
    return workflow


DEV_ACCOUNTS = (
    # (username, first, last, group, credentials)
    ("editor", "Eddie", "Editor", EDITORS_GROUP, None),
    ("reviewer", "Rita", "Reviewer", REVIEWERS_GROUP, "MD (development account)"),
)


def ensure_dev_accounts() -> list[str]:
    """An editor and a medical reviewer beside the admin; returns how to log in as each new one."""
    user_model = get_user_model()
    created = []
    for username, first, last, group, credentials in DEV_ACCOUNTS:
        if user_model.objects.filter(username=username).exists():
            continue
        user = user_model.objects.create_user(
            username,
            email=f"{username}@example.com",
            password=settings.DEV_ACCOUNTS_PASSWORD,
            first_name=first,
            last_name=last,
        )
        user.groups.add(Group.objects.get(name=group))
        if credentials:
            ReviewerProfile.objects.create(user=user, credentials=credentials)
        created.append(f"{group[:-1].lower()}: {username} / {settings.DEV_ACCOUNTS_PASSWORD}")
    return created
