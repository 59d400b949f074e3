"""Replicate weights: plain, clustered and stratified resampling, reproducible from a seed."""

import numpy as np
import pytest

from leaderboard.ranking import (
    bootstrap_weights,
    cluster_counts,
    design_from_keys,
    independent_items,
    percentile_interval,
    replicate_weights,
    weighted_accuracy,
)


def test_every_weight_row_sums_to_the_number_of_items():
    weights = bootstrap_weights(37, 500, seed=3)

    assert weights.shape == (500, 37)
    assert weights.dtype == np.int32
    assert weights.min() >= 0
    assert np.all(weights.sum(axis=1) == 37)


def test_weights_are_reproducible_from_the_seed():
    assert np.array_equal(bootstrap_weights(50, 100, seed=7), bootstrap_weights(50, 100, seed=7))
    assert not np.array_equal(bootstrap_weights(50, 100, seed=7), bootstrap_weights(50, 100, seed=8))


def test_each_item_is_drawn_once_per_replicate_on_average():
    weights = bootstrap_weights(20, 20_000, seed=1)

    # Multinomial(n, 1/n): mean 1, variance 1 - 1/n for every item.
    np.testing.assert_allclose(weights.mean(axis=0), 1, atol=0.03)
    np.testing.assert_allclose(weights.var(axis=0), 1 - 1 / 20, atol=0.05)


def test_the_items_of_a_cluster_are_drawn_together():
    # Source items a, b, c; the variants of each share its count in every replicate.
    design = design_from_keys(7, clusters=["a", "a", "b", "c", "c", "c", "b"])
    weights = replicate_weights(design, 300, seed=2)

    assert design.cluster_of_item.tolist() == [0, 0, 1, 2, 2, 2, 1]
    assert (design.n_items, design.n_clusters, design.n_strata) == (7, 3, 1)
    assert np.array_equal(weights[:, 0], weights[:, 1])
    assert np.array_equal(weights[:, 2], weights[:, 6])
    assert np.array_equal(weights[:, 3], weights[:, 5])
    counts = cluster_counts(design, 300, seed=2)
    assert np.all(counts.sum(axis=1) == 3)  # three clusters drawn, not seven items
    assert np.array_equal(weights, counts[:, design.cluster_of_item])


def test_every_stratum_appears_in_every_replicate_at_its_own_size():
    # Three clusters of group "x" and one of group "y": a plain bootstrap of the four would miss
    # "y" in (3/4)^4 = 32% of the replicates; drawn within strata it is always there, once.
    design = design_from_keys(8, clusters=[0, 0, 1, 1, 2, 2, 3, 3],
                              strata=["x", "x", "x", "x", "x", "x", "y", "y"])
    counts = cluster_counts(design, 1000, seed=4)

    assert design.stratum_of_cluster.tolist() == [0, 0, 0, 1]
    assert np.all(counts[:, :3].sum(axis=1) == 3)
    assert np.all(counts[:, 3] == 1)
    assert counts[:, :3].std() > 0  # the larger stratum is still resampled


def test_a_cluster_split_across_strata_is_refused():
    with pytest.raises(ValueError, match="different strata"):
        design_from_keys(3, clusters=["a", "a", "b"], strata=["x", "y", "y"])


def test_without_clusters_or_strata_the_design_is_the_plain_bootstrap():
    plain = independent_items(40)

    assert np.array_equal(design_from_keys(40).cluster_of_item, plain.cluster_of_item)
    assert np.array_equal(replicate_weights(design_from_keys(40), 50, seed=5),
                          bootstrap_weights(40, 50, seed=5))


def clustered_outcomes(within_cluster_correlated, seed):
    """600 items in 60 clusters of 10; either every item of a cluster shares one outcome
    (perfectly correlated) or each item has its own; about 70% right either way."""
    rng = np.random.default_rng(seed)
    clusters = np.repeat(np.arange(60), 10)
    if within_cluster_correlated:
        return clusters, (rng.random(60) < 0.7).astype(int)[clusters]
    return clusters, (rng.random(600) < 0.7).astype(int)


def accuracy_interval_width(correct, design):
    replicates = weighted_accuracy(replicate_weights(design, 2000, seed=6), correct)
    low, high = percentile_interval(replicates, 0.025)
    return float(high[0] - low[0])


def test_clustered_resampling_widens_the_interval_when_a_cluster_s_items_agree():
    clusters, correct = clustered_outcomes(within_cluster_correlated=True, seed=0)

    independent = accuracy_interval_width(correct, independent_items(600))
    clustered = accuracy_interval_width(correct, design_from_keys(600, clusters=clusters))

    # 60 independent clusters carry the information of 60 items, not 600: about sqrt(10) wider.
    assert clustered / independent == pytest.approx(np.sqrt(10), rel=0.2)


def test_clustered_resampling_keeps_the_width_when_a_cluster_s_items_are_independent():
    clusters, correct = clustered_outcomes(within_cluster_correlated=False, seed=0)

    independent = accuracy_interval_width(correct, independent_items(600))
    clustered = accuracy_interval_width(correct, design_from_keys(600, clusters=clusters))

    assert clustered / independent == pytest.approx(1, abs=0.2)
