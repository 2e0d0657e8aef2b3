"""Project-wide records that are not content: the sync log and what the seed made."""

from django.db import models


class PageEvent(models.Model):
    """One change the sync feed reports: to what a URL path serves, to a muscle or to a
    redirect, recorded as it happens (see `freshness/sync.py`).

    Wagtail keeps no row for a page that was deleted, a path a page moved away from, a muscle
    or a redirect that was deleted, so an offline app could not learn of them otherwise.
    """

    class Kind(models.TextChoices):
        CHANGED = "changed", "Changed"
        REMOVED = "removed", "Removed"

    class Subject(models.TextChoices):
        PAGE = "page", "Page"
        MUSCLE = "muscle", "Muscle"
        REDIRECT = "redirect", "Redirect"

    subject = models.CharField(max_length=10, choices=Subject.choices, default=Subject.PAGE)
    object_id = models.BigIntegerField(db_index=True, help_text="The page, muscle or redirect.")
    # The page's place in the tree at the time (a redirect's: its site's root page; "" for
    # muscles and redirects of all sites), so each site reads only its own events.
    tree_path = models.CharField(max_length=255, db_index=True, blank=True)
    url_path = models.CharField(
        max_length=2048, blank=True, help_text="Public path at the time (a redirect's old path)."
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        what = self.url_path or self.object_id
        return f"{self.kind} {self.subject} {what} at {self.at:%Y-%m-%d %H:%M:%S}"


class SeedRecord(models.Model):
    """Something the seed loader created once, so it never brings back what an editor deleted."""

    key = models.CharField(max_length=255, unique=True, help_text="e.g. 'muscle soleus'.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "seeded item"

    def __str__(self) -> str:
        return self.key


class PagePasswordFailure(models.Model):
    """Wrong passwords given for one page restriction from one client address (a window).

    In the database, as django-axes keeps failed logins: every app server sees one count, and
    a Redis outage does not lift the limit (cms/page_passwords.py).
    """

    restriction = models.ForeignKey(
        "wagtailcore.PageViewRestriction", on_delete=models.CASCADE, related_name="+"
    )
    ip_address = models.GenericIPAddressField()
    failures = models.PositiveIntegerField(default=0)
    since = models.DateTimeField(help_text="The first failure of the current window.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["restriction", "ip_address"], name="one_password_count_per_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.failures} wrong passwords from {self.ip_address}"
