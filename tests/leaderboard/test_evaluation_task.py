"""The evaluation task: statuses, stored outcomes, failure categories, and that one failure
does not stop the next evaluation."""

import pytest
from django_q.conf import Conf

from leaderboard.models import Evaluation, LeaderboardSnapshot
from leaderboard.tasks import queue_evaluation, run_evaluation
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db


def test_keyword_agent_finishes_with_exact_quality_metrics(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.status == "finished", evaluation.failure_message
    assert evaluation.failure_category == ""
    quality = evaluation.suites.get(suite="quality")
    assert quality.metrics["accuracy"] == pytest.approx(0.6)
    assert quality.metrics["macro_f1"] == pytest.approx(0.6)
    assert quality.metrics["ece"] == pytest.approx(0.15)
    assert quality.per_item["correct"] == [1, 1, 0, 1, 0, 1, 1, 0, 1, 0]
    assert quality.per_item["predicted"] == [1, 1, 1, 0, 0, 0, 1, 1, 0, 0]
    assert quality.per_item["confidence"] == pytest.approx([0.8] * 3 + [0.7] * 3 + [0.8] * 2 + [0.7] * 2)
    assert evaluation.progress["quality"] == {"done": 10, "total": 10}
    assert evaluation.backend == "local"
    assert evaluation.stats["items"] >= 10
    assert evaluation.provenance["benchmark"]["slug"] == "tiny"
    assert evaluation.started_at <= evaluation.finished_at


def test_finished_evaluation_is_ranked_in_a_new_snapshot(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT, name="Keywords")
    run_evaluation(evaluation.pk)
    snapshot = LeaderboardSnapshot.objects.get()
    (entry,) = snapshot.entries
    assert entry["name"] == "Keywords"
    assert entry["score"]["value"] == pytest.approx((0.6 + 0.85) / 2)
    assert entry["rank_label"] == "1"
    assert snapshot.replicates == 2000
    assert snapshot.seed == 7


FAILING_AGENTS = {
    "raises": (
        """
        labels = ["negative", "positive"]
        def predict(inputs):
            raise ValueError("weights file is corrupt")
        """,
        "agent_error",
        "weights file is corrupt",
    ),
    "wrong_shape": (
        """
        labels = ["negative", "positive"]
        def predict(inputs):
            return [[0.5, 0.5]] * (len(inputs) + 1)
        """,
        "bad_output",
        "rows",
    ),
    "nan": (
        """
        labels = ["negative", "positive"]
        def predict(inputs):
            return [[float("nan"), 1.0] for _ in inputs]
        """,
        "bad_output",
        "NaN",
    ),
    "unknown_labels": (
        """
        labels = ["bad", "good"]
        def predict(inputs):
            return [[0.5, 0.5] for _ in inputs]
        """,
        "invalid_submission",
        "label",
    ),
}


@pytest.mark.parametrize("case", sorted(FAILING_AGENTS))
def test_failing_agent_ends_failed_with_category_and_cause(queued_evaluation, case):
    source, category, cause = FAILING_AGENTS[case]
    evaluation = queued_evaluation(source)
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.status == "failed"
    assert evaluation.failure_category == category
    assert cause.lower() in evaluation.failure_message.lower()
    assert evaluation.finished_at is not None
    assert not LeaderboardSnapshot.objects.exists()


def test_hanging_agent_times_out(queued_evaluation, settings):
    settings.SANDBOX_REQUEST_TIMEOUT_S = 2
    evaluation = queued_evaluation(
        """
        import time
        labels = ["negative", "positive"]
        def predict(inputs):
            time.sleep(3600)
        """
    )
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.status == "failed"
    assert evaluation.failure_category == "timeout"
    assert "2" in evaluation.failure_message


def test_untrusted_agent_on_the_local_backend_is_the_platforms_refusal(queued_evaluation,
                                                                      settings):
    settings.SANDBOX_ALLOW_UNTRUSTED_LOCAL = False
    evaluation = queued_evaluation(KEYWORD_AGENT, trusted=False)
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.status == "failed"
    assert evaluation.failure_category == "platform_error"
    assert "SAFETYGYM_ALLOW_UNTRUSTED_LOCAL" in evaluation.failure_message


def test_queue_goes_on_after_a_crashing_agent(queued_evaluation, monkeypatch,
                                             django_capture_on_commit_callbacks):
    monkeypatch.setattr(Conf, "SYNC", True)
    crashing = queued_evaluation(FAILING_AGENTS["raises"][0], name="crashing")
    good = queued_evaluation(KEYWORD_AGENT, name="good")
    queue_evaluation(crashing)
    queue_evaluation(good)
    crashing.refresh_from_db()
    good.refresh_from_db()
    assert (crashing.status, crashing.failure_category) == ("failed", "agent_error")
    assert good.status == "finished"


def test_an_evaluation_that_is_not_queued_is_not_run_again(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    run_evaluation(evaluation.pk)
    finished_at = Evaluation.objects.get(pk=evaluation.pk).finished_at
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.status == "finished"
    assert evaluation.finished_at == finished_at
    assert evaluation.suites.count() == 1
