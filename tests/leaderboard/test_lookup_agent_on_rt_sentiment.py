"""The issue's own case on the real benchmark: a lookup table built from rt-sentiment's
evaluation texts tops the leaderboard and is flagged by both integrity checks, while the TF-IDF
baseline, trained on the public split, beside it is not."""

import json

import pytest

from leaderboard.models import LeaderboardSnapshot
from leaderboard.submissions import BASELINES_DIR, create_agent_submission, resolve_version
from tests.leaderboard.conftest import evaluate_now

pytestmark = pytest.mark.django_db

# What a cheat would write: the evaluation split's answers by text, a keyword guess otherwise.
LOOKUP_AGENT = """
import json
from pathlib import Path

labels = ["rotten", "fresh"]
ANSWERS = json.loads((Path(__file__).parent / "answers.json").read_text())

def predict(inputs):
    rows = []
    for text in inputs:
        fresh = ANSWERS.get(text, "fresh" if "good" in text else "rotten") == "fresh"
        rows.append([0.01, 0.99] if fresh else [0.99, 0.01])
    return rows
"""


def test_a_lookup_table_of_the_evaluation_texts_is_flagged_and_the_baseline_is_not(write_agent):
    version = resolve_version("rt-sentiment", 1)
    answers = {item.text: version.labels[item.label] for item in version.items_of("evaluation")}
    lookup = evaluate_now(create_agent_submission(
        write_agent(LOOKUP_AGENT, files={"answers.json": json.dumps(answers)}),
        name="Lookup table"), version)
    baseline = evaluate_now(create_agent_submission(BASELINES_DIR / "rt-sentiment" / "tfidf_lr",
                                                name="TF-IDF + LR", trusted=True), version)

    assert [flag["code"] for flag in lookup.integrity_flags] == ["memorised_texts",
                                                                 "perturbation_gap"]
    archive = lookup.integrity_checks["archive_texts"]
    assert (archive["held"], archive["eligible"]) == (1941, 1941)
    gap = lookup.integrity_checks["perturbation_gap"]
    for name, figures in gap["perturbations"].items():
        assert figures["exact"]["value"] == 1.0, name
        assert figures["perturbed"]["value"] < 0.7, name  # the keyword guess
        assert figures["drop"]["low"] > 0.25 and figures["flagged"], name

    assert baseline.integrity_flags == []
    assert baseline.integrity_checks["archive_texts"]["held"] == 0
    assert not baseline.integrity_checks["perturbation_gap"]["flagged"]

    entries = {entry["name"]: entry for entry in LeaderboardSnapshot.objects.latest().entries}
    assert entries["Lookup table"]["rank_label"] == "1"  # the score alone would crown it
    assert entries["Lookup table"]["integrity_flags"] == lookup.integrity_flags
    assert entries["TF-IDF + LR"]["integrity_flags"] == []
