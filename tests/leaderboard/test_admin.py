"""Staff find every submission and evaluation in the admin, private ones included."""

import pytest

from leaderboard.models import Submission
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db


def test_staff_list_private_submissions_and_failed_evaluations(admin_client, queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT, name="hidden model")
    Submission.objects.filter(pk=evaluation.submission_id).update(public=False)
    assert "hidden model" in admin_client.get("/admin/leaderboard/submission/").content.decode()
    page = admin_client.get("/admin/leaderboard/evaluation/?status__exact=queued")
    assert "hidden model" in page.content.decode()
    assert admin_client.get(f"/admin/leaderboard/evaluation/{evaluation.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/leaderboard/submission/{evaluation.submission_id}/change/").status_code == 200
