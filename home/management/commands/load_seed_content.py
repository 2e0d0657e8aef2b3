from django.core.management.base import BaseCommand

from home.seeding import load_seed


class Command(BaseCommand):
    help = "Build the site from the seed article; safe to run again, keeps editors' changes."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Restore seed pages to the seed text and facts, publishing a new revision.",
        )

    def handle(self, *args, reset: bool = False, **options) -> None:
        report = load_seed(reset=reset)
        self.stdout.write(self.style.SUCCESS(f"Seed content: {report}."))
