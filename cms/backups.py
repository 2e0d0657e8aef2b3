"""One archive holding the database's content and the media files, and its restore.

The database goes in as Django fixtures (`dumpdata`), not `pg_dump`: the same archive
restores into PostgreSQL or SQLite. Content types and permissions go in with their ids, and a
restore replaces the ones `migrate` made with them, so every id that points at one (a page's
type, a log entry's, a group's permissions) stays right. (Natural keys would not do: Wagtail
gives pages one, and a page log entry may name a page deleted since.) Media are copied
through the storage API, so a bucket (MEDIA_S3_BUCKET) is backed up like a local folder.
Left out: what is rebuilt (the search index, by `update_index` after a restore), what is
per-machine or short-lived (sessions, login lockouts, the task queue, worker leases and
heartbeats, preview drafts, page-password counts).
"""

import json
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from wagtail.search import models as search_models

FORMAT = 1
DATABASE_FILE = "database.json"
# Loaded first: saving the rest asks for content types, and would make missing ones anew.
TYPES_FILE = "contenttypes.json"
TYPES = ["contenttypes", "auth.permission"]
MANIFEST_FILE = "manifest.json"
MEDIA_FOLDER = "media"
LEFT_OUT = [
    "sessions",
    "axes",
    "django_tasks_database",
    "ops",
    "wagtailsearch.indexentry",
    "wagtail_headless_preview",
    "cms.pagepasswordfailure",
]


class BackupError(Exception):
    """The message is for the operator."""


def media_files(folder: str = "") -> Iterator[str]:
    """Every file name in the default storage, below `folder`."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:  # MEDIA_ROOT not made yet: nothing uploaded
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(folders):
        yield from media_files(f"{folder}/{name}" if folder else name)


def applied_migrations() -> dict[str, str]:
    latest = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, name), name)
    return latest


def backup(archive: Path) -> dict:
    """Write the archive; returns its manifest."""
    with tempfile.TemporaryDirectory(prefix="cms-backup-") as work:
        database = Path(work) / DATABASE_FILE
        # One transaction: on PostgreSQL every table is read at the same moment.
        types = Path(work) / TYPES_FILE
        with transaction.atomic():
            call_command("dumpdata", *TYPES, output=str(types), verbosity=0)
            call_command("dumpdata", exclude=[*LEFT_OUT, *TYPES], output=str(database), verbosity=0)
        names = list(media_files())
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database_vendor": connection.vendor,
            "migrations": applied_migrations(),
            "media_files": len(names),
        }
        (Path(work) / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1))
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(Path(work) / MANIFEST_FILE, arcname=MANIFEST_FILE)
            tar.add(types, arcname=TYPES_FILE)
            tar.add(database, arcname=DATABASE_FILE)
            for name in names:
                with default_storage.open(name, "rb") as source:
                    info = tarfile.TarInfo(f"{MEDIA_FOLDER}/{name}")
                    info.size = default_storage.size(name)
                    tar.addfile(info, source)
    return manifest


def rebuild_search_index() -> None:
    """Wagtail's `update_index`, from an empty index. On SQLite the full-text rows live in a
    virtual table beside IndexEntry that a flush leaves behind, and the rebuild would collide
    with them (a constraint error), so both are emptied through their models first."""
    for name in ("SQLiteFTSIndexEntry", "IndexEntry"):
        model = getattr(search_models, name, None)  # the first exists only with SQLite FTS5
        if model is not None:
            model.objects.all().delete()
    call_command("update_index", verbosity=0)


def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(tar.extractfile(MANIFEST_FILE))
    except (KeyError, ValueError) as error:
        raise BackupError("Not a backup made by `manage.py backup` (no manifest).") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Backup format {manifest.get('format')} is not {FORMAT}.")
    return manifest


def restore(archive: Path) -> dict:
    """Replace the database's content and the media with the archive's; returns its manifest.

    The database must be migrated (by this code's migrations); everything in it is replaced.
    """
    try:
        tar = tarfile.open(archive, "r:gz")  # noqa: SIM115 (closed by the `with` below)
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"Cannot read {archive}: {error}") from error
    with tar, tempfile.TemporaryDirectory(prefix="cms-restore-") as work:
        manifest = read_manifest(tar)
        fixtures = []
        for name in (TYPES_FILE, DATABASE_FILE):
            fixture = Path(work) / name
            fixture.write_bytes(tar.extractfile(name).read())
            fixtures.append(fixture)
        with transaction.atomic():
            # Empties every table (Wagtail's initial root and welcome page too). The content
            # types and permissions flush makes again give way to the archive's, ids and all.
            call_command("flush", interactive=False, verbosity=0)
            Permission.objects.all().delete()
            ContentType.objects.all().delete()
            ContentType.objects.clear_cache()
            for fixture in fixtures:
                call_command("loaddata", str(fixture), verbosity=0)
        ContentType.objects.clear_cache()
        rebuild_search_index()
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith(f"{MEDIA_FOLDER}/"):
                continue
            name = member.name.removeprefix(f"{MEDIA_FOLDER}/")
            if name.startswith("/") or ".." in Path(name).parts:
                raise BackupError(f"Refusing a media path outside the media folder: {name}")
            if default_storage.exists(name):
                default_storage.delete(name)
            default_storage.save(name, File(tar.extractfile(member), name=name))
    from freshness.response_cache import bump_generation

    bump_generation()
    return manifest
