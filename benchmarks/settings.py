"""Production settings, with the benchmark's comparison endpoints mounted."""

from cms.settings.production import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
