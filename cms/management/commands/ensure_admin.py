from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the admin user once, from DJANGO_SUPERUSER_USERNAME / _PASSWORD (admin / changeme)."
    )

    def handle(self, *args, **options) -> None:
        username, password = settings.INITIAL_ADMIN_USERNAME, settings.INITIAL_ADMIN_PASSWORD
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            self.stdout.write(f"Admin user '{username}' already exists; password left as it is.")
            return
        user_model.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(f"Created admin user '{username}' with password '{password}'.")
        )
