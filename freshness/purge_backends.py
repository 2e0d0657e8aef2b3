"""Where a purge by tag goes: Varnish (xkey), Fastly (surrogate keys) or Cloudflare (cache tags).

A backend sends a set of tags to one cache in as few requests as that cache's API allows, and
raises `PurgeIncompleteError` with the tags it could not get acknowledged. `PendingPurge` rows
name their backend and `url`, from which `for_pending` rebuilds it. The CDNs' API tokens are
read from the settings each time and only ever go in a request header: never in a URL, the
database or a log line (an error message quoting one has it blanked out).
"""

import json
import urllib.error
import urllib.request
from collections.abc import Iterable

from django.conf import settings

from .models import PendingPurge


class PurgeIncompleteError(Exception):
    """Some tags were not purged: `unsent` are those still to send (the failed request's and
    every later one's); the message says why, with any API token blanked out."""

    def __init__(self, reason: str, unsent: list[str]) -> None:
        super().__init__(reason)
        self.unsent = unsent


class PurgeRefusedError(OSError):
    """The cache answered, but did not purge (Cloudflare's `"success": false`)."""


class Backend:
    name: str
    # The most tags one request may carry (None: any number).
    batch_size: int | None = None

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, tags: Iterable[str]) -> None:
        """Purge `tags`, sorted, a batch per request; stops at the first request that fails."""
        tags = sorted(tags)
        size = self.batch_size or len(tags) or 1
        batches = [tags[start : start + size] for start in range(0, len(tags), size)]
        for done, batch in enumerate(batches):
            try:
                self.send_batch(batch)
            # ValueError: urllib refusing a header value (a token with a newline in it), whose
            # message quotes the value.
            except (OSError, ValueError) as error:
                unsent = [tag for rest in batches[done:] for tag in rest]
                reason = self.redact(str(error) or type(error).__name__)
                raise PurgeIncompleteError(reason, unsent) from None

    def send_batch(self, tags: list[str]) -> None:
        raise NotImplementedError

    def redact(self, text: str) -> str:
        return text

    def post(self, request: urllib.request.Request) -> bytes:
        timeout = settings.HTTP_CACHE_PURGE_TIMEOUT_SECONDS
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()


class Varnish(Backend):
    """`PURGE /` with the tags in `xkey-purge`, as the shipped VCL takes them; one request."""

    name = PendingPurge.Backend.VARNISH
    header = "xkey-purge"

    def send_batch(self, tags: list[str]) -> None:
        request = urllib.request.Request(
            self.url.rstrip("/") + "/", method="PURGE", headers={self.header: " ".join(tags)}
        )
        self.post(request)


class CdnApi(Backend):
    """A CDN's purge API, called with the token in the setting `token_setting`."""

    token_setting: str

    @property
    def token(self) -> str:
        return getattr(settings, self.token_setting)

    def redact(self, text: str) -> str:
        return text.replace(self.token, "[token]") if self.token else text

    def send_batch(self, tags: list[str]) -> None:
        if not self.token:  # unset since this purge was kept
            raise PurgeRefusedError(f"{self.token_setting} is not set")
        self.call(tags)

    def call(self, tags: list[str]) -> None:
        raise NotImplementedError


class Fastly(CdnApi):
    """Fastly's purge by surrogate key: `POST /service/<id>/purge` with `Surrogate-Key: k1 k2`,
    at most 256 keys a request (Fastly API reference, "Purge multiple surrogate key tags")."""

    name = PendingPurge.Backend.FASTLY
    token_setting = "HTTP_CACHE_FASTLY_API_TOKEN"
    batch_size = 256

    @staticmethod
    def configured_url() -> str | None:
        if not (settings.HTTP_CACHE_FASTLY_SERVICE_ID and settings.HTTP_CACHE_FASTLY_API_TOKEN):
            return None
        base = settings.HTTP_CACHE_FASTLY_API_URL.rstrip("/")
        return f"{base}/service/{settings.HTTP_CACHE_FASTLY_SERVICE_ID}/purge"

    def call(self, tags: list[str]) -> None:
        headers = {"Surrogate-Key": " ".join(tags), "Fastly-Key": self.token}
        headers["Accept"] = "application/json"
        if settings.HTTP_CACHE_FASTLY_SOFT_PURGE:
            headers["Fastly-Soft-Purge"] = "1"
        self.post(urllib.request.Request(self.url, method="POST", headers=headers))


class Cloudflare(CdnApi):
    """Cloudflare's purge by cache tag: `POST /zones/<id>/purge_cache` with `{"tags": [...]}`,
    HTTP_CACHE_CLOUDFLARE_TAGS_PER_REQUEST tags a request. An answer that does not say
    `"success": true` is a failure, a 200 included."""

    name = PendingPurge.Backend.CLOUDFLARE
    token_setting = "HTTP_CACHE_CLOUDFLARE_API_TOKEN"

    @property
    def batch_size(self) -> int:
        return settings.HTTP_CACHE_CLOUDFLARE_TAGS_PER_REQUEST

    @staticmethod
    def configured_url() -> str | None:
        zone = settings.HTTP_CACHE_CLOUDFLARE_ZONE_ID
        if not (zone and settings.HTTP_CACHE_CLOUDFLARE_API_TOKEN):
            return None
        return f"{settings.HTTP_CACHE_CLOUDFLARE_API_URL.rstrip('/')}/zones/{zone}/purge_cache"

    def call(self, tags: list[str]) -> None:
        request = urllib.request.Request(
            self.url,
            method="POST",
            data=json.dumps({"tags": tags}).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            body = self.post(request)
        except urllib.error.HTTPError as error:
            # Cloudflare explains a 4xx in the body's `errors`.
            raise PurgeRefusedError(f"HTTP {error.code}{errors(error.read())}") from None
        try:
            succeeded = json.loads(body).get("success") is True
        except (ValueError, AttributeError):
            succeeded = False
        if not succeeded:
            raise PurgeRefusedError(f"not purged{errors(body)}")


def errors(body: bytes) -> str:
    """`: <code> <message>; ...` from a Cloudflare answer's `errors` (or the body's start when
    it is not one); "" when there are none."""
    try:
        found = json.loads(body).get("errors") or []
        text = "; ".join(f"{error.get('code')} {error.get('message')}" for error in found)
    except (ValueError, AttributeError):
        text = body[:200].decode(errors="replace")
    return f": {text[:500]}" if text else ""


BACKENDS: dict[str, type[Backend]] = {b.name: b for b in (Varnish, Fastly, Cloudflare)}


def configured() -> list[Backend]:
    """Every cache the settings name: each Varnish server, and Fastly and Cloudflare when set."""
    backends: list[Backend] = [Varnish(url) for url in settings.HTTP_CACHE_PURGE_URLS]
    for cdn in (Fastly, Cloudflare):
        url = cdn.configured_url()
        if url:
            backends.append(cdn(url))
    return backends


def for_pending(name: str, url: str) -> Backend:
    return BACKENDS[name](url)
