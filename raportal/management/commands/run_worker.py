"""Runs the outbox's background work (mails to approvers and requesters, trigger runs,
failed sign-in alerts) as a process of its own, for a deployment without Celery: each
message once its transaction committed, retries at their time, and whatever a web process
that died left. Several may run at once (each message is claimed by one of them)."""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from raportal import outbox

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the outbox's queued background work (mails, trigger runs); --once drains and exits."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")
        parser.add_argument(
            "--poll",
            type=float,
            default=None,
            help="Seconds between two looks (default: RAPORTAL_OUTBOX_POLL_SECONDS).",
        )

    def handle(self, *args, **options):
        if options["once"]:
            count = outbox.drain()
            self.stdout.write(f"{count} message(s) run")
            return
        poll = options["poll"] or settings.RAPORTAL_OUTBOX_POLL_SECONDS
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        self.stdout.write(f"running the outbox every {poll:g} s (SIGTERM or Ctrl-C stops)")
        while not stopping.is_set():
            try:
                count = outbox.drain()
            except DatabaseError:  # a database that is away: look again at the next poll
                logger.exception("the outbox could not be drained")
            else:
                if count:
                    self.stdout.write(f"{count} message(s) run")
            stopping.wait(poll)
