"""Two entries compared from the snapshot's stored replicates: the paired difference of each
component and of the score, its interval, and which one is ahead with what confidence."""

import numpy as np
import pytest

from leaderboard.compare import compare
from leaderboard.models import LeaderboardSnapshot
from leaderboard.snapshots import load_replicates
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import ALWAYS_RIGHT_ON_TINY, PRIOR_AGENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(queued_evaluation):
    evaluations = {name: queued_evaluation(source, name=name) for source, name in
                   ((KEYWORD_AGENT, "keywords"), (PRIOR_AGENT, "prior"),
                    (ALWAYS_RIGHT_ON_TINY, "lookup"))}
    for evaluation in evaluations.values():
        run_evaluation(evaluation.pk)
    snapshot = LeaderboardSnapshot.objects.latest()
    entries = {entry["name"]: entry for entry in snapshot.entries}
    return snapshot, entries


def test_differences_are_those_of_the_paired_replicates(three):
    snapshot, entries = three
    archive = load_replicates(snapshot)
    a, b = entries["lookup"]["column"], entries["prior"]["column"]

    result = compare(archive, a, b, {"accuracy": 1.0, "calibration": 1.0}, 0.95)

    delta = (archive["component_accuracy"][:, a].astype(float)
             - archive["component_accuracy"][:, b])
    accuracy = result["components"]["accuracy"]
    assert accuracy["value"] == pytest.approx(1.0 - 0.5)
    assert (accuracy["low"], accuracy["high"]) == pytest.approx(
        tuple(np.quantile(delta, [0.025, 0.975])))
    assert accuracy["a_better"] == pytest.approx(np.mean(delta > 0))
    score_delta = archive["scores"][:, a].astype(float) - archive["scores"][:, b]
    assert (result["score"]["low"], result["score"]["high"]) == pytest.approx(
        tuple(np.quantile(score_delta, [0.025, 0.975])), abs=1e-6)
    assert result["score"]["value"] == pytest.approx(
        entries["lookup"]["score"]["value"] - entries["prior"]["score"]["value"])
    assert result["verdict"] == "a" and result["replicates"] == 2000


def test_weights_change_the_compared_score(three):
    snapshot, entries = three
    archive = load_replicates(snapshot)
    a, b = entries["keywords"]["column"], entries["prior"]["column"]
    default = compare(archive, a, b, {"accuracy": 1.0, "calibration": 1.0}, 0.95)
    accuracy_only = compare(archive, a, b, {"accuracy": 1.0, "calibration": 0.0}, 0.95)

    assert default["score"]["value"] == pytest.approx(0.725 - 0.75)
    assert accuracy_only["score"] == pytest.approx(accuracy_only["components"]["accuracy"])
    with pytest.raises(ValueError, match="no score component with a weight above 0"):
        compare(archive, a, b, {"accuracy": 0.0, "calibration": 0.0}, 0.95)


def test_compare_page_says_which_is_better_and_with_what_confidence(client, three):
    _, entries = three
    a, b = entries["lookup"]["evaluation_id"], entries["prior"]["evaluation_id"]
    page = client.get(f"/benchmarks/tiny/v1/compare/?a={a}&b={b}")

    assert page.status_code == 200
    text = page.content.decode()
    assert "<strong>A is better</strong>" in text
    assert "+0.500" in text  # accuracy, A − B
    assert "replicates" in text and "<svg" in text

    close = client.get(f"/benchmarks/tiny/v1/compare/?a={entries['keywords']['evaluation_id']}"
                       f"&b={b}").content.decode()
    assert "cannot tell A and B apart" in close


def test_compare_page_and_api_explain_what_is_missing(client, three):
    _, entries = three
    a = entries["lookup"]["evaluation_id"]
    picker = client.get("/benchmarks/tiny/v1/compare/")
    assert picker.status_code == 200 and "<select name=\"a\">" in picker.content.decode()
    for query, status, words in ((f"a={a}&b={a}", 400, "the same entry"),
                                 (f"a={a}&b=999999", 400, "is not on snapshot"),
                                 (f"a={a}&b=xyz", 400, "is not on snapshot"),
                                 (f"a={a}&b={a}&snapshot=abc", 400, "snapshot must be the id")):
        response = client.get(f"/benchmarks/tiny/v1/compare/?{query}")
        assert response.status_code == status, query
        assert words in response.content.decode()
    assert client.get("/benchmarks/tiny/v9/compare/").status_code == 404


def test_compare_api_returns_the_same_differences(client, three):
    _, entries = three
    a, b = entries["lookup"]["evaluation_id"], entries["prior"]["evaluation_id"]
    body = client.get(f"/api/v1/benchmarks/tiny/v1/compare/?a={a}&b={b}&w_calibration=0").json()

    assert body["a"] == {"evaluation_id": a, "name": "lookup"}
    assert body["score_weights"] == {"accuracy": 1.0, "calibration": 0.0}
    assert body["score"]["value"] == pytest.approx(0.5)
    assert body["verdict"] == "a"
    bad = client.get(f"/api/v1/benchmarks/tiny/v1/compare/?a={a}&b={b}&colour=red")
    assert bad.status_code == 400 and "unknown parameter colour" in bad.json()["detail"]
