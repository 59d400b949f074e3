"""Real worker processes (`manage.py qcluster`) on the configured database and broker: a worker
killed with SIGKILL mid-evaluation loses nothing (the watchdog takes its expired lease back,
removes its sandbox container, and the next worker resumes after the finished suite, each suite
stored once), and two workers handed the same evaluation run it once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker as docker_sdk
import pytest

from leaderboard.models import Evaluation
from leaderboard.submissions import create_agent_submission
from leaderboard.tasks import queue_evaluation, requeue_stale
from sandbox.backends import docker as docker_backend
from tests.conftest import KEYWORD_AGENT, skip_unless_backend_runs, subprocess_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
LEASE_S = 3

# The keyword agent, slow enough (0.7 s a batch) for a worker to be killed in a suite.
SLOW_AGENT = KEYWORD_AGENT.replace(
    "def predict(inputs):\n", "def predict(inputs):\n    import time; time.sleep(0.7)\n"
)


def start_worker(backend):
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "SAFETYGYM_SANDBOX": backend,
           "SAFETYGYM_EVALUATION_LEASE_S": str(LEASE_S)}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"], env=env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, text=True,
    )


def stop_worker(worker, sig=signal.SIGINT):
    """Stop the whole process group (SIGINT, as from a terminal: a SIGTERM to every process of
    the group at once can leave qcluster waiting for its dead children); returns its output."""
    try:
        os.killpg(worker.pid, sig)
    except ProcessLookupError:
        pass
    try:
        output, _ = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        output, _ = worker.communicate()
    return output


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not {what} after {seconds} s")


def containers_of(owner):
    engine = docker_sdk.from_env()
    try:
        return engine.containers.list(
            all=True, filters={"label": f"{docker_backend.OWNER_LABEL}={owner}"},
            ignore_removed=True)
    finally:
        engine.close()


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def worker_backend(request):
    if request.param == "docker":
        skip_unless_backend_runs("docker")
    return request.param


def test_a_killed_worker_is_resumed_by_the_next_with_each_suite_stored_once(
    worker_backend, fairness_version, write_agent, settings
):
    settings.EVALUATION_LEASE_S = LEASE_S  # the watchdog, run here, uses the workers' lease
    submission = create_agent_submission(write_agent(SLOW_AGENT), name="slow",
                                         trusted=worker_backend == "local")
    evaluation = Evaluation.objects.create(submission=submission,
                                           benchmark_version=fairness_version)
    queue_evaluation(evaluation)

    first = start_worker(worker_backend)
    try:
        wait_for(lambda: Evaluation.objects.get(pk=evaluation.pk).current_suite == "fairness",
                 120, "in the fairness suite")
    finally:
        stop_worker(first, signal.SIGKILL)
    evaluation.refresh_from_db()
    dead_owner = evaluation.lease_owner
    assert evaluation.status == "running" and dead_owner
    quality = evaluation.suites.get(suite="quality")
    if worker_backend == "docker":
        assert len(containers_of(dead_owner)) == 1  # left behind by the killed worker

    time.sleep(LEASE_S + 0.5)
    assert [e.pk for e in requeue_stale()] == [evaluation.pk]
    if worker_backend == "docker":
        assert containers_of(dead_owner) == []

    second = start_worker(worker_backend)
    try:
        wait_for(lambda: not Evaluation.objects.get(pk=evaluation.pk).is_active, 120,
                 "finished")
    finally:
        output = stop_worker(second)
    evaluation.refresh_from_db()
    assert evaluation.status == "finished", (evaluation.failure_message, output)
    assert (evaluation.runs, evaluation.lease_owner, evaluation.failure_category) == (2, "", "")
    [interruption] = evaluation.interruptions
    assert interruption["worker"] == dead_owner and interruption["run"] == 1
    assert "stopped renewing its lease" in interruption["reason"]
    # The quality suite finished before the kill: stored once, by the first run.
    assert sorted(evaluation.suites.values_list("suite", flat=True)) == ["fairness", "quality"]
    assert evaluation.suites.get(suite="quality").pk == quality.pk
    assert evaluation.suites.get(suite="quality").seconds == quality.seconds
    assert evaluation.suites.get(suite="fairness").metrics["counterfactual_consistency"] == (
        pytest.approx(1.0))
    assert evaluation.charged_to_submitter
    if worker_backend == "docker":
        assert containers_of(dead_owner) == []


def test_two_workers_handed_the_same_evaluation_run_it_once(tiny_version, write_agent):
    submission = create_agent_submission(write_agent(SLOW_AGENT), name="slow", trusted=True)
    evaluation = Evaluation.objects.create(submission=submission, benchmark_version=tiny_version)
    # The same evaluation queued twice (a redelivered task, a watchdog racing a slow worker).
    queue_evaluation(evaluation)
    queue_evaluation(evaluation)
    workers = [start_worker("local"), start_worker("local")]
    try:
        wait_for(lambda: not Evaluation.objects.get(pk=evaluation.pk).is_active, 120,
                 "finished")
        time.sleep(2)  # both tasks have been taken by now: the second found it running or done
    finally:
        outputs = [stop_worker(worker) for worker in workers]
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.runs) == ("finished", 1)
    assert evaluation.suites.count() == 1
    assert sum(f"evaluation {evaluation.pk} is not queued" in out for out in outputs) == 1
