"""Settings shared by every environment. The only module that reads the environment."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated environment variable as a list, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")

INSTALLED_APPS = [
    "cms",
    # Before the apps whose handlers read what its handlers record (webhooks' events).
    "freshness",
    "home",
    "procedures",
    "images",
    "reviews",
    "ops",
    "webhooks",
    "django_tasks",
    "django_tasks_db",
    "wagtail_localize",
    # wagtail-localize's locale admin (in place of wagtail.locales): a locale can sync its
    # tree from another, so untranslated pages exist in it as aliases (see README, Locales).
    "wagtail_localize.locales",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "graphene_django",
    "wagtail_headless_preview",
    "corsheaders",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
]

MIDDLEWARE = [
    # First: load balancer probes and /metrics answer before host checks or HTTPS redirects.
    "ops.health.ProbeMiddleware",
    "ops.requests.RequestIdMiddleware",
    "ops.metrics.MetricsMiddleware",
    "ops.faults.FaultMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Cached anonymous API reads need nothing below; they are answered here.
    "cms.graphql.cached_reads.CachedReadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cms.framing.AdminPreviewFramingMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# Addresses or networks of the proxies in front (the load balancer): only a request from one
# of them has its X-Forwarded-For read for the client's address (ops/client_ip.py). Empty:
# the connecting address is the client's.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# Failed admin logins are counted in the database, so every app server sees the same count:
# per username and client address, and per client address alone, so one address cannot try a
# password across many usernames (spraying). After AXES_FAILURE_LIMIT either is locked out for
# the cool-off time. The client address is the one TRUSTED_PROXIES saw, not the proxy's.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_CLIENT_IP_CALLABLE = "ops.client_ip.client_ip"

# Wrong passwords for a password-protected page, per client address and page restriction,
# before that address must wait PAGE_PASSWORD_COOLOFF_MINUTES (cms/page_passwords.py).
PAGE_PASSWORD_FAILURE_LIMIT = env_int("PAGE_PASSWORD_FAILURE_LIMIT", 5)
PAGE_PASSWORD_COOLOFF_MINUTES = env_int("PAGE_PASSWORD_COOLOFF_MINUTES", 15)
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite is the embedded default; production and CI point DATABASE_URL at PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker writes beside the web process: IMMEDIATE transactions wait for the write
    # lock (up to the timeout) instead of failing with "database is locked" mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Deadlines on the database (README, "Deadlines"): a PostgreSQL that accepts no connection
    # fails the request in seconds (a 503) instead of holding its thread; one statement may run
    # at most DATABASE_STATEMENT_TIMEOUT_SECONDS (0: no limit, e.g. for a long migration).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT_SECONDS", 3),
            "options": "-c statement_timeout="
            f"{int(float(os.environ.get('DATABASE_STATEMENT_TIMEOUT_SECONDS', '5')) * 1000)}",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Local memory by default; a shared Redis when several app servers run side by side.
# While Redis is unreachable the cache is skipped (ops/resilient_cache.py) and retried after
# CACHE_RETRY_SECONDS; REDIS_TIMEOUT_SECONDS bounds how long one call may wait for it.
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_TIMEOUT_SECONDS = float(os.environ.get("REDIS_TIMEOUT_SECONDS", "0.5"))
CACHE_RETRY_SECONDS = float(os.environ.get("CACHE_RETRY_SECONDS", "5"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "ops.resilient_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "cms"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Wagtail writes every rendition it hands out to the "renditions" cache (the default cache
# unless this alias exists): with Redis, one network round trip per image size per item. The
# API prefetches renditions with the images it returns, so that cache would only cost.
CACHES["renditions"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Several app servers need one media store: an S3-compatible bucket (AWS, MinIO, R2...)
# through django-storages when MEDIA_S3_BUCKET is set, else this machine's MEDIA_ROOT.
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "")
if MEDIA_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": os.environ.get("MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("MEDIA_S3_REGION") or None,
            "access_key": os.environ.get("MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "custom_domain": os.environ.get("MEDIA_S3_CUSTOM_DOMAIN") or None,
            "location": os.environ.get("MEDIA_S3_PREFIX", "media"),
            # Images are public content: plain URLs a CDN can cache, not expiring signed ones.
            "querystring_auth": False,
            "default_acl": None,
            "file_overwrite": False,
        },
    }
# The app serves media from MEDIA_ROOT itself (public images only, see cms/media.py) unless
# they live in shared storage that serves them.
SERVE_MEDIA = not MEDIA_S3_BUCKET

# Locales: one page tree per locale (Wagtail's internationalisation), translated through
# wagtail-localize. The seed is English; `manage.py setup_locale ko` adds Korean. Content in a
# locale falls back along API_LOCALE_FALLBACKS, then to the site's default locale.
WAGTAIL_I18N_ENABLED = True
LANGUAGES = WAGTAIL_CONTENT_LANGUAGES = [("en", "English"), ("ko", "Korean")]
API_LOCALE_FALLBACKS: dict[str, list[str]] = {}
# A new translation starts as a draft: it goes live through medical review (reviews/gate.py),
# never because its source is live.
WAGTAILLOCALIZE_SYNC_LIVE_STATUS_ON_TRANSLATE = False

# Wagtail
WAGTAIL_SITE_NAME = "Calf reduction CMS"
# Links in notification emails start with this. Wagtail reads nothing else to build them (the
# emails are sent from workflow signals, with no request at hand), so it must be where editors
# reach the admin; `make run` sets it from its HOST and PORT.
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# Avatars are initials drawn by the admin: no request leaves for www.gravatar.com.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILIMAGES_IMAGE_MODEL = "images.CMSImage"
# Draftail named by its field's label, for screen readers (cms/admin_names.py).
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {"WIDGET": "cms.admin_names.LabelledDraftailRichTextArea"}
}
# Keeps a chosen file when the form is refused for another field (alt text, say).
WAGTAILIMAGES_IMAGE_FORM_BASE = "images.forms.ImageForm"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "pdf", "pptx", "txt", "xlsx"]

# Preview renders in the admin (cms/preview.py). With a frontend URL, editors may also preview
# there with a signed token, and "View live" and `/` go to the frontend; without, to our rendering.
PREVIEW_CLIENT_URL = os.environ.get("PREVIEW_CLIENT_URL", "")
WAGTAIL_HEADLESS_PREVIEW = {
    "CLIENT_URLS": {"default": PREVIEW_CLIENT_URL} if PREVIEW_CLIENT_URL else {},
    "SERVE_BASE_URL": None,
    "REDIRECT_ON_PREVIEW": False,
    "ENFORCE_TRAILING_SLASH": True,
}

# A client could fill the disk by asking for every width: only these widths are made; an asked
# width is snapped up to one of them.
IMAGE_WIDTHS = (160, 320, 480, 640, 768, 960, 1280, 1600, 1920)
# Renditions the worker makes when an image is saved or a page using it is published (Wagtail
# filter specs, comma-separated): by default what `srcSet` gives without arguments, in the
# original format and WebP, and 160 px squares. Others are made when first fetched, never in
# an API request (images/renditions.py).
IMAGE_PREPARED_RENDITIONS = [
    spec.strip()
    for spec in os.environ.get(
        "IMAGE_PREPARED_RENDITIONS",
        ",".join(
            [f"width-{w}" for w in (320, 640, 960, 1280, 1920)]
            + [f"width-{w}|format-webp" for w in (320, 640, 960, 1280, 1920)]
            + ["fill-160x160"]
        ),
    ).split(",")
    if spec.strip()
]
# Image URLs in the API are absolute: from this base (a CDN or bucket) when set, else from
# the request's own scheme and host, so a phone on the network can load them.
MEDIA_PUBLIC_URL = os.environ.get("MEDIA_PUBLIC_URL", "")

# GraphQL
GRAPHENE = {
    "SCHEMA": "cms.graphql.schema.schema",
    # No middleware: the argument and publication guards are on the fields that need them
    # (cms/graphql/guards.py), not around every field.
    "MIDDLEWARE": [],
}
API_PAGE_SIZE = env_int("GRAPHQL_PAGE_SIZE", 10)
API_MAX_PAGE_SIZE = env_int("GRAPHQL_MAX_PAGE_SIZE", 100)
GRAPHIQL_ENABLED = False

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "http://localhost:3000")
CORS_URLS_REGEX = r"^/graphql/?$"
CORS_ALLOW_METHODS = ["GET", "POST", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
# Apollo Client sends its name and version; scripts may read the cache validators.
CORS_ALLOW_HEADERS = [
    "accept",
    "content-type",
    "if-none-match",
    "apollographql-client-name",
    "apollographql-client-version",
    "x-request-id",
]
CORS_EXPOSE_HEADERS = [
    "ETag",
    "X-Cache",
    "X-Request-ID",
    # The rate limit by cost, for apps that pace themselves (cms/graphql/rate_limit.py).
    "RateLimit",
    "RateLimit-Policy",
    "Retry-After",
]

X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Email: Wagtail's workflow notifications (a reviewer's requested changes and comment reach the
# submitter). SMTP by default; development writes each message to a file instead (dev.py).
EMAIL_BACKEND_FROM_ENV = os.environ.get("EMAIL_BACKEND", "")
EMAIL_BACKEND = EMAIL_BACKEND_FROM_ENV or "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "0") == "1"
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "sent-emails"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cms@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# A page's medical content is "review due" this many months after its last approved review.
MEDICAL_REVIEW_INTERVAL_MONTHS = env_int("MEDICAL_REVIEW_INTERVAL_MONTHS", 12)
# Patient information should read at this US school grade or below (the preview's check).
PATIENT_READING_GRADE = env_int("PATIENT_READING_GRADE", 8)
# An approval holds for the revision the reviewer read; an edit after it needs a new review.
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
# A finished review publishes (or schedules) exactly the approved revision and records it.
WAGTAIL_FINISH_WORKFLOW_ACTION = "reviews.approval.publish_approved_revision"
# What a page needs before it may enter medical review (reviews/forms.py): any of "facts",
# "image" (with alt text) and "citations"; empty for none.
MEDICAL_REVIEW_REQUIREMENTS = env_list("MEDICAL_REVIEW_REQUIREMENTS", "facts,image,citations")

# The first admin user, made by `manage.py ensure_admin` (used by `make run`).
INITIAL_ADMIN_USERNAME = os.environ.get("DJANGO_SUPERUSER_USERNAME", "admin")
INITIAL_ADMIN_PASSWORD = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "changeme")
# `make run` (development only) also makes an editor and a medical reviewer with this password.
DEV_ACCOUNTS_PASSWORD = os.environ.get("DEV_ACCOUNTS_PASSWORD", "changeme")

# A preview link stops working after this many seconds.
PREVIEW_TOKEN_MAX_AGE = env_int("PREVIEW_TOKEN_MAX_AGE", 3600)

# Bounds on one GraphQL request; see cms/graphql/limits.py for how each is counted.
GRAPHQL_LIMITS = {
    "MAX_DEPTH": env_int("GRAPHQL_MAX_DEPTH", 10),
    "MAX_ALIASES": env_int("GRAPHQL_MAX_ALIASES", 20),
    "MAX_FIELDS": env_int("GRAPHQL_MAX_FIELDS", 300),
    "MAX_TOKENS": env_int("GRAPHQL_MAX_TOKENS", 2000),
    # A whole offline-sync page (100 pages, every field) costs about 33,000; lists of pages
    # nested in lists of pages (100 x 100 x 100) cost millions.
    "MAX_COST": env_int("GRAPHQL_MAX_COST", 50000),
    # An upper estimate of the SQL queries a request runs (cms/graphql/query_costs.py). The
    # contract queries run 6 to 19 (planned lists cost the same at 5 items as at 100), and
    # are estimated at about 10 to 40; 100 still lets a page of 10 items ask one tree field
    # each (about 60), and refuses tree fields nested in tree fields, each run per item.
    "MAX_SQL_QUERIES": env_int("GRAPHQL_MAX_SQL_QUERIES", 100),
    "MAX_BODY_BYTES": env_int("GRAPHQL_MAX_BODY_BYTES", 32768),
    "MAX_STRING_LENGTH": env_int("GRAPHQL_MAX_STRING_LENGTH", 512),
    "DEFAULT_LIST_SIZE": env_int("GRAPHQL_PAGE_SIZE", 10),
}
GRAPHQL_MAX_PAGE_NUMBER = env_int("GRAPHQL_MAX_PAGE_NUMBER", 10000)
# A query the limits allow that still runs longer is stopped: DEADLINE_EXCEEDED, data null.
GRAPHQL_EXECUTION_DEADLINE_SECONDS = float(
    os.environ.get("GRAPHQL_EXECUTION_DEADLINE_SECONDS", "5")
)
# Each client address has a bucket of this many cost points (0: no rate limit), refilled at
# the restore rate; a query takes its cost from it and is refused (429) when too few are left
# (cms/graphql/rate_limit.py). In Redis when REDIS_URL is set, else per process. The default
# is twice the dearest allowed query (GRAPHQL_MAX_COST), refilled in 20 s: an app reading
# pages never meets it; a client running 50,000-point queries back to back gets one every 10 s.
GRAPHQL_RATE_LIMIT_POINTS = env_int("GRAPHQL_RATE_LIMIT_POINTS", 100_000)
GRAPHQL_RATE_LIMIT_RESTORE_PER_SECOND = env_int("GRAPHQL_RATE_LIMIT_RESTORE_PER_SECOND", 5_000)
# Introspection lets GraphiQL and codegen read the schema; production turns it off.
GRAPHQL_INTROSPECTION = True

# Anonymous API reads are cached this long at most; any publish makes them stale at once.
GRAPHQL_RESPONSE_CACHE_SECONDS = env_int("GRAPHQL_RESPONSE_CACHE_SECONDS", 300)
# With Redis, each process also keeps up to this much of them in memory (0: none), trusted
# while its invalidation channel answered within CACHE_CHANNEL_GRACE_SECONDS; a publish waits
# at most that long for a process whose channel dropped (freshness/channel.py).
GRAPHQL_MEMORY_CACHE_MB = env_int("GRAPHQL_MEMORY_CACHE_MB", 64)
CACHE_CHANNEL_GRACE_SECONDS = float(os.environ.get("CACHE_CHANNEL_GRACE_SECONDS", "2"))
# Browsers and CDNs may reuse a public response this long without asking; at 0 they revalidate
# every time with If-None-Match, which costs a 304 and no content is ever older than a publish.
GRAPHQL_HTTP_MAX_AGE = env_int("GRAPHQL_HTTP_MAX_AGE", 0)
# Shared caches (Varnish, a CDN) may keep a public answer this long (`s-maxage`; 0: as browsers);
# each is purged by its dependency tags on every change (freshness/, README "HTTP cache in front").
GRAPHQL_SHARED_MAX_AGE = env_int("GRAPHQL_SHARED_MAX_AGE", 0)
# The headers that carry an answer's tags: Varnish xkey, Fastly, Cloudflare.
HTTP_CACHE_TAG_HEADERS = env_list("HTTP_CACHE_TAG_HEADERS", "xkey,Surrogate-Key,Cache-Tag")
# An answer that depends on more objects than this is tagged by its site and `many` instead.
HTTP_CACHE_MAX_TAGS = env_int("HTTP_CACHE_MAX_TAGS", 200)
# Varnish servers purged by tag once a change commits (`PURGE /` with `xkey-purge`); none: off.
HTTP_CACHE_PURGE_URLS = env_list("HTTP_CACHE_PURGE_URLS")
# The longest each purge request (to Varnish or a CDN's API) may take.
HTTP_CACHE_PURGE_TIMEOUT_SECONDS = float(os.environ.get("HTTP_CACHE_PURGE_TIMEOUT_SECONDS", "2"))
# Fastly, purged by surrogate key through its API once both are set (freshness/purge_backends.py).
# The API URLs are settings for tests, which point them at a local receiver.
HTTP_CACHE_FASTLY_SERVICE_ID = os.environ.get("HTTP_CACHE_FASTLY_SERVICE_ID", "").strip()
HTTP_CACHE_FASTLY_API_TOKEN = os.environ.get("HTTP_CACHE_FASTLY_API_TOKEN", "").strip()
HTTP_CACHE_FASTLY_SOFT_PURGE = os.environ.get("HTTP_CACHE_FASTLY_SOFT_PURGE", "0") == "1"
HTTP_CACHE_FASTLY_API_URL = os.environ.get("HTTP_CACHE_FASTLY_API_URL", "https://api.fastly.com")
# Cloudflare, purged by cache tag through its API once both are set. Cloudflare has taken 30
# tags a request (the old limit) and now documents 100 on every plan; 30 suits either.
HTTP_CACHE_CLOUDFLARE_ZONE_ID = os.environ.get("HTTP_CACHE_CLOUDFLARE_ZONE_ID", "").strip()
HTTP_CACHE_CLOUDFLARE_API_TOKEN = os.environ.get("HTTP_CACHE_CLOUDFLARE_API_TOKEN", "").strip()
HTTP_CACHE_CLOUDFLARE_API_URL = os.environ.get(
    "HTTP_CACHE_CLOUDFLARE_API_URL", "https://api.cloudflare.com/client/v4"
)
HTTP_CACHE_CLOUDFLARE_TAGS_PER_REQUEST = env_int("HTTP_CACHE_CLOUDFLARE_TAGS_PER_REQUEST", 30)
# Automatic persisted queries: the document text kept for a sha256 hash.
GRAPHQL_PERSISTED_QUERY_SECONDS = env_int("GRAPHQL_PERSISTED_QUERY_SECONDS", 7 * 24 * 3600)
# Only a document that parses and validates is kept, and only up to this size (by default the
# body limit, so whatever may be sent by POST may be persisted; a GET's query string has none).
GRAPHQL_PERSISTED_QUERY_MAX_BYTES = env_int(
    "GRAPHQL_PERSISTED_QUERY_MAX_BYTES", GRAPHQL_LIMITS["MAX_BODY_BYTES"]
)

# Background tasks (Wagtail's own, webhook deliveries) go to a table in the main database and
# are run by `manage.py worker` (django-tasks-db), which also runs scheduled publishing.
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
# The worker's periodic jobs (heartbeat, scheduled go-live and expiry, requeueing the tasks
# of dead workers) run this often; a page goes live at most this long after its go-live time.
WORKER_SCHEDULE_SECONDS = float(os.environ.get("WORKER_SCHEDULE_SECONDS", "5"))
# A worker without a heartbeat newer than this is gone: /readyz reports it down, and the
# tasks it was running are queued again (failed after WORKER_TASK_MAX_CLAIMS tries).
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 60)
WORKER_TASK_MAX_CLAIMS = env_int("WORKER_TASK_MAX_CLAIMS", 3)
# /readyz fails the database checks when the database has not answered within this long.
READYZ_TIMEOUT_SECONDS = float(os.environ.get("READYZ_TIMEOUT_SECONDS", "1"))

# Publish webhooks: each POST must be answered in full within this deadline; it is tried this
# many times, the n-th retry after base * 2^(n-1) seconds (10 s, 20 s, 40 s, 80 s, 160 s).
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 6)
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "10"))
# Each worker sends to at most this many endpoints at once, one thread each.
WEBHOOK_CONCURRENCY = env_int("WEBHOOK_CONCURRENCY", 8)
# An endpoint is paused (its deliveries wait) after this many failed attempts in a row.
WEBHOOK_PAUSE_AFTER_FAILURES = env_int("WEBHOOK_PAUSE_AFTER_FAILURES", 5)

# A 503 (database unreachable) tells clients to come back after this many seconds.
RETRY_AFTER_SECONDS = env_int("RETRY_AFTER_SECONDS", 5)

# /metrics answers only these addresses or networks (the Prometheus server's), compared with
# the connecting address; and, when METRICS_TOKEN is set, only with `Authorization: Bearer
# <METRICS_TOKEN>`. Production requires the token (any local process could read it otherwise).
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_TOKEN_REQUIRED = False
# gunicorn's config sets PROMETHEUS_MULTIPROC_DIR; metrics are then summed across workers.
METRICS_MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# Operation names are chosen by clients: past this many distinct ones, they count as "other".
METRICS_MAX_OPERATIONS = env_int("METRICS_MAX_OPERATIONS", 100)

# One JSON object per line with the request id; LOG_FORMAT=text for people reading a console.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ops.requests.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "ops.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "text" if os.environ.get("LOG_FORMAT") == "text" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "cms": {"level": LOG_LEVEL},
        "ops": {"level": LOG_LEVEL},
        "webhooks": {"level": LOG_LEVEL},
        # One line per request; ACCESS_LOG=0 when the load balancer already logs them.
        "cms.access": {"level": "INFO" if os.environ.get("ACCESS_LOG", "1") == "1" else "WARNING"},
    },
}
