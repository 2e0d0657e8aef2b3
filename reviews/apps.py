from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Medical review"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cms.graphql import locales

        from . import translations

        translations.connect()
        # A translation is served only once a medical reviewer published it.
        locales.TRANSLATION_CONDITIONS.append(translations.reviewed_live_revision)
