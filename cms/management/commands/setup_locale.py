"""`manage.py setup_locale ko`: a content locale whose tree follows the default locale's."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale
from wagtail_localize.models import LocaleSynchronization


class Command(BaseCommand):
    help = (
        "Adds a content locale (one of WAGTAIL_CONTENT_LANGUAGES, e.g. ko) that wagtail-localize "
        "keeps in sync with the default locale: every page exists in its tree, untranslated "
        "ones as aliases the API serves in the default locale. Translates nothing. Running "
        "it again adds only pages added since."
    )

    def add_arguments(self, parser):
        parser.add_argument("language_code")

    @transaction.atomic
    def handle(self, language_code, **options):
        try:
            code = get_supported_content_language_variant(language_code)
        except LookupError:
            raise CommandError(
                f"{language_code!r} is not one of WAGTAIL_CONTENT_LANGUAGES: "
                f"{', '.join(code for code, _ in settings.WAGTAIL_CONTENT_LANGUAGES)}."
            ) from None
        default = Locale.get_default()
        if code == default.language_code:
            raise CommandError(f"{code!r} is the default locale already.")
        locale, created = Locale.objects.get_or_create(language_code=code)
        sync, _ = LocaleSynchronization.objects.get_or_create(
            locale=locale, defaults={"sync_from": default}
        )
        sync.sync_trees()
        state = "added" if created else "already there"
        self.stdout.write(f"Locale {code}: {state}; its tree is in sync with {sync.sync_from}.")
