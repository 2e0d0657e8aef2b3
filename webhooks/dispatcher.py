"""The worker's webhook sender: one thread per endpoint with due deliveries, so a slow or
dead receiver holds only its own thread (for at most WEBHOOK_TIMEOUT_SECONDS per attempt).

Deliveries are rows written in the transaction of the change they announce (an outbox), not
django-tasks tasks: django-tasks-db runs one task at a time per worker, so one trickling
receiver would hold every other delivery and Wagtail's own tasks behind it.
"""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from .delivery import attempt, claim_next, due

logger = logging.getLogger(__name__)


class Dispatcher(threading.Thread):
    """Every `interval` seconds, starts a sender thread for each endpoint with due deliveries
    that has none yet, up to WEBHOOK_CONCURRENCY threads."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="webhooks", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()
        self.sending: set[int] = set()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.start_senders()
            except Exception:
                logger.exception("Webhook dispatch failed; retrying")
                connection.close()
            close_old_connections()
            self.stopped.wait(self.interval)
        connection.close()

    def start_senders(self) -> None:
        for endpoint_id in set(due().values_list("endpoint_id", flat=True)):
            with self.lock:
                if endpoint_id in self.sending:
                    continue
                if len(self.sending) >= settings.WEBHOOK_CONCURRENCY:
                    return
                self.sending.add(endpoint_id)
            threading.Thread(
                target=self.send_all, args=(endpoint_id,), name=f"webhook-{endpoint_id}"
            ).start()

    def send_all(self, endpoint_id: int) -> None:
        """Send this endpoint's due deliveries, oldest first, until none is left."""
        try:
            while not self.stopped.is_set():
                delivery = claim_next(endpoint_id)
                if delivery is None:
                    break
                attempt(delivery)
        except Exception:
            logger.exception("Webhook sender for endpoint %s failed; retrying", endpoint_id)
        finally:
            connection.close()
            with self.lock:
                self.sending.discard(endpoint_id)
