"""CORS for configured origins only, security headers, throttled logins, production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from unittest.mock import ANY

import pytest
from axes.models import AccessAttempt

ROOT = Path(__file__).resolve().parent.parent
QUERY = '{"query": "{ muscles { slug } }"}'


def graphql(client, **headers):
    return client.post("/graphql/", QUERY, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_cors_allows_the_configured_frontend(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    response = graphql(client, Origin="https://app.example")
    assert response["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.django_db
def test_cors_ignores_other_origins(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    response = graphql(client, Origin="https://evil.example")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_cors_preflight(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    response = client.options(
        "/graphql/",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example"
    assert "POST" in response["Access-Control-Allow-Methods"]


@pytest.mark.django_db
def test_cors_is_only_for_the_api(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    response = client.get("/admin/login/", headers={"Origin": "https://app.example"})
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_api_responses_carry_security_headers_and_no_cookie(client):
    response = graphql(client)
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert not response.cookies


@pytest.mark.django_db
def test_only_the_admin_preview_may_be_framed(admin_client):
    from procedures.models import ProcedurePage

    page_id = ProcedurePage.objects.get(slug="calf-liposuction").pk
    preview = admin_client.get(f"/admin/pages/{page_id}/edit/preview/")
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert admin_client.get("/admin/")["X-Frame-Options"] == "DENY"


def attempt_login(client, password: str):
    return client.post("/admin/login/", {"username": "admin", "password": password})


@pytest.mark.django_db
def test_admin_login_is_throttled_after_repeated_failures(client, django_user_model, settings):
    django_user_model.objects.create_superuser("admin", "admin@example.com", "right-password")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt_login(client, "wrong").status_code == 200  # form shown again
    assert attempt_login(client, "wrong").status_code == 429
    # Locked out: even the right password is refused now, and no session is made.
    locked = attempt_login(client, "right-password")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The count lives in the database, so every app server sees it.
    assert AccessAttempt.objects.get(username="admin").failures_since_start >= 5


@pytest.mark.django_db
def test_a_good_login_still_works_before_the_limit(client, django_user_model):
    django_user_model.objects.create_superuser("admin", "admin@example.com", "right-password")
    attempt_login(client, "wrong")
    response = attempt_login(client, "right-password")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def production_env(database: Path | None = None) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    if database is not None:
        env["DATABASE_URL"] = f"sqlite:///{database}"
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="cms.example.com",
    )
    return env


def run_in_production(*args: str, database: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=production_env(database),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = run_in_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


# The probe runs on a database of its own: a clean checkout has no db.sqlite3 to lean on.
PRODUCTION_PROBE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
client = Client(HTTP_HOST="cms.example.com")
introspection = client.post("/graphql/", '{"query": "{ __schema { types { name } } }"}',
                            content_type="application/json", secure=True,
                            HTTP_ACCEPT="application/graphql-response+json")
typename = client.post("/graphql/", '{"query": "{ __typename }"}',
                       content_type="application/json", secure=True)
print(json.dumps({
    "graphiql": client.get("/graphiql/", secure=True).status_code,
    "introspection_status": introspection.status_code,
    "introspection": introspection.json(),
    "typename": typename.json(),
    "insecure": client.get("/graphql/", secure=False).status_code,
}))
"""


def test_production_turns_off_introspection_and_graphiql(tmp_path):
    import json

    result = run_in_production("-c", PRODUCTION_PROBE, database=tmp_path / "production.sqlite3")
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["graphiql"] == 404
    assert probe["introspection_status"] == 400
    assert "introspection is disabled" in probe["introspection"]["errors"][0]["message"]
    # Clients add __typename everywhere; it is not schema introspection and must keep working.
    assert probe["typename"] == {"data": {"__typename": "Query"}, "extensions": ANY}
    assert probe["insecure"] == 301  # plain HTTP is sent to HTTPS


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    env.pop("SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production." in result.stderr


# --- guessing limits: page passwords, and admin logins behind a proxy ---------------------

PAGE = "/procedures/calf-liposuction/"


@pytest.fixture
def protected_page(db):
    from wagtail.models import PageViewRestriction

    from procedures.models import ProcedurePage

    page = ProcedurePage.objects.get(slug="calf-liposuction")
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="open-sesame"
    )
    return f"/_util/authenticate_with_password/{restriction.pk}/{page.pk}/"


def try_password(client, action: str, password: str, address: str = "203.0.113.5"):
    return client.post(action, {"password": password, "return_url": PAGE}, REMOTE_ADDR=address)


def test_a_page_password_can_be_guessed_only_a_few_times(client, protected_page, settings):
    for _ in range(settings.PAGE_PASSWORD_FAILURE_LIMIT):
        wrong = try_password(client, protected_page, "guess")
        assert wrong.status_code == 200  # Wagtail's form again
    locked = try_password(client, protected_page, "open-sesame")
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(settings.PAGE_PASSWORD_COOLOFF_MINUTES * 60)
    assert b"Too many wrong passwords for this page. Try again in 15 minutes." in locked.content
    # Still locked: the right password did not get in, and the page still asks for one.
    assert client.get(PAGE, REMOTE_ADDR="203.0.113.5").status_code == 200
    assert b"Password required" in client.get(PAGE).content


def test_another_reader_is_not_locked_out_by_someone_elses_guesses(
    client, protected_page, settings
):
    for _ in range(settings.PAGE_PASSWORD_FAILURE_LIMIT):
        try_password(client, protected_page, "guess", address="203.0.113.5")
    right = try_password(client, protected_page, "open-sesame", address="198.51.100.7")
    assert right.status_code == 302
    assert right["Location"] == PAGE


def test_the_right_page_password_before_the_limit_lets_the_reader_in(client, protected_page):
    try_password(client, protected_page, "guess")
    assert try_password(client, protected_page, "open-sesame").status_code == 302
    assert b"Password required" not in client.get(PAGE, REMOTE_ADDR="203.0.113.5").content


PROXY = "10.0.0.2"


def login_via(client, username: str, password: str, address: str, via: str = PROXY):
    return client.post(
        "/admin/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=via,
        HTTP_X_FORWARDED_FOR=f"{address}, {via}" if via != address else address,
    )


@pytest.mark.django_db
def test_behind_a_trusted_proxy_a_lockout_is_the_attackers_not_everyones(
    client, django_user_model, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    django_user_model.objects.create_superuser("admin", "admin@example.com", "right-password")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_via(client, "admin", "wrong", address="203.0.113.66")
    assert login_via(client, "admin", "right-password", "203.0.113.66").status_code == 429
    # The real admin comes through the same proxy from elsewhere and gets in.
    assert login_via(client, "admin", "right-password", "198.51.100.7").status_code == 302
    assert AccessAttempt.objects.filter(ip_address="203.0.113.66").exists()
    assert not AccessAttempt.objects.filter(ip_address=PROXY).exists()


@pytest.mark.django_db
def test_forwarded_for_from_an_untrusted_peer_is_ignored(client, django_user_model, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    django_user_model.objects.create_superuser("admin", "admin@example.com", "right-password")
    for number in range(settings.AXES_FAILURE_LIMIT):
        # A client inventing a new X-Forwarded-For each time is still one address.
        login_via(client, "admin", "wrong", address=f"192.0.2.{number}", via="203.0.113.66")
    assert (
        login_via(client, "admin", "right-password", "192.0.2.99", "203.0.113.66").status_code
        == 429
    )


@pytest.mark.django_db
def test_one_address_cannot_spray_a_password_across_usernames(client, django_user_model, settings):
    django_user_model.objects.create_superuser("admin", "admin@example.com", "right-password")
    for number in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": f"user{number}", "password": "Summer2026!"})
    assert attempt_login(client, "right-password").status_code == 429
