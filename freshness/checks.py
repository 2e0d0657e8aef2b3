"""A CDN purge half configured (an id without its token, or the reverse) purges nothing:
say so at start-up rather than let the CDN serve stale answers quietly."""

from django.conf import settings
from django.core.checks import Warning, register

PAIRS = (
    ("HTTP_CACHE_FASTLY_SERVICE_ID", "HTTP_CACHE_FASTLY_API_TOKEN"),
    ("HTTP_CACHE_CLOUDFLARE_ZONE_ID", "HTTP_CACHE_CLOUDFLARE_API_TOKEN"),
)


@register()
def cdn_purge_settings(app_configs=None, **kwargs) -> list[Warning]:
    warnings = []
    for id_name, token_name in PAIRS:
        has_id, has_token = bool(getattr(settings, id_name)), bool(getattr(settings, token_name))
        if has_id != has_token:
            present, missing = (id_name, token_name) if has_id else (token_name, id_name)
            warnings.append(
                Warning(
                    f"{present} is set but {missing} is not: that CDN is never purged.",
                    id="freshness.W001",
                )
            )
    return warnings
