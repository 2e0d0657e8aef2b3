"""Local development: DEBUG, GraphiQL, an insecure key that never leaves this machine."""

from .base import *  # noqa: F403
from .base import EMAIL_BACKEND_FROM_ENV, SECRET_KEY

DEBUG = True
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"
GRAPHIQL_ENABLED = True
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# A web app under development may run on any local port.
CORS_ALLOWED_ORIGIN_REGEXES = [r"^http://(localhost|127\.0\.0\.1)(:\d+)?$"]
LOGGING["handlers"]["console"]["formatter"] = "text"  # noqa: F405
# Email works offline: each message is a file in EMAIL_FILE_PATH (sent-emails/) unless
# EMAIL_BACKEND names another backend.
EMAIL_BACKEND = EMAIL_BACKEND_FROM_ENV or "django.core.mail.backends.filebased.EmailBackend"
