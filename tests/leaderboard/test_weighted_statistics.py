"""Statistics from weighted sums: unit weights give the plain metric, a replicate gives the
metric of its resampled items, and one product serves every model."""

import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from sklearn.metrics import f1_score

from benchmarks import metrics
from leaderboard.ranking import (
    Statistic,
    bootstrap_weights,
    evaluate,
    reliability_score,
    weighted_accuracy,
    weighted_ece,
    weighted_macro_f1,
    weighted_mean,
)
from leaderboard.ranking.statistics import (
    demographic_parity_difference_statistic,
    ece_statistic,
    equalized_odds_difference_statistic,
    group_rate_statistic,
    mean_statistic,
)

UNIT = np.ones((1, 5), dtype=np.int32)


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


def test_float32_products_count_exactly_and_sum_gaps_to_within_a_millionth():
    rng = np.random.default_rng(3)
    correct = (rng.random((3, 5000)) < 0.8).astype(int)
    confidence = rng.uniform(0.5, 1, (3, 5000))
    weights = bootstrap_weights(5000, 50, seed=1)
    both = {"accuracy": mean_statistic(correct),
            "ece": ece_statistic(correct, confidence)}

    single = evaluate(weights, both, precision=np.float32)
    double = evaluate(weights, both, precision=np.float64)

    assert np.array_equal(single["accuracy"], double["accuracy"])  # integers below 2**24
    np.testing.assert_allclose(single["ece"], double["ece"], atol=1e-6)


def test_models_with_equal_outcomes_get_bitwise_equal_replicates():
    rng = np.random.default_rng(4)
    correct = (rng.random(3000) < 0.7).astype(int)
    confidence = rng.uniform(0.5, 1, 3000)
    weights = bootstrap_weights(3000, 200, seed=9)
    # The twins sit at different positions among other models.
    others = (rng.random((5, 3000)) < 0.7).astype(int)
    stacked = np.vstack([correct, others, correct])
    confidences = np.vstack([confidence, rng.uniform(0.5, 1, (5, 3000)), confidence])

    ece = weighted_ece(weights, stacked, confidences)

    assert np.array_equal(ece[:, 0], ece[:, -1])


def test_group_rates_and_gaps_match_fairlearn():
    rng = np.random.default_rng(11)
    groups = rng.integers(0, 3, 400)
    labels = rng.integers(0, 2, 400)
    predicted = np.where(rng.random((2, 400)) < 0.5 + 0.1 * groups, labels, 1 - labels)
    unit = np.ones((1, 400), dtype=np.int32)

    rates = evaluate(unit, {"rates": group_rate_statistic(predicted, groups, 3)})["rates"][0]
    gaps = evaluate(unit, {
        "parity": demographic_parity_difference_statistic(predicted, groups, 3),
        "odds": equalized_odds_difference_statistic(predicted, labels, groups, 3),
    })

    for model in range(2):
        expected = [predicted[model][groups == g].mean() for g in range(3)]
        assert rates[model] == pytest.approx(expected, abs=1e-12)
        assert gaps["parity"][0, model] == pytest.approx(demographic_parity_difference(
            labels, predicted[model], sensitive_features=groups), abs=1e-12)
        assert gaps["odds"][0, model] == pytest.approx(equalized_odds_difference(
            labels, predicted[model], sensitive_features=groups), abs=1e-12)


def test_a_replicate_s_gap_is_the_gap_of_its_resampled_items():
    rng = np.random.default_rng(12)
    groups = rng.integers(0, 2, 80)
    labels = rng.integers(0, 2, 80)
    predicted = (rng.random(80) < 0.4 + 0.3 * groups).astype(int)
    weights = bootstrap_weights(80, 4, seed=3)

    odds = evaluate(weights, {"odds": equalized_odds_difference_statistic(
        predicted, labels, groups, 2)})["odds"][:, 0]

    for row, value in zip(weights, odds):
        drawn = np.repeat(np.arange(80), row)
        assert value == pytest.approx(equalized_odds_difference(
            labels[drawn], predicted[drawn], sensitive_features=groups[drawn]), abs=1e-12)


def test_a_group_absent_from_a_replicate_is_left_out_of_the_gap():
    weights = np.array([[1, 1, 0, 2]])  # the one item of group 2 is not drawn
    predicted = np.array([1, 0, 1, 1])
    groups = np.array([0, 1, 2, 0])

    parity = evaluate(weights, {"parity": demographic_parity_difference_statistic(
        predicted, groups, 3)})["parity"]

    assert parity[0, 0] == pytest.approx(1.0)  # group 0: 3/3, group 1: 0/1


def test_variant_rows_take_the_weight_of_their_source_item():
    # Rows 0-2 are variants of item 0, rows 3-4 of item 1: a replicate counting item 0 twice
    # and item 1 never is the mean over item 0's variants.
    weights = np.array([[2, 0], [1, 1]])
    consistent = np.array([[1, 0, 1, 1, 1]])

    mean = evaluate(weights, {"consistency": Statistic(
        consistent, mean_statistic(consistent).finish, item_of_row=np.array([0, 0, 0, 1, 1]))})

    assert mean["consistency"][:, 0] == pytest.approx([2 / 3, 4 / 5])
    assert weighted_mean(np.ones((1, 5)), consistent)[0, 0] == pytest.approx(4 / 5)


def test_reliability_score_is_the_mean_of_its_components_unless_reweighted():
    components = {"accuracy": np.array([[0.8, 0.5]]), "calibration": np.array([[0.6, 0.9]])}

    assert reliability_score(components) == pytest.approx(np.array([[0.7, 0.7]]))
    reweighted = reliability_score(components, {"accuracy": 3, "calibration": 1})
    assert reweighted == pytest.approx(np.array([[0.75, 0.6]]))
    with pytest.raises(ValueError, match="must name exactly the components"):
        reliability_score(components, {"accuracy": 1})
    with pytest.raises(ValueError, match="must not all be 0"):
        reliability_score(components, {"accuracy": 0, "calibration": 0})
