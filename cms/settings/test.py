"""The pytest suite: fast hashing, files in a temporary folder, no manifest needed."""

import tempfile

from .base import *  # noqa: F403

SECRET_KEY = "test-only-key"
DEBUG = False
GRAPHIQL_ENABLED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="cms-test-media-")
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
STATIC_ROOT = tempfile.mkdtemp(prefix="cms-test-static-")
# Multi-site tests use more hostnames than the default list.
ALLOWED_HOSTS = ["*"]
