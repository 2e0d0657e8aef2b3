from django.core.management.base import BaseCommand

from reviews.setup import ensure_dev_accounts, ensure_medical_review


class Command(BaseCommand):
    help = "Create the Medical review workflow and group; --dev-accounts adds two accounts."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dev-accounts",
            action="store_true",
            help="Also create the accounts 'editor' and 'reviewer' (development only).",
        )

    def handle(self, *args, dev_accounts: bool = False, **options) -> None:
        workflow = ensure_medical_review()
        self.stdout.write(self.style.SUCCESS(f"Workflow '{workflow.name}' guards every page."))
        if dev_accounts:
            for line in ensure_dev_accounts():
                self.stdout.write(self.style.SUCCESS(f"Created {line}"))
            self.stdout.write(
                "Log in at /admin/ as 'editor' to write and submit, as 'reviewer' to approve "
                "(password: DEV_ACCOUNTS_PASSWORD, default 'changeme')."
            )
