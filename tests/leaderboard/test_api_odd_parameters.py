"""Whatever a client sends, the API answers with data or a 4xx that says what is wrong:
odd pages, huge numbers, unknown filters, bad values, too many requests; never a 5xx."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db

HUGE = "9" * 25


@pytest.fixture
def finished(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT, name="keywords")
    run_evaluation(evaluation.pk)
    return evaluation


@pytest.mark.parametrize(("query", "words"), [
    ("page=-1", "unknown parameter page; this endpoint takes benchmark, limit, offset, status, "
                "submission, version"),
    ("page=abc", "unknown parameter page"),
    ("page_size=100000", "unknown parameter page_size"),
    ("colour=red&page=2", "unknown parameter colour, page"),
    ("status=exploded", "status must be one of queued, preparing, running, scoring, finished, "
                        "failed, got 'exploded'"),
    ("version=abc", "version must be a whole number, got 'abc'"),
    (f"submission={HUGE}", f"submission must be a whole number, got '{HUGE}'"),
])
def test_a_list_refuses_what_it_cannot_use_and_says_why(client, finished, query, words):
    response = client.get(f"/api/v1/evaluations/?{query}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(words)


@pytest.mark.parametrize("query", ["limit=-1", "limit=abc", f"limit={HUGE}", "offset=-5",
                                   f"offset={HUGE}", "limit=0"])
def test_odd_limits_and_offsets_fall_back_to_sane_pages(client, finished, query):
    response = client.get(f"/api/v1/evaluations/?{query}")
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 500


def test_filters_select_evaluations(client, finished, queued_evaluation):
    queued_evaluation(KEYWORD_AGENT, name="waiting")
    by_status = client.get("/api/v1/evaluations/?status=queued").json()
    assert [e["submission"]["name"] for e in by_status["results"]] == ["waiting"]
    assert by_status["results"][0]["queue_position"] == 1
    mine = client.get(f"/api/v1/evaluations/?submission={finished.submission_id}"
                      "&benchmark=tiny&version=1").json()
    assert [e["id"] for e in mine["results"]] == [finished.pk]
    assert client.get("/api/v1/evaluations/?benchmark=none").json()["results"] == []


@pytest.mark.parametrize("path", [
    f"/api/v1/benchmarks/tiny/v{HUGE}/", f"/api/v1/benchmarks/tiny/v{HUGE}/leaderboard/",
    f"/api/v1/evaluations/{HUGE}/", f"/api/v1/evaluations/{HUGE}/results/quality/items/",
    f"/api/v1/snapshots/{HUGE}/", f"/api/v1/snapshots/{HUGE}/replicates.npz",
    f"/benchmarks/tiny/v{HUGE}/", f"/evaluations/{HUGE}/", f"/badges/tiny/{HUGE}.svg",
    f"/benchmarks/tiny/v1/entries/{HUGE}/", "/api/v1/evaluations/1/results/no-such-suite/",
])
def test_numbers_beyond_any_row_are_not_found(client, finished, path):
    assert client.get(path).status_code == 404


def test_per_suite_results_and_per_item_rows_page_through_the_outcomes(client, finished):
    suite = client.get(f"/api/v1/evaluations/{finished.pk}/results/quality/").json()
    assert suite["suite"] == "quality" and suite["metrics"]["accuracy"] == 0.6
    assert suite["per_item"] == f"/api/v1/evaluations/{finished.pk}/results/quality/items/"
    page = client.get(suite["per_item"] + "?limit=3&offset=8").json()
    assert page["count"] == 10
    assert [row["position"] for row in page["results"]] == [8, 9]
    assert page["results"][0]["correct"] == 1 and len(page["results"][0]["probabilities"]) == 2
    assert client.get(suite["per_item"] + "?colour=1").status_code == 400


def test_too_many_requests_get_a_429_saying_when_to_retry(client, finished, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": None})
    statuses = [client.get("/api/v1/benchmarks/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/benchmarks/")
    assert "Request was throttled" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_the_openapi_schema_is_served_and_lists_the_endpoints(client, db):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/benchmarks/{slug}/v{number}/leaderboard/", "/api/v1/evaluations/",
                 "/api/v1/snapshots/{id}/", "/api/v1/benchmarks/{slug}/v{number}/compare/"):
        assert path in schema["paths"]
    names = [p["name"] for p in
             schema["paths"]["/api/v1/benchmarks/{slug}/v{number}/leaderboard/"]["get"]["parameters"]]
    assert {"q", "kind", "sort", "snapshot", "w_accuracy"} <= set(names)
    assert client.get("/api/v1/schema/").status_code == 200  # YAML by default
