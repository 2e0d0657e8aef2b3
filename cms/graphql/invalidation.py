"""Content changes pushed to every app process, so each may keep cached responses in memory.

The response cache's generation lives in Redis (`response_cache`). A process that answers
from its own memory must know the current generation without asking Redis on each request,
so every bump is published on a Redis channel, which each process hears from a thread.

Never stale, even while the channel is down. A process trusts the generation it heard only
until `CACHE_CHANNEL_GRACE_SECONDS` after its last proof that its subscription is alive (a PING
answered on the subscribed connection). Each listener keeps a key in Redis holding the
generation it knows, which expires no sooner than that trust. After a bump the publisher waits
until every listener's key holds the new generation or has expired: when a publish returns,
every process has heard of it, or has stopped trusting its memory and reads the shared
generation on every request until its channel is back.
"""

import logging
import os
import threading
import time
import uuid

import redis
from django.conf import settings
from django.db import connection

from ops.models import PendingCacheBump
from ops.resilient_cache import cache_is_up, replay_pending_increments

logger = logging.getLogger(__name__)

CHANNEL = "graphql:invalidate"
LISTENERS = "graphql:listeners"
LISTENER_KEY = "graphql:listener:"
# A listener not seen for this long is dropped from the registry (it re-registers when back).
FORGET_AFTER_SECONDS = 3600
BACKOFF_SECONDS = (0.05, 2.0)
UNREACHABLE = (redis.RedisError, OSError)


def grace_seconds() -> float:
    return settings.CACHE_CHANNEL_GRACE_SECONDS


def new_client(location: str) -> redis.Redis:
    """A client of its own: a subscribed connection cannot serve other commands."""
    timeout = settings.REDIS_TIMEOUT_SECONDS
    return redis.Redis.from_url(location, socket_timeout=timeout, socket_connect_timeout=timeout)


class Listener:
    """This process's ear on the channel: the generation it heard, and until when to trust it."""

    def __init__(self, location: str, make_key, generation_key: str) -> None:
        self.location = location
        self.make_key = make_key
        self.generation_key = generation_key
        self.id = uuid.uuid4().hex
        self.generation = 0
        self.trusted_until = 0.0
        self.pid = None
        self.state = "not started"
        self.lock = threading.Lock()

    def trusted_generation(self) -> int | None:
        """The generation heard on the channel, or None while it may have missed a change."""
        if self.pid != os.getpid():
            self.start()  # first use in this process (gunicorn forks after loading the app)
            return None
        if time.monotonic() < self.trusted_until:
            return self.generation
        return None

    def start(self) -> None:
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid = os.getpid()
            self.id = uuid.uuid4().hex  # a forked copy is another listener
            self.trusted_until = 0.0
            thread = threading.Thread(target=self.run, name="cache-invalidation", daemon=True)
            thread.start()

    def run(self) -> None:
        delay = BACKOFF_SECONDS[0]
        while True:
            try:
                self.listen()
            except Exception as error:  # whatever it was, stop trusting and try again
                self.trusted_until = 0.0
                if self.state == "subscribed":
                    delay = BACKOFF_SECONDS[0]  # it was up: try again soon
                    logger.warning("Cache invalidation channel down (%s): checking Redis", error)
                self.state = "down"
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF_SECONDS[1])

    def listen(self) -> None:
        client = new_client(self.location)
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(self.make_key(CHANNEL))
            confirmation = pubsub.get_message(timeout=settings.REDIS_TIMEOUT_SECONDS)
            if confirmation is None or confirmation["type"] != "subscribe":
                raise redis.TimeoutError("no subscription confirmed")
            # Subscribed: every bump from here on reaches us. Read where the count stands now,
            # once the bumps Redis missed while it was away are in it.
            replay_missed_bumps()
            self.heard(read_generation(client, self.make_key(self.generation_key)), client)
            self.heartbeat(client, pubsub)
            if self.state != "subscribed":
                logger.warning("Cache invalidation channel subscribed")
            self.state = "subscribed"
            interval = grace_seconds() / 4
            next_beat = time.monotonic() + interval
            while True:
                message = pubsub.get_message(timeout=max(0.0, next_beat - time.monotonic()))
                if message is not None:
                    self.handle(message, client)
                if time.monotonic() >= next_beat:
                    self.heartbeat(client, pubsub)
                    next_beat = time.monotonic() + interval
        finally:
            self.trusted_until = 0.0
            pubsub.close()
            client.close()

    def heartbeat(self, client: redis.Redis, pubsub) -> None:
        """Prove the subscription alive, then extend the trust and the listener key alike."""
        started = time.monotonic()
        pubsub.ping()
        deadline = started + settings.REDIS_TIMEOUT_SECONDS
        while True:
            message = pubsub.get_message(timeout=max(0.0, deadline - time.monotonic()))
            if message is not None and message["type"] == "pong":
                break
            if message is not None:
                self.handle(message, client)
            elif time.monotonic() >= deadline:
                raise redis.TimeoutError("no answer to PING on the subscription")
        grace = grace_seconds()
        pipe = client.pipeline(transaction=False)
        pipe.zadd(self.make_key(LISTENERS), {self.id: time.time()})
        # Set after `started`, so the key outlives the trust given below.
        pipe.set(self.listener_key(), self.generation, px=int(grace * 1000))
        # Also catches up with a generation set without a message (Redis lost the key).
        pipe.get(self.make_key(self.generation_key))
        shared = pipe.execute()[-1]
        if shared is not None and int(shared) > self.generation:
            self.heard(int(shared), client)
        self.trusted_until = started + grace

    def handle(self, message: dict, client: redis.Redis) -> None:
        if message["type"] == "message":
            self.heard(int(message["data"]), client)

    def heard(self, generation: int, client: redis.Redis) -> None:
        # Publishers may be heard out of order; generations only grow.
        if generation > self.generation:
            self.generation = generation
        # The acknowledgement the publisher waits for; never revives an expired key.
        client.set(self.listener_key(), self.generation, keepttl=True, xx=True)

    def listener_key(self) -> str:
        return self.make_key(LISTENER_KEY + self.id)


def replay_missed_bumps() -> None:
    """Refuse to trust the shared generation while changes made during an outage are not in it."""
    try:
        if PendingCacheBump.objects.exists():
            if cache_is_up():
                replay_pending_increments()
            if PendingCacheBump.objects.exists():
                raise redis.ConnectionError("content changes from a Redis outage not replayed yet")
    finally:
        connection.close()  # this thread's own connection


def read_generation(client: redis.Redis, key: str) -> int:
    """The shared generation, started from the clock when missing (see `initial_generation`)."""
    client.set(key, initial_generation(), nx=True)
    return int(client.get(key))


def initial_generation() -> int:
    """Milliseconds since the epoch: a generation lost with Redis's data (a restart, an
    eviction) starts again above every value it had, so no older entry can match it."""
    return int(time.time() * 1000)


def publish(client: redis.Redis, make_key, generation: int) -> None:
    """Announce `generation` and wait until every listener heard it or stopped trusting."""
    client.publish(make_key(CHANNEL), generation)
    registry = make_key(LISTENERS)
    client.zremrangebyscore(registry, "-inf", time.time() - FORGET_AFTER_SECONDS)
    pending = [member.decode() for member in client.zrange(registry, 0, -1)]
    deadline = time.monotonic() + grace_seconds() + settings.REDIS_TIMEOUT_SECONDS
    pause = 0.0005
    while pending:
        known = client.mget([make_key(LISTENER_KEY + member) for member in pending])
        # A missing key has expired: that listener trusts nothing it heard before.
        pending = [
            member
            for member, value in zip(pending, known, strict=True)
            if value is not None and int(value) < generation
        ]
        if not pending:
            return
        if time.monotonic() > deadline:
            logger.error("Cache listeners %s did not confirm generation %s", pending, generation)
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
