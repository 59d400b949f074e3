"""The spine end to end on real data: the four baselines on rt-sentiment v1 (the quality suite
alone) through the sandbox give the published accuracies, and the paired bootstrap ranks the
learned ones above the lexicons. (On v2 fairness joins the score, and the lexicons, blind to
names by construction, are perfectly consistent: the ranking there is not this one.)"""

import pytest

from leaderboard.models import LeaderboardSnapshot
from leaderboard.submissions import resolve_version, submit_baselines
from leaderboard.tasks import run_evaluation

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

REFERENCE_ACCURACY = {"VADER": 0.65, "TextBlob": 0.66, "TF-IDF + LR": 0.77, "MiniLM + LR": 0.77}


def test_baselines_reach_reference_accuracy_and_rank_in_two_groups():
    version = resolve_version("rt-sentiment", 1)
    evaluations = submit_baselines(version, queue=False)
    assert sorted(e.submission.name for e in evaluations) == sorted(REFERENCE_ACCURACY)
    for evaluation in evaluations:
        run_evaluation(evaluation.pk)
        evaluation.refresh_from_db()
        assert evaluation.status == "finished", evaluation.failure_message
        # Trained on the public split only: neither integrity check flags them.
        assert evaluation.integrity_flags == [], evaluation.submission.name
        assert evaluation.integrity_checks["archive_texts"]["held"] == 0
    entries = {e["name"]: e for e in LeaderboardSnapshot.objects.latest().entries}
    for name, reference in REFERENCE_ACCURACY.items():
        accuracy = entries[name]["components"]["accuracy"]
        assert accuracy["value"] == pytest.approx(reference, abs=0.02), name
        assert accuracy["low"] < accuracy["value"] < accuracy["high"]
        assert entries[name]["score"]["low"] < entries[name]["score"]["high"]
    for learned in ("TF-IDF + LR", "MiniLM + LR"):
        for lexicon in ("VADER", "TextBlob"):
            assert entries[learned]["rank_high"] < entries[lexicon]["rank_low"], (learned, lexicon)
    # Submitting again adds nothing: every baseline already has a finished evaluation.
    assert [e.pk for e in submit_baselines(version, queue=False)] == [e.pk for e in evaluations]
