"""A record agent through the real sandbox (local backend), end to end: records in, both
suites, the fairness component on the leaderboard equal to fairlearn's gaps."""

import numpy as np
import pytest
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

from benchmarks.models import Benchmark, BenchmarkVersion, Item
from leaderboard.models import Evaluation, LeaderboardSnapshot
from leaderboard.submissions import create_agent_submission
from leaderboard.tasks import run_evaluation

pytestmark = pytest.mark.django_db

RECORD_AGENT = """
labels = ["low", "high"]
input_kind = "record"

def predict(inputs):
    return [[0.2, 0.8] if record["years"] >= 12 else [0.7, 0.3] for record in inputs]
"""

PEOPLE = [  # (sex, race, years of school, label: 1 = high)
    ("F", "A", 14, 1), ("F", "A", 10, 0), ("F", "B", 12, 0), ("F", "B", 9, 1),
    ("M", "A", 16, 1), ("M", "A", 13, 1), ("M", "B", 8, 0), ("M", "B", 12, 1),
    ("F", "A", 11, 0), ("M", "A", 9, 0), ("F", "B", 15, 1), ("M", "B", 10, 0),
]


@pytest.fixture
def record_version(db):
    benchmark = Benchmark.objects.create(slug="tiny-records", name="Tiny records")
    version = BenchmarkVersion.objects.create(
        benchmark=benchmark, number=1, labels=["low", "high"], input_kind="record",
        suites={"quality": {}, "fairness": {"method": "sensitive_attributes",
                                            "sensitive_attributes": ["sex", "race"],
                                            "positive_label": "high"}},
        bootstrap_seed=3, data_sha256="0" * 64,
    )
    for position, (sex, race, years, label) in enumerate(PEOPLE):
        Item.objects.create(version=version, split="evaluation", position=position, label=label,
                            record={"sex": sex, "race": race, "years": years})
    for position in range(4):
        Item.objects.create(version=version, split="public", position=position, label=0,
                            record={"sex": "F", "race": "A", "years": 10 + position})
    return version


def test_a_record_agent_is_scored_for_fairness_through_the_sandbox(record_version, write_agent,
                                                                  client):
    submission = create_agent_submission(write_agent(RECORD_AGENT), name="records", trusted=True)
    evaluation = Evaluation.objects.create(submission=submission, benchmark_version=record_version)

    run_evaluation(evaluation.pk)

    evaluation.refresh_from_db()
    assert evaluation.status == "finished", evaluation.failure_message
    assert evaluation.backend == "local"
    predicted = np.array([int(years >= 12) for _, _, years, _ in PEOPLE])
    labels = np.array([label for *_, label in PEOPLE])
    worst = max(gap(labels, predicted, sensitive_features=[person[column] for person in PEOPLE])
                for gap in (demographic_parity_difference, equalized_odds_difference)
                for column in (0, 1))
    fairness = evaluation.suites.get(suite="fairness")
    assert fairness.metrics["fairness"] == pytest.approx(1 - worst)
    [entry] = LeaderboardSnapshot.objects.latest().entries
    assert entry["components"]["fairness"]["value"] == pytest.approx(1 - worst)
    assert set(entry["components"]) == {"accuracy", "calibration", "fairness"}
    assert entry["metrics"]["equalized_odds_difference"] == pytest.approx(
        fairness.metrics["equalized_odds_difference"])
    assert "stratified by" in LeaderboardSnapshot.objects.latest().method
    page = client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "By sex" in page and "By race" in page and "true-positive rate" in page
    # Records have no texts to find in an archive, nor case or spacing to perturb.
    assert {name: check["applies"] for name, check in evaluation.integrity_checks.items()
            if name in ("archive_texts", "perturbation_gap")} == {"archive_texts": False,
                                                                  "perturbation_gap": False}
    assert evaluation.integrity_flags == [] and entry["integrity_flags"] == []


def test_a_text_agent_on_a_record_benchmark_is_refused_by_name(record_version, write_agent):
    source = RECORD_AGENT.replace('input_kind = "record"', 'input_kind = "text"')
    submission = create_agent_submission(write_agent(source), name="text", trusted=True)
    evaluation = Evaluation.objects.create(submission=submission, benchmark_version=record_version)

    run_evaluation(evaluation.pk)

    evaluation.refresh_from_db()
    assert evaluation.failure_category == "invalid_submission"
    assert "input_kind = 'record'" in evaluation.failure_message
