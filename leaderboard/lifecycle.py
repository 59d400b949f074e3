"""What happens to a submission after it is made: its owner withdraws it from the leaderboards
(it becomes private, and can be put back) or deletes it; staff re-evaluate a benchmark's
public entries on a new version of it, while the old versions' leaderboards stay as they are.
"""

import io
import shutil
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from leaderboard import queries
from leaderboard.models import Evaluation, LeaderboardSnapshot, Submission
from leaderboard.snapshots import rebuild_snapshot
from leaderboard.submissions import create_evaluation
from sandbox.errors import InvalidSubmission


def _rebuild_boards(versions, submission_id):
    """New snapshots without (or with) the submission, and its badges out of the cache. A board
    left with no entry at all gets an empty snapshot, so that the last one stops showing it."""
    for version in versions:
        if rebuild_snapshot(version) is None:
            latest = queries.latest_snapshot(version)
            if latest is not None and latest.entries:
                empty = io.BytesIO()
                np.savez(empty)
                LeaderboardSnapshot.objects.create(
                    benchmark_version=version, replicates=latest.replicates, seed=latest.seed,
                    method=latest.method, n_items=latest.n_items, n_clusters=latest.n_clusters,
                    confidence_level=latest.confidence_level,
                    score_weights=latest.score_weights, entries=[],
                    replicates_npz=empty.getvalue())
        cache.delete(f"badge:{version.benchmark.slug}:{submission_id}")


def _versions_of(submission):
    return list({e.benchmark_version for e in submission.evaluations.select_related(
        "benchmark_version__benchmark")})


def withdraw(submission):
    """Take a submission off every leaderboard: it turns private (its owner still sees it)."""
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(public=False,
                                                           withdrawn_at=timezone.now())
    submission.refresh_from_db()
    _rebuild_boards(_versions_of(submission), submission.pk)
    return submission


def restore(submission):
    """Put a withdrawn submission back on the leaderboards."""
    with transaction.atomic():
        Submission.objects.filter(pk=submission.pk).update(public=True, withdrawn_at=None)
    submission.refresh_from_db()
    _rebuild_boards(_versions_of(submission), submission.pk)
    return submission


def delete(submission):
    """Delete a submission, its evaluations and its stored files; refused while one of its
    evaluations runs (withdraw it meanwhile: it leaves the boards at once)."""
    if submission.evaluations.filter(status__in=["preparing", "running", "scoring"]).exists():
        raise InvalidSubmission(
            "an evaluation of this submission is running; withdraw it now (it leaves the "
            "leaderboards at once) and delete it when the evaluation has ended")
    versions, submission_id = _versions_of(submission), submission.pk
    agent_path = (Path(submission.agent_path) if submission.kind == "agent"
                  and submission.agent_path and not submission.trusted else None)
    sha = submission.agent_sha256
    submission.delete()
    # Stored agents are shared by content: the files go only when no other submission uses them.
    upload_dir = Path(settings.AGENT_UPLOAD_DIR).resolve()
    if (agent_path is not None and agent_path.resolve().parent == upload_dir
            and not Submission.objects.filter(agent_sha256=sha).exists()):
        shutil.rmtree(agent_path, ignore_errors=True)
    _rebuild_boards(versions, submission_id)


def entries_to_reevaluate(version):
    """Public submissions evaluated (finished) on an older version of the benchmark and not yet
    on this one."""
    older = Evaluation.objects.filter(
        benchmark_version__benchmark=version.benchmark,
        benchmark_version__number__lt=version.number, status="finished",
        submission__public=True)
    already = Evaluation.objects.filter(benchmark_version=version).exclude(
        status="failed", failure_category="platform_error").values("submission_id")
    return (Submission.objects.filter(pk__in=older.values("submission_id"))
            .exclude(pk__in=already).order_by("created_at", "pk"))


def reevaluate_public_entries(version):
    """Queue every public entry of the benchmark's older versions on `version` (a staff
    action). The old versions' evaluations and snapshots are kept. Returns the new
    evaluations."""
    with transaction.atomic():
        return [create_evaluation(submission, version, charged=False)
                for submission in entries_to_reevaluate(version)]
