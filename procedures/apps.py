from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = "Procedures"

    def ready(self) -> None:
        from . import draft_links

        draft_links.connect()
