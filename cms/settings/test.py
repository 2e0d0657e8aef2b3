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
# Tasks run inside the request, as Wagtail does without a worker, so a test sees the search
# index and reference index updated at once; worker tests switch to the database backend.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
