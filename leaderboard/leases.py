"""An evaluation's lease: crash safety owned by the evaluation row, not by the broker.

django-q2's Redis broker has no message receipts (a killed worker's task is simply gone), and the
ORM broker hands a task out again only after `retry` seconds. So the row says who runs it: a
worker claims a queued evaluation with one conditional UPDATE (two workers handed the same
evaluation cannot both win), then renews `heartbeat_at` from a thread while it runs. Every write
of the run is conditional on still holding the lease, so a worker that lost it (the watchdog
gave the evaluation to another) cannot overwrite the new run. The watchdog
(`leaderboard.tasks.requeue_stale`) takes back the leases nobody renewed.
"""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import F
from django.utils import timezone

from leaderboard.models import Evaluation

logger = logging.getLogger(__name__)

HELD = ("preparing", "running", "scoring")


class LeaseLost(Exception):
    """This worker no longer holds the evaluation: another run owns it now."""


def worker_identity():
    """host:pid, as the sandbox's containers are labelled, so the watchdog can find a dead
    worker's containers by its lease."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(evaluation_id, owner):
    """Take a queued evaluation; False when it is not queued (another worker has it, or it ended)."""
    now = timezone.now()
    return bool(
        Evaluation.objects.filter(pk=evaluation_id, status="queued").update(
            status="preparing", lease_owner=owner, started_at=now, heartbeat_at=now,
            runs=F("runs") + 1,
        )
    )


def held(evaluation):
    """The rows this worker may still write: its evaluation, while its lease is its own."""
    return Evaluation.objects.filter(
        pk=evaluation.pk, lease_owner=evaluation.lease_owner, status__in=HELD
    )


def write(evaluation, **fields):
    """Save fields (and renew the lease) or raise LeaseLost."""
    rows = held(evaluation)  # before fields, which may give the lease up (lease_owner="")
    for name, value in fields.items():
        setattr(evaluation, name, value)
    evaluation.heartbeat_at = timezone.now()
    if not rows.update(**fields, heartbeat_at=evaluation.heartbeat_at):
        raise LeaseLost(f"evaluation {evaluation.pk} is no longer held by {evaluation.lease_owner}")


def renew_interval_s():
    return settings.EVALUATION_LEASE_S / 3


class LeaseKeeper:
    """Renews the lease from a thread while the evaluation runs (a suite's single request may
    take minutes without a progress callback). `lost` is set when the lease was taken away."""

    def __init__(self, evaluation):
        self.evaluation = evaluation
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"lease-{evaluation.pk}", daemon=True
        )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=30)

    def check(self):
        if self.lost.is_set():
            raise LeaseLost(
                f"evaluation {self.evaluation.pk} was taken back from {self.evaluation.lease_owner}"
            )

    def _run(self):
        try:
            while not self._stop.wait(renew_interval_s()):
                try:
                    renewed = held(self.evaluation).update(heartbeat_at=timezone.now())
                except DatabaseError as error:
                    # The database may be back at the next tick; the lease lasts three ticks.
                    logger.warning("could not renew the lease of evaluation %s: %s",
                                   self.evaluation.pk, error)
                    connection.close()  # reconnect next time
                    continue
                if not renewed:
                    logger.warning("evaluation %s: lease lost; stopping this run",
                                   self.evaluation.pk)
                    self.lost.set()
                    return
        finally:
            connection.close()  # this thread's own connection
