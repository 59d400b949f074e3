"""The live part of the evaluation page: status, queue position, one progress bar per suite,
elapsed time and the time left, the failure, and the sandbox's log for the owner only; the
page fetches it again every few seconds until the evaluation ends."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from leaderboard.live_status import live_status
from leaderboard.models import Evaluation, Submission, SuiteResult
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(user_client, tiny_version):
    """Ada's evaluation, 60 s in: quality done in 20 s, adversarial 30 of 120 items along."""
    tiny_version.suites = {"quality": {}, "adversarial": {}}
    tiny_version.save()
    submission = Submission.objects.create(name="Ada's model", agent_path="/nowhere",
                                           owner=user_client.user)
    now = timezone.now()
    evaluation = Evaluation.objects.create(
        submission=submission, benchmark_version=tiny_version, status="running",
        current_suite="adversarial", started_at=now - timedelta(seconds=60),
        progress={"quality": {"done": 10, "total": 10}, "adversarial": {"done": 30, "total": 120}},
        log="loading weights\n" + "x" * 9000 + "\nstep 30")
    SuiteResult.objects.create(evaluation=evaluation, suite="quality", seconds=20.0)
    return evaluation, now


def test_each_suite_has_its_progress_and_the_time_left_follows_the_running_suite(running):
    evaluation, now = running
    status = live_status(evaluation, evaluation.submission.owner, now=now)
    assert [(s["name"], s["state"], s["percent"]) for s in status["suites"]] == [
        ("quality", "finished", 100), ("adversarial", "running", 25)]
    assert status["elapsed_seconds"] == 60
    # 40 s in the adversarial suite for 30 of 120 items: 90 more items take 120 s.
    assert status["eta_seconds"] == 120


def test_a_suite_not_started_is_estimated_from_its_recent_runs_on_the_version(running):
    evaluation, now = running
    evaluation.current_suite = "quality"
    evaluation.progress = {"quality": {"done": 5, "total": 10}}
    evaluation.save()
    evaluation.suites.all().delete()
    other = Evaluation.objects.create(submission=evaluation.submission,
                                      benchmark_version=evaluation.benchmark_version,
                                      status="finished")
    SuiteResult.objects.create(evaluation=other, suite="adversarial", seconds=300.0)
    status = live_status(evaluation, None, now=now)
    # quality: 60 s for 5 of 10, so 60 s more; adversarial: 300 s as it took last time.
    assert status["eta_seconds"] == 360


def test_the_first_run_on_a_version_still_times_the_running_suite(running, client):
    evaluation, now = running
    evaluation.current_suite = "quality"
    evaluation.progress = {"quality": {"done": 5, "total": 10}}
    evaluation.save()
    evaluation.suites.all().delete()
    status = live_status(evaluation, None, now=now)
    # adversarial never ran on this version: no total, but quality's 60 s for 5 of 10 remain.
    assert status["eta_seconds"] is None and status["suite_eta_seconds"] == 60
    page = client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "left in quality; the suites after it have not run on this version yet" in page


def test_the_time_left_is_unknown_before_anything_allows_a_guess(running):
    evaluation, now = running
    evaluation.progress = {}
    evaluation.current_suite = "quality"
    evaluation.save()
    evaluation.suites.all().delete()
    assert live_status(evaluation, None, now=now)["eta_seconds"] is None


def test_the_owner_sees_the_end_of_the_log_and_others_do_not(running, user_client, client):
    evaluation, _ = running
    page = user_client.get(f"/evaluations/{evaluation.pk}/status/").content.decode()
    assert "step 30" in page and "loading weights" not in page  # only the end: 8,000 characters
    assert "shortened" in page
    assert "adversarial" in page and "30/120" in page and "elapsed 1 min 0" in page
    client.logout()
    other = User.objects.create_user("eve", password="another long passphrase")
    client.force_login(other)
    assert "step 30" not in client.get(f"/evaluations/{evaluation.pk}/status/").content.decode()


def test_the_partial_is_never_cached_and_stops_the_polling_once_ended(client, queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    response = client.get(f"/evaluations/{evaluation.pk}/status/")
    assert response["Cache-Control"] == "no-store"
    assert 'data-active="1"' in response.content.decode()
    run_evaluation(evaluation.pk)
    page = client.get(f"/evaluations/{evaluation.pk}/status/").content.decode()
    assert 'data-active="0"' in page and 'data-status="finished"' in page
    assert "/status/" not in client.get(f"/evaluations/{evaluation.pk}/").content.decode()


def test_a_platform_error_says_it_is_not_charged(client, queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        status="failed", failure_category="platform_error",
        failure_message="The Docker engine did not answer")
    page = client.get(f"/evaluations/{evaluation.pk}/status/").content.decode()
    assert "platform_error" in page and "The Docker engine did not answer" in page
    assert "not counted against the quota" in page


def test_the_api_gives_the_same_live_status_and_the_log_to_the_owner_only(running,
                                                                          user_client):
    evaluation, _ = running
    live = user_client.get(f"/api/v1/evaluations/{evaluation.pk}/").json()["live"]
    assert [(s["name"], s["done"], s["total"]) for s in live["suites"]] == [
        ("quality", 10, 10), ("adversarial", 30, 120)]
    assert live["eta_seconds"] is not None and live["log"].endswith("step 30")
    Submission.objects.filter(pk=evaluation.submission_id).update(public=True)
    anonymous = type(user_client)().get(f"/api/v1/evaluations/{evaluation.pk}/").json()
    assert anonymous["live"]["log"] is None
