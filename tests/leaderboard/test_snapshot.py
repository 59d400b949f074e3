"""A leaderboard snapshot ranks every finished public evaluation of a version, paired."""

import io

import numpy as np
import pytest

from leaderboard.models import LeaderboardSnapshot
from leaderboard.snapshots import rebuild_snapshot
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import ALWAYS_RIGHT_ON_TINY

pytestmark = pytest.mark.django_db


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
    stored = np.load(io.BytesIO(bytes(snapshot.replicates_npz)))
    assert stored["scores"].shape == (2000, 2)
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


def test_quality_results_store_their_units_and_the_snapshot_its_design(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    run_evaluation(evaluation.pk)
    snapshot = LeaderboardSnapshot.objects.latest()
    assert evaluation.suites.get().units == {}  # each item its own unit
    assert (snapshot.n_items, snapshot.n_clusters, snapshot.confidence_level) == (10, 10, 0.95)
    assert snapshot.method == "paired percentile bootstrap widened to Wilson (design effect)"
    assert snapshot.score_weights == {"accuracy": 1.0, "calibration": 1.0}


def test_declared_clusters_and_strata_become_the_resampling_design(queued_evaluation, tiny_version):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    run_evaluation(evaluation.pk)
    # Pairs of items drawn together, the first three pairs in one group, the others in another.
    evaluation.suites.update(units={"clusters": [0, 0, 1, 1, 2, 2, 3, 3, 4, 4],
                                    "strata": ["a"] * 6 + ["b"] * 4})
    snapshot = rebuild_snapshot(tiny_version)
    assert (snapshot.n_items, snapshot.n_clusters) == (10, 5)
    assert snapshot.method.endswith("(5 clusters, stratified by 2 groups)")


def test_evaluations_that_disagree_on_their_units_are_not_ranked_together(queued_evaluation,
                                                                          tiny_version):
    first, second = queued_evaluation(KEYWORD_AGENT), queued_evaluation(KEYWORD_AGENT)
    run_evaluation(first.pk)
    run_evaluation(second.pk)
    first.suites.update(units={"clusters": [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]})
    with pytest.raises(ValueError, match="declare different resampling units"):
        rebuild_snapshot(tiny_version)
