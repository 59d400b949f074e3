"""Read-side helpers shared by the pages, the API and the terminal table."""

import functools
import shlex
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

from benchmarks.models import Benchmark, BenchmarkVersion
from leaderboard.models import Evaluation, LeaderboardSnapshot, Submission
from leaderboard.score_weights import as_query, requested_score_weights
from leaderboard.snapshots import reweighted_entries
from leaderboard.visibility import visible_entries

REWEIGHTED_CACHE_SECONDS = 24 * 3600


def latest_snapshot(version):
    """The version's newest snapshot, without its replicate archive (loaded when read)."""
    return (LeaderboardSnapshot.objects.filter(benchmark_version=version)
            .defer("replicates_npz").order_by("-created_at", "-id").first())


def latest_snapshot_id(version):
    """The id of the version's newest snapshot, or None: one indexed lookup, enough to find a
    page rendered from it in the cache."""
    return (LeaderboardSnapshot.objects.filter(benchmark_version=version)
            .order_by("-created_at", "-id").values_list("id", flat=True).first())


def board(version, query=None, snapshot=None, user=None):
    """What a leaderboard shows: a snapshot's entries (the latest unless given), split into
    ranked and provisional, under the score weights the query asks for (default: the
    snapshot's own).

    A dict: snapshot, ranked, provisional, weights, custom (True when the weights differ from
    the default), error (why the query's weights could not be used, else None).
    Only the entries `user` may see now are in it (visibility.visible_entries).
    """
    snapshot = snapshot or latest_snapshot(version)
    result = {"snapshot": snapshot, "ranked": [], "provisional": [], "weights": {},
              "custom": False, "error": None}
    if snapshot is None:
        return result
    entries, weights = snapshot.entries, dict(snapshot.score_weights)
    try:
        requested = requested_score_weights(query or {}, snapshot.score_weights)
        if requested is not None and requested != weights:
            entries, weights = cached_reweighted_entries(snapshot, requested), requested
            result["custom"] = True
    except ValueError as error:
        result["error"] = str(error)
    entries = with_kinds(visible_entries(entries, user))
    result["weights"] = weights
    result["ranked"] = [entry for entry in entries if not entry.get("provisional")]
    result["provisional"] = [entry for entry in entries if entry.get("provisional")]
    return result


def cached_reweighted_entries(snapshot, weights):
    """reweighted_entries, kept in the cache: a snapshot never changes, and re-ranking a large
    board under new weights reads its whole replicate archive."""
    key = f"reweighted:{snapshot.pk}:{as_query(weights)}"
    entries = cache.get(key)
    if entries is None:
        entries = reweighted_entries(snapshot, weights)
        cache.set(key, entries, REWEIGHTED_CACHE_SECONDS)
    return entries


def with_kinds(entries):
    """Entries that all say their submission's kind (snapshots made before they recorded it
    get it from the submissions)."""
    missing = {entry["submission_id"] for entry in entries if "kind" not in entry}
    if not missing:
        return entries
    kinds = dict(Submission.objects.filter(pk__in=missing).values_list("pk", "kind"))
    return [entry if "kind" in entry else {**entry, "kind": kinds.get(entry["submission_id"], "agent")}
            for entry in entries]


def snapshots_of(version):
    """The version's snapshots, newest first, without their archives or entries."""
    return (LeaderboardSnapshot.objects.filter(benchmark_version=version)
            .defer("replicates_npz", "entries").order_by("-created_at", "-id"))


def get_snapshot(version, pk):
    """One snapshot of the version (its archive deferred), or None."""
    return (LeaderboardSnapshot.objects.filter(benchmark_version=version, pk=pk)
            .defer("replicates_npz").first())


def get_version(slug, number=None):
    """A benchmark version by slug and number (the latest when number is None), or None."""
    versions = BenchmarkVersion.objects.select_related("benchmark").filter(benchmark__slug=slug)
    if number is None:
        return versions.order_by("-number").first()
    return versions.filter(number=number).first()


def latest_versions():
    return [v for v in (b.latest_version() for b in Benchmark.objects.all()) if v is not None]


def unranked_evaluations(version):
    """Evaluations of a version that are not on its leaderboard yet: in flight or failed."""
    return (
        Evaluation.objects.filter(benchmark_version=version, submission__public=True)
        .exclude(status="finished")
        .select_related("submission", "benchmark_version")
        # A failed evaluation's log and provenance can be large, and the list shows neither.
        .defer("log", "provenance", "stats", "submission__description")
        .order_by("-queued_at")
    )


def queue_position(evaluation):
    """1 for the next evaluation to start; None when it is not waiting."""
    if evaluation.status != "queued":
        return None
    ahead = Evaluation.objects.filter(status="queued", queued_at__lt=evaluation.queued_at).count()
    return ahead + 1


def leaderboard_entry(evaluation):
    """The evaluation's row in its version's latest snapshot, or None when it is not ranked."""
    snapshot_id = latest_snapshot_id(evaluation.benchmark_version)
    if snapshot_id is None:
        return None
    return entries_by(snapshot_id)["evaluation"].get(evaluation.pk)


@functools.lru_cache(maxsize=16)
def entries_by(snapshot_id):
    """A snapshot's entries by evaluation id and by submission id: {"evaluation": {...},
    "submission": {...}}. Kept in the process: a snapshot never changes, and a badge or a
    model page needs one row of it, not a parse of every row each time."""
    entries = (LeaderboardSnapshot.objects.filter(pk=snapshot_id)
               .values_list("entries", flat=True).first()) or []
    return {"evaluation": {entry["evaluation_id"]: entry for entry in entries},
            "submission": {entry["submission_id"]: entry for entry in entries}}


def reproduce_command(evaluation):
    """The command that evaluates the same agent (or model commit) on the same benchmark version
    again."""
    version = evaluation.benchmark_version
    submission = evaluation.submission
    if submission.kind == "huggingface":  # the pinned commit, whatever its branch does since
        words = [".venv/bin/python", "manage.py", "submit-model", submission.model_id,
                 "--revision", submission.model_sha]
    else:
        words = [".venv/bin/python", "manage.py", "evaluate", display_path(submission.agent_path)]
    words += ["--benchmark", version.benchmark.slug, "--benchmark-version", str(version.number)]
    for agent_label, benchmark_label in evaluation.submission.label_mapping.items():
        words += ["--label-map", f"{agent_label}={benchmark_label}"]
    return shlex.join(words)


def display_path(path):
    """A path relative to the project folder when it lies inside it (shorter, and portable)."""
    try:
        return str(Path(path).relative_to(settings.BASE_DIR))
    except ValueError:
        return path
