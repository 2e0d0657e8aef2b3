"""`manage.py worker`: the background task loop, the webhook sender and the periodic jobs,
as one process."""

import logging
import time

from django.conf import settings
from django.db import connection
from django.db.utils import InterfaceError, OperationalError
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from django_tasks.utils import get_random_id
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from ops.scheduler import Scheduler, beat
from webhooks.dispatcher import Dispatcher

logger = logging.getLogger("ops.worker")


def wait_for_database(what) -> None:
    """Run `what()` once the database answers, retrying every 2 seconds until then."""
    while True:
        try:
            what()
            return
        except (OperationalError, InterfaceError):
            logger.warning("Database unavailable; the worker retries in 2 seconds")
            connection.close()
            time.sleep(2)


class ResilientWorker(Worker):
    """django-tasks-db's worker, restarted after a database outage instead of exiting."""

    def run(self) -> None:
        while self.running:
            try:
                super().run()
                return
            except (OperationalError, InterfaceError):
                logger.warning("Database unavailable; the worker retries in 2 seconds")
                connection.close()
                time.sleep(2)


class Command(DbWorkerCommand):
    help = "Run background tasks (django-tasks-db), webhook deliveries, scheduled publishing."

    def handle(self, *args, **options) -> None:
        self.configure_logging(options["verbosity"])
        worker_id = options["worker_id"] or get_random_id()
        scheduler = Scheduler(worker_id)
        # Alive on record before claiming any task: other workers requeue the RUNNING tasks of
        # a worker without a recent heartbeat (ops/stranded_tasks.py).
        wait_for_database(lambda: beat(worker_id, scheduler.started_at))
        scheduler.start()
        dispatcher = Dispatcher(options["interval"])
        dispatcher.start()
        worker = ResilientWorker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=False,
            backend_name=options["backend_name"] or DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
        )
        logger.info(
            "Worker %s: tasks and webhooks every %ss, periodic jobs every %ss",
            worker_id,
            options["interval"],
            settings.WORKER_SCHEDULE_SECONDS,
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            scheduler.stopped.set()
            dispatcher.stopped.set()
