"""Replicate weights: how often each item is drawn in each bootstrap replicate.

A resampling design says what the bootstrap draws:
- a *cluster* is a set of dependent items drawn, or not, as a whole (all variants of one source
  item); each of its items gets the cluster's count. Drawing the variants one by one would treat
  copies of one text as independent evidence and make every interval too narrow;
- a *stratum* is a set of clusters drawn apart: a replicate draws, with replacement, as many
  clusters from each stratum as it holds, so every stratum (a fairness group) appears in every
  replicate at its own size, and a per-group rate is never 0 / 0.
With every item its own cluster and one stratum this is the plain bootstrap: a row of counts is
a multinomial draw of n items out of n.

All models of a benchmark version share the weights drawn from the version's seed (paired).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ResamplingDesign:
    """cluster_of_item: (n_items,) the index of each item's cluster, 0 .. n_clusters - 1.
    stratum_of_cluster: (n_clusters,) the index of each cluster's stratum, 0 .. n_strata - 1."""

    cluster_of_item: np.ndarray
    stratum_of_cluster: np.ndarray

    def __post_init__(self):
        clusters = np.asarray(self.cluster_of_item)
        strata = np.asarray(self.stratum_of_cluster)
        if clusters.ndim != 1 or clusters.size < 1 or strata.ndim != 1:
            raise ValueError("a design needs at least one item, one cluster index per item and "
                             "one stratum index per cluster")
        if not _covers_every_index(clusters, strata.size):
            raise ValueError(f"cluster indices must cover 0 .. {strata.size - 1}, each at least once")
        if not _covers_every_index(strata, strata.max() + 1):
            raise ValueError("stratum indices must cover 0 .. n_strata - 1, each at least once")

    @property
    def n_items(self) -> int:
        return len(self.cluster_of_item)

    @property
    def n_clusters(self) -> int:
        return len(self.stratum_of_cluster)

    @property
    def n_strata(self) -> int:
        return int(np.max(self.stratum_of_cluster)) + 1


def independent_items(n_items: int) -> ResamplingDesign:
    """Every item its own cluster, one stratum: the plain bootstrap."""
    if n_items < 1:
        raise ValueError(f"need at least one item to resample, got n_items={n_items}")
    return ResamplingDesign(np.arange(n_items), np.zeros(n_items, dtype=np.intp))


def design_from_keys(
    n_items: int,
    clusters: Sequence[Hashable] | None = None,
    strata: Sequence[Hashable] | None = None,
) -> ResamplingDesign:
    """A design from per-item keys of any hashable kind (source item ids, group names).

    Items with equal cluster keys form a cluster (None: every item its own); strata gives each
    item's stratum (None: one stratum), and all items of a cluster must share it. Indices follow
    the keys' first appearance, so the same keys always give the same design, hence the same
    weights from the same seed.
    """
    if clusters is None:
        clusters = range(n_items)
    cluster_of_item = _first_appearance_indices(clusters, n_items, "cluster")
    if strata is None:
        return ResamplingDesign(cluster_of_item, np.zeros(cluster_of_item.max() + 1, np.intp))
    stratum_of_item = _first_appearance_indices(strata, n_items, "stratum")
    stratum_of_cluster = np.full(cluster_of_item.max() + 1, -1, dtype=np.intp)
    stratum_of_cluster[cluster_of_item] = stratum_of_item
    if np.any(stratum_of_cluster[cluster_of_item] != stratum_of_item):
        raise ValueError("the items of one cluster lie in different strata; a cluster is drawn "
                         "as a whole, so it must lie in one stratum")
    return ResamplingDesign(cluster_of_item, stratum_of_cluster)


def cluster_counts(design: ResamplingDesign, replicates: int, *, seed: int) -> np.ndarray:
    """(replicates, n_clusters) int32: how often each cluster is drawn in each replicate.

    Within each stratum, as many clusters are drawn with replacement as the stratum holds, so
    the counts of a stratum's clusters sum to its number of clusters in every row.
    """
    if replicates < 1:
        raise ValueError(f"need at least one replicate, got replicates={replicates}")
    rng = np.random.default_rng(seed)
    # Clusters ordered by stratum: draw j picks uniformly among the clusters of the stratum that
    # position j belongs to, as first + floor(u * size). One uniform per cluster and row serves
    # any number of strata with a single call, and floor(u * size) is uniform on 0 .. size - 1
    # up to the 2**-53 granularity of u.
    by_stratum = np.argsort(design.stratum_of_cluster, kind="stable")
    sizes = np.bincount(design.stratum_of_cluster)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    stratum_at = design.stratum_of_cluster[by_stratum]
    size_at, first_at = sizes[stratum_at].astype(np.float64), first[stratum_at]
    counts = np.empty((replicates, design.n_clusters), dtype=np.int32)
    # One row at a time: the draw never holds more than one resample in memory, and bincount
    # is much faster than rng.multinomial over thousands of categories.
    for row in counts:
        position = (rng.random(design.n_clusters) * size_at).astype(np.intp) + first_at
        row[:] = np.bincount(by_stratum[position], minlength=design.n_clusters)
    return counts


def replicate_weights(design: ResamplingDesign, replicates: int, *, seed: int) -> np.ndarray:
    """(replicates, n_items) int32: each item's weight is the count of its cluster."""
    counts = cluster_counts(design, replicates, seed=seed)
    if design.n_clusters == design.n_items and np.array_equal(
        design.cluster_of_item, np.arange(design.n_items)
    ):
        return counts  # every item its own cluster: the counts are the weights, no copy
    return counts[:, design.cluster_of_item]


def bootstrap_weights(n_items: int, replicates: int = 2000, *, seed: int) -> np.ndarray:
    """(replicates, n_items) int32 multinomial counts of the plain bootstrap; rows sum to n."""
    return replicate_weights(independent_items(n_items), replicates, seed=seed)


def _first_appearance_indices(keys: Sequence[Hashable], n_items: int, what: str) -> np.ndarray:
    keys = list(keys)
    if len(keys) != n_items:
        raise ValueError(f"{len(keys)} {what} keys for {n_items} items")
    index_of: dict = {}
    return np.array([index_of.setdefault(key, len(index_of)) for key in keys], dtype=np.intp)


def _covers_every_index(indices: np.ndarray, size: int) -> bool:
    if not np.issubdtype(indices.dtype, np.integer) or indices.size == 0:
        return False
    if indices.min() < 0 or indices.max() >= size:
        return False
    return bool(np.all(np.bincount(indices, minlength=size) > 0))


def design_from_row_units(
    n_items: int,
    item_clusters: Sequence[Hashable] | None,
    declarations: Sequence[tuple[Sequence[int] | None, Sequence[Hashable] | None]],
) -> ResamplingDesign:
    """The design of a benchmark version's items from the resampling units its suites declared.

    item_clusters: each item's cluster key, as the suite whose rows are the items declares it
    (None: every item its own cluster). declarations: per suite, (clusters, strata) of its
    rows (benchmarks.suites.ResamplingUnits): clusters None when row i is item i, else the
    position of each row's source item; strata None, or each row's stratum. The rows made from
    an item are drawn with it. An item's stratum combines the strata its rows have in each
    suite (items no suite stratifies share one), so every stratum of every suite keeps its size
    in every replicate.
    """
    stratified = [(clusters, strata) for clusters, strata in declarations if strata is not None]
    if not stratified:
        return design_from_keys(n_items, item_clusters)
    stratum_of_item: list[list] = [[None] * len(stratified) for _ in range(n_items)]
    for suite, (clusters, strata) in enumerate(stratified):
        items = range(len(strata)) if clusters is None else clusters
        if len(items) != len(strata):
            raise ValueError(f"{len(items)} cluster keys for {len(strata)} strata")
        for item, stratum in zip(items, strata):
            if not 0 <= item < n_items:
                raise ValueError(f"a row names item {item}; the version has {n_items} items")
            current = stratum_of_item[item][suite]
            if current is not None and current != stratum:
                raise ValueError(f"the rows of item {item} lie in different strata "
                                 f"({current!r}, {stratum!r}); an item is drawn as a whole")
            stratum_of_item[item][suite] = stratum
    return design_from_keys(n_items, item_clusters, [tuple(keys) for keys in stratum_of_item])
