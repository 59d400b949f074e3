"""Nothing waits forever and nothing is lost: silent evaluations are requeued by the watchdog,
interrupted ones say so, hostile text is stored safely, and a changed agent is not run."""

import pytest
from django.utils import timezone
from django_q.models import Schedule

from leaderboard.models import Evaluation
from leaderboard.tasks import MAX_RUNS, requeue_stale, run_evaluation
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db


def silent_for(evaluation, seconds, status="running", runs=1):
    Evaluation.objects.filter(pk=evaluation.pk).update(
        status=status, runs=runs, heartbeat_at=timezone.now() - timezone.timedelta(seconds=seconds)
    )


def test_watchdog_is_scheduled_every_minute():
    schedule = Schedule.objects.get(func="leaderboard.tasks.requeue_stale")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == ("I", 1, -1)


def test_silent_evaluation_is_queued_again_and_then_finishes(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    silent_for(evaluation, seconds=3600)
    assert [e.pk for e in requeue_stale()] == [evaluation.pk]
    evaluation.refresh_from_db()
    assert evaluation.status == "queued" and evaluation.task_id
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.runs) == ("finished", 2)


def test_a_recent_heartbeat_is_left_alone(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    silent_for(evaluation, seconds=5)
    assert requeue_stale() == []


def test_an_evaluation_whose_worker_keeps_dying_fails_with_the_reason(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    silent_for(evaluation, seconds=3600, runs=MAX_RUNS)
    assert requeue_stale() == []
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.failure_category) == ("failed", "platform_error")
    assert f"each of {MAX_RUNS} runs" in evaluation.failure_message
    assert "stopped renewing its lease" in evaluation.failure_message
    assert not evaluation.charged_to_submitter


def interrupt_at_preflight(monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("leaderboard.tasks.preflight", interrupt)


def test_a_stopped_worker_queues_its_evaluation_again_with_the_reason(queued_evaluation,
                                                                      monkeypatch):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    interrupt_at_preflight(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.lease_owner, evaluation.runs) == ("queued", "", 1)
    [interruption] = evaluation.interruptions
    assert interruption["run"] == 1 and "interrupted" in interruption["reason"]
    assert not evaluation.charged_to_submitter


def test_an_interrupted_operator_run_says_so(queued_evaluation, monkeypatch):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    interrupt_at_preflight(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        run_evaluation(evaluation.pk, operator_run=True)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.failure_category) == ("failed", "platform_error")
    assert "interrupted" in evaluation.failure_message


def test_nul_bytes_and_huge_messages_are_stored_readably(queued_evaluation):
    evaluation = queued_evaluation(
        """
        import sys
        labels = ["negative", "positive"]
        print("weights loaded\\x00", file=sys.stderr)
        def predict(inputs):
            raise ValueError("nul\\x00byte " + "M" * 6000)
        """
    )
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.failure_category == "agent_error"
    assert "\x00" not in evaluation.failure_message + evaluation.log
    assert "nul\\0byte" in evaluation.failure_message
    assert len(evaluation.failure_message) < 4100
    assert "weights loaded" in evaluation.log


def test_batch_dependent_output_fails_the_recheck(queued_evaluation, tiny_version):
    tiny_version.suites = {"quality": {"recheck_items": 5}}
    tiny_version.save()
    evaluation = queued_evaluation(
        """
        labels = ["negative", "positive"]
        def predict(inputs):
            p = 0.9 if len(inputs) > 8 else 0.6
            return [[1 - p, p] for _ in inputs]
        """
    )
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.failure_category == "bad_output"
    assert "different probabilities for the same input" in evaluation.failure_message


def test_an_agent_that_rewrote_its_stored_files_is_not_run_again(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    agent_file = evaluation.submission.agent_path + "/agent.py"
    with open(agent_file, "a") as f:
        f.write("\n# changed after submission\n")
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    # A rerun would find the same files: it fails at once, not after MAX_RUNS runs.
    assert (evaluation.status, evaluation.runs, evaluation.failure_category) == (
        "failed", 1, "platform_error")
    assert "no longer match" in evaluation.failure_message
