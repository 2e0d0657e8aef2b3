"""A request the limits allowed is still bounded in time: DEADLINE_EXCEEDED, never a killed worker.

The execution deadline is checked per object, so these tests set it at or below zero (the
first object is already late) rather than racing a clock; PostgreSQL's statement_timeout is
made to fire by a lock held on another connection, which no machine's speed changes.
"""

import threading

import psycopg
import pytest
from django.db import connection

LIST = "{ procedures { items { slug title relatedProcedures { slug } } } }"


def assert_stopped_by_deadline(response) -> None:
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    payload = response.json()
    assert payload["data"] is None, "a partial answer would look complete"
    [error] = payload["errors"]
    assert error["extensions"] == {"code": "DEADLINE_EXCEEDED"}
    assert "did not finish within" in error["message"]


@pytest.mark.django_db
def test_the_default_deadline_lets_ordinary_queries_finish(gql, settings):
    assert settings.GRAPHQL_EXECUTION_DEADLINE_SECONDS == 5
    assert gql(LIST)["procedures"]["items"]


@pytest.mark.django_db
def test_a_query_past_its_deadline_is_stopped_with_a_code_and_nothing_partial(gql, settings):
    settings.GRAPHQL_EXECUTION_DEADLINE_SECONDS = -1
    assert_stopped_by_deadline(gql.post(LIST))
    # The next request starts its own deadline; the stopped one left nothing behind.
    settings.GRAPHQL_EXECUTION_DEADLINE_SECONDS = 5
    assert gql(LIST)["procedures"]["items"]


@pytest.mark.django_db
def test_a_stopped_query_is_never_cached(gql, settings, client):
    settings.GRAPHQL_EXECUTION_DEADLINE_SECONDS = -1
    first = client.get("/graphql/", {"query": LIST})
    assert_stopped_by_deadline(first)
    settings.GRAPHQL_EXECUTION_DEADLINE_SECONDS = 5
    second = client.get("/graphql/", {"query": LIST})
    assert second.status_code == 200
    assert second["X-Cache"] == "MISS"
    assert second.json()["data"]["procedures"]["items"]


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's statement_timeout (the PostgreSQL lane)"
)


@postgresql_only
@pytest.mark.django_db
def test_every_connection_has_a_statement_timeout_and_a_connect_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "5s"
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == 3


@postgresql_only
@pytest.mark.django_db
def test_a_statement_past_statement_timeout_is_answered_as_the_deadline(gql):
    """A procedure table locked by another session: the request's SELECT waits on it until
    PostgreSQL cancels it (statement_timeout), and the client gets DEADLINE_EXCEEDED, not 503."""
    params = connection.get_connection_params()
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with psycopg.connect(
            host=params.get("host"),
            port=params.get("port"),
            user=params.get("user"),
            dbname=params["dbname"],
            autocommit=False,
        ) as other:
            other.execute("LOCK TABLE procedures_procedurepage IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)
            other.rollback()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 300")
        assert_stopped_by_deadline(gql.post("{ procedures { items { slug } } }"))
    finally:
        release.set()
        holder.join()
