from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResamplingUnits:
    """How the bootstrap may resample the rows of a suite's per-item outcomes.

    clusters: per row, a key naming what the row depends on (the source item a variant was
        made from); rows with equal keys are drawn together or not at all. None: every row is
        its own unit. Keys name source items by their position in the evaluation split, so the
        suites of a version agree on them and one replicate draws the same source items for all.
    strata: per row, a group that must appear in every replicate at its own size (a fairness
        group); the rows of one cluster share it. None: no strata.

    Plain JSON-ready data: the leaderboard stores it with the suite's result and builds the
    ranking's resampling design from it.
    """

    clusters: tuple | None = None
    strata: tuple | None = None

    def as_json(self):
        stored = {}
        if self.clusters is not None:
            stored["clusters"] = list(self.clusters)
        if self.strata is not None:
            stored["strata"] = list(self.strata)
        return stored

    @classmethod
    def from_json(cls, stored):
        stored = stored or {}
        clusters, strata = stored.get("clusters"), stored.get("strata")
        return cls(
            clusters=None if clusters is None else tuple(clusters),
            strata=None if strata is None else tuple(strata),
        )


@dataclass
class SuiteOutcome:
    """What one suite measured on one model.

    per_item: equal-length lists, one entry per item in the order the items were given, so any
    statistic can be recomputed on a resample. metrics: the suite's headline numbers.
    examples: a few items worth showing a person (plain JSON-ready dicts).
    units: which rows the bootstrap resamples together, and which groups it must keep.
    """

    suite: str
    per_item: dict
    metrics: dict
    examples: list = field(default_factory=list)
    units: ResamplingUnits = field(default_factory=ResamplingUnits)
