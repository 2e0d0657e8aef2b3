"""Purge backends: a publish purges Varnish, Fastly and Cloudflare by the same tags, each in the
requests its API takes; a purge that fails is kept per backend and retried by the worker until
the cache acknowledges it; no API token reaches a log line or the database.

Each cache is a real HTTP server on loopback that records what it is sent (the CDNs' APIs are
reached through their `HTTP_CACHE_*_API_URL` settings); tests/test_varnish.py runs a real
Varnish.
"""

import json
import logging
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.core.checks import run_checks
from django.test import override_settings
from django.utils import timezone

from freshness import purge
from freshness.models import PendingPurge
from ops import scheduler
from procedures.models import ProcedureIndexPage, ProcedurePage

SERVICE = "svc4Fastly"
ZONE = "zone0Cloudflare"
FASTLY_TOKEN = f"fk-{uuid.uuid4().hex}"
CLOUDFLARE_TOKEN = f"cf-{uuid.uuid4()}"
OK = (200, b"")
HANG = 0
FASTLY_OK = (200, b'{"status": "ok"}')
CLOUDFLARE_OK = (200, b'{"success": true, "errors": [], "messages": [], "result": {"id": "1"}}')
PROCEDURE = '{ procedure(slug: "calf-liposuction") { id title } }'


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes


class Receiver:
    """Records every request; answers each with the next planned (status, body), the last one
    repeating; a HANG status answers 200 only after a second."""

    def __init__(self, plan: list[tuple[int, bytes]]) -> None:
        self.plan = list(plan)
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    def answer(self) -> tuple[int, bytes]:
        with self.lock:
            return self.plan.pop(0) if len(self.plan) > 1 else self.plan[0]

    def handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def record_and_answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.seen.append(
                        Seen(
                            self.command,
                            self.path,
                            {name.lower(): value for name, value in self.headers.items()},
                            body,
                        )
                    )
                status, answer = receiver.answer()
                if status == HANG:
                    time.sleep(1)
                    status = 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except BrokenPipeError:
                    pass  # the sender gave up waiting (HANG)

            def do_POST(self) -> None:
                self.record_and_answer()

            def do_PURGE(self) -> None:
                self.record_and_answer()

            def log_message(self, *args) -> None:
                pass

        return Handler


@contextmanager
def receiving(*plan: tuple[int, bytes]):
    """A Receiver on a port the system picks; yields it and its base URL."""
    receiver = Receiver(list(plan) or [OK])
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    port = server.server_address[1]
    server.daemon_threads = True
    # Polled often: each shutdown waits up to one poll interval.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def caches(varnish=(OK,), fastly=(FASTLY_OK,), cloudflare=(CLOUDFLARE_OK,), **settings):
    """Varnish, Fastly's API and Cloudflare's API, each a Receiver, configured as purge targets."""
    with ExitStack() as stack:
        varnish_receiver, varnish_url = stack.enter_context(receiving(*varnish))
        fastly_receiver, fastly_url = stack.enter_context(receiving(*fastly))
        cloudflare_receiver, cloudflare_url = stack.enter_context(receiving(*cloudflare))
        stack.enter_context(
            override_settings(
                HTTP_CACHE_PURGE_URLS=[varnish_url],
                HTTP_CACHE_FASTLY_SERVICE_ID=SERVICE,
                HTTP_CACHE_FASTLY_API_TOKEN=FASTLY_TOKEN,
                HTTP_CACHE_FASTLY_API_URL=fastly_url,
                HTTP_CACHE_CLOUDFLARE_ZONE_ID=ZONE,
                HTTP_CACHE_CLOUDFLARE_API_TOKEN=CLOUDFLARE_TOKEN,
                HTTP_CACHE_CLOUDFLARE_API_URL=cloudflare_url + "/client/v4",
                **settings,
            )
        )
        yield SimpleNamespace(
            varnish=varnish_receiver,
            fastly=fastly_receiver,
            cloudflare=cloudflare_receiver,
            urls=SimpleNamespace(
                varnish=varnish_url,
                fastly=f"{fastly_url}/service/{SERVICE}/purge",
                cloudflare=f"{cloudflare_url}/client/v4/zones/{ZONE}/purge_cache",
            ),
        )


def publish(page, callbacks_fixture) -> None:
    """Publish `page` as an editor does; the purges go out when the transaction commits."""
    with callbacks_fixture(execute=False) as callbacks:
        page.save_revision().publish()
    for callback in callbacks:
        callback()


def purged_tags(seen: Seen) -> list[str]:
    """The tags one request purged, in the order sent, whichever backend's it is."""
    if seen.method == "PURGE":
        return seen.headers["xkey-purge"].split(" ")
    if "surrogate-key" in seen.headers:
        return seen.headers["surrogate-key"].split(" ")
    return json.loads(seen.body)["tags"]


def assert_varnish_request(seen: Seen, tags: list[str]) -> None:
    assert (seen.method, seen.path, seen.body) == ("PURGE", "/", b"")
    assert seen.headers["xkey-purge"] == " ".join(tags)


def assert_fastly_request(seen: Seen, tags: list[str], token: str, soft: bool = False) -> None:
    assert (seen.method, seen.path, seen.body) == ("POST", f"/service/{SERVICE}/purge", b"")
    assert seen.headers["surrogate-key"] == " ".join(tags)
    assert seen.headers["fastly-key"] == token
    assert seen.headers.get("fastly-soft-purge") == ("1" if soft else None)


def assert_cloudflare_request(seen: Seen, tags: list[str], token: str) -> None:
    assert (seen.method, seen.path) == ("POST", f"/client/v4/zones/{ZONE}/purge_cache")
    assert seen.headers["authorization"] == f"Bearer {token}"
    assert seen.headers["content-type"] == "application/json"
    assert json.loads(seen.body) == {"tags": tags}


def worker_tick() -> None:
    """The worker tick's purge job, as registered (`freshness/apps.py`). The tick's other jobs
    (heartbeat, scheduled publishing) are the worker tests' concern; a failing one closes the
    connection, which a test's transaction on PostgreSQL cannot survive."""
    assert purge.retry_pending in scheduler.JOBS
    for job in scheduler.JOBS:
        job()


def due_now(**which) -> None:
    """As if the worker's next tick came once the kept purges (`which` of them) are due."""
    PendingPurge.objects.filter(**which).update(due_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
@override_settings(GRAPHQL_SHARED_MAX_AGE=300)
def test_a_publish_purges_varnish_fastly_and_cloudflare_by_the_tags_their_answers_carry(
    client, settings, django_capture_on_commit_callbacks
):
    procedure = ProcedurePage.objects.get(slug="calf-liposuction")
    client.get("/graphql/", {"query": PROCEDURE})  # ran: private, the client's own budget
    answer = client.get("/graphql/", {"query": PROCEDURE})  # the copy a CDN keeps
    # What lets Fastly and Cloudflare keep it, and the headers they index it by.
    assert answer["Cache-Control"].startswith("public, ")
    assert "s-maxage=" in answer["Cache-Control"]
    assert answer["Vary"].startswith("Origin, Accept")
    answer_tags = answer["Surrogate-Key"].split(" ")
    assert f"p{procedure.pk}" in answer_tags
    assert answer["Cache-Tag"].split(",") == answer_tags
    with caches() as cache:
        before = timezone.now()
        publish(procedure, django_capture_on_commit_callbacks)
        assert len(cache.varnish.seen) == len(cache.fastly.seen) == 1
        assert len(cache.cloudflare.seen) == 1
        tags = purged_tags(cache.varnish.seen[0])
        assert tags == sorted(tags) and f"p{procedure.pk}" in tags and "pages" in tags
        assert_varnish_request(cache.varnish.seen[0], tags)
        assert_fastly_request(cache.fastly.seen[0], tags, FASTLY_TOKEN)
        assert_cloudflare_request(cache.cloudflare.seen[0], tags, CLOUDFLARE_TOKEN)

        # The second purge, for answers computed from the rows before the commit, is kept for
        # each backend and sent by the worker once due, after an execution deadline.
        kept = {row.backend: row for row in PendingPurge.objects.all()}
        assert {name: row.url for name, row in kept.items()} == vars(cache.urls)
        assert {row.tags for row in kept.values()} == {" ".join(tags)}
        deadline = timedelta(seconds=settings.GRAPHQL_EXECUTION_DEADLINE_SECONDS)
        assert all(row.due_at >= before + deadline for row in kept.values())
        assert purge.retry_pending() == 0  # not yet
        due_now()
        worker_tick()
        assert not PendingPurge.objects.exists()
        assert_varnish_request(cache.varnish.seen[1], tags)
        assert_fastly_request(cache.fastly.seen[1], tags, FASTLY_TOKEN)
        assert_cloudflare_request(cache.cloudflare.seen[1], tags, CLOUDFLARE_TOKEN)
        assert len(cache.varnish.seen) == len(cache.fastly.seen) == len(cache.cloudflare.seen) == 2


@pytest.mark.django_db
def test_tags_go_out_in_the_batches_each_api_takes():
    tags = {f"p{number}" for number in range(600)}
    in_order = sorted(tags)
    with caches() as cache:
        purge.purge(tags)
        assert len(cache.varnish.seen) == 1  # Varnish takes any number
        assert_varnish_request(cache.varnish.seen[0], in_order)
        # Fastly: up to 256 surrogate keys a request.
        assert [len(purged_tags(seen)) for seen in cache.fastly.seen] == [256, 256, 88]
        for number, seen in enumerate(cache.fastly.seen):
            assert_fastly_request(seen, in_order[number * 256 : (number + 1) * 256], FASTLY_TOKEN)
        # Cloudflare: HTTP_CACHE_CLOUDFLARE_TAGS_PER_REQUEST, 30 by default.
        assert len(cache.cloudflare.seen) == 20
        for number, seen in enumerate(cache.cloudflare.seen):
            batch = in_order[number * 30 : (number + 1) * 30]
            assert_cloudflare_request(seen, batch, CLOUDFLARE_TOKEN)


@pytest.mark.django_db
def test_a_publish_batches_by_the_configured_size_and_fastly_may_soft_purge(
    django_capture_on_commit_callbacks,
):
    index = ProcedureIndexPage.objects.get()  # the index and every procedure under it
    with caches(
        HTTP_CACHE_CLOUDFLARE_TAGS_PER_REQUEST=3, HTTP_CACHE_FASTLY_SOFT_PURGE=True
    ) as cache:
        publish(index, django_capture_on_commit_callbacks)
        tags = purged_tags(cache.varnish.seen[0])
        assert len(tags) > 6
        assert_fastly_request(cache.fastly.seen[0], tags, FASTLY_TOKEN, soft=True)
        batches = [purged_tags(seen) for seen in cache.cloudflare.seen]
        assert [len(batch) for batch in batches[:-1]] == [3] * (len(batches) - 1)
        assert [tag for batch in batches for tag in batch] == tags


@pytest.mark.django_db
def test_a_failed_purge_is_kept_per_backend_and_retried_by_the_worker_without_leaking_tokens(
    caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    procedure = ProcedurePage.objects.get(slug="calf-liposuction")
    # Cloudflare answers a 400 that quotes the token (an API echoing what it was sent), then a
    # 200 that says `"success": false`, then purges.
    quoting = {"code": 10000, "message": f"Invalid token {CLOUDFLARE_TOKEN}"}
    not_purged = {"code": 1134, "message": "Purge failed"}
    with caches(
        varnish=[(500, b""), OK],
        fastly=[(500, b'{"msg": "Internal error"}'), FASTLY_OK],
        cloudflare=[
            (400, json.dumps({"success": False, "errors": [quoting]}).encode()),
            (200, json.dumps({"success": False, "errors": [not_purged]}).encode()),
            CLOUDFLARE_OK,
        ],
    ) as cache:
        publish(procedure, django_capture_on_commit_callbacks)
        tags = purged_tags(cache.varnish.seen[0])
        # Each failure is kept for its backend, due at once; none got a second purge yet.
        kept = PendingPurge.objects.order_by("backend")
        assert [(row.backend, row.url, row.tags, row.attempts) for row in kept] == [
            ("cloudflare", cache.urls.cloudflare, " ".join(tags), 0),
            ("fastly", cache.urls.fastly, " ".join(tags), 0),
            ("varnish", cache.urls.varnish, " ".join(tags), 0),
        ]
        assert all(row.due_at <= timezone.now() for row in kept)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 3 and all("the worker retries it" in w for w in warnings)
        # The 400's explanation was logged, its token blanked out.
        assert any("HTTP 400: 10000 Invalid token [token]" in w for w in warnings)

        # The worker's tick: Varnish and Fastly answer now; Cloudflare says it did not purge.
        worker_tick()
        assert [row.backend for row in PendingPurge.objects.all()] == ["cloudflare"]
        assert PendingPurge.objects.get().attempts == 1
        assert PendingPurge.objects.get().due_at > timezone.now()  # backs off
        assert_varnish_request(cache.varnish.seen[1], tags)
        assert_fastly_request(cache.fastly.seen[1], tags, FASTLY_TOKEN)
        due_now()
        assert purge.retry_pending() == 1
        assert not PendingPurge.objects.exists()
        assert len(cache.cloudflare.seen) == 3
        for seen in cache.cloudflare.seen:
            assert_cloudflare_request(seen, tags, CLOUDFLARE_TOKEN)

        # No log record holds either token.
        for record in caplog.records:
            logged = record.getMessage() + repr(record.args) + str(record.exc_text)
            assert CLOUDFLARE_TOKEN not in logged
            assert FASTLY_TOKEN not in logged
        assert CLOUDFLARE_TOKEN not in caplog.text


@pytest.mark.django_db
def test_a_purge_that_fails_halfway_keeps_only_the_tags_not_purged(
    django_capture_on_commit_callbacks,
):
    index = ProcedureIndexPage.objects.get()
    failure = (500, b'{"success": false, "errors": []}')
    answers = [CLOUDFLARE_OK, failure, CLOUDFLARE_OK, failure, CLOUDFLARE_OK]
    with caches(cloudflare=answers, HTTP_CACHE_CLOUDFLARE_TAGS_PER_REQUEST=3) as cache:
        publish(index, django_capture_on_commit_callbacks)
        tags = purged_tags(cache.varnish.seen[0])
        assert [purged_tags(seen) for seen in cache.cloudflare.seen] == [tags[:3], tags[3:6]]
        kept = PendingPurge.objects.filter(backend="cloudflare").order_by("due_at")
        # What failed and was never sent is due now; what went through gets its second purge.
        assert [row.tags.split() for row in kept] == [tags[3:], tags[:3]]
        assert kept[0].due_at <= timezone.now() < kept[1].due_at
        # Retried: the first batch goes through, the next fails and is all that is kept.
        assert purge.retry_pending() == 0
        assert [purged_tags(seen) for seen in cache.cloudflare.seen[2:]] == [tags[3:6], tags[6:]]
        retried = PendingPurge.objects.get(pk=kept[0].pk)
        assert (retried.tags.split(), retried.attempts) == (tags[6:], 1)
        due_now(backend="cloudflare")
        assert purge.retry_pending() == 2  # the rest, and the second purge of the first batch
        assert [purged_tags(seen) for seen in cache.cloudflare.seen[4:]] == [tags[6:], tags[:3]]
        assert not PendingPurge.objects.filter(backend="cloudflare").exists()


@pytest.mark.django_db
@override_settings(GRAPHQL_SHARED_MAX_AGE=300)
def test_posts_previews_and_editors_answers_carry_no_tags_nor_s_maxage(client, admin_user):
    post = client.post("/graphql/", {"query": PROCEDURE}, content_type="application/json")
    assert post.status_code == 200
    preview = client.get(
        "/graphql/", {"query": '{ procedure(slug: "calf-liposuction", token: "x") { title } }'}
    )
    assert "no-store" in preview["Cache-Control"]
    client.force_login(admin_user)
    editor = client.get("/graphql/", {"query": PROCEDURE})
    assert editor.status_code == 200
    assert editor["Cache-Control"] == "private, no-store"
    for response in (post, preview, editor):
        assert "s-maxage" not in response["Cache-Control"]
        assert "Surrogate-Key" not in response and "Cache-Tag" not in response


def test_a_cdn_half_configured_is_reported_at_start_up():
    def warnings() -> list[str]:
        return [message.msg for message in run_checks() if message.id == "freshness.W001"]

    with override_settings(HTTP_CACHE_FASTLY_SERVICE_ID="svc", HTTP_CACHE_FASTLY_API_TOKEN=""):
        assert warnings() == [
            "HTTP_CACHE_FASTLY_SERVICE_ID is set but HTTP_CACHE_FASTLY_API_TOKEN is not: "
            "that CDN is never purged."
        ]
        assert not purge.enabled()
    with override_settings(HTTP_CACHE_CLOUDFLARE_ZONE_ID="", HTTP_CACHE_CLOUDFLARE_API_TOKEN="t"):
        assert len(warnings()) == 1
    with override_settings(HTTP_CACHE_CLOUDFLARE_ZONE_ID="z", HTTP_CACHE_CLOUDFLARE_API_TOKEN="t"):
        assert warnings() == []
        assert purge.enabled()


@pytest.mark.django_db
def test_a_cdn_that_does_not_answer_in_time_is_left_to_the_worker():
    with caches(fastly=[(HANG, b""), FASTLY_OK], HTTP_CACHE_PURGE_TIMEOUT_SECONDS=0.3) as cache:
        started = time.monotonic()
        purge.purge({"p1", "pages"})
        assert time.monotonic() - started < 0.9  # the editor's request waited 0.3 s, not 1
        assert len(cache.fastly.seen) == len(cache.cloudflare.seen) == 1
        kept = {row.backend: row.due_at <= timezone.now() for row in PendingPurge.objects.all()}
        assert kept == {"fastly": True, "cloudflare": False, "varnish": False}
        assert purge.retry_pending() == 1
        assert_fastly_request(cache.fastly.seen[1], ["p1", "pages"], FASTLY_TOKEN)


@pytest.mark.django_db
@override_settings(GRAPHQL_SHARED_MAX_AGE=300, HTTP_CACHE_TAG_HEADERS=["Surrogate-Key"])
def test_behind_one_cdn_answers_carry_only_its_tag_header(client):
    client.get("/graphql/", {"query": PROCEDURE})
    answer = client.get("/graphql/", {"query": PROCEDURE})
    assert answer["X-Cache"] == "HIT"
    assert "p" in answer["Surrogate-Key"]
    assert "xkey" not in answer and "Cache-Tag" not in answer


@pytest.mark.django_db
def test_a_purge_that_keeps_failing_is_given_up_after_20_tries_and_logged(caplog):
    with caches(cloudflare=[(503, b"")]) as cache:
        purge.purge({"p1"})
        kept = PendingPurge.objects.get(backend="cloudflare")
        PendingPurge.objects.filter(pk=kept.pk).update(attempts=purge.MAX_ATTEMPTS - 2)
        due_now(backend="cloudflare")
        assert purge.retry_pending() == 0
        assert PendingPurge.objects.get(pk=kept.pk).attempts == purge.MAX_ATTEMPTS - 1
        due_now(backend="cloudflare")
        assert purge.retry_pending() == 0
        assert not PendingPurge.objects.filter(backend="cloudflare").exists()
        assert len(cache.cloudflare.seen) == 3
    assert purge.MAX_ATTEMPTS == 20  # as the README says
    given_up = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in given_up] == [
        f"HTTP cache purge at {cache.urls.cloudflare} given up: HTTP 503"
    ]
