"""The client's address: the connecting one, or behind trusted proxies the one they saw.

X-Forwarded-For is written by whoever sends the request, so it is read only when the
connecting address is one of TRUSTED_PROXIES (the load balancer's), and then from the right:
each trusted proxy appends the address it saw, and the first untrusted one is the client.
django-ipware does the same but is not installed; this is the part we need (used by
django-axes through AXES_CLIENT_IP_CALLABLE, and by the page-password limit).
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


@lru_cache(maxsize=8)
def networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """The address failed logins and page passwords are counted against."""
    remote = request.META.get("REMOTE_ADDR", "")
    # No address: gunicorn on a unix socket, which only the proxy on this machine can reach.
    if remote and not is_trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                break  # not an address: a proxy we trust would not write that
    return remote or "0.0.0.0"
