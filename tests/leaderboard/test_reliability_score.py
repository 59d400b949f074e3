"""Reliability score v1 on the leaderboard: the unweighted mean of the components the version
defines, each shown beside it with its interval, and the score's name, version and default
weights on the page and in the API."""

import pytest

from leaderboard.ranking import DEFAULT_SCORE_WEIGHT, RELIABILITY_SCORE_VERSION
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import PRIOR_AGENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(queued_evaluation):
    for source, name in ((KEYWORD_AGENT, "Keywords"), (PRIOR_AGENT, "Prior")):
        run_evaluation(queued_evaluation(source, name=name).pk)


def test_the_score_is_the_unweighted_mean_of_its_components(client, board):
    payload = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/").json()
    assert payload["snapshot"]["score"] == {
        "name": "reliability score", "version": 1,
        "definition": "unweighted mean of the components, each higher-is-better",
        "components": ["accuracy", "calibration"]}
    assert payload["snapshot"]["default_score_weights"] == {"accuracy": 1.0, "calibration": 1.0}
    entries = {entry["name"]: entry for entry in payload["entries"]}
    # The keyword agent: accuracy 0.6, ECE 0.15; the prior: accuracy 0.5, perfectly calibrated.
    assert entries["Keywords"]["score"]["value"] == pytest.approx((0.6 + 0.85) / 2)
    assert entries["Prior"]["score"]["value"] == pytest.approx((0.5 + 1.0) / 2)
    for entry in entries.values():
        components = entry["components"]
        assert entry["score"]["value"] == pytest.approx(
            sum(c["value"] for c in components.values()) / len(components))
        assert all(c["low"] <= c["value"] <= c["high"] for c in components.values())
    assert (RELIABILITY_SCORE_VERSION, DEFAULT_SCORE_WEIGHT) == (1, 1.0)


def test_the_board_shows_each_component_and_names_the_score(client, board):
    page = client.get("/benchmarks/tiny/v1/").content.decode()
    for header in ("Accuracy", "Calibration"):
        assert f">{header}</a>" in page
    assert '<td class="num">0.600 <span class="muted">[' in page  # the keyword agent's accuracy
    assert '<td class="num">0.850 <span class="muted">[' in page  # its calibration, 1 - ECE
    assert ("Score = reliability score v1: the unweighted mean of the components (accuracy, "
            "calibration), each higher-is-better; default weights 1 each") in page
