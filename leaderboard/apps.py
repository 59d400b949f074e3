import logging
import sys

from django.apps import AppConfig

from sandbox.backends import reap_leftovers

logger = logging.getLogger(__name__)


class LeaderboardConfig(AppConfig):
    name = "leaderboard"
    verbose_name = "Leaderboard"

    def ready(self):
        if "qcluster" in sys.argv[1:2]:
            reap_sandbox_leftovers()


def reap_sandbox_leftovers():
    """A worker that starts removes what crashed workers of this host left behind, before it
    runs anything (the watchdog requeues their evaluations)."""
    for leftover in reap_leftovers():
        logger.warning("Removed %s left behind by a worker that died.", leftover)
