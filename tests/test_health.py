"""`/healthz` and `/readyz` for load balancers: JSON, never cached, before host checks."""

import threading
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from ops.models import WorkerHeartbeat


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_reports_each_dependency_and_is_ready_with_a_recent_worker(client):
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="w1", started_at=now, seen_at=now)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "migrations": True,
        "cache": True,
        "worker": True,
    }


@pytest.mark.django_db
def test_readyz_without_a_recent_worker_is_degraded_but_ready_unless_strict(client):
    long_ago = timezone.now() - timedelta(minutes=5)
    WorkerHeartbeat.objects.create(worker_id="w1", started_at=long_ago, seen_at=long_ago)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["worker"]["ok"] is False
    assert "code" not in response.json()
    strict = client.get("/readyz?strict=1")
    assert strict.status_code == 503
    assert strict.json()["code"] == "SERVICE_UNAVAILABLE"


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["cms.example.com"], SECURE_SSL_REDIRECT=True)
def test_probes_answer_any_host_over_plain_http_as_load_balancers_send_them(client):
    # A load balancer probes the instance by IP, without HTTPS: no 400, no redirect.
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.3.7:8000")
        assert response.status_code == 200, path
    # Everything else still obeys ALLOWED_HOSTS and the HTTPS redirect.
    assert client.get("/graphql/?query={__typename}", HTTP_HOST="10.0.3.7").status_code == 400


def test_a_read_past_its_deadline_is_abandoned_and_blocks_its_purpose_until_it_ends():
    from ops.deadline import DeadlineError, read_within

    release = threading.Event()
    with pytest.raises(DeadlineError, match=r"^no answer within 0\.1 s$"):
        read_within("test-hung", 0.1, release.wait)
    # The abandoned thread still waits: no second one piles up behind it.
    with pytest.raises(DeadlineError, match="an earlier probe is still waiting"):
        read_within("test-hung", 0.1, lambda: "never run")
    assert read_within("test-other", 0.1, lambda: "other purposes are not blocked") == (
        "other purposes are not blocked"
    )
    release.set()
    deadline = time.monotonic() + 5
    while True:
        try:
            assert read_within("test-hung", 0.1, lambda: 42) == 42
            break
        except DeadlineError:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    with pytest.raises(ZeroDivisionError):
        read_within("test-hung", 0.1, lambda: 1 / 0)  # the read's own error, raised here
