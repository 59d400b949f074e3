import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import f1_score

from benchmarks import metrics
from leaderboard.ranking import (
    METHOD,
    Estimate,
    ModelOutcomes,
    bootstrap_weights,
    rank,
    reliability_score,
    summarize,
    weighted_accuracy,
    weighted_ece,
    weighted_macro_f1,
)

UNIT = np.ones((1, 5), dtype=np.int32)


def outcomes(name, labels, wrong_items, confidence=0.8, n_classes=2, **item_scores):
    """A model right on every item except wrong_items, where it predicts the next class."""
    predicted = np.array(labels)
    predicted[list(wrong_items)] = (predicted[list(wrong_items)] + 1) % n_classes
    return ModelOutcomes(
        name=name,
        correct=(predicted == labels).astype(int),
        confidence=np.full(len(labels), confidence),
        predicted=predicted,
        item_scores=item_scores,
    )


def by_name(result):
    return {model.name: model for model in result.models}


def test_every_weight_row_sums_to_the_number_of_items():
    weights = bootstrap_weights(37, 500, seed=3)

    assert weights.shape == (500, 37)
    assert weights.dtype == np.int32
    assert weights.min() >= 0
    assert np.all(weights.sum(axis=1) == 37)


def test_weights_are_reproducible_from_the_seed():
    assert np.array_equal(bootstrap_weights(50, 100, seed=7), bootstrap_weights(50, 100, seed=7))
    assert not np.array_equal(bootstrap_weights(50, 100, seed=7), bootstrap_weights(50, 100, seed=8))


def test_accuracy_interval_matches_scipy_percentile_bootstrap():
    correct = np.zeros(400)
    correct[np.random.default_rng(0).permutation(400)[:300]] = 1  # accuracy 0.75
    replicates = weighted_accuracy(bootstrap_weights(400, 2000, seed=11), correct)
    [entry] = summarize(replicates, np.array([0.75]), ["model"])

    reference = stats.bootstrap(
        (correct,),
        np.mean,
        n_resamples=50_000,
        method="percentile",
        rng=np.random.default_rng(1),
    ).confidence_interval
    assert entry["point"] == 0.75
    assert entry["low"] == pytest.approx(reference.low, abs=0.005)
    assert entry["high"] == pytest.approx(reference.high, abs=0.005)
    # 0.75 +- 1.96 * sqrt(0.75 * 0.25 / 400)
    assert entry["low"] == pytest.approx(0.7076, abs=0.005)
    assert entry["high"] == pytest.approx(0.7924, abs=0.005)


def test_ece_bins_zero_with_the_first_bin_and_one_with_the_last():
    # Bin 0 holds 0.0 (right) and 0.05 (wrong): |1 - 0.05| = 0.95; bin 9 holds 0.9 (right) and
    # 1.0 (wrong): |0.1 - 1| = 0.9; bin 5 holds 0.55 (right): 0.45. (0.95 + 0.9 + 0.45) / 5.
    correct = np.array([1, 0, 1, 0, 1])
    confidence = np.array([0.0, 0.05, 0.9, 1.0, 0.55])

    assert weighted_ece(UNIT, correct, confidence)[0, 0] == pytest.approx(0.46)
    assert metrics.expected_calibration_error(correct, confidence) == pytest.approx(0.46)


def test_macro_f1_counts_a_class_absent_from_labels_and_predictions_as_zero():
    # Class 0: 2 TP / (predicted + support) = 2 / 4; class 1: 4 / 6; class 2 never occurs: 0.
    labels = np.array([0, 0, 1, 1, 1])
    predicted = np.array([0, 1, 1, 1, 0])

    f1 = weighted_macro_f1(UNIT, predicted, labels, n_classes=3)[0, 0]

    assert f1 == pytest.approx(7 / 18)
    assert f1 == pytest.approx(metrics.macro_f1(labels, predicted, 3))
    assert f1 == pytest.approx(
        f1_score(labels, predicted, labels=[0, 1, 2], average="macro", zero_division=0)
    )


def test_unit_weights_give_the_plain_metrics_of_every_model():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, 300)
    predicted = np.where(rng.random((4, 300)) < 0.7, labels, rng.integers(0, 3, (4, 300)))
    correct = (predicted == labels).astype(int)
    confidence = rng.random((4, 300))
    unit = np.ones((1, 300), dtype=np.int32)

    accuracy = weighted_accuracy(unit, correct)[0]
    ece = weighted_ece(unit, correct, confidence)[0]
    macro_f1 = weighted_macro_f1(unit, predicted, labels, 3)[0]

    for model in range(4):
        assert accuracy[model] == pytest.approx(correct[model].mean(), abs=1e-12)
        expected_ece = metrics.expected_calibration_error(correct[model], confidence[model])
        assert ece[model] == pytest.approx(expected_ece, abs=1e-12)
        expected_f1 = f1_score(labels, predicted[model], average="macro")
        assert macro_f1[model] == pytest.approx(expected_f1, abs=1e-12)


def test_a_replicate_equals_the_plain_metric_on_its_resampled_items():
    rng = np.random.default_rng(9)
    labels = rng.integers(0, 3, 60)
    predicted = np.where(rng.random(60) < 0.6, labels, rng.integers(0, 3, 60))
    correct = (predicted == labels).astype(int)
    confidence = rng.random(60)
    weights = bootstrap_weights(60, 3, seed=2)

    for row in weights:
        drawn = np.repeat(np.arange(60), row)
        one_row = row[None, :]
        assert weighted_accuracy(one_row, correct)[0, 0] == pytest.approx(correct[drawn].mean())
        assert weighted_ece(one_row, correct, confidence)[0, 0] == pytest.approx(
            metrics.expected_calibration_error(correct[drawn], confidence[drawn])
        )
        assert weighted_macro_f1(one_row, predicted, labels, 3)[0, 0] == pytest.approx(
            metrics.macro_f1(labels[drawn], predicted[drawn], 3)
        )


def test_reliability_score_is_the_mean_of_its_components_unless_reweighted():
    components = {"accuracy": np.array([[0.8, 0.5]]), "calibration": np.array([[0.6, 0.9]])}

    assert reliability_score(components) == pytest.approx(np.array([[0.7, 0.7]]))
    reweighted = reliability_score(components, {"accuracy": 3, "calibration": 1})
    assert reweighted == pytest.approx(np.array([[0.75, 0.6]]))
    with pytest.raises(ValueError, match="must name exactly the components"):
        reliability_score(components, {"accuracy": 1})


def test_rank_intervals_follow_the_pairwise_quantile_rule():
    rng = np.random.default_rng(4)
    shared = rng.normal(0, 0.02, (2000, 1))  # paired: replicates move together
    replicates = 0.7 + shared + np.linspace(0, 0.03, 12) + rng.normal(0, 0.01, (2000, 12))
    narrow_win = np.full(2000, 0.72)
    narrow_win[:50] = 0.5  # see the next test
    replicates = np.column_stack([replicates, narrow_win])
    names = [f"model {index:02d}" for index in range(13)]

    entries = {entry["name"]: entry for entry in summarize(replicates, replicates.mean(0), names)}

    n_models = replicates.shape[1]
    for i in range(n_models):
        beaten_by = sum(
            np.quantile(replicates[:, j] - replicates[:, i], 0.025) > 0 for j in range(n_models)
        )
        beats = sum(
            np.quantile(replicates[:, i] - replicates[:, j], 0.025) > 0 for j in range(n_models)
        )
        assert entries[names[i]]["rank_low"] == 1 + beaten_by
        assert entries[names[i]]["rank_high"] == n_models - beats
    assert {entry["rank_low"] for entry in entries.values()} != {1}  # some pairs are decided


@pytest.mark.parametrize(
    ("n_behind", "ranks"),
    [(49, [(1, 1), (2, 2)]), (50, [(1, 1), (2, 2)]), (51, [(1, 2), (1, 2)])],
)
def test_a_win_needs_the_interpolated_quantile_above_zero(n_behind, ranks):
    # With B = 2000 the 2.5% quantile sits at position 0.025 * 1999 = 49.975, between the 50th
    # and 51st smallest difference. With 49 differences of -1 and the rest +1 it is 1: a win.
    # With 50 it is -1 + 0.975 * 2 = 0.95 > 0: still a win. With 51 it is -1: no win.
    ahead = np.ones(2000)
    ahead[:n_behind] = -1
    replicates = np.column_stack([ahead, np.zeros(2000)])

    entries = summarize(replicates, np.array([0.9, 0.0]), ["ahead", "zero"])

    assert [(entry["rank_low"], entry["rank_high"]) for entry in entries] == ranks


def test_identical_models_get_identical_scores_and_share_a_rank_interval():
    labels = np.arange(200) % 2
    models = [
        outcomes("twin a", labels, range(0, 200, 5)),
        outcomes("twin b", labels, range(0, 200, 5)),
        outcomes("weak", labels, range(0, 200, 2)),
    ]

    result = rank(models, labels, 2, seed=1)

    twins = by_name(result)
    assert twins["twin a"].score == twins["twin b"].score
    assert twins["twin a"].components == twins["twin b"].components
    assert np.array_equal(result.replicate_scores[:, 0], result.replicate_scores[:, 1])
    assert (twins["twin a"].rank_low, twins["twin a"].rank_high) == (1, 2)
    assert (twins["twin b"].rank_low, twins["twin b"].rank_high) == (1, 2)
    assert twins["twin a"].tied_for_first and twins["twin b"].tied_for_first
    assert (twins["weak"].rank_low, twins["weak"].rank_high, twins["weak"].tied_for_first) == (
        3,
        3,
        False,
    )


def test_a_clearly_better_model_ranks_alone_first():
    labels = np.arange(200) % 2
    models = [
        outcomes("good", labels, range(60)),  # accuracy 0.70
        outcomes("best", labels, range(190, 200)),  # accuracy 0.95
        outcomes("fair", labels, range(100, 164)),  # accuracy 0.68
    ]

    result = rank(models, labels, 2, seed=1)

    assert [model.name for model in result.models] == ["best", "good", "fair"]
    best, good, fair = result.models
    # Constant confidence 0.8 puts every item in one bin: ECE = |accuracy - 0.8|.
    assert best.score.point == pytest.approx((0.95 + (1 - 0.15)) / 2)
    assert best.components["accuracy"].point == pytest.approx(0.95)
    assert best.metrics["ece"].point == pytest.approx(0.15)
    assert (best.rank_low, best.rank_high, best.tied_for_first) == (1, 1, True)
    assert (good.rank_low, good.rank_high, good.tied_for_first) == (2, 3, False)
    assert (fair.rank_low, fair.rank_high, fair.tied_for_first) == (2, 3, False)


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
    assert METHOD == "paired percentile bootstrap"
    assert result.names == ("a", "b")
    assert result.replicate_scores.shape == (2000, 2)
    assert np.array_equal(result.replicate_scores, again.replicate_scores)
    assert result.score_weights == {"accuracy": 1.0, "calibration": 1.0, "robust_accuracy": 1.0}
    a = by_name(result)["a"]
    # accuracy 0.8, calibration 1 - |0.8 - 0.8| = 1, robust accuracy 0.5
    assert a.score.point == pytest.approx((0.8 + 1 + 0.5) / 3)
    assert a.score.low < a.score.point < a.score.high
    assert set(a.components) == {"accuracy", "calibration", "robust_accuracy"}
    assert a.metrics["macro_f1"].point == pytest.approx(
        f1_score(labels, models[0].predicted, average="macro")
    )


def test_one_model_ranks_first_with_its_interval():
    [entry] = summarize(np.array([[0.6], [0.7], [0.8]]), np.array([0.7]), ["solo"])

    assert entry["point"] == 0.7
    assert entry["low"] == pytest.approx(0.605)
    assert entry["high"] == pytest.approx(0.795)
    assert (entry["rank_low"], entry["rank_high"], entry["tied_for_first"]) == (1, 1, True)


@pytest.mark.parametrize("value", [0.0, 0.5])
def test_equal_replicates_give_degenerate_intervals_without_nan(value):
    replicates = np.full((2000, 3), value)

    entries = summarize(replicates, np.full(3, value), ["c", "a", "b"])

    assert [entry["name"] for entry in entries] == ["a", "b", "c"]  # equal points: by name
    for entry in entries:
        assert (entry["point"], entry["low"], entry["high"]) == (value, value, value)
        assert (entry["rank_low"], entry["rank_high"], entry["tied_for_first"]) == (1, 3, True)


def test_perfect_and_hopeless_models_give_finite_scores():
    labels = np.arange(50) % 2
    perfect = outcomes("perfect", labels, [], confidence=1.0)
    hopeless = outcomes("hopeless", labels, range(50), confidence=0.0)

    result = rank([perfect, hopeless], labels, 2, seed=0)

    best, worst = result.models
    assert best.name == "perfect"
    assert best.score == Estimate(1.0, 1.0, 1.0)
    assert worst.score == Estimate(0.5, 0.5, 0.5)  # accuracy 0, calibration 1 - 0
    assert worst.metrics["macro_f1"] == Estimate(0.0, 0.0, 0.0)
    assert np.isfinite(result.replicate_scores).all()
    assert (best.rank_low, best.rank_high, worst.rank_low, worst.rank_high) == (1, 1, 2, 2)


def test_a_model_with_a_nan_score_is_placed_last_without_interval():
    replicates = np.column_stack([np.full(100, 0.7), np.full(100, np.nan), np.full(100, 0.9)])

    entries = summarize(replicates, np.array([0.7, np.nan, 0.9]), ["a", "broken", "c"])

    assert [entry["name"] for entry in entries] == ["c", "a", "broken"]
    assert entries[-1] == {
        "name": "broken",
        "column": 1,
        "point": None,
        "low": None,
        "high": None,
        "rank_low": None,
        "rank_high": None,
        "tied_for_first": False,
    }
    assert (entries[1]["rank_low"], entries[1]["rank_high"]) == (2, 2)  # out of 2, not 3


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
    monkeypatch.setattr("leaderboard.ranking._CHUNK_ELEMENTS", 5000)
    bounded = rank(models, labels, 3, seed=3)

    # Equal up to the order of floating-point additions inside the matrix products.
    np.testing.assert_allclose(bounded.replicate_scores, unbounded.replicate_scores, rtol=1e-12)
    ranks = [(model.name, model.rank_low, model.rank_high) for model in unbounded.models]
    assert [(model.name, model.rank_low, model.rank_high) for model in bounded.models] == ranks
    assert len({(low, high) for _, low, high in ranks}) > 2  # the models are told apart
