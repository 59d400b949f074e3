from dataclasses import dataclass, field


@dataclass
class SuiteOutcome:
    """What one suite measured on one model.

    per_item: equal-length lists, one entry per item in the order the items were given, so any
    statistic can be recomputed on a resample. metrics: the suite's headline numbers.
    examples: a few items worth showing a person (plain JSON-ready dicts).
    """

    suite: str
    per_item: dict
    metrics: dict
    examples: list = field(default_factory=list)
