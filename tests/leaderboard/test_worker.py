"""A real worker process (`manage.py qcluster`) takes evaluations off the queue, one failing
agent does not stop it, and it finishes the next one."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leaderboard.models import Evaluation
from leaderboard.tasks import queue_evaluation
from tests.conftest import KEYWORD_AGENT, subprocess_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def wait_until_done(evaluations, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for evaluation in evaluations:
            evaluation.refresh_from_db()
        if all(not e.is_active for e in evaluations):
            return
        time.sleep(0.5)
    raise AssertionError(f"still active after {seconds} s: {[e.status for e in evaluations]}")


def test_worker_finishes_the_next_evaluation_after_a_crashing_one(queued_evaluation):
    crashing = queued_evaluation(
        'labels = ["negative", "positive"]\ndef predict(inputs):\n    raise KeyError("vocab")\n'
    )
    good = queued_evaluation(KEYWORD_AGENT, name="good")
    queue_evaluation(crashing)
    queue_evaluation(good)
    env = {**os.environ, "DATABASE_URL": subprocess_database_url()}
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"], env=env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_until_done([crashing, good], seconds=90)
    finally:
        os.killpg(worker.pid, signal.SIGINT)  # as from a terminal: quick; a group SIGTERM can hang it
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
    assert (crashing.status, crashing.failure_category) == ("failed", "agent_error")
    assert "KeyError" in crashing.failure_message
    assert good.status == "finished"
    assert good.suites.get().metrics["accuracy"] == pytest.approx(0.6)
    assert Evaluation.objects.filter(status="queued").count() == 0
