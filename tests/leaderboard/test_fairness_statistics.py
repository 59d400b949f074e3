"""The fairness component and gaps inside the bootstrap equal fairlearn's on the same
predictions, and the stratified design keeps every group in every replicate."""

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    selection_rate,
)

from leaderboard.ranking import evaluate, evaluate_with_point, replicate_weights
from leaderboard.ranking.fairness import (
    consistent_sources,
    counterfactual_statistics,
    label_parity_statistic,
    sensitive_attribute_statistics,
)
from leaderboard.ranking.statistics import group_rate_statistic
from leaderboard.ranking.weights import design_from_row_units

RNG = np.random.default_rng(2026)
N = 600
SEX = RNG.integers(0, 2, N)
RACE = np.minimum(RNG.integers(0, 9, N), 4)  # five groups, one of them large
LABEL = (RNG.random(N) < 0.25 + 0.1 * SEX).astype(int)
# Two models: one whose positive rate depends on sex and race, one that copies the label often.
PREDICTED = np.stack([
    (RNG.random(N) < 0.2 + 0.2 * SEX + 0.05 * RACE).astype(int),
    np.where(RNG.random(N) < 0.8, LABEL, 1 - LABEL),
])


def fairlearn_gaps(model):
    gaps = {}
    for groups in (SEX, RACE):
        gaps.setdefault("parity", []).append(demographic_parity_difference(
            LABEL, PREDICTED[model], sensitive_features=groups))
        gaps.setdefault("odds", []).append(equalized_odds_difference(
            LABEL, PREDICTED[model], sensitive_features=groups))
    return max(gaps["parity"]), max(gaps["odds"])


def test_records_fairness_is_one_minus_the_worst_fairlearn_gap():
    components, metrics = sensitive_attribute_statistics(PREDICTED, LABEL, {"sex": SEX, "race": RACE})
    _, point = evaluate_with_point(np.ones((1, N), dtype=np.int32), {**components, **metrics})

    for model in range(2):
        parity, odds = fairlearn_gaps(model)
        assert point["demographic_parity_difference"][model] == pytest.approx(parity, abs=1e-12)
        assert point["equalized_odds_difference"][model] == pytest.approx(odds, abs=1e-12)
        assert point["fairness"][model] == pytest.approx(1 - max(parity, odds), abs=1e-12)


def test_a_replicate_s_records_fairness_is_fairlearn_s_on_the_drawn_records():
    components, _ = sensitive_attribute_statistics(PREDICTED, LABEL, {"sex": SEX, "race": RACE})
    design = design_from_row_units(N, None, [(None, list(zip(SEX, RACE, LABEL)))])
    weights = replicate_weights(design, 2, seed=5)

    fairness = evaluate(weights, components)["fairness"][:, 0]

    for row, value in zip(weights, fairness):
        drawn = np.repeat(np.arange(N), row)
        worst = max(
            gap(LABEL[drawn], PREDICTED[0][drawn], sensitive_features=groups[drawn])
            for gap in (demographic_parity_difference, equalized_odds_difference)
            for groups in (SEX, RACE)
        )
        assert value == pytest.approx(1 - worst, abs=1e-6)


def test_group_rates_equal_metricframe_s():
    rates = evaluate(np.ones((1, N), dtype=np.int32),
                     {"rates": group_rate_statistic(PREDICTED, RACE, 5)})["rates"][0]
    for model in range(2):
        frame = MetricFrame(metrics=selection_rate, y_true=LABEL, y_pred=PREDICTED[model],
                            sensitive_features=RACE)
        assert rates[model] == pytest.approx(frame.by_group.to_numpy(), abs=1e-12)


def test_multiclass_parity_is_the_worst_label_of_the_worst_category():
    # Three labels; cells 0-1 are the groups of category 0, cells 2-4 those of category 1.
    cells = RNG.integers(0, 5, N)
    predicted = RNG.integers(0, 3, (2, N))
    parity = evaluate(np.ones((1, N), dtype=np.int32), {"parity": label_parity_statistic(
        predicted, cells, np.array([0, 0, 1, 1, 1]), 3)})["parity"][0]

    for model in range(2):
        # fairlearn's demographic parity difference of "predicts this label", per category.
        expected = max(
            demographic_parity_difference(
                np.zeros(in_category.sum()), (predicted[model][in_category] == label).astype(int),
                sensitive_features=cells[in_category])
            for in_category in (cells < 2, cells >= 2)
            for label in range(3)
        )
        assert parity[model] == pytest.approx(expected, abs=1e-12)


def test_counterfactual_consistency_counts_sources_whose_variants_all_agree():
    # Three source items (positions 4, 9, 2) with two variants each.
    source = np.array([4, 4, 9, 9, 2, 2])
    predicted = np.array([[1, 1, 0, 1, 2, 2], [0, 0, 0, 0, 1, 0]])

    sources, consistent = consistent_sources(predicted, source)
    components, _ = counterfactual_statistics(predicted, source, np.array([0, 1] * 3),
                                              np.array([0, 0]), 3)
    # A replicate drawing item 4 twice, item 2 once and item 9 never (10 items in all).
    weights = np.zeros((2, 10), dtype=np.int32)
    weights[0, [4, 2]] = [2, 1]
    weights[1] = 1

    values = evaluate(weights, components)["fairness"]

    assert sources.tolist() == [2, 4, 9]
    assert consistent.tolist() == [[1, 1, 0], [0, 1, 1]]
    assert values[0] == pytest.approx([1.0, 2 / 3])
    assert values[1] == pytest.approx([2 / 3, 2 / 3])


def test_the_stratified_design_keeps_every_group_in_every_replicate():
    # Adult-like cells: sex x race x label, one cell holding a single record.
    strata = list(zip(SEX, RACE, LABEL))
    strata[0] = ("only", "one", "record")
    design = design_from_row_units(N, None, [(None, strata)])
    weights = replicate_weights(design, 2000, seed=9)

    for stratum in set(strata):
        rows = np.array([key == stratum for key in strata])
        assert np.all(weights[:, rows].sum(axis=1) == rows.sum()), stratum


def test_variant_strata_stratify_their_source_items():
    # Rows are variants of items 1 and 3 (category a) and 4 (category b); items 0 and 2 have none.
    design = design_from_row_units(5, None, [(None, None), ([1, 1, 3, 4, 4], list("aaabb"))])
    weights = replicate_weights(design, 500, seed=1)

    assert design.n_strata == 3
    assert np.all(weights[:, [1, 3]].sum(axis=1) == 2)
    assert np.all(weights[:, 4] == 1)
    with pytest.raises(ValueError, match="different strata"):
        design_from_row_units(5, None, [([1, 1], ["a", "b"])])
