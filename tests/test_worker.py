"""`manage.py worker`: Wagtail's tasks, scheduled publishing and expiry, exactly once."""

import json
import time
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from private_servers import redis_server, seeded_copy, workers
from servers import app_env, gunicorn, manage
from webhook_receiver import receiver

from ops import leases
from ops.models import Lease

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


@pytest.mark.django_db
def test_a_lease_has_one_holder_until_it_is_released_or_runs_out():
    assert leases.acquire("job", "worker-a", 60)
    assert not leases.acquire("job", "worker-b", 60)
    assert leases.acquire("job", "worker-a", 60)  # the holder may renew
    leases.release("job", "worker-a")
    assert leases.acquire("job", "worker-b", 60)
    Lease.objects.filter(name="job").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert leases.acquire("job", "worker-c", 60)  # a crashed holder's lease runs out


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
