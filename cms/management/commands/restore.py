"""`manage.py restore ARCHIVE`: replace the content and the media with a backup's."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cms.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace everything in the (migrated) database and the media storage with what "
        "`manage.py backup` wrote, then rebuild the search index."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", type=Path, help="A .tar.gz made by `manage.py backup`.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask before replacing the database's content.",
        )

    def handle(self, *args, archive: Path, interactive: bool, **options) -> None:
        if interactive:
            answer = input(
                "This replaces every row in the database and overwrites media files with "
                f"those in {archive}. Type 'yes' to continue: "
            )
            if answer != "yes":
                raise CommandError("Restore cancelled.")
        try:
            manifest = restore(archive)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {archive} (made {manifest['created_at']}): the database and "
                f"{manifest['media_files']} media files."
            )
        )
