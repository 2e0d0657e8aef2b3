"""Content changes pushed to every app process, so each may keep cached responses in memory.

The response cache's generation lives in Redis (`response_cache`). A process that answers
from its own memory must know the current generation without asking Redis on each request,
so every bump is published on a Redis channel, which each process hears from a thread.

Never stale, even while the channel is down:
- a process trusts the generation it heard only until `CACHE_CHANNEL_GRACE_SECONDS` after its
  last proof that its subscription is alive (a PING answered on the subscribed connection);
- each listener registers that deadline, on Redis's clock and no earlier than its own, with
  the generation it knows;
- after a bump, the publisher waits until as many listeners as PUBLISH reached have heard
  it, and every registered listener still within its deadline knows it, or until the grace
  period is over. When a publish returns, every process has heard of it or has stopped
  trusting its memory, and reads the shared generation on every request until its channel
  is back.
"""

import atexit
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
LISTENERS = "graphql:listeners"  # sorted set: listener id, scored by its trust deadline
KNOWN = "graphql:listeners:known"  # hash: listener id -> the generation it knows
HEARD = "graphql:heard:"  # + generation: how many listeners heard it on the channel
# Long past every deadline; a listener that comes back registers again.
FORGET_AFTER_SECONDS = 3600
BACKOFF_SECONDS = (0.05, 2.0)
UNREACHABLE = (redis.RedisError, OSError)

# Redis's own clock, so every process's deadline is compared on one clock.
REGISTER = """
local now = redis.call('TIME')
local deadline = tonumber(now[1]) + tonumber(now[2]) / 1000000 + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], deadline, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return redis.call('GET', KEYS[3])
"""
PENDING = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local forgotten = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
for _, id in ipairs(forgotten) do redis.call('HDEL', KEYS[2], id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local pending = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')) do
  if tonumber(redis.call('HGET', KEYS[2], id) or '0') < tonumber(ARGV[1]) then
    pending = pending + 1
  end
end
return {pending, tonumber(redis.call('GET', KEYS[3]) or '0')}
"""


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
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        os.register_at_fork(after_in_child=self.forget)

    def forget(self) -> None:
        """In a forked child: the parent's trust and thread are not this process's."""
        self.trusted_until = 0.0
        self.pid = None

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
            self.trusted_until = 0.0
            self.id = uuid.uuid4().hex  # a forked copy is another listener
            self.pid = os.getpid()
            atexit.register(self.unregister)
            thread = threading.Thread(target=self.run, name="cache-invalidation", daemon=True)
            thread.start()

    def stop(self) -> None:
        self.stopped.set()
        self.unregister()

    def unregister(self) -> None:
        """On a clean exit: publishers need not wait for this listener's deadline."""
        self.trusted_until = 0.0
        try:
            client = new_client(self.location)
            client.zrem(self.make_key(LISTENERS), self.id)
            client.hdel(self.make_key(KNOWN), self.id)
            client.close()
        except UNREACHABLE:
            pass

    def run(self) -> None:
        delay = BACKOFF_SECONDS[0]
        while not self.stopped.is_set():
            try:
                self.listen()
            except Exception as error:  # whatever it was, stop trusting and try again
                self.trusted_until = 0.0
                if self.state == "subscribed":
                    delay = BACKOFF_SECONDS[0]  # it was up: try again soon
                    logger.warning("Cache invalidation channel down (%s): checking Redis", error)
                self.state = "down"
            self.stopped.wait(delay)
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
            self.generation = max(
                self.generation, read_generation(client, self.make_key(self.generation_key))
            )
            self.heartbeat(client, pubsub)
            if self.state != "subscribed":
                logger.warning("Cache invalidation channel subscribed")
            self.state = "subscribed"
            interval = grace_seconds() / 4
            next_beat = time.monotonic() + interval
            while not self.stopped.is_set():
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
        """Prove the subscription alive, then extend the trust and the registered deadline."""
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
        # Registered after `started`, on Redis's clock: the deadline outlives the trust below.
        shared = client.eval(
            REGISTER,
            3,
            self.make_key(LISTENERS),
            self.make_key(KNOWN),
            self.make_key(self.generation_key),
            self.id,
            grace,
            self.generation,
        )
        # Catches up with a generation set without a message (Redis lost the key).
        if shared is not None and int(shared) > self.generation:
            self.generation = int(shared)
            client.hset(self.make_key(KNOWN), self.id, self.generation)
        self.trusted_until = started + grace

    def handle(self, message: dict, client: redis.Redis) -> None:
        if message["type"] != "message":
            return
        generation = int(message["data"])
        # Publishers may be heard out of order; generations only grow.
        self.generation = max(self.generation, generation)
        heard = self.make_key(HEARD + str(generation))
        pipe = client.pipeline(transaction=False)
        pipe.hset(self.make_key(KNOWN), self.id, self.generation)
        pipe.incr(heard)
        pipe.expire(heard, 60)
        pipe.execute()


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


def publish(client: redis.Redis, make_key, generation: int, confirm: bool = True) -> None:
    """Announce `generation`; with `confirm`, return once every listener heard it or stopped
    trusting what it heard.

    If that cannot be confirmed (Redis slow or gone mid-way), wait out the grace period: by
    then every trust given before the bump has run out, and every heartbeat since has read
    the new generation.
    """
    deadline = time.monotonic() + grace_seconds() + settings.REDIS_TIMEOUT_SECONDS
    try:
        reached = client.publish(make_key(CHANNEL), generation)
        if not confirm:
            return
        pause = 0.0005
        while time.monotonic() < deadline:
            pending, heard = client.eval(
                PENDING,
                3,
                make_key(LISTENERS),
                make_key(KNOWN),
                make_key(HEARD + str(generation)),
                generation,
                FORGET_AFTER_SECONDS,
            )
            if pending == 0 and heard >= reached:
                return
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        logger.error("Cache listeners did not confirm generation %s in time", generation)
    except UNREACHABLE as error:
        logger.warning("Could not confirm cache generation %s (%s): waiting", generation, error)
        if not confirm:
            return
    time.sleep(max(0.0, deadline - time.monotonic()))
