"""Project-wide bookkeeping that is not content (and so not in the API)."""

from django.db import models


class SeedRecord(models.Model):
    """Something the seed loader created once, so it never brings back what an editor deleted."""

    key = models.CharField(max_length=255, unique=True, help_text="e.g. 'muscle soleus'.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "seeded item"

    def __str__(self) -> str:
        return self.key
