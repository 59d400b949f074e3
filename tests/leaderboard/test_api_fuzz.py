"""A schema-driven fuzz run of the API: schemathesis generates requests from the served
OpenAPI schema (valid and invalid values, odd and missing parameters) against the WSGI app,
on a database holding a real leaderboard; no request may get a 5xx, every 200 must match
its documented schema, and every response must say its content type."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from leaderboard.models import Evaluation, SuiteResult
from leaderboard.snapshots import rebuild_snapshot
from leaderboard.submissions import create_agent_submission
from tests.conftest import KEYWORD_AGENT

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# Outcomes on the tiny benchmark's 10 items: (correct, confidence) per model.
MODELS = {"sharp": [1] * 9 + [0], "coin": [1, 0] * 5, "<odd> name": [0, 1, 1, 1, 1, 0, 1, 1, 0, 1]}


@pytest.fixture
def leaderboard_data(tiny_version, write_agent):
    """Three finished evaluations with stored outcomes and a snapshot (no agent is run)."""
    labels = list(tiny_version.items_of("evaluation").values_list("label", flat=True))
    ids = {}
    for name, correct in MODELS.items():
        submission = create_agent_submission(write_agent(KEYWORD_AGENT), name=name, trusted=True)
        evaluation = Evaluation.objects.create(submission=submission, benchmark_version=tiny_version,
                                               status="finished")
        predicted = [label if right else 1 - label for label, right in zip(labels, correct)]
        SuiteResult.objects.create(evaluation=evaluation, suite="quality",
                                   metrics={"accuracy": sum(correct) / 10},
                                   per_item={"predicted": predicted, "confidence": [0.8] * 10,
                                             "correct": correct})
        ids[name] = evaluation.pk
    snapshot = rebuild_snapshot(tiny_version)
    return {"slug": "tiny", "number": 1, "evaluation": ids["sharp"], "other": ids["coin"],
            "snapshot": snapshot.pk}


@pytest.fixture
def api_schema(leaderboard_data, monkeypatch):
    # The fuzzer is one client sending thousands of requests: throttling it would only test
    # the 429 path.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "user": None})
    # As Django's test client does: the handler must not close the test's database
    # connection (and with it the test transaction) at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")
FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_random_requests_never_get_a_server_error(case):
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_requests_on_real_objects_never_get_a_server_error(case, leaderboard_data):
    """The same, with path parameters pointing at the leaderboard's real rows, so that the
    fuzzed query parameters reach the code that reads boards, snapshots and results."""
    real = {"slug": leaderboard_data["slug"], "number": leaderboard_data["number"],
            "suite": "quality"}
    path_parameters = dict(case.path_parameters or {})
    for name in path_parameters:
        if name in real:
            path_parameters[name] = real[name]
        elif name == "id":
            path_parameters[name] = (leaderboard_data["snapshot"] if "snapshots" in case.path
                                     else leaderboard_data["evaluation"])
    case.path_parameters = path_parameters
    if "compare" in case.path and case.query is not None:
        case.query = {**case.query, "a": leaderboard_data["evaluation"],
                      "b": leaderboard_data["other"]}
    case.call_and_validate(checks=CHECKS)
