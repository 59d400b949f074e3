"""rank() end to end: outcomes in, scores, intervals and rank intervals out, recorded with how
they were computed and reproducible from the seed."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from leaderboard.ranking import (
    METHOD,
    Estimate,
    ModelOutcomes,
    design_from_keys,
    rank,
)
from leaderboard.ranking import ranks, statistics
from tests.leaderboard.outcomes import by_name, outcomes


def test_rank_records_the_bootstrap_and_is_reproducible_from_its_seed():
    labels = np.arange(100) % 2
    robust = np.zeros(100)
    robust[:50] = 1
    models = [
        outcomes("a", labels, range(20), robust_accuracy=robust),
        outcomes("b", labels, range(30), robust_accuracy=robust),
    ]

    result = rank(models, labels, 2, seed=42)
    again = rank(models, labels, 2, seed=42)

    assert (result.replicates, result.seed, result.method, result.n_items) == (2000, 42, METHOD, 100)
    assert result.n_clusters == 100
    assert METHOD == "paired percentile bootstrap widened to Wilson (design effect)"
    assert result.names == ("a", "b")
    assert result.replicate_scores.shape == (2000, 2)
    assert result.replicate_scores.dtype == np.float32
    assert np.array_equal(result.replicate_scores, again.replicate_scores)
    assert result.score_weights == {"accuracy": 1.0, "calibration": 1.0, "robust_accuracy": 1.0}
    assert set(result.component_replicates) == {"accuracy", "calibration", "robust_accuracy"}
    a = by_name(result)["a"]
    # accuracy 0.8, calibration 1 - |0.8 - 0.8| = 1, robust accuracy 0.5
    assert a.score.point == pytest.approx((0.8 + 1 + 0.5) / 3)
    assert a.score.low < a.score.point < a.score.high
    assert set(a.components) == {"accuracy", "calibration", "robust_accuracy"}
    assert a.metrics["macro_f1"].point == pytest.approx(
        f1_score(labels, models[0].predicted, average="macro")
    )


def test_a_clustered_design_is_recorded_in_the_method():
    labels = np.arange(120) % 2
    design = design_from_keys(120, clusters=np.arange(120) // 4, strata=np.arange(120) // 60)

    result = rank([outcomes("a", labels, range(30))], labels, 2, seed=1, design=design)

    assert (result.n_items, result.n_clusters) == (120, 30)
    assert result.method == METHOD + " (30 clusters, stratified by 2 groups)"


def test_a_design_for_other_items_is_refused():
    labels = np.arange(10) % 2
    with pytest.raises(ValueError, match="the design has 12 items"):
        rank([outcomes("a", labels, [])], labels, 2, seed=0, design=design_from_keys(12))


def test_a_failed_model_is_listed_last_with_no_score():
    labels = np.arange(100) % 2
    result = rank([outcomes("ok", labels, range(10))], labels, 2, seed=0, failed=["crashed"])

    ok, crashed = result.models
    assert (ok.name, ok.rank_low, ok.rank_high) == ("ok", 1, 1)
    assert crashed.name == "crashed"
    assert crashed.score == Estimate(None, None, None)
    assert crashed.components["accuracy"] == Estimate(None, None, None)
    assert (crashed.rank_low, crashed.rank_high, crashed.tied_for_first) == (None, None, False)
    assert result.names == ("ok", "crashed")
    assert np.isnan(result.replicate_scores[:, 1]).all()


def test_correct_that_disagrees_with_predictions_is_refused():
    labels = np.arange(10) % 2
    model = outcomes("liar", labels, [0])
    lying = ModelOutcomes("liar", np.ones(10), model.confidence, model.predicted)

    with pytest.raises(ValueError, match="correct disagrees"):
        rank([lying], labels, 2, seed=0)


def test_results_do_not_depend_on_the_memory_bound(monkeypatch):
    rng = np.random.default_rng(8)
    labels = np.arange(300) % 3
    models = [
        outcomes(f"m{index}", labels, range(index, 300, 3 + index), rng.uniform(0.4, 1, 300), 3)
        for index in range(6)
    ]
    unbounded = rank(models, labels, 3, seed=3)

    # A few thousand elements per chunk: many weight-row chunks and one model per pair block.
    monkeypatch.setattr(statistics, "CHUNK_ELEMENTS", 5000)
    monkeypatch.setattr(ranks, "CHUNK_ELEMENTS", 5000)
    bounded = rank(models, labels, 3, seed=3)

    # Equal up to the order of float32 additions inside the matrix products.
    np.testing.assert_allclose(bounded.replicate_scores, unbounded.replicate_scores, atol=1e-6)
    ranked = [(model.name, model.rank_low, model.rank_high) for model in unbounded.models]
    assert [(model.name, model.rank_low, model.rank_high) for model in bounded.models] == ranked
    assert len({(low, high) for _, low, high in ranked}) > 2  # the models are told apart
