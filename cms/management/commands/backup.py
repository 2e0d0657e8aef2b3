"""`manage.py backup ARCHIVE`: the database's content and the media in one .tar.gz."""

from pathlib import Path

from django.core.management.base import BaseCommand

from cms.backups import backup


class Command(BaseCommand):
    help = "Write the database's content and every media file to one .tar.gz archive."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path, help="Where to write, e.g. backup.tar.gz.")

    def handle(self, *args, archive: Path, **options) -> None:
        manifest = backup(archive)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {archive}: the database ({manifest['database_vendor']}) and "
                f"{manifest['media_files']} media files."
            )
        )
