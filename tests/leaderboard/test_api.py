"""The JSON API under /api/v1/ carries what the pages show."""

import pytest

from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db


def test_leaderboard_json_has_scores_intervals_and_rank_intervals(client, queued_evaluation):
    run_evaluation(queued_evaluation(KEYWORD_AGENT, name="Keywords").pk)
    body = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/").json()
    assert body["snapshot"]["replicates"] == 2000
    (entry,) = body["entries"]
    assert entry["name"] == "Keywords"
    assert entry["score"]["low"] <= entry["score"]["value"] <= entry["score"]["high"]
    assert entry["components"]["accuracy"]["value"] == pytest.approx(0.6)
    assert (entry["rank_low"], entry["rank_high"]) == (1, 1)
    assert client.get("/api/v1/benchmarks/tiny/leaderboard/").json() == body


def test_evaluation_json_reports_status_progress_and_failure(client, queued_evaluation):
    evaluation = queued_evaluation('labels = ["negative", "positive"]\ndef predict(x): return 5\n')
    run_evaluation(evaluation.pk)
    body = client.get(f"/api/v1/evaluations/{evaluation.pk}/").json()
    assert body["status"] == "failed"
    assert body["failure_category"] == "bad_output"
    assert body["benchmark"] == "tiny" and body["version"] == 1


def test_results_json_has_per_item_outcomes(client, queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    run_evaluation(evaluation.pk)
    body = client.get(f"/api/v1/evaluations/{evaluation.pk}/results/").json()
    assert body["suites"]["quality"]["per_item"]["correct"] == [1, 1, 0, 1, 0, 1, 1, 0, 1, 0]


def test_benchmarks_list_and_unknown_version(client, tiny_version):
    body = client.get("/api/v1/benchmarks/").json()
    assert body["results"][0]["slug"] == "tiny"
    assert body["results"][0]["versions"][0]["labels"] == ["negative", "positive"]
    assert client.get("/api/v1/benchmarks/tiny/v5/leaderboard/").status_code == 404
    assert client.get("/api/v1/evaluations/999/").status_code == 404


@pytest.mark.parametrize("query", ["limit=9223372036854775808", "limit=-1", "offset=abc",
                                   "limit=99999999999999999999&offset=99999999999999999999"])
def test_odd_pagination_parameters_do_not_break_the_list(client, queued_evaluation, query):
    queued_evaluation(KEYWORD_AGENT)
    response = client.get(f"/api/v1/evaluations/?{query}")
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 500


def test_api_root_lists_the_endpoints(client, db):
    body = client.get("/api/v1/").json()
    assert body["benchmarks"] == "http://testserver/api/v1/benchmarks/"
    assert "evaluations" in body
