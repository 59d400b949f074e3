import pytest
from django.contrib.auth.models import User

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


def text_version(slug, name, items, public_texts, bootstrap_seed):
    """A two-label text benchmark version with the quality suite: evaluation items are (text,
    label) pairs, public items alternate the labels."""
    benchmark = Benchmark.objects.create(slug=slug, name=name)
    version = BenchmarkVersion.objects.create(
        benchmark=benchmark, number=1, labels=["negative", "positive"], input_kind="text",
        provenance={"sizes": {"public": len(public_texts), "evaluation": len(items)}},
        suites={"quality": {}}, bootstrap_seed=bootstrap_seed, data_sha256="0" * 64,
    )
    for position, (text, label) in enumerate(items):
        Item.objects.create(version=version, split="evaluation", position=position, text=text,
                            label=label)
    for position, text in enumerate(public_texts):
        Item.objects.create(version=version, split="public", position=position, text=text,
                            label=position % 2)
    return version


def evaluate_now(submission, version):
    """Evaluate a submission on a version at once, as an operator's run; it must finish."""
    from leaderboard.tasks import run_evaluation

    evaluation = Evaluation.objects.create(submission=submission, benchmark_version=version)
    run_evaluation(evaluation.pk, operator_run=True)
    evaluation.refresh_from_db()
    assert evaluation.status == "finished", evaluation.failure_message
    return evaluation


@pytest.fixture
def tiny_version(db):
    """A two-label text benchmark with 10 evaluation items and 8 public ones."""
    return text_version("tiny", "Tiny sentiment", TINY_ITEMS,
                        [f"public good item {position}" for position in range(8)], 7)


FAIRNESS_TEXTS = [("She said the film was good.", 1), ("She hated it.", 0),
                  ("Greg thought it was good.", 1), ("Boring.", 0), ("A good film from France.", 1)]


@pytest.fixture
def fairness_version(db):
    """A text benchmark with the quality and the counterfactual fairness suites, 5 items."""
    version = text_version("tiny-fairness", "Tiny fairness", FAIRNESS_TEXTS,
                           [f"a good public item {position}" for position in range(8)], 5)
    version.suites = {"quality": {}, "fairness": {"method": "counterfactual", "seed": 3,
                                                  "min_items": 1}}
    version.save()
    return version


@pytest.fixture
def queued_evaluation(tiny_version, write_agent):
    """An evaluation of an agent (from its agent.py source) on the tiny benchmark, queued."""

    def make(source, name="agent", trusted=True):
        submission = create_agent_submission(write_agent(source), name=name, trusted=trusted)
        return Evaluation.objects.create(submission=submission, benchmark_version=tiny_version)

    return make


@pytest.fixture
def user_client(client, tiny_version):
    """A client logged in as a new user, ada (ada@example.org): `client.user`."""
    user = User.objects.create_user("ada", "ada@example.org", "a long passphrase")
    client.force_login(user)
    client.user = user
    return client
