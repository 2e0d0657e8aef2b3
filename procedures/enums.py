"""The fact vocabularies of a procedure, each defined once.

Each enum serves the database column, the admin's choices and the GraphQL enum alike
(see `procedures/schema.py`), so a value is never restated as a string elsewhere.
"""

from django.db import models


class Approach(models.TextChoices):
    SURGICAL = "surgical", "Surgical"
    NONSURGICAL = "nonsurgical", "Nonsurgical"


class Invasiveness(models.TextChoices):
    INVASIVE = "invasive", "Invasive"
    MINIMALLY_INVASIVE = "minimally_invasive", "Minimally invasive"
    NONINVASIVE = "noninvasive", "Noninvasive"


class Permanence(models.TextChoices):
    PERMANENT = "permanent", "Permanent"
    TEMPORARY = "temporary", "Temporary"


class Tissue(models.TextChoices):
    FAT = "fat", "Fat"
    MUSCLE = "muscle", "Muscle"
    NERVE = "nerve", "Nerve"


class Sessions(models.TextChoices):
    SINGLE = "single", "Single session"
    MULTIPLE = "multiple", "Multiple sessions"


class Onset(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate"
    GRADUAL = "gradual", "Gradual"
