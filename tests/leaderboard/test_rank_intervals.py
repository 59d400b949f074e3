"""Rank intervals from paired differences: DESIGN's pairwise rule, the "tied for #1" group,
and simultaneous (max-t) intervals."""

import numpy as np
import pytest

from leaderboard.ranking import rank, rank_intervals, simultaneous_beats, summarize
from tests.leaderboard.outcomes import by_name, outcomes


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
    assert (best.simultaneous_rank_low, best.simultaneous_rank_high) == (1, 1)


def test_one_model_ranks_first_with_its_interval():
    [entry] = summarize(np.array([[0.6], [0.7], [0.8]]), np.array([0.7]), ["solo"])

    assert entry["point"] == 0.7
    assert entry["low"] == pytest.approx(0.605)
    assert entry["high"] == pytest.approx(0.795)
    assert (entry["rank_low"], entry["rank_high"], entry["tied_for_first"]) == (1, 1, True)


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
        "simultaneous_rank_low": None,
        "simultaneous_rank_high": None,
    }
    assert (entries[1]["rank_low"], entries[1]["rank_high"]) == (2, 2)  # out of 2, not 3


def staircase(n_models=20, step=0.004, seed=0):
    """Paired replicates of models whose scores climb in small steps: neighbours are hard to
    tell apart, distant models easy."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(0, 0.02, (2000, 1))
    return 0.6 + shared + step * np.arange(n_models) + rng.normal(0, 0.006, (2000, n_models))


def test_simultaneous_rank_intervals_contain_the_pairwise_ones():
    replicates = staircase()

    entries = summarize(replicates, replicates.mean(axis=0), [f"m{i:02d}" for i in range(20)])

    for entry in entries:
        assert entry["simultaneous_rank_low"] <= entry["rank_low"]
        assert entry["simultaneous_rank_high"] >= entry["rank_high"]
    widths = [e["simultaneous_rank_high"] - e["simultaneous_rank_low"] for e in entries]
    assert sum(widths) > sum(e["rank_high"] - e["rank_low"] for e in entries)
    assert max(widths) < 19  # far-apart models are still told apart


def test_simultaneous_comparisons_decide_a_never_varying_difference_by_its_sign():
    replicates = np.column_stack([np.ones(500), np.zeros(500), np.zeros(500)])

    low, high = rank_intervals(simultaneous_beats(replicates, 0.95))

    assert low.tolist() == [1, 2, 2]
    assert high.tolist() == [1, 3, 3]


def max_t_by_definition(replicates, confidence_level):
    """simultaneous_beats written out pair by pair, in float64, for comparison."""
    n_models = replicates.shape[1]
    means, spreads, largest = np.zeros((n_models, n_models)), np.zeros((n_models, n_models)), 0
    for i in range(n_models):
        for j in range(n_models):
            difference = replicates[:, j] - replicates[:, i]
            means[i, j], spreads[i, j] = difference.mean(), difference.std()
            if spreads[i, j] > 0:
                t = np.abs(difference - means[i, j]) / spreads[i, j]
                largest = np.maximum(largest, t)
    critical = np.quantile(largest, confidence_level)
    return means - critical * spreads, means - critical * spreads > 0


def test_simultaneous_comparisons_agree_with_their_definition_pair_by_pair():
    rng = np.random.default_rng(7)
    shared = rng.standard_normal((2000, 1))  # paired: every model sees the same resamples
    replicates = (np.linspace(0.6, 0.8, 12) + 0.01 * shared
                  + 0.01 * rng.standard_normal((2000, 12))).astype(np.float32)
    replicates[:, 5] = replicates[:, 4]  # identical models
    replicates[:, 7] = replicates[:, 6] + np.float32(1e-7) * rng.standard_normal(2000).astype(np.float32)

    margin, expected = max_t_by_definition(replicates.astype(np.float64), 0.95)
    decided = simultaneous_beats(replicates, 0.95)

    clear = np.abs(margin) > 1e-6  # float32 rounding may only move a pair this close to 0
    assert clear.sum() > 100
    np.testing.assert_array_equal(decided[clear], expected[clear])
    assert not decided[4, 5] and not decided[5, 4]
