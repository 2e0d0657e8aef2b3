"""Production settings, with the benchmark's comparison endpoints mounted."""

from cms.settings.production import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
# wrk and the test client are one address standing for many clients: the rate limit by cost
# would refuse most of what the benchmark measures.
GRAPHQL_RATE_LIMIT_POINTS = 0
