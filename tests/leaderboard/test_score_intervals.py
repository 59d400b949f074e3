"""Score intervals: the percentile bootstrap, agreeing with scipy; for proportions, widened to
a Wilson-type interval with the bootstrap's design effect; Wilson's interval where a statistic
sits at 0 or 1; never NaN."""

import numpy as np
import pytest
from scipy import stats

from benchmarks.metrics import calibration_bin
from leaderboard.ranking import (
    Estimate,
    bootstrap_weights,
    bounded_interval,
    design_from_keys,
    rank,
    replicate_weights,
    score_models,
    summarize,
    weighted_accuracy,
    wilson_interval,
)
from leaderboard.ranking.intervals import effective_units
from tests.leaderboard.outcomes import outcomes

Z2 = stats.norm.ppf(0.975) ** 2  # 3.8415


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


def reliability_score_of_items(correct, confidence, axis=-1):
    """accuracy and 1 - ECE averaged, for scipy's resampled (..., n) arrays."""
    in_bin = calibration_bin(confidence)[..., None] == np.arange(10)
    gap_per_bin = ((correct - confidence)[..., None] * in_bin).sum(axis=-2)
    ece = np.abs(gap_per_bin).sum(axis=-1) / correct.shape[-1]
    return (correct.mean(axis=-1) + 1 - ece) / 2


def test_one_model_s_score_interval_matches_scipy_percentile_bootstrap():
    rng = np.random.default_rng(2)
    labels = np.arange(500) % 2
    confidence = rng.uniform(0.5, 1, 500)
    model = outcomes("solo", labels, np.flatnonzero(rng.random(500) > confidence), confidence)

    [ranked] = rank([model], labels, 2, seed=5).models
    reference = stats.bootstrap(
        (model.correct.astype(float), confidence), reliability_score_of_items, paired=True,
        vectorized=True, n_resamples=20_000, batch=2000, method="percentile",
        rng=np.random.default_rng(3),
    ).confidence_interval

    assert ranked.score.point == pytest.approx(
        reliability_score_of_items(model.correct.astype(float), confidence), abs=1e-12)
    assert ranked.score.low == pytest.approx(reference.low, abs=0.005)
    assert ranked.score.high == pytest.approx(reference.high, abs=0.005)


def test_wilson_interval_has_its_textbook_values():
    low, high = wilson_interval(np.array([0.5, 1.0, 0.0]), 100)

    assert low == pytest.approx([0.4038, 100 / (100 + Z2), 0], abs=1e-4)
    assert high == pytest.approx([0.5962, 1, Z2 / (100 + Z2)], abs=1e-4)


@pytest.mark.parametrize("value", [0.0, 0.5])
def test_equal_replicates_give_degenerate_intervals_without_nan(value):
    replicates = np.full((2000, 3), value)

    entries = summarize(replicates, np.full(3, value), ["c", "a", "b"])

    assert [entry["name"] for entry in entries] == ["a", "b", "c"]  # equal points: by name
    for entry in entries:
        assert (entry["point"], entry["low"], entry["high"]) == (value, value, value)
        assert (entry["rank_low"], entry["rank_high"], entry["tied_for_first"]) == (1, 3, True)


@pytest.mark.parametrize(("value", "low", "high"), [(0.0, 0, Z2 / (50 + Z2)),
                                                    (1.0, 50 / (50 + Z2), 1), (0.5, 0.5, 0.5)])
def test_a_statistic_at_0_or_1_gets_wilson_s_interval_over_its_units(value, low, high):
    [entry] = summarize(np.full((2000, 1), value), np.array([value]), ["model"], n_units=50)

    assert (entry["point"], entry["low"], entry["high"]) == pytest.approx((value, low, high))


def test_perfect_and_hopeless_models_give_finite_sound_intervals():
    labels = np.arange(50) % 2
    perfect = outcomes("perfect", labels, [], confidence=1.0)
    hopeless = outcomes("hopeless", labels, range(50), confidence=0.0)

    result = rank([perfect, hopeless], labels, 2, seed=0)

    best, worst = result.models
    wilson_low = 50 / (50 + Z2)  # every one of 50 items right: the truth may still be 0.93
    assert best.name == "perfect"
    assert best.score == Estimate(1.0, pytest.approx(wilson_low), 1.0)
    assert best.components["accuracy"] == Estimate(1.0, pytest.approx(wilson_low), 1.0)
    # Accuracy 0 and calibration 1 - 0: the score 0.5 never moves, and its interval is the
    # mean of its components' Wilson intervals.
    assert worst.components["accuracy"] == Estimate(0.0, 0.0, pytest.approx(1 - wilson_low))
    assert worst.components["calibration"] == Estimate(1.0, pytest.approx(wilson_low), 1.0)
    assert worst.score == Estimate(0.5, pytest.approx(wilson_low / 2),
                                   pytest.approx(1 - wilson_low / 2))
    assert worst.metrics["macro_f1"] == Estimate(0.0, 0.0, pytest.approx(1 - wilson_low))
    assert np.isfinite(result.replicate_scores).all()
    assert (best.rank_low, best.rank_high, worst.rank_low, worst.rank_high) == (1, 1, 2, 2)


def test_an_all_zero_score_gets_an_interval_above_zero_without_nan():
    labels = np.arange(40) % 2
    # Wrong on every item with full confidence: accuracy 0 and calibration 1 - 1 = 0.
    [worst] = rank([outcomes("worst", labels, range(40), confidence=1.0)], labels, 2, seed=0).models

    assert worst.score == Estimate(0.0, 0.0, pytest.approx(Z2 / (40 + Z2)))
    assert (worst.rank_low, worst.rank_high) == (1, 1)


def test_a_proportion_near_1_on_few_units_widens_to_the_wilson_type_interval():
    correct = np.ones(40)
    correct[:2] = 0  # accuracy 0.95 on 40 items
    replicates = weighted_accuracy(bootstrap_weights(40, 2000, seed=1), correct)

    percentile_low, percentile_high = np.quantile(replicates, [0.025, 0.975])
    n_effective = effective_units(replicates, np.array([0.95]), 40)[0]
    wilson_low, _ = wilson_interval(0.95, n_effective)
    low, high = bounded_interval(replicates, np.array([0.95]), 40, proportion=True)

    assert n_effective == pytest.approx(40, rel=0.1)  # independent items: about n
    # Resamples of a high accuracy vary little, so the percentile interval stops short below:
    # about [0.875, 1]; Wilson's reaches about 0.83.
    assert wilson_low < percentile_low - 0.03
    assert (low[0], high[0]) == pytest.approx((wilson_low, percentile_high))
    assert bounded_interval(replicates, np.array([0.95]), 40) == pytest.approx(
        (percentile_low, percentile_high))  # not a proportion: the percentile interval


def test_the_design_effect_counts_clusters_when_a_cluster_s_items_agree():
    correct = np.repeat((np.arange(30) % 3 > 0).astype(int), 10)  # 30 clusters of 10 equal items
    design = design_from_keys(300, clusters=np.arange(300) // 10)
    replicates = weighted_accuracy(replicate_weights(design, 2000, seed=2), correct)

    n_effective = effective_units(replicates, np.array([correct.mean()]), design.n_clusters)[0]

    assert n_effective == pytest.approx(30, rel=0.15)


def test_a_score_made_only_of_proportions_is_widened_and_one_with_calibration_is_not():
    rng = np.random.default_rng(6)
    labels = np.arange(60) % 2
    robust = (rng.random(60) < 0.9).astype(float)
    model = outcomes("m", labels, range(3), confidence=0.9, robust_accuracy=robust)
    result = rank([model], labels, 2, seed=3)
    scores = {weights: score_models(result.component_points, result.component_replicates,
                                    result.names, score_weights=dict(weights), n_units=60,
                                    proportions=result.proportions)
              for weights in ((("accuracy", 1), ("calibration", 0), ("robust_accuracy", 1)),
                              (("accuracy", 1), ("calibration", 1), ("robust_accuracy", 1)))}

    assert set(result.proportions) == {"accuracy", "robust_accuracy"}
    for weights, scored in scores.items():
        [entry] = scored.entries
        low, high = np.quantile(scored.replicates.astype(float), [0.025, 0.975])
        if dict(weights)["calibration"]:
            assert (entry["low"], entry["high"]) == pytest.approx((low, high))
        else:
            assert entry["low"] < low - 0.005  # widened below, towards the middle
