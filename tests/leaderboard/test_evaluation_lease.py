"""An evaluation's lease: one worker at a time claims it, renews it while it runs, and loses
the right to write once the watchdog has handed it on; a platform failure queues it again to
resume after its finished suites, up to MAX_RUNS runs, never charged."""

import threading
import time

import pytest
from django.db import connection

from benchmarks.suites import SUITES
from leaderboard import leases
from leaderboard.models import Evaluation, SuiteResult
from leaderboard.submissions import create_agent_submission
from leaderboard.tasks import MAX_RUNS, requeue_stale, run_evaluation
from sandbox.errors import PlatformError
from tests.conftest import KEYWORD_AGENT


@pytest.mark.django_db(transaction=True)
def test_of_workers_claiming_one_evaluation_at_once_exactly_one_wins(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    workers = 4
    start = threading.Barrier(workers)
    won = {}

    def claim(owner):
        try:
            start.wait()
            won[owner] = leases.claim(evaluation.pk, owner)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(f"host:{n}",)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [owner for owner, claimed in won.items() if claimed]
    assert len(won) == workers and len(winners) == 1
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.lease_owner, evaluation.runs) == (
        "preparing", winners[0], 1)


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_cannot_write(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    assert leases.claim(evaluation.pk, "host-a:1")
    mine = Evaluation.objects.get(pk=evaluation.pk)
    # The watchdog handed it on and another worker holds it now.
    Evaluation.objects.filter(pk=evaluation.pk).update(lease_owner="host-b:2", status="running")
    with pytest.raises(leases.LeaseLost, match="no longer held by host-a:1"):
        leases.write(mine, current_suite="quality")
    evaluation.refresh_from_db()
    assert (evaluation.lease_owner, evaluation.current_suite) == ("host-b:2", "")


@pytest.mark.django_db(transaction=True)
def test_the_keeper_renews_a_silent_run_so_the_watchdog_leaves_it(queued_evaluation, settings):
    settings.EVALUATION_LEASE_S = 0.6
    evaluation = queued_evaluation(KEYWORD_AGENT)
    assert leases.claim(evaluation.pk, leases.worker_identity())
    evaluation.refresh_from_db()
    claimed_at = evaluation.heartbeat_at
    with leases.LeaseKeeper(evaluation) as keeper:
        time.sleep(1.5)  # no write of its own for more than twice the lease
        assert requeue_stale() == []
        keeper.check()
    evaluation.refresh_from_db()
    assert evaluation.heartbeat_at > claimed_at and evaluation.status == "preparing"


@pytest.mark.django_db(transaction=True)
def test_the_keeper_notices_that_its_lease_was_taken(queued_evaluation, settings):
    settings.EVALUATION_LEASE_S = 0.3
    evaluation = queued_evaluation(KEYWORD_AGENT)
    assert leases.claim(evaluation.pk, leases.worker_identity())
    evaluation.refresh_from_db()
    with leases.LeaseKeeper(evaluation) as keeper:
        Evaluation.objects.filter(pk=evaluation.pk).update(lease_owner="elsewhere:9")
        assert keeper.lost.wait(timeout=5)
        with pytest.raises(leases.LeaseLost, match="taken back"):
            keeper.check()


@pytest.mark.django_db
def test_a_requeued_evaluation_resumes_after_its_finished_suites(fairness_version, write_agent,
                                                                 monkeypatch):
    submission = create_agent_submission(write_agent(KEYWORD_AGENT), name="kw", trusted=True)
    evaluation = Evaluation.objects.create(submission=submission,
                                           benchmark_version=fairness_version)
    runs = {"quality": 0, "fairness": 0}
    real = dict(SUITES)

    def counted(name, stop=False):
        def run(*args):
            runs[name] += 1
            if stop:
                raise KeyboardInterrupt  # the worker is stopped in the middle of this suite
            return real[name](*args)
        return run

    monkeypatch.setitem(SUITES, "quality", counted("quality"))
    monkeypatch.setitem(SUITES, "fairness", counted("fairness", stop=True))
    with pytest.raises(KeyboardInterrupt):
        run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.status == "queued"
    quality = SuiteResult.objects.get(evaluation=evaluation, suite="quality")

    monkeypatch.setitem(SUITES, "fairness", counted("fairness"))
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.runs, evaluation.lease_owner) == ("finished", 2, "")
    assert runs == {"quality": 1, "fairness": 2}
    assert SuiteResult.objects.get(evaluation=evaluation, suite="quality").pk == quality.pk
    assert sorted(evaluation.suites.values_list("suite", flat=True)) == ["fairness", "quality"]
    assert evaluation.charged_to_submitter


@pytest.mark.django_db
def test_platform_failures_requeue_until_the_last_run_fails_with_every_reason(queued_evaluation,
                                                                           monkeypatch):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    attempts = iter(range(1, MAX_RUNS + 1))

    def engine_down(*args, **kwargs):
        raise PlatformError(f"No Docker engine is reachable (attempt {next(attempts)})")

    monkeypatch.setattr("leaderboard.tasks.start_agent_sandbox", engine_down)
    for run in range(1, MAX_RUNS):
        run_evaluation(evaluation.pk)
        evaluation.refresh_from_db()
        assert (evaluation.status, evaluation.runs, evaluation.failure_category) == (
            "queued", run, "")
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.failure_category) == ("failed", "platform_error")
    assert [i["run"] for i in evaluation.interruptions] == list(range(1, MAX_RUNS + 1))
    for run in range(1, MAX_RUNS + 1):
        assert f"run {run}: No Docker engine is reachable (attempt {run})" in (
            evaluation.failure_message)
    assert not evaluation.charged_to_submitter
