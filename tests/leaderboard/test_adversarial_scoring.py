"""Robust accuracy in the ranking: computed from the attacked sample inside every replicate,
one of the score's components; and an agent through the sandbox with the adversarial suite."""

import numpy as np
import pytest

from benchmarks.models import Benchmark, BenchmarkVersion, Item
from leaderboard.models import Evaluation, LeaderboardSnapshot
from leaderboard.ranking import design_from_row_units, evaluate, rank
from leaderboard.ranking.adversarial import adversarial_statistics
from leaderboard.submissions import create_agent_submission
from leaderboard.tasks import run_evaluation
from tests.leaderboard.outcomes import by_name, outcomes

# Two models, 4 of 8 items attacked (positions 1, 3, 4, 7).
SAMPLE = np.array([1, 3, 4, 7])
CORRECT = np.array([[1, 1, 1, 0], [1, 1, 1, 1]])
ROBUST = np.array([[1, 0, 1, 0], [0, 0, 1, 1]])


def test_robust_accuracy_and_success_rate_weigh_the_sampled_items_as_drawn():
    components, metrics = adversarial_statistics(ROBUST, CORRECT, SAMPLE)
    weights = np.array([[1] * 8, [0, 2, 0, 1, 0, 0, 3, 1]])
    values = evaluate(weights, {**components, **metrics})
    # All weights 1: 2 of 4 robust; the second row draws item 1 twice, items 3 and 7 once.
    np.testing.assert_allclose(values["robust_accuracy"], [[0.5, 0.5], [2 / 4, 1 / 4]])
    # Flipped among the correct: model 0 flips item 3 (and 7 is wrong), model 1 flips 1 and 3.
    np.testing.assert_allclose(values["attack_success_rate"], [[1 / 3, 2 / 4], [1 / 3, 3 / 4]])


def test_an_item_cannot_be_robust_where_the_model_is_wrong():
    with pytest.raises(ValueError, match="only be robust where it is classified correctly"):
        adversarial_statistics([[1]], [[0]], [0])


def test_robust_accuracy_is_a_component_of_the_score():
    labels = np.array([0, 1] * 4)
    models = [outcomes("a", labels, [7]), outcomes("b", labels, [])]
    components, metrics = adversarial_statistics(ROBUST, CORRECT, SAMPLE)
    # As the suite declares it: the attacked items are a stratum, drawn 4 of 4 in every replicate.
    design = design_from_row_units(8, None, [(SAMPLE, ["attacked"] * 4)])
    result = rank(models, labels, 2, seed=3, design=design, extra_components=components,
                  extra_metrics=metrics)
    a = by_name(result)["a"]
    assert set(result.score_weights) == {"accuracy", "calibration", "robust_accuracy"}
    assert a.components["robust_accuracy"].point == 0.5
    assert a.metrics["attack_success_rate"].point == pytest.approx(1 / 3)
    expected = np.mean([7 / 8, 1 - abs(7 / 8 - 0.8), 0.5])
    assert a.score.point == pytest.approx(expected)
    assert a.components["robust_accuracy"].low < 0.5 < a.components["robust_accuracy"].high


LEXICON_AGENT = """
labels = ["negative", "positive"]
POSITIVE = {"good", "great", "lovely", "fun", "moving"}
NEGATIVE = {"dull", "slow", "boring", "awful"}

def predict(inputs):
    rows = []
    for text in inputs:
        words = text.lower().replace(",", " ").split()
        score = sum(w in POSITIVE for w in words) - sum(w in NEGATIVE for w in words)
        rows.append([0.8, 0.2] if score < 0 else [0.3, 0.7] if score == 0 else [0.1, 0.9])
    return rows
"""
TEXTS = [("A good film, and great fun.", 1), ("Dull and slow.", 0), ("A lovely, moving story.", 1),
         ("Awful.", 0), ("Boring <b>boring</b> boring.", 0), ("Not much happens.", 0)]


@pytest.fixture
def adversarial_version(db):
    benchmark = Benchmark.objects.create(slug="tiny-attacks", name="Tiny attacks")
    version = BenchmarkVersion.objects.create(
        benchmark=benchmark, number=1, labels=["negative", "positive"], input_kind="text",
        suites={"quality": {}, "adversarial": {
            "sample_size": 5, "sample_seed": 2, "seed": 4,
            "recipes": {"deepwordbug": {"query_budget": 30}, "typos": {"query_budget": 30}}}},
        bootstrap_seed=5, data_sha256="0" * 64,
    )
    for position, (text, label) in enumerate(TEXTS):
        Item.objects.create(version=version, split="evaluation", position=position, text=text,
                            label=label)
    for position in range(8):
        Item.objects.create(version=version, split="public", position=position,
                            text=f"a good public item {position}", label=1)
    return version


@pytest.mark.slow
@pytest.mark.django_db
def test_an_attacked_agent_gets_robust_accuracy_and_its_examples_on_the_page(
        adversarial_version, write_agent, client):
    submission = create_agent_submission(write_agent(LEXICON_AGENT), name="lexicon", trusted=True)
    evaluation = Evaluation.objects.create(submission=submission,
                                           benchmark_version=adversarial_version)

    run_evaluation(evaluation.pk)

    evaluation.refresh_from_db()
    assert evaluation.status == "finished", evaluation.failure_message
    result = evaluation.suites.get(suite="adversarial")
    [entry] = LeaderboardSnapshot.objects.latest().entries
    assert entry["components"]["robust_accuracy"]["value"] == result.metrics["robust_accuracy"]
    assert result.units == {"clusters": result.per_item["item"], "strata": ["attacked"] * 5}
    assert result.metrics["n_items"] == 5 and result.metrics["model_queries"] > 0
    assert "attack_success_rate" in entry["metrics"]
    page = client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "Adversarial examples" in page and "<ins>" in page and "<del>" in page
    assert "By recipe" in page and "<td><code>typos</code></td><td class=\"num\">30</td>" in page
    assert "<b>boring</b>" not in page  # the item's own markup is shown as text
