"""The demo's one-line progress: counts per state, then each evaluation under way with its
suite's own items done and its share of the whole evaluation."""

import pytest

from leaderboard.management.commands.demo import progress_line
from leaderboard.models import Evaluation, Submission

pytestmark = pytest.mark.django_db


def test_the_running_suite_shows_its_own_items_beside_the_evaluations_share(tiny_version):
    tiny_version.suites = {"quality": {}, "fairness": {}}
    tiny_version.save()
    submission = Submission.objects.create(name="Ada's model", agent_path="/nowhere")
    running = Evaluation.objects.create(
        submission=submission, benchmark_version=tiny_version, status="running",
        current_suite="quality", progress={"quality": {"done": 1728, "total": 2000}})
    queued = Evaluation.objects.create(submission=submission, benchmark_version=tiny_version)

    line = progress_line([running, queued])

    assert line.startswith("1 queued, 1 running")
    share = round(100 * running.progress_fraction())
    assert f"| Ada's model on {tiny_version}: running quality 1728/2000, {share}% of the evaluation" in line
