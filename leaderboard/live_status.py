"""What the live evaluation page shows and refreshes: status, queue position, each suite's
progress, elapsed time and an estimate of the time left, the failure, and the sandbox's log for
the owner. The page's partial and the API's evaluation both read it from here.
"""

import statistics

from django.utils import timezone

from leaderboard import queries
from leaderboard.models import SuiteResult
from leaderboard.visibility import sees_log

LOG_SHOWN = 8000  # characters of the log's end on the page; the stored log keeps more
TYPICAL_RUNS = 20  # finished suites of the same version whose times predict a suite's time


def suite_rows(evaluation, finished_seconds):
    """One row per suite of the version, in running order: done, total, percent, state."""
    rows = []
    for suite in evaluation.benchmark_version.suites:
        step = evaluation.progress.get(suite) or {}
        done, total = step.get("done", 0), step.get("total", 0)
        if suite in finished_seconds:
            state, percent = "finished", 100
        elif suite == evaluation.current_suite and evaluation.is_active:
            state, percent = "running", round(100 * done / total) if total else 0
        else:
            state, percent = "waiting", 0
        rows.append({"name": suite, "done": done, "total": total, "percent": percent,
                     "state": state, "seconds": finished_seconds.get(suite)})
    return rows


def typical_seconds(version, suite):
    """The median time the suite took on this version lately, or None before any ran."""
    seconds = list(SuiteResult.objects.filter(evaluation__benchmark_version=version, suite=suite)
                   .order_by("-created_at").values_list("seconds", flat=True)[:TYPICAL_RUNS])
    return statistics.median(seconds) if seconds else None


def running_suite_seconds_left(rows, elapsed):
    """The running suite's time left at its own pace so far, or None before it has progressed."""
    if elapsed is None:
        return None
    in_suites = sum(row["seconds"] or 0 for row in rows if row["state"] == "finished")
    for row in rows:
        if row["state"] == "running" and row["done"] and row["total"]:
            spent = max(elapsed - in_suites, 0.0)
            return round(spent * (row["total"] - row["done"]) / row["done"])
    return None


def seconds_left(evaluation, rows, own_pace):
    """Time left: the running suite from its own pace (own_pace, from
    running_suite_seconds_left), the suites after it from their typical time on this version.
    None while nothing allows a guess."""
    left = 0.0
    for row in rows:
        if row["state"] == "running" and own_pace is not None:
            left += own_pace
            continue
        if row["state"] in ("running", "waiting"):
            typical = typical_seconds(evaluation.benchmark_version, row["name"])
            if typical is None:
                return None
            left += typical
    return round(left)


def live_status(evaluation, user, now=None):
    """The dict the status partial renders and the API returns (without the log for anyone
    but the owner)."""
    now = now or timezone.now()
    finished_seconds = dict(evaluation.suites.values_list("suite", "seconds"))
    rows = suite_rows(evaluation, finished_seconds)
    elapsed = None
    if evaluation.started_at:
        elapsed = round(((evaluation.finished_at or now) - evaluation.started_at).total_seconds())
    own_pace = (running_suite_seconds_left(rows, elapsed)
                if evaluation.status in ("running", "scoring") else None)
    status = {
        "id": evaluation.pk,
        "status": evaluation.status,
        "active": evaluation.is_active,
        "queue_position": queries.queue_position(evaluation),
        "current_suite": evaluation.current_suite,
        "suites": rows,
        "percent": round(100 * evaluation.progress_fraction()),
        "elapsed_seconds": elapsed,
        "eta_seconds": (seconds_left(evaluation, rows, own_pace)
                        if evaluation.status in ("running", "scoring") and elapsed is not None
                        else None),
        # Shown when the suites after it have never run on this version, so only it can be timed.
        "suite_eta_seconds": own_pace,
        "failure_category": evaluation.failure_category,
        "failure_message": evaluation.failure_message,
        "log": None,
        "log_truncated": False,
    }
    if sees_log(user, evaluation.submission) and evaluation.log:
        status["log"] = evaluation.log[-LOG_SHOWN:]
        status["log_truncated"] = len(evaluation.log) > LOG_SHOWN
    return status
