"""`manage.py worker`: Wagtail's tasks, scheduled publishing and expiry, exactly once."""

import json
import time
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from private_servers import redis_server, seeded_copy, workers
from servers import app_env, gunicorn, manage
from wagtail.models import Revision
from wagtail.signals import page_published
from wagtail.tasks import update_reference_index_task
from webhook_receiver import receiver

from ops import stranded_tasks
from ops.models import WorkerHeartbeat
from ops.scheduler import publish_scheduled
from procedures.models import ProcedurePage

SCHEDULE = """
from datetime import timedelta
from django.utils import timezone
from procedures.models import ProcedurePage
from webhooks.models import Endpoint

Endpoint.objects.create(name="frontend", url="{hook}")
go_live = timezone.now() + timedelta(seconds=3)
for slug in ("calf-liposuction", "botox-calf-reduction", "partial-muscle-removal"):
    page = ProcedurePage.objects.get(slug=slug)
    page.summary = "Scheduled " + slug
    page.save_revision(approved_go_live_at=go_live)
expiring = ProcedurePage.objects.get(slug="selective-neurectomy")
expiring.expire_at = go_live
expiring.save_revision().publish()
"""

REPORT = """
import json
from django_tasks_db.models import DBTaskResult
from wagtail.models import PageLogEntry
from procedures.models import ProcedurePage
print(json.dumps({
    "live": {p.slug: [p.live, p.summary] for p in ProcedurePage.objects.all()},
    "scheduled_publishes": list(PageLogEntry.objects.filter(
        action="wagtail.publish.scheduled").values_list("page__slug", flat=True)),
    "scheduled_unpublishes": list(PageLogEntry.objects.filter(
        action="wagtail.unpublish.scheduled").values_list("page__slug", flat=True)),
    "tasks": sorted(set(DBTaskResult.objects.values_list("task_path", "status"))),
}))
"""


def ask(base: str, slug: str) -> str:
    document = f'{{ procedure(slug: "{slug}") {{ summary }} }}'
    request = urllib.request.Request(
        base + "/graphql/?query=" + urllib.parse.quote(document), headers={"Host": "localhost"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        procedure = json.loads(response.read())["data"]["procedure"]
        return procedure["summary"] if procedure else None


def test_two_workers_publish_and_expire_scheduled_pages_once_and_announce_them_once():
    with redis_server() as redis, seeded_copy() as database_url, receiver(200) as hook:
        env = app_env(database_url, redis.url, WORKER_SCHEDULE_SECONDS="0.5")
        with gunicorn(env) as first, gunicorn(env) as second, workers(env, 2):
            for base in (first, second):  # fill the cache on both app servers
                assert ask(base, "calf-liposuction") == "Calf liposuction is a surgical procedure."
            scheduled_at = time.monotonic()
            manage(env, "shell", "-c", SCHEDULE.format(hook=hook.url))

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                events = [json.loads(sent["body"])["event"] for sent in hook.received]
                if events.count("published") >= 4 and "unpublished" in events:
                    break
                time.sleep(0.2)
            went_live_after = time.monotonic() - scheduled_at
            time.sleep(1.5)  # time for any duplicate to show up
            for base in (first, second):
                assert ask(base, "calf-liposuction") == "Scheduled calf-liposuction"
                assert ask(base, "selective-neurectomy") is None
            report = json.loads(manage(env, "shell", "-c", REPORT).strip().splitlines()[-1])

    assert went_live_after < 60
    assert sorted(report["scheduled_publishes"]) == [
        "botox-calf-reduction",
        "calf-liposuction",
        "partial-muscle-removal",
    ]
    assert report["scheduled_unpublishes"] == ["selective-neurectomy"]
    announced = sorted(
        (json.loads(sent["body"])["event"], json.loads(sent["body"])["page"]["slug"])
        for sent in hook.received
    )
    assert announced == [
        ("published", "botox-calf-reduction"),
        ("published", "calf-liposuction"),
        ("published", "partial-muscle-removal"),
        ("published", "selective-neurectomy"),  # its publish with an expiry date
        ("unpublished", "selective-neurectomy"),
    ]
    # Wagtail's own tasks (reference and search index) ran in the workers, none failed.
    statuses = {status for _, status in report["tasks"]}
    assert statuses == {"SUCCESSFUL"}, report["tasks"]
    assert any("update_reference_index_task" in path for path, _ in report["tasks"])


@pytest.mark.django_db
def test_a_scheduled_publish_that_fails_is_rolled_back_whole_and_the_others_go_live():
    due = timezone.now() - timedelta(seconds=1)
    revisions = {}
    for slug in ("calf-liposuction", "botox-calf-reduction"):
        page = ProcedurePage.objects.get(slug=slug)
        page.summary = f"Scheduled {slug}"
        revisions[slug] = page.save_revision(approved_go_live_at=due)

    def fail_for_liposuction(sender, instance, **kwargs) -> None:
        if instance.slug == "calf-liposuction":
            raise RuntimeError("the worker died here")

    page_published.connect(fail_for_liposuction)
    try:
        assert publish_scheduled() == 1
    finally:
        page_published.disconnect(fail_for_liposuction)

    # Wagtail's command, in autocommit, had already made it live and cleared its schedule.
    failed = ProcedurePage.objects.get(slug="calf-liposuction")
    assert failed.live_revision_id != revisions["calf-liposuction"].pk
    assert Revision.objects.get(pk=revisions["calf-liposuction"].pk).approved_go_live_at == due
    assert ProcedurePage.objects.get(slug="botox-calf-reduction").summary == (
        "Scheduled botox-calf-reduction"
    )
    # Next tick, with nothing failing, it goes live, once.
    assert publish_scheduled() == 1
    assert (
        ProcedurePage.objects.get(slug="calf-liposuction").summary == "Scheduled calf-liposuction"
    )
    assert publish_scheduled() == 0


@pytest.mark.django_db
@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_running_tasks_of_dead_or_restarted_workers_are_requeued_and_of_live_ones_kept():
    now = timezone.now()
    minute = timedelta(minutes=1)
    WorkerHeartbeat.objects.create(worker_id="live", started_at=now - minute, seen_at=now)
    WorkerHeartbeat.objects.create(worker_id="restarted", started_at=now, seen_at=now)
    WorkerHeartbeat.objects.create(
        worker_id="silent", started_at=now - 9 * minute, seen_at=now - 2 * minute
    )

    def running(*claimants: str) -> str:
        result = update_reference_index_task.enqueue("procedures", "procedurepage", 1)
        DBTaskResult.objects.filter(pk=result.id).update(
            status="RUNNING", started_at=now - timedelta(seconds=30), worker_ids=list(claimants)
        )
        return result.id

    tasks = {
        "live": running("live"),
        "restarted": running("restarted"),  # claimed before its worker (re)started
        "silent": running("silent"),  # no heartbeat for WORKER_HEARTBEAT_MAX_AGE (60 s)
        "unknown": running("never-beat"),
        "third time": running("silent", "silent", "silent"),  # WORKER_TASK_MAX_CLAIMS
    }
    assert stranded_tasks.requeue() == 4
    status = dict(DBTaskResult.objects.values_list("id", "status"))
    assert {name: status[uuid.UUID(pk)] for name, pk in tasks.items()} == {
        "live": "RUNNING",
        "restarted": "READY",
        "silent": "READY",
        "unknown": "READY",
        "third time": "FAILED",
    }
