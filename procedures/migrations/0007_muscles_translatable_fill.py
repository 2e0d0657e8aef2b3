from django.db import migrations
from wagtail.models import BootstrapTranslatableModel


class Migration(migrations.Migration):
    """Every existing muscle gets a translation key and the default locale (Wagtail's own
    bootstrap operation for making a model translatable)."""

    dependencies = [("procedures", "0006_muscles_translatable_bootstrap")]

    operations = [BootstrapTranslatableModel("procedures.Muscle")]
