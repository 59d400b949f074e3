"""Recompute a benchmark version's leaderboard from the stored per-item outcomes."""

import io

import numpy as np
from django.conf import settings

from leaderboard.models import Evaluation, LeaderboardSnapshot
from leaderboard.ranking import ModelOutcomes, rank


def ranked_evaluations(version):
    """The newest scored public evaluation of each submission on this version (an evaluation
    being scored right now counts: its suites are all done)."""
    latest = {}
    finished = (
        Evaluation.objects.filter(
            benchmark_version=version, status__in=["scoring", "finished"], submission__public=True
        )
        .select_related("submission")
        .prefetch_related("suites")
        .order_by("finished_at", "pk")
    )
    for evaluation in finished:
        latest[evaluation.submission_id] = evaluation
    return list(latest.values())


def outcomes_of(evaluation):
    quality = next(result for result in evaluation.suites.all() if result.suite == "quality")
    per_item = quality.per_item
    return ModelOutcomes(
        name=f"evaluation-{evaluation.pk}",
        correct=np.asarray(per_item["correct"], dtype=np.int8),
        confidence=np.asarray(per_item["confidence"], dtype=np.float64),
        predicted=np.asarray(per_item["predicted"], dtype=np.int64),
    )


def rank_label(low, high):
    return f"{low}" if low == high else f"{low}–{high}"


def _estimate(estimate):
    return {"value": estimate.point, "low": estimate.low, "high": estimate.high}


def rebuild_snapshot(version, replicates=None):
    """Rank the version's evaluations anew; None while there is nothing to rank."""
    evaluations = ranked_evaluations(version)
    if not evaluations:
        return None
    labels = np.fromiter(
        version.items_of("evaluation").values_list("label", flat=True), dtype=np.int64
    )
    by_key = {f"evaluation-{e.pk}": e for e in evaluations}
    replicates = replicates or settings.BOOTSTRAP_REPLICATES
    result = rank(
        [outcomes_of(e) for e in evaluations], labels, len(version.labels),
        seed=version.bootstrap_seed, replicates=replicates,
    )
    # "Tied for #1" says something only when more than one model may be first.
    contenders = sum(model.tied_for_first for model in result.models)
    entries = []
    for model in result.models:
        evaluation = by_key[model.name]
        entries.append({
            "evaluation_id": evaluation.pk,
            "submission_id": evaluation.submission_id,
            "name": evaluation.submission.name,
            "trusted": evaluation.submission.trusted,
            "score": _estimate(model.score),
            "components": {name: _estimate(e) for name, e in model.components.items()},
            "metrics": {name: e.point for name, e in model.metrics.items()},
            "metric_intervals": {name: _estimate(e) for name, e in model.metrics.items()},
            "rank_low": model.rank_low,
            "rank_high": model.rank_high,
            "rank_label": rank_label(model.rank_low, model.rank_high),
            "tied_for_first": model.tied_for_first and contenders > 1,
            "provisional": False,
        })
    # Equal scores keep a stable, documented order: by name, then by age.
    entries.sort(key=lambda e: (e["score"]["value"] is None, -(e["score"]["value"] or 0),
                                e["name"].lower(), e["evaluation_id"]))
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        replicate_scores=result.replicate_scores.astype(np.float32),
        evaluation_ids=np.array([by_key[name].pk for name in result.names], dtype=np.int64),
    )
    return LeaderboardSnapshot.objects.create(
        benchmark_version=version,
        replicates=result.replicates,
        seed=result.seed,
        method=result.method,
        n_items=result.n_items,
        entries=entries,
        replicate_scores=buffer.getvalue(),
    )
