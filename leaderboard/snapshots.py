"""Recompute a benchmark version's leaderboard from the stored per-item outcomes, keep the
replicate matrices with it, and re-rank from them under other score weights."""

import io

import numpy as np
from django.conf import settings

from benchmarks.suites import ResamplingUnits
from leaderboard.models import Evaluation, LeaderboardSnapshot
from leaderboard.adversarial_scoring import adversarial_statistics
from leaderboard.fairness_scoring import fairness_statistics
from leaderboard.ranking import ModelOutcomes, design_from_row_units, rank, score_models


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


def provisional_evaluations(version):
    """Public evaluations still under way whose quality suite has finished but not every suite:
    they have a score, but not yet the one the finished evaluations are ranked by."""
    in_progress = (
        Evaluation.objects.filter(
            benchmark_version=version, status__in=["queued", "preparing", "running"],
            submission__public=True, suites__suite="quality",
        )
        .select_related("submission")
        .prefetch_related("suites")
        .order_by("queued_at", "pk")
    )
    suites = set(version.suites)
    return [e for e in in_progress if not suites <= {result.suite for result in e.suites.all()}]


def quality_result(evaluation):
    return next(result for result in evaluation.suites.all() if result.suite == "quality")


def outcomes_of(evaluation):
    per_item = quality_result(evaluation).per_item
    return ModelOutcomes(
        name=f"evaluation-{evaluation.pk}",
        correct=np.asarray(per_item["correct"], dtype=np.int8),
        confidence=np.asarray(per_item["confidence"], dtype=np.float64),
        predicted=np.asarray(per_item["predicted"], dtype=np.int64),
    )


def resampling_design(evaluations, n_items):
    """The design the suites declared for their rows (per suite: which item each row is made
    from, and the strata it must keep). Every evaluation of a version ran the same suites on the
    same items, so their declarations of one suite must agree."""
    declared = {}
    for evaluation in evaluations:
        for result in evaluation.suites.all():
            units = declared.setdefault(result.suite, result.units)
            if units != result.units:
                raise ValueError(
                    f"the evaluations of this version declare different resampling units for "
                    f"the {result.suite} suite; a suite that changed its units must be a new "
                    "benchmark version")
    # The quality suite's rows are the items: its clusters group items. Other suites' rows are
    # made from items, and name them by position.
    item_clusters, declarations = None, []
    for suite in sorted(declared):
        units = ResamplingUnits.from_json(declared[suite])
        if suite == "quality":
            item_clusters = units.clusters
            declarations.append((None, units.strata))
        else:
            declarations.append((units.clusters, units.strata))
    return design_from_row_units(n_items, item_clusters, declarations)


def suite_statistics(version, evaluations, labels):
    """rank()'s extra_components and extra_metrics from every suite whose statistics are not
    per-item means of the quality suite's rows (fairness, adversarial)."""
    merged = {"extra_components": {}, "extra_metrics": {}}
    for part in (fairness_statistics(version, evaluations, labels),
                 adversarial_statistics(version, evaluations)):
        for key, statistics in part.items():
            merged[key].update(statistics)
    return merged


def rank_label(low, high):
    return f"{low}" if low == high else f"{low}–{high}"


def _estimate(estimate):
    return {"value": estimate.point, "low": estimate.low, "high": estimate.high}


def _ranking_fields(entries, ranked):
    """Set each entry's score and rank fields from ranked (name -> dict with point, low, high,
    rank_low, rank_high, tied_for_first, simultaneous ranks), for one group of entries."""
    # "Tied for #1" says something only when more than one model may be first.
    contenders = sum(ranked[str(e["evaluation_id"])]["tied_for_first"] for e in entries)
    for entry in entries:
        model = ranked[str(entry["evaluation_id"])]
        entry.update({
            "score": {"value": model["point"], "low": model["low"], "high": model["high"]},
            "rank_low": model["rank_low"],
            "rank_high": model["rank_high"],
            "rank_label": rank_label(model["rank_low"], model["rank_high"]),
            "tied_for_first": model["tied_for_first"] and contenders > 1,
            "simultaneous_rank_low": model["simultaneous_rank_low"],
            "simultaneous_rank_high": model["simultaneous_rank_high"],
        })


def leaderboard_order(entries):
    """Ranked entries first, then provisional ones; each by score, equal scores by name, then
    by age: a stable, documented order."""
    return sorted(entries, key=lambda e: (e["provisional"], e["score"]["value"] is None,
                                          -(e["score"]["value"] or 0), e["name"].lower(),
                                          e["evaluation_id"]))


def rebuild_snapshot(version, replicates=None):
    """Rank the version's evaluations anew; None while there is nothing to rank.

    Finished evaluations are ranked together; provisional ones (suites still running) are
    ranked among themselves, apart, with the same replicate weights.
    """
    groups = {False: ranked_evaluations(version), True: provisional_evaluations(version)}
    if not any(groups.values()):
        return None
    labels = np.fromiter(
        version.items_of("evaluation").values_list("label", flat=True), dtype=np.int64
    )
    design = resampling_design(groups[False] + groups[True], len(labels))
    replicates = replicates or settings.BOOTSTRAP_REPLICATES
    entries, columns, results = [], [], []
    for provisional, evaluations in groups.items():
        if not evaluations:
            continue
        result = rank(
            [outcomes_of(e) for e in evaluations], labels, len(version.labels),
            seed=version.bootstrap_seed, replicates=replicates, design=design,
            **suite_statistics(version, evaluations, labels),
        )
        by_name = {f"evaluation-{e.pk}": e for e in evaluations}
        group = []
        for model in result.models:
            evaluation = by_name[model.name]
            group.append({
                "evaluation_id": evaluation.pk,
                "submission_id": evaluation.submission_id,
                "name": evaluation.submission.name,
                "kind": evaluation.submission.kind,
                "trusted": evaluation.submission.trusted,
                "column": len(columns) + result.names.index(model.name),
                "components": {name: _estimate(e) for name, e in model.components.items()},
                "metrics": {name: e.point for name, e in model.metrics.items()},
                "metric_intervals": {name: _estimate(e) for name, e in model.metrics.items()},
                "provisional": provisional,
                "integrity_flags": evaluation.integrity_flags,
            })
        _ranking_fields(group, {
            str(by_name[m.name].pk): {
                "point": m.score.point, "low": m.score.low, "high": m.score.high,
                "rank_low": m.rank_low, "rank_high": m.rank_high,
                "tied_for_first": m.tied_for_first,
                "simultaneous_rank_low": m.simultaneous_rank_low,
                "simultaneous_rank_high": m.simultaneous_rank_high,
            }
            for m in result.models
        })
        entries += group
        columns += [(by_name[name], provisional) for name in result.names]
        results.append(result)
    first = results[0]
    return LeaderboardSnapshot.objects.create(
        benchmark_version=version,
        replicates=first.replicates,
        seed=first.seed,
        method=first.method,
        n_items=first.n_items,
        n_clusters=first.n_clusters,
        confidence_level=first.confidence_level,
        score_weights=first.score_weights,
        entries=leaderboard_order(entries),
        replicates_npz=pack_replicates(version, results, columns),
    )


def pack_replicates(version, results, columns):
    """The snapshot's replicate archive (npz), enough to recompute every score and rank.

    Columns (one per model, ranked models first, then provisional ones) of:
    scores (B, M) float32, the reliability score under the default weights, per replicate;
    component_<name> (B, M) float32 and point_<name> (M,) float64 for each score component
    (NaN for a model without it); point_score (M,); evaluation_ids, names, provisional (M,);
    and component_names, score_weights, proportions (the components that are means of
    per-item values in [0, 1]), replicates (B), seed, method, n_items, n_clusters,
    confidence_level, benchmark, version.
    """
    component_names = list(results[0].score_weights)
    for result in results[1:]:
        component_names += [name for name in result.score_weights if name not in component_names]

    def stacked(values_of):
        """Each result's per-component values side by side; NaN for a missing component."""
        return {name: np.concatenate([values_of(result, name) for result in results], axis=-1)
                for name in component_names}

    def replicate_matrix(result, name):
        if name in result.component_replicates:
            return result.component_replicates[name]
        return np.full_like(result.replicate_scores, np.nan)

    def points(result, name):
        return result.component_points.get(name, np.full(len(result.names), np.nan))

    def point_score(result):
        """Each model's score under the default weights, in the result's column order."""
        by_name = {model.name: model.score.point for model in result.models}
        return np.array([by_name[name] for name in result.names], dtype=np.float64)

    first = results[0]
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        scores=np.concatenate([result.replicate_scores for result in results], axis=1),
        point_score=np.concatenate([point_score(result) for result in results]),
        **{f"component_{name}": value for name, value in stacked(replicate_matrix).items()},
        **{f"point_{name}": value for name, value in stacked(points).items()},
        evaluation_ids=np.array([evaluation.pk for evaluation, _ in columns], dtype=np.int64),
        names=np.array([evaluation.submission.name for evaluation, _ in columns], dtype=str),
        provisional=np.array([provisional for _, provisional in columns], dtype=bool),
        component_names=np.array(component_names, dtype=str),
        score_weights=np.array([first.score_weights.get(name, 1.0) for name in component_names]),
        proportions=np.array(sorted({name for result in results for name in result.proportions}),
                             dtype=str),
        replicates=first.replicates,
        seed=first.seed,
        method=np.array(first.method),
        n_items=first.n_items,
        n_clusters=first.n_clusters,
        confidence_level=first.confidence_level,
        benchmark=np.array(version.benchmark.slug),
        version=version.number,
    )
    return buffer.getvalue()


def without_columns(npz_bytes, evaluation_ids):
    """The archive with the columns of these evaluations dropped from every per-model array
    (the entries someone may not see now); the other arrays as they are."""
    with np.load(io.BytesIO(bytes(npz_bytes))) as archive:
        arrays = {name: archive[name] for name in archive.files}
    if "evaluation_ids" not in arrays or not evaluation_ids:
        return bytes(npz_bytes)
    keep = ~np.isin(arrays["evaluation_ids"], list(evaluation_ids))
    per_model = {"scores", "point_score", "evaluation_ids", "names", "provisional"}
    per_model |= {f"{kind}_{name}" for kind in ("component", "point")
                  for name in arrays.get("component_names", [])}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{name: value[..., keep] if name in per_model else value
                                   for name, value in arrays.items()})
    return buffer.getvalue()


def load_replicates(snapshot):
    """The snapshot's archive as a dict of arrays."""
    with np.load(io.BytesIO(bytes(snapshot.replicates_npz))) as archive:
        return {name: archive[name] for name in archive.files}


def reweighted_entries(snapshot, score_weights):
    """The snapshot's entries with scores, intervals and ranks recomputed under score_weights
    (component -> weight) from the stored replicate matrices; items are not read again.

    Each group (ranked, provisional) is re-ranked apart, on the components its models have.
    Raises ValueError when the snapshot keeps no components (made before re-weighting) or the
    weights leave a group with nothing to score.
    """
    archive = load_replicates(snapshot)
    if "component_names" not in archive:
        raise ValueError("this snapshot was computed before scores could be re-weighted; the "
                         "next evaluation on this benchmark version computes one that can be")
    entries = [dict(entry) for entry in snapshot.entries]
    for provisional in (False, True):
        group = [entry for entry in entries if entry["provisional"] == provisional]
        if not group:
            continue
        columns = [entry["column"] for entry in group]
        present = [str(name) for name in archive["component_names"]
                   if np.isfinite(archive[f"point_{name}"][columns]).all()]
        weights = {name: score_weights[name] for name in present}
        if sum(weights.values()) == 0:
            raise ValueError(f"the chosen weights give every component of the "
                             f"{'provisional' if provisional else 'ranked'} models 0")
        scores = score_models(
            {name: archive[f"point_{name}"][columns] for name in present},
            {name: archive[f"component_{name}"][:, columns] for name in present},
            [str(entry["evaluation_id"]) for entry in group],
            score_weights=weights, n_units=snapshot.n_clusters,
            proportions={str(name) for name in archive["proportions"]},
            confidence_level=snapshot.confidence_level,
        )
        _ranking_fields(group, {entry["name"]: entry for entry in scores.entries})
    return leaderboard_order(entries)
