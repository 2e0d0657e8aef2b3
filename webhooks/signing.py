"""Signatures receivers check: HMAC-SHA256 over "<timestamp>.<body>" with the endpoint secret.

The timestamp is signed with the body, so a captured request cannot be replayed later than
the receiver's tolerance (5 minutes is usual) without the signature failing.
"""

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers(secret: str, delivery_id: str, event: str, body: bytes) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "procedure-cms-webhooks/1",
        "X-Webhook-Id": delivery_id,
        "X-Webhook-Event": event,
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": sign(secret, timestamp, body),
    }


def verify(
    secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None
) -> bool:
    """What a receiver does (used by the tests; a Python receiver may copy it)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - sent) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)
