"""How many evaluations a user may start: settings.EVALUATIONS_PER_DAY in any 24 hours.

An evaluation that failed on SafetyGym's side (`platform_error`) is not charged: the user did
nothing wrong; nor one that staff started (a re-evaluation on a new benchmark version).
Everything else counts, the queued and running ones included, so a burst of
submissions cannot overtake the quota before its first evaluation ends. Staff have none.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from leaderboard.models import Evaluation
from sandbox.errors import InvalidSubmission

WINDOW = timedelta(hours=24)


class QuotaExceeded(InvalidSubmission):
    """Too many evaluations in the last 24 hours; the message says when one frees up."""


def charged_evaluations(user, now=None):
    since = (now or timezone.now()) - WINDOW
    return (Evaluation.objects.filter(submission__owner=user, queued_at__gte=since, charged=True)
            .exclude(status="failed", failure_category="platform_error"))


def check_quota(user, wanted, now=None):
    """Raise QuotaExceeded when `wanted` more evaluations would pass the user's quota."""
    if user.is_staff:
        return
    now = now or timezone.now()
    limit = settings.EVALUATIONS_PER_DAY
    charged = charged_evaluations(user, now)
    used = charged.count()
    if used + wanted <= limit:
        return
    oldest = charged.order_by("queued_at").values_list("queued_at", flat=True).first()
    free_in = max((oldest + WINDOW - now).total_seconds(), 0) if oldest else 0
    left = max(limit - used, 0)
    raise QuotaExceeded(
        f"you may start {limit} evaluations in any 24 hours and have started {used}; "
        f"this submission needs {wanted} (one per benchmark) and {left} "
        f"{'is' if left == 1 else 'are'} left. The next one frees up in "
        f"{_duration(free_in)}. Evaluations that failed on SafetyGym's side are not counted."
    )


def reserve_quota(user, wanted):
    """check_quota, serialised per user: call inside the transaction that then creates the
    evaluations, so parallel submissions by one user cannot all count the same free room.

    The user's row is locked first and written with a no-op update: on PostgreSQL the row lock
    makes a second transaction wait here until the first commits; on SQLite the write takes the
    database's write lock (the settings begin transactions IMMEDIATE, which already does), so
    the count below always sees the evaluations of every submission before it."""
    if user is None or user.is_staff:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("reserve_quota must run inside the transaction that creates the "
                           "evaluations")
    users = get_user_model()
    rows = users.objects.select_for_update().filter(pk=user.pk)
    rows.update(**{users._meta.pk.attname: user.pk})  # writes nothing, but takes the lock
    list(rows)
    check_quota(user, wanted)


def _duration(seconds):
    minutes = int(seconds // 60) + 1
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
