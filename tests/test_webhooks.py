"""Publish webhooks: signed deliveries to a real receiver, retried, logged and resent."""

import json
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import override_settings
from django.utils.timezone import now
from webhook_receiver import receiver

from home.models import ArticlePage
from procedures.models import ProcedurePage
from webhooks import signing
from webhooks.delivery import claim_next, deliver_due
from webhooks.models import Delivery, Endpoint

FAST_RETRIES = {
    "WEBHOOK_RETRY_BASE_SECONDS": 0.2,
    "WEBHOOK_TIMEOUT_SECONDS": 0.5,
    "WEBHOOK_MAX_ATTEMPTS": 3,
}


def run_worker_until_settled(seconds: float = 10) -> None:
    """Send due deliveries (as the worker's sender threads would) until none is waiting."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        deliver_due()
        if not Delivery.objects.filter(status__in=["pending", "retrying"]).exists():
            return
        time.sleep(0.1)
    raise AssertionError("deliveries still waiting after the deadline")


def publish(slug: str, summary: str, capture) -> ProcedurePage:
    page = ProcedurePage.objects.get(slug=slug)
    page.summary = summary
    with capture(execute=True):
        page.save_revision().publish()
    return page


def test_a_signature_verifies_only_with_the_secret_body_and_a_recent_timestamp():
    body = b'{"event":"published"}'
    signature = signing.sign("s3cret", 1_700_000_000, body)
    assert signing.verify("s3cret", "1700000000", body, signature, now=1_700_000_100)
    assert not signing.verify("other", "1700000000", body, signature, now=1_700_000_100)
    assert not signing.verify("s3cret", "1700000000", body + b" ", signature, now=1_700_000_100)
    # Replayed ten minutes later: refused even though the signature is right.
    assert not signing.verify("s3cret", "1700000000", body, signature, now=1_700_000_600)


@pytest.mark.django_db
@override_settings(**FAST_RETRIES)
def test_a_publish_is_delivered_signed_with_the_page_facts(django_capture_on_commit_callbacks):
    with receiver(200) as hook:
        endpoint = Endpoint.objects.create(name="Next.js", url=hook.url)
        page = publish("calf-liposuction", "New summary.", django_capture_on_commit_callbacks)
        run_worker_until_settled()

    assert len(hook.received) == 1
    sent = hook.received[0]
    headers = sent["headers"]
    assert signing.verify(
        endpoint.secret,
        headers["X-Webhook-Timestamp"],
        sent["body"],
        headers["X-Webhook-Signature"],
    )
    payload = json.loads(sent["body"])
    assert payload["event"] == "published"
    assert payload["page"]["id"] == page.pk
    assert payload["page"]["type"] == "procedures.ProcedurePage"
    assert payload["page"]["urlPath"] == page.url_path
    assert payload["page"]["path"] == "/procedures/calf-liposuction/"
    assert payload["occurredAt"]
    # The tags to purge, as the API's answers carry them, and a number that grows by commit.
    assert f"p{page.pk}" in payload["tags"] and "pages" in payload["tags"]
    assert payload["sequence"] >= 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)
    assert headers["X-Webhook-Id"] == str(delivery.pk)


@pytest.mark.django_db
@override_settings(**FAST_RETRIES)
def test_a_failing_receiver_is_retried_with_backoff_until_it_recovers(
    django_capture_on_commit_callbacks,
):
    with receiver(500, 503, 200) as hook:
        Endpoint.objects.create(name="flaky", url=hook.url)
        publish("calf-liposuction", "Retried.", django_capture_on_commit_callbacks)
        run_worker_until_settled()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 3, 200)
    assert len(hook.received) == 3
    # Every attempt is signed afresh over the same body.
    assert len({sent["body"] for sent in hook.received}) == 1


@pytest.mark.django_db
@override_settings(**FAST_RETRIES)
def test_a_receiver_that_never_answers_times_out_and_fails_after_the_last_attempt(
    django_capture_on_commit_callbacks,
):
    with receiver("hang") as hook:
        Endpoint.objects.create(name="silent", url=hook.url)
        started = time.monotonic()
        publish("calf-liposuction", "Nobody listens.", django_capture_on_commit_callbacks)
        run_worker_until_settled()
        elapsed = time.monotonic() - started

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 3, None)
    assert "timed out" in delivery.error.lower()
    assert elapsed < 5  # each attempt gave up after the 0.5 s timeout


@pytest.mark.django_db
def test_endpoints_receive_only_the_events_and_page_types_they_chose(
    django_capture_on_commit_callbacks,
):
    procedures_only = Endpoint.objects.create(name="procedures", url="http://127.0.0.1:9/")
    procedures_only.page_types.add(ContentType.objects.get_for_model(ProcedurePage))
    articles_only = Endpoint.objects.create(name="articles", url="http://127.0.0.1:9/")
    articles_only.page_types.add(ContentType.objects.get_for_model(ArticlePage))
    Endpoint.objects.create(name="unpublish", url="http://127.0.0.1:9/", on_published=False)

    page = publish("calf-liposuction", "Filtered.", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    with django_capture_on_commit_callbacks(execute=True):
        ProcedurePage.objects.get(slug="selective-neurectomy").delete()

    # Deleting a live page unpublishes it first (Wagtail does), so it announces both.
    sent = sorted(Delivery.objects.values_list("endpoint__name", "event"))
    assert sent == [
        ("procedures", "deleted"),
        ("procedures", "published"),
        ("procedures", "unpublished"),
        ("procedures", "unpublished"),
        ("unpublish", "deleted"),
        ("unpublish", "unpublished"),
        ("unpublish", "unpublished"),
    ]


@pytest.mark.django_db
def test_a_move_is_announced_with_the_new_url_path(django_capture_on_commit_callbacks):
    Endpoint.objects.create(name="all", url="http://127.0.0.1:9/")
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    new_parent = ArticlePage.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        page.move(new_parent, pos="last-child")
    delivery = Delivery.objects.get(event="moved")
    assert delivery.url_path == ProcedurePage.objects.get(pk=page.pk).url_path
    assert delivery.url_path.startswith(new_parent.url_path)


@pytest.mark.django_db
@override_settings(**FAST_RETRIES)
def test_the_admin_lists_deliveries_and_resends_one(client, django_capture_on_commit_callbacks):
    with receiver(500) as hook:
        Endpoint.objects.create(name="down", url=hook.url)
        publish("calf-liposuction", "Logged.", django_capture_on_commit_callbacks)
        run_worker_until_settled()
        failed = Delivery.objects.get()
        assert failed.status == "failed"

        client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw"))
        listing = client.get("/admin/webhook_deliveries/")
        assert listing.status_code == 200
        assert b"calf-liposuction" in listing.content
        assert client.get(f"/admin/webhooks/deliveries/{failed.pk}/resend/").status_code == 200

        hook.plan = [200]
        response = client.post(f"/admin/webhooks/deliveries/{failed.pk}/resend/")
        assert response.status_code == 302
        run_worker_until_settled()

    resent = Delivery.objects.get(resent_from=failed)
    assert resent.status == "delivered"
    assert resent.payload == failed.payload
    assert client.get("/admin/webhook_endpoints/").status_code == 200


@pytest.mark.django_db
def test_only_people_with_the_webhook_permission_may_resend(client):
    endpoint = Endpoint.objects.create(name="x", url="http://127.0.0.1:9/")
    delivery = Delivery.objects.create(
        endpoint=endpoint, event="published", page_id=1, page_type="x", url_path="/", payload="{}"
    )
    editor = User.objects.create_user("editor", password="pw", is_staff=True)
    client.force_login(editor)
    response = client.post(f"/admin/webhooks/deliveries/{delivery.pk}/resend/")
    assert response.status_code in (302, 403)
    assert not Delivery.objects.filter(resent_from=delivery).exists()


@pytest.mark.django_db
def test_deliveries_are_written_with_the_change_and_vanish_with_its_rollback():
    Endpoint.objects.create(name="all", url="http://127.0.0.1:9/")
    page = ProcedurePage.objects.get(slug="calf-liposuction")
    with transaction.atomic():
        page.save_revision().publish()
        # In the publish's own transaction, before any on-commit callback: a crash after the
        # commit cannot lose it (at least once).
        assert Delivery.objects.filter(event="published", page_id=page.pk).count() == 1
        transaction.set_rollback(True)
    assert not Delivery.objects.exists()


@pytest.mark.django_db
@override_settings(**FAST_RETRIES)
def test_a_trickling_receiver_is_cut_off_at_the_deadline_for_the_whole_answer(
    django_capture_on_commit_callbacks,
):
    # A byte every 0.2 s: a timeout per socket read (0.5 s) would never fire.
    with receiver("trickle") as hook:
        Endpoint.objects.create(name="trickle", url=hook.url)
        publish("calf-liposuction", "Slowly.", django_capture_on_commit_callbacks)
        deliver_due()
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("retrying", 1)
        assert delivery.error == "timed out: no whole answer within 0.5 s"
        deadline = time.monotonic() + 5
        while hook.cut == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hook.cut == 1  # the sender hung up on it


@pytest.mark.django_db
@override_settings(
    **{**FAST_RETRIES, "WEBHOOK_MAX_ATTEMPTS": 10, "WEBHOOK_PAUSE_AFTER_FAILURES": 3}
)
def test_an_endpoint_failing_n_times_in_a_row_is_paused_until_resumed_in_the_admin(
    client, django_capture_on_commit_callbacks
):
    with receiver(500) as down, receiver(200) as up:
        failing = Endpoint.objects.create(name="failing", url=down.url)
        Endpoint.objects.create(name="healthy", url=up.url)
        publish("calf-liposuction", "Paused.", django_capture_on_commit_callbacks)
        deadline = time.monotonic() + 10
        while Endpoint.objects.get(pk=failing.pk).paused_at is None:
            assert time.monotonic() < deadline, "never paused"
            deliver_due()
            time.sleep(0.05)
        for _ in range(5):  # past every backoff: nothing more is sent to it while paused
            time.sleep(0.1)
            deliver_due()
        assert len(down.received) == 3
        assert len(up.received) == 1
        waiting = Delivery.objects.get(endpoint=failing)
        assert (waiting.status, waiting.attempts) == ("retrying", 3)  # kept, not dropped

        client.force_login(User.objects.create_superuser("boss", "b@example.com", "pw"))
        listing = client.get("/admin/webhook_endpoints/")
        assert b"failing is paused since" in listing.content
        assert b"after 3 failed attempts in a row" in listing.content
        resume_url = f"/admin/webhooks/endpoints/{failing.pk}/resume/"
        assert resume_url.encode() in listing.content
        assert b"Resume it and send its 1 waiting deliveries" in client.get(resume_url).content

        down.plan = [200]
        assert client.post(resume_url).status_code == 302
        run_worker_until_settled()

    assert Delivery.objects.get(endpoint=failing).status == "delivered"
    failing.refresh_from_db()
    assert (failing.paused_at, failing.consecutive_failures) == (None, 0)
    assert b"is paused since" not in client.get("/admin/webhook_endpoints/").content


@pytest.mark.django_db
def test_only_people_with_the_webhook_permission_may_resume_an_endpoint(client):
    from django.utils import timezone

    endpoint = Endpoint.objects.create(
        name="x", url="http://127.0.0.1:9/", paused_at=timezone.now()
    )
    client.force_login(User.objects.create_user("editor", password="pw", is_staff=True))
    response = client.post(f"/admin/webhooks/endpoints/{endpoint.pk}/resume/")
    assert response.status_code in (302, 403)
    endpoint.refresh_from_db()
    assert endpoint.paused_at is not None


@pytest.mark.django_db
@override_settings(**FAST_RETRIES)
def test_a_delivery_claimed_by_a_sender_that_died_is_sent_once_its_claim_runs_out(
    django_capture_on_commit_callbacks,
):
    with receiver(200) as hook:
        endpoint = Endpoint.objects.create(name="frontend", url=hook.url)
        publish("calf-liposuction", "Claimed.", django_capture_on_commit_callbacks)
        claimed = claim_next(endpoint.pk)  # a worker took it, then died before sending
        assert claimed is not None
        assert deliver_due() == 0  # nobody else sends it while the claim holds
        Delivery.objects.filter(pk=claimed.pk).update(claimed_until=now() - timedelta(seconds=1))
        assert deliver_due() == 1
    assert len(hook.received) == 1
    assert Delivery.objects.get().status == "delivered"


@pytest.mark.django_db
@override_settings(**FAST_RETRIES)
def test_each_change_gets_a_larger_sequence_number(django_capture_on_commit_callbacks):
    with receiver(200) as hook:
        Endpoint.objects.create(name="ordered", url=hook.url)
        publish("calf-liposuction", "First.", django_capture_on_commit_callbacks)
        publish("selective-neurectomy", "Second.", django_capture_on_commit_callbacks)
        publish("calf-liposuction", "Third.", django_capture_on_commit_callbacks)
        run_worker_until_settled()
    sent = [json.loads(delivery["body"]) for delivery in hook.received]
    by_summary = sorted(sent, key=lambda payload: payload["sequence"])
    assert len({payload["sequence"] for payload in sent}) == 3
    assert [payload["page"]["slug"] for payload in by_summary] == [
        "calf-liposuction",
        "selective-neurectomy",
        "calf-liposuction",
    ]
