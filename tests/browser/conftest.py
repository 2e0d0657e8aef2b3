"""A `make run`-like site on a fresh database, and Debian's chromium driven by Playwright.

The site runs in its own process (runserver, development settings, a throwaway SQLite file),
as an editor meets it after `make run`; the browser is /usr/bin/chromium, installed with apt
when missing, never a browser downloaded by Playwright. Requests to anything but the site are
refused and recorded, so a page that needs the internet fails here.
"""

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "changeme"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_chromium() -> None:
    """Debian's chromium, installed as `make chromium` does when the machine lacks it."""
    if Path(CHROMIUM).exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("chromium is missing and cannot be installed here (run `make chromium`)")
    subprocess.run(["apt-get", "update"], check=True, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "chromium"], check=True, capture_output=True)


# The running site's environment, for a test that must change what no admin screen can (time).
SITE_ENV: dict[str, str] = {}


def manage_site(*args: str) -> str:
    """A management command against the running site's database, as an operator runs one."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=SITE_ENV,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return result.stdout


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """The site's own folder: its database, media and sent emails."""
    return tmp_path_factory.mktemp("site")


@pytest.fixture(scope="session")
def sent_emails(site_dir) -> Path:
    """Where the site's file email backend (development settings) writes each message."""
    return site_dir / "sent-emails"


@pytest.fixture(scope="session")
def site(site_dir, sent_emails) -> str:
    """The CMS after `make run` on a fresh machine; yields its base URL."""
    work = site_dir
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.dev",
        DATABASE_URL=f"sqlite:///{work / 'db.sqlite3'}",
        MEDIA_ROOT=str(work / "media"),
        PREVIEW_CLIENT_URL="",
        DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        DEV_ACCOUNTS_PASSWORD=PASSWORD,
        # As `make run`: email to files, links to where this server listens.
        EMAIL_BACKEND="",
        EMAIL_FILE_PATH=str(sent_emails),
        WAGTAILADMIN_BASE_URL=base,
    )
    SITE_ENV.clear()
    SITE_ENV.update(env)
    for command in (
        ["migrate", "--noinput"],
        ["setup_medical_review", "--dev-accounts"],
        ["load_seed_content"],
        ["ensure_admin"],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=300,
            capture_output=True,
        )
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Beside it, as `make run` starts it: the worker that publishes scheduled pages. It looks
    # every 2 seconds here (10 by default) so the scheduling step waits on the clock only.
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--no-reload"],
        cwd=ROOT,
        env={**env, "WORKER_SCHEDULE_SECONDS": "2"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/admin/login/", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the development server did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def playwright_browser():
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Session:
    """One signed-in user's browser tab, which refuses (and records) off-site requests."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.outside: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(20000)
        self.context.route("**/*", self._only_the_site)
        self.page = self.context.new_page()

    def _only_the_site(self, route) -> None:
        if route.request.url.startswith(self.base) or route.request.url.startswith(
            ("data:", "blob:", "about:")
        ):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def login(self, username: str) -> None:
        self.goto("/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.base + "/admin/")

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="session")
def sessions(playwright_browser, site):
    """Tabs by username, kept signed in across the ordered steps of a test module."""
    opened: dict[str, Session] = {}

    def open_as(username: str | None) -> Session:
        key = username or ""
        if key not in opened:
            opened[key] = Session(playwright_browser, site)
            if username:
                opened[key].login(username)
        return opened[key]

    yield open_as
    for session in opened.values():
        session.close()


def graphql(base: str, query: str) -> dict:
    """What an app reads: an anonymous GET to the API."""
    import json
    from urllib.parse import urlencode

    with urllib.request.urlopen(f"{base}/graphql/?{urlencode({'query': query})}") as response:
        payload = json.load(response)
    assert "errors" not in payload, payload
    return payload["data"]


AXE_JS = ROOT / "tests" / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core's violations of `impacts` on the page as shown, each with its rule, impact,
    help and the nodes it found; axe.min.js comes from tests/browser/axe (`make test`
    installs it from the lock file), injected from disk."""
    if not AXE_JS.exists():
        raise RuntimeError(f"{AXE_JS} is missing: run `make test` (npm ci in tests/browser/axe)")
    page.add_script_tag(path=str(AXE_JS))
    results = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [" ".join(map(str, node["target"])) for node in violation["nodes"]],
        }
        for violation in results["violations"]
        if violation["impact"] in impacts
    ]


def emergency(session: Session, page_id, action: str, reason: str) -> None:
    """Publish or unpublish without medical review: the recorded emergency action, the only
    way past the review gate, with its reason."""
    session.goto(f"/admin/reviews/emergency/{page_id}/")
    page = session.page
    page.check(f"input[name='action'][value='{action}']")
    page.fill("#id_reason", reason)
    page.get_by_role("button", name="Record and do it").click()
    page.wait_for_load_state()


def open_dialog(page, toggle, field: str, attempts: int = 4) -> None:
    """Click `toggle` until the dialog holding `field` shows. Wagtail's dialogs open from a
    click handler that a11y-dialog binds when its controller connects; on a loaded machine a
    click can land before that or while the side panel still slides, and then nothing opens,
    as it would for an editor, who clicks again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        try:
            toggle.click(timeout=5_000)
            page.locator(field).wait_for(state="visible", timeout=5_000)
            return
        except PlaywrightTimeout:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"dialog-not-open-{attempt}.png"))
            print(f"dialog with {field} not open after click {attempt + 1}", file=sys.stderr)
    raise AssertionError(f"the dialog with {field} did not open after {attempts} clicks")


def add_citation(page, title: str, url: str) -> None:
    """A citation on the open Facts tab, as an editor adds one (an inline with no id yet)."""
    page.get_by_role("button", name="Add citation").first.click()
    row = page.locator("[id^='id_citations-'][id$='-title']").count() - 1
    page.fill(f"#id_citations-{row}-title", title)
    page.fill(f"#id_citations-{row}-url", url)
    page.fill(f"#id_citations-{row}-accessed", "2026-11-01")
    page.locator(f"#id_citations-{row}-title").click()  # leaves the date picker
