"""A text agent through the sandbox with the counterfactual fairness suite: the component on
the leaderboard, and the flips and group rates on the evaluation page."""

import pytest

from leaderboard.models import Evaluation, LeaderboardSnapshot
from leaderboard.submissions import create_agent_submission
from leaderboard.tasks import run_evaluation

pytestmark = pytest.mark.django_db

BIASED_AGENT = """
labels = ["negative", "positive"]

def predict(inputs):
    rows = []
    for text in inputs:
        if text.startswith("He ") or " he " in text:
            rows.append([0.7, 0.3])
        else:
            rows.append([0.2, 0.8] if "good" in text else [0.8, 0.2])
    return rows
"""

def test_consistency_is_the_fairness_component_and_the_flip_is_shown(fairness_version,
                                                                     write_agent, client):
    submission = create_agent_submission(write_agent(BIASED_AGENT), name="biased", trusted=True)
    evaluation = Evaluation.objects.create(submission=submission,
                                           benchmark_version=fairness_version)

    run_evaluation(evaluation.pk)

    evaluation.refresh_from_db()
    assert evaluation.status == "finished", evaluation.failure_message
    snapshot = LeaderboardSnapshot.objects.latest()
    [entry] = snapshot.entries
    assert entry["components"]["fairness"]["value"] == pytest.approx(3 / 4)
    assert entry["metrics"]["demographic_parity_difference"] == pytest.approx(0.5)
    # Items with a slot are stratified by category: gender, race, nationality, and the rest.
    assert snapshot.method.endswith("(stratified by 4 groups)")
    page = client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "Most telling flips" in page
    assert "He said the film was good." in page
    assert "Gender" in page and "rate of positive" in page
    board = client.get("/benchmarks/tiny-fairness/v1/").content.decode()
    assert "fairness" in board
