"""The worker survives its own crashes: real `manage.py worker` processes, SIGKILLed at the
worst moment, on a private PostgreSQL cluster.

The worst moment is found without any hook in the product: the test holds a row or table
lock the worker's transaction needs, waits until PostgreSQL shows the worker blocked on it
(having taken its work and changed rows it has not committed), then kills the worker.
"""

import json
import signal
import time
from contextlib import contextmanager

import psycopg
import pytest
from private_servers import (
    postgres_cluster,
    restore_into,
    seeded_template,
    start_worker,
    stop_worker,
)
from servers import POSTGRES, app_env, manage, reachable
from webhook_receiver import receiver

SHORT = {
    "WORKER_SCHEDULE_SECONDS": "0.3",
    "WORKER_HEARTBEAT_MAX_AGE": "2",
    "WEBHOOK_TIMEOUT_SECONDS": "1",
    "WEBHOOK_RETRY_BASE_SECONDS": "0.1",
    "WEBHOOK_PAUSE_AFTER_FAILURES": "3",
}

SCHEDULE = """
from datetime import timedelta
from django.utils import timezone
from procedures.models import ProcedurePage
from webhooks.models import Endpoint

Endpoint.objects.create(name="frontend", url="{hook}")
page = ProcedurePage.objects.get(slug="calf-liposuction")
page.summary = "Scheduled, then its worker was killed."
revision = page.save_revision(approved_go_live_at=timezone.now() + timedelta(seconds=1))
print(page.pk, revision.pk)
"""

ENQUEUE = """
from procedures.models import ProcedurePage
from wagtail.tasks import update_reference_index_task
page = ProcedurePage.objects.get(slug="botox-calf-reduction")
print(update_reference_index_task.enqueue("procedures", "procedurepage", page.pk).id)
"""

PUBLISH_THREE = """
from procedures.models import ProcedurePage
from webhooks.models import Endpoint
Endpoint.objects.create(name="a-trickle", url="{trickle}")
Endpoint.objects.create(name="b-fast", url="{fast}")
Endpoint.objects.create(name="c-down", url="{down}")
for slug in ("radio-frequency-calf-reduction", "partial-muscle-removal", "selective-neurectomy"):
    page = ProcedurePage.objects.get(slug=slug)
    page.summary = "Announced."
    page.save_revision().publish()
"""


@pytest.fixture(scope="module")
def cluster():
    """A private PostgreSQL, migrated and seeded, and the environment of its workers."""
    if reachable(POSTGRES):
        seeded_template()  # before the private server starts, so it runs only while needed
    with postgres_cluster() as postgres:
        env = app_env(postgres.url, "", **SHORT)
        restore_into(postgres, env)
        yield postgres, env


def sql(url: str, query: str, *params) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(query, params)
        return cursor.fetchall() if cursor.description else []


@contextmanager
def holding(url: str, lock: str):
    """A transaction of the test's own that holds `lock` (SQL taking a lock) until the end."""
    with psycopg.connect(url) as connection:
        connection.execute(lock)
        try:
            yield
        finally:
            connection.rollback()


def wait_until(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"not within {seconds} s: {what}")


def blocked_backend(url: str, statement: str) -> int | None:
    """The server process of a session waiting for a lock while running `statement...`."""
    rows = sql(
        url,
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
        statement + "%",
    )
    return rows[0][0] if rows else None


def kill_blocked_worker(url: str, worker, statement: str) -> int:
    """SIGKILL `worker` once it waits on the test's lock inside `statement`; its backend."""
    backend = wait_until(lambda: blocked_backend(url, statement), 20, "the worker blocked")
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    return backend


def test_a_worker_killed_mid_publish_leaves_the_schedule_and_a_new_worker_publishes_it_once(
    cluster,
):
    postgres, env = cluster
    with receiver(200) as hook:
        printed = manage(env, "shell", "-c", SCHEDULE.format(hook=hook.url))
        page_id, revision_id = map(int, printed.strip().splitlines()[-1].split())
        page_lock = f"SELECT 1 FROM wagtailcore_page WHERE id = {page_id} FOR UPDATE"
        with holding(postgres.url, page_lock):
            doomed = start_worker(env, "doomed")
            # Inside Wagtail's Revision.publish: the schedule cleared, the page row not yet
            # written. Under the old autocommit publish the clearing was already committed.
            backend = kill_blocked_worker(postgres.url, doomed, 'UPDATE "wagtailcore_page"')
            stop_worker(doomed)
        # Its server process finishes the statement, finds the client gone and rolls back.
        wait_until(
            lambda: not sql(postgres.url, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", backend),
            10,
            "the killed worker's session ended",
        )
        assert sql(
            postgres.url,
            "SELECT approved_go_live_at IS NOT NULL FROM wagtailcore_revision WHERE id = %s",
            revision_id,
        ) == [(True,)]
        assert sql(
            postgres.url, "SELECT live_revision_id FROM wagtailcore_page WHERE id = %s", page_id
        ) != [(revision_id,)]

        restarted = start_worker(env, "restarted")
        try:
            wait_until(
                lambda: sql(
                    postgres.url,
                    "SELECT 1 FROM wagtailcore_page WHERE id = %s AND live_revision_id = %s",
                    page_id,
                    revision_id,
                ),
                15,
                "the scheduled page live after the restart",
            )
            wait_until(lambda: hook.received, 10, "the go-live announced")
            time.sleep(1)  # ticks enough for any duplicate to show up
        finally:
            stop_worker(restarted)
            sql(postgres.url, "UPDATE webhooks_endpoint SET active = false")

    logged = sql(
        postgres.url,
        "SELECT count(*) FROM wagtailcore_pagelogentry"
        " WHERE action = 'wagtail.publish.scheduled' AND page_id = %s",
        page_id,
    )
    assert logged == [(1,)]
    assert [json.loads(sent["body"])["page"]["id"] for sent in hook.received] == [page_id]


def test_a_task_running_when_its_worker_was_killed_is_requeued_and_completes(cluster):
    postgres, env = cluster
    sql(postgres.url, "DELETE FROM django_tasks_database_dbtaskresult")  # only this task queued
    with holding(postgres.url, "LOCK TABLE wagtailcore_referenceindex IN ACCESS EXCLUSIVE MODE"):
        doomed = start_worker(env, "doomed-tasks")  # starts while the task is queued
        task_id = manage(env, "shell", "-c", ENQUEUE).strip().splitlines()[-1]
        kill_blocked_worker(postgres.url, doomed, "SELECT")
        stop_worker(doomed)
    state = "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = %s"
    assert sql(postgres.url, state, task_id)[0][0] == "RUNNING"

    # Another worker: it sees no heartbeat from the dead one for WORKER_HEARTBEAT_MAX_AGE.
    survivor = start_worker(env, "survivor")
    try:
        wait_until(
            lambda: sql(postgres.url, state, task_id)[0][0] == "SUCCESSFUL",
            20,
            "the stranded task run again",
        )
    finally:
        stop_worker(survivor)
    assert sql(postgres.url, state, task_id) == [("SUCCESSFUL", ["doomed-tasks", "survivor"])]


def test_a_trickling_receiver_delays_no_other_endpoint_and_a_failing_one_is_paused(cluster):
    postgres, env = cluster
    with receiver("trickle") as trickle, receiver(200) as fast, receiver(500) as down:
        manage(
            env,
            "shell",
            "-c",
            PUBLISH_THREE.format(trickle=trickle.url, fast=fast.url, down=down.url),
        )
        # Started once all three are queued: each endpoint's sender starts with all of them.
        worker = start_worker(env, "sender")
        try:
            wait_until(lambda: len(fast.received) == 3, 15, "three deliveries to the fast one")
            wait_until(lambda: trickle.cut, 15, "the trickling answer cut at the deadline")
            paused = (
                "SELECT name FROM webhooks_endpoint WHERE paused_at IS NOT NULL"
                " AND consecutive_failures = 3 ORDER BY name"
            )
            wait_until(
                lambda: sql(postgres.url, paused) == [("a-trickle",), ("c-down",)],
                20,
                "both failing endpoints paused",
            )
            time.sleep(1)  # ten retry periods: nothing more is sent to a paused endpoint
        finally:
            stop_worker(worker)
            sql(postgres.url, "UPDATE webhooks_endpoint SET active = false")

    # All three reached the fast endpoint before the first trickling answer was cut off at
    # its deadline: the slow receiver held only its own sender.
    assert max(sent["at"] for sent in fast.received) < trickle.cut_at[0]
    assert len(down.received) == 3
    assert len(trickle.received) == 3
    statuses = sql(
        postgres.url,
        "SELECT e.name, d.status = 'delivered', count(*) FROM webhooks_delivery d"
        " JOIN webhooks_endpoint e ON e.id = d.endpoint_id"
        " WHERE e.name IN ('a-trickle', 'b-fast', 'c-down') GROUP BY 1, 2 ORDER BY 1, 2",
    )
    # The paused endpoints' deliveries wait (pending or retrying) to be resumed: none dropped.
    assert statuses == [("a-trickle", False, 3), ("b-fast", True, 3), ("c-down", False, 3)]
