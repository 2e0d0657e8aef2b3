from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = "Procedures"

    def ready(self) -> None:
        from freshness import tags

        from . import draft_links
        from .models import Muscle

        draft_links.connect()
        # An answer showing a muscle is tagged m<id>; a change to any purges `muscles` too,
        # the lists it may join or leave.
        tags.register(Muscle, "m", tags.MUSCLES)
