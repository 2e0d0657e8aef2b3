"""Media on an S3-compatible bucket when configured, on this machine's disk otherwise."""

import json
import subprocess
import sys

from servers import ROOT

SHOW_STORAGE = """
import json, django
django.setup()
from django.core.files.storage import storages
s = storages["default"]
print(json.dumps({"class": type(s).__name__, "bucket": getattr(s, "bucket_name", None),
    "endpoint": getattr(s, "endpoint_url", None), "location": getattr(s, "location", None),
    "signed": getattr(s, "querystring_auth", None),
    "url": s.url("images/calf.jpg")}))
"""


def storage_with(**env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SHOW_STORAGE],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "cms.settings.dev", "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_media_use_the_local_disk_when_no_bucket_is_configured():
    assert storage_with()["class"] == "FileSystemStorage"


def test_media_use_the_s3_compatible_bucket_from_the_environment():
    storage = storage_with(
        MEDIA_S3_BUCKET="cms-media",
        MEDIA_S3_ENDPOINT_URL="http://127.0.0.1:9000",
        MEDIA_S3_ACCESS_KEY_ID="key",
        MEDIA_S3_SECRET_ACCESS_KEY="secret",
        MEDIA_S3_CUSTOM_DOMAIN="media.example.com",
    )
    assert storage["class"] == "S3Storage"
    assert storage["bucket"] == "cms-media"
    assert storage["endpoint"] == "http://127.0.0.1:9000"
    assert storage["location"] == "media"
    assert storage["signed"] is False  # public image URLs a CDN can cache
    assert storage["url"] == "https://media.example.com/media/images/calf.jpg"
