"""Request ids in headers and JSON logs; Prometheus metrics for allowed addresses only."""

import io
import json
import logging

import pytest
from django.test import override_settings

from ops.logs import JsonFormatter
from ops.requests import RequestIdFilter

QUERY = '{ procedure(slug: "calf-liposuction") { title } }'


def ask(client, **headers):
    body = json.dumps({"query": "query Calf " + QUERY, "operationName": "Calf"})
    return client.post("/graphql/", body, content_type="application/json", **headers)


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_keeps_a_sane_incoming_one(client):
    fresh = ask(client)["X-Request-ID"]
    assert len(fresh) == 32
    assert ask(client)["X-Request-ID"] != fresh
    assert ask(client, HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"] == "lb-1234abcd"
    # Header injection or junk from outside is replaced, not echoed.
    replaced = ask(client, HTTP_X_REQUEST_ID="bad id\u2028<script>")["X-Request-ID"]
    assert replaced != "bad id\u2028<script>" and len(replaced) == 32


@pytest.mark.django_db
def test_log_lines_are_json_with_the_request_id(client):
    # The console handler's filter and formatter (settings.LOGGING), on a buffer.
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    access_log = logging.getLogger("cms.access")
    access_log.addHandler(handler)
    try:
        response = ask(client, HTTP_X_REQUEST_ID="trace-42-abcdef")
    finally:
        access_log.removeHandler(handler)
    line = json.loads(buffer.getvalue().splitlines()[-1])
    assert line["request_id"] == "trace-42-abcdef" == response["X-Request-ID"]
    assert line["status"] == 200
    assert line["path"] == "/graphql/"
    assert line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float)


def metric(text: str, name: str, **labels) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{") or line.startswith(f"{name} "):
            series, value = line.rsplit(" ", 1)
            got = series[len(name) :].strip("{}")
            if ",".join(sorted(got.split(","))) == wanted or (not labels and not got):
                return float(value)
    return 0.0


@pytest.mark.django_db
def test_metrics_count_requests_cache_outcomes_and_errors_by_operation(client):
    before = client.get("/metrics").content.decode()
    ask(client)
    ask(client)
    client.post(
        "/graphql/",
        json.dumps({"query": "{ nope }"}),
        content_type="application/json",
    )
    after = client.get("/metrics").content.decode()

    def grew(name, **labels):
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert grew("cms_graphql_requests_total", operation="Calf", status="200") == 2
    assert grew("cms_graphql_request_seconds_count", operation="Calf") == 2
    assert grew("cms_graphql_cache_total", result="MISS") == 1
    assert grew("cms_graphql_cache_total", result="HIT") == 1
    assert (
        grew("cms_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED")
        + grew("cms_graphql_errors_total", code="HTTP_400")
        == 1
    )
    assert "cms_task_queue_depth" in after


@pytest.mark.django_db
@override_settings(METRICS_ALLOWED_IPS=["10.0.0.0/8"])
def test_metrics_are_refused_to_addresses_not_allowed(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    allowed = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert allowed.status_code == 200
    assert allowed["Cache-Control"] == "no-store"


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="s3cret-scrape-token")
def test_with_a_token_set_metrics_need_it_even_from_an_allowed_address(client):
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 403
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert right.status_code == 200
    assert b"cms_http_requests_total" in right.content


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="", METRICS_TOKEN_REQUIRED=True)
def test_where_a_token_is_required_and_none_is_set_metrics_answer_no_one(client):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403
