"""A leaderboard snapshot ranks every finished public evaluation of a version, paired."""

import io

import numpy as np
import pytest

from leaderboard.models import LeaderboardSnapshot
from leaderboard.snapshots import rebuild_snapshot
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db

ALWAYS_RIGHT_ON_TINY = """
labels = ["negative", "positive"]
ANSWERS = {"a good film": 1, "great acting": 1, "a moving story": 1, "great fun": 1, "lovely": 1}

def predict(inputs):
    return [[0.05, 0.95] if ANSWERS.get(text) else [0.95, 0.05] for text in inputs]
"""


def test_two_identical_agents_get_identical_scores_and_a_shared_rank_interval(queued_evaluation):
    first = queued_evaluation(KEYWORD_AGENT, name="first copy")
    second = queued_evaluation(KEYWORD_AGENT + "\n# the same model\n", name="second copy")
    run_evaluation(first.pk)
    run_evaluation(second.pk)
    snapshot = LeaderboardSnapshot.objects.latest()
    a, b = snapshot.entries
    assert a["score"] == b["score"]
    assert (a["rank_low"], a["rank_high"]) == (b["rank_low"], b["rank_high"]) == (1, 2)
    assert a["tied_for_first"] and b["tied_for_first"]
    # Ties keep a stable order: by name.
    assert [a["name"], b["name"]] == ["first copy", "second copy"]


def test_replicate_matrix_is_stored_for_recomputation(queued_evaluation):
    evaluations = [queued_evaluation(KEYWORD_AGENT, name="keywords"),
                   queued_evaluation(ALWAYS_RIGHT_ON_TINY, name="lookup")]
    for evaluation in evaluations:
        run_evaluation(evaluation.pk)
    snapshot = LeaderboardSnapshot.objects.latest()
    stored = np.load(io.BytesIO(bytes(snapshot.replicate_scores)))
    assert stored["replicate_scores"].shape == (2000, 2)
    assert sorted(stored["evaluation_ids"]) == sorted(e.pk for e in evaluations)
    assert snapshot.entries[0]["name"] == "lookup"
    assert snapshot.entries[0]["score"]["value"] == pytest.approx((1.0 + 0.95) / 2)


def test_rebuilding_gives_the_same_numbers(queued_evaluation, tiny_version):
    run_evaluation(queued_evaluation(KEYWORD_AGENT).pk)
    again = rebuild_snapshot(tiny_version)
    first = LeaderboardSnapshot.objects.order_by("id").first()
    assert again.entries == first.entries


def test_private_and_failed_evaluations_are_not_ranked(queued_evaluation):
    private = queued_evaluation(KEYWORD_AGENT, name="private")
    private.submission.public = False
    private.submission.save()
    failing = queued_evaluation('labels = ["negative", "positive"]\ndef predict(x): 1/0\n',
                                name="failing")
    public = queued_evaluation(KEYWORD_AGENT, name="public")
    for evaluation in (private, failing, public):
        run_evaluation(evaluation.pk)
    assert [e["name"] for e in LeaderboardSnapshot.objects.latest().entries] == ["public"]
