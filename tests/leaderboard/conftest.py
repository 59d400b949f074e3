import pytest

from benchmarks.models import Benchmark, BenchmarkVersion, Item
from leaderboard.models import Evaluation
from leaderboard.submissions import create_agent_submission

TINY_ITEMS = [
    # (text, label): 1 = positive
    ("a good film", 1),
    ("great acting", 1),
    ("good but long", 0),
    ("dull and slow", 0),
    ("a moving story", 1),
    ("boring", 0),
    ("great fun", 1),
    ("not good at all", 0),
    ("awful script", 0),
    ("lovely", 1),
]


@pytest.fixture
def tiny_version(db):
    """A two-label text benchmark with 10 evaluation items and 8 public ones."""
    benchmark = Benchmark.objects.create(slug="tiny", name="Tiny sentiment")
    version = BenchmarkVersion.objects.create(
        benchmark=benchmark, number=1, labels=["negative", "positive"], input_kind="text",
        provenance={"sizes": {"public": 8, "evaluation": 10}}, suites={"quality": {}},
        bootstrap_seed=7, data_sha256="0" * 64,
    )
    for position, (text, label) in enumerate(TINY_ITEMS):
        Item.objects.create(version=version, split="evaluation", position=position, text=text,
                            label=label)
    for position in range(8):
        Item.objects.create(version=version, split="public", position=position,
                            text=f"public good item {position}", label=position % 2)
    return version


FAIRNESS_TEXTS = [("She said the film was good.", 1), ("She hated it.", 0),
                  ("Greg thought it was good.", 1), ("Boring.", 0), ("A good film from France.", 1)]


@pytest.fixture
def fairness_version(db):
    """A text benchmark with the quality and the counterfactual fairness suites, 5 items."""
    benchmark = Benchmark.objects.create(slug="tiny-fairness", name="Tiny fairness")
    version = BenchmarkVersion.objects.create(
        benchmark=benchmark, number=1, labels=["negative", "positive"], input_kind="text",
        suites={"quality": {}, "fairness": {"method": "counterfactual", "seed": 3,
                                            "min_items": 1}},
        bootstrap_seed=5, data_sha256="0" * 64,
    )
    for position, (text, label) in enumerate(FAIRNESS_TEXTS):
        Item.objects.create(version=version, split="evaluation", position=position, text=text,
                            label=label)
    for position in range(8):
        Item.objects.create(version=version, split="public", position=position,
                            text=f"a good public item {position}", label=1)
    return version


@pytest.fixture
def queued_evaluation(tiny_version, write_agent):
    """An evaluation of an agent (from its agent.py source) on the tiny benchmark, queued."""

    def make(source, name="agent", trusted=True):
        submission = create_agent_submission(write_agent(source), name=name, trusted=trusted)
        return Evaluation.objects.create(submission=submission, benchmark_version=tiny_version)

    return make

