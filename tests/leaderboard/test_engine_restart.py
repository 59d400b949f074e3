"""A Docker engine that stops the sandbox mid-evaluation (as its restart does) costs the
submission nothing: the evaluation is queued again with the reason, then finishes."""

import threading
import time

import docker as docker_sdk
import pytest

from leaderboard.tasks import run_evaluation
from sandbox.backends import docker as docker_backend
from tests.conftest import KEYWORD_AGENT, skip_unless_backend_runs

pytestmark = [pytest.mark.docker, pytest.mark.django_db]

SLOW_AGENT = KEYWORD_AGENT.replace(
    "def predict(inputs):\n", "def predict(inputs):\n    import time; time.sleep(1.5)\n"
)


def stop_the_first_sandbox_of_this_process(engine, stopped):
    """What an engine restart does to the containers it runs: stop them (SIGTERM)."""
    owner = docker_backend.owner_labels()[docker_backend.OWNER_LABEL]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = engine.containers.list(filters={"label": f"{docker_backend.OWNER_LABEL}={owner}"})
        if found:
            time.sleep(0.5)  # in its first request
            engine.api.stop(found[0].id, timeout=5)
            stopped.set()
            return
        time.sleep(0.05)


def test_a_sandbox_stopped_by_the_engine_is_requeued_uncharged_and_then_finishes(
    queued_evaluation, settings
):
    skip_unless_backend_runs("docker")
    settings.SANDBOX_BACKEND = "docker"
    evaluation = queued_evaluation(SLOW_AGENT, trusted=False)
    engine = docker_sdk.from_env()
    stopped = threading.Event()
    stopper = threading.Thread(target=stop_the_first_sandbox_of_this_process,
                               args=(engine, stopped))
    stopper.start()
    try:
        run_evaluation(evaluation.pk)
    finally:
        stopper.join()
        engine.close()
    assert stopped.is_set()
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.failure_category, evaluation.runs) == ("queued", "", 1)
    [interruption] = evaluation.interruptions
    assert "the Docker engine stopped its container" in interruption["reason"]
    assert not evaluation.charged_to_submitter

    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.runs) == ("finished", 2)
    assert evaluation.suites.get().metrics["accuracy"] == pytest.approx(0.6)
