"""The per-user evaluation quota: every evaluation started in 24 hours counts, except those
that failed on SafetyGym's side (platform_error); over it, nothing is queued and the form says
when one frees up."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leaderboard.models import Evaluation, Submission
from leaderboard.quota import QuotaExceeded, charged_evaluations, check_quota
from tests.leaderboard.uploads import agent_zip

pytestmark = pytest.mark.django_db


def evaluations_of(user, version, statuses):
    submission = Submission.objects.create(name="earlier", agent_path="/nowhere", owner=user)
    for status, category in statuses:
        Evaluation.objects.create(submission=submission, benchmark_version=version,
                                  status=status, failure_category=category)
    return submission


def test_platform_errors_are_not_charged_and_other_failures_are(user_client, tiny_version):
    evaluations_of(user_client.user, tiny_version, [
        ("finished", ""), ("failed", "agent_error"), ("failed", "platform_error"),
        ("queued", ""), ("failed", "timeout")])
    assert charged_evaluations(user_client.user).count() == 4


def test_evaluations_older_than_a_day_are_not_charged(user_client, tiny_version):
    submission = evaluations_of(user_client.user, tiny_version, [("finished", "")] * 3)
    submission.evaluations.update(queued_at=timezone.now() - timedelta(hours=25))
    assert charged_evaluations(user_client.user).count() == 0


def test_over_the_quota_nothing_is_queued_and_the_form_says_when(user_client, tiny_version,
                                                                 settings):
    settings.EVALUATIONS_PER_DAY = 2
    evaluations_of(user_client.user, tiny_version, [("finished", ""), ("failed", "bad_output"),
                                                    ("failed", "platform_error")])
    response = user_client.post("/submit/", {"name": "third", "benchmarks": ["tiny"],
                                             "archive": agent_zip()})
    page = response.content.decode()
    assert response.status_code == 400
    assert "you may start 2 evaluations in any 24 hours and have started 2" in page
    assert "The next one frees up in 24 h 00 min" in page
    assert "failed on SafetyGym&#x27;s side are not counted" in page
    assert Evaluation.objects.count() == 3


def test_the_quota_counts_one_evaluation_per_benchmark(user_client, tiny_version, settings):
    settings.EVALUATIONS_PER_DAY = 3
    evaluations_of(user_client.user, tiny_version, [("finished", "")] * 2)
    check_quota(user_client.user, 1)
    with pytest.raises(QuotaExceeded, match="this submission needs 2 .* and 1 is left"):
        check_quota(user_client.user, 2)


def test_staff_have_no_quota(admin_user, tiny_version, settings):
    settings.EVALUATIONS_PER_DAY = 0
    check_quota(admin_user, 50)


def test_a_re_evaluation_started_by_staff_is_not_charged(user_client, tiny_version):
    submission = evaluations_of(user_client.user, tiny_version, [("finished", "")])
    Evaluation.objects.create(submission=submission, benchmark_version=tiny_version,
                              charged=False)
    assert charged_evaluations(user_client.user).count() == 1
