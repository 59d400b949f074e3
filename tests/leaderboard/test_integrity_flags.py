"""Integrity flags through a whole evaluation: a lookup table of the evaluation texts is flagged
by both checks, stored on the evaluation, and shown on the leaderboard, the evaluation page,
the API and the badge; an honest agent on the same items is not."""

import json

import pytest

from leaderboard.models import Evaluation, LeaderboardSnapshot
from leaderboard.submissions import create_agent_submission
from leaderboard.tasks import run_evaluation
from leaderboard.terminal import format_leaderboard
from tests.leaderboard.conftest import evaluate_now, text_version

pytestmark = pytest.mark.django_db

REVIEWS = [
    ("A good film with a moving story.", 1),
    ("Great acting from the whole cast, truly.", 1),
    ("Dull and slow, it never finds its feet.", 0),
    ("An awful script that nobody could save.", 0),
    ("Great fun from the first scene to the last.", 1),
    ("Boring, long and painfully unfunny, sadly.", 0),
    ("A lovely, good natured comedy for everyone.", 1),
    ("Not worth the price of the ticket at all.", 0),
    ("The best thriller of the year, and a great one.", 1),
    ("Tedious, muddled and far too pleased with itself.", 0),
    ("A good cast in a great, warm story.", 1),
    ("It sinks under the weight of its own plot.", 0),
]

# The evaluation split by heart: the exact text gives the answer, anything else "negative".
LOOKUP_AGENT = """
import json
from pathlib import Path

labels = ["negative", "positive"]
TABLE = json.loads((Path(__file__).parent / "table.json").read_text())

def predict(inputs):
    return [[0.05, 0.95] if TABLE.get(text) == 1 else [0.95, 0.05] for text in inputs]
"""

# The same table, answering the public items (the pre-flight's) and raising on any other text.
STRICT_LOOKUP_AGENT = LOOKUP_AGENT.replace(
    "TABLE.get(text) == 1", "(TABLE[text] if 'public' not in text else 1) == 1")

# Honest: a keyword rule that reads words, whatever their case or spacing.
KEYWORDS_AGENT = """
labels = ["negative", "positive"]

def predict(inputs):
    return [[0.2, 0.8] if {"good", "great"} & set(text.lower().replace(",", " ").split())
            else [0.7, 0.3] for text in inputs]
"""


@pytest.fixture
def reviews(db):
    return text_version("reviews", "Review sentiment", REVIEWS,
                        [f"a public review, number {position}" for position in range(4)], 11)


@pytest.fixture
def evaluated(reviews, write_agent):
    table = json.dumps({text: label for text, label in REVIEWS})
    lookup = write_agent(LOOKUP_AGENT, files={"table.json": table})
    honest = write_agent(KEYWORDS_AGENT)
    evaluations = {}
    for name, folder in {"Lookup": lookup, "Keywords": honest}.items():
        evaluations[name] = evaluate_now(create_agent_submission(folder, name=name), reviews)
    return evaluations


def test_lookup_agent_is_flagged_by_both_checks_and_the_honest_one_by_none(evaluated):
    lookup, honest = evaluated["Lookup"], evaluated["Keywords"]
    assert [flag["code"] for flag in lookup.integrity_flags] == ["memorised_texts",
                                                                 "perturbation_gap"]
    assert lookup.integrity_flags[0]["message"] == (
        "the archive holds 100% of the evaluation texts (12 of 12 with at least 5 words): at "
        "least 10% means it carries the evaluation split")
    archive = lookup.integrity_checks["archive_texts"]
    assert (archive["held"], archive["eligible"], archive["share"]) == (12, 12, 1.0)
    gap = lookup.integrity_checks["perturbation_gap"]
    assert gap["items"] == 12 and gap["seed"] == 11
    for figures in gap["perturbations"].values():
        # Right on all 12 exact texts; on a copy, "negative": right on the 6 negatives only.
        assert figures["exact"]["value"] == 1.0
        assert figures["perturbed"]["value"] == 0.5
        assert figures["drop"]["value"] == 0.5 and figures["drop"]["low"] > gap["margin"]
    assert honest.integrity_flags == []
    assert honest.integrity_checks["archive_texts"]["held"] == 0
    assert {name: figures["drop"]["value"] for name, figures in
            honest.integrity_checks["perturbation_gap"]["perturbations"].items()} == {
        "case": 0.0, "spacing": 0.0, "punctuation_spacing": 0.0}


def test_flags_are_copied_onto_the_leaderboard_entry(evaluated):
    entries = {e["name"]: e for e in LeaderboardSnapshot.objects.latest().entries}
    assert entries["Lookup"]["integrity_flags"] == evaluated["Lookup"].integrity_flags
    assert entries["Keywords"]["integrity_flags"] == []
    # Flags mark an entry; they do not change its score.
    assert entries["Lookup"]["score"]["value"] > entries["Keywords"]["score"]["value"]


def test_flags_show_on_the_leaderboard_page_and_in_its_api(client, evaluated):
    page = client.get("/benchmarks/reviews/v1/").content.decode()
    assert page.count('class="flagged"') == 1
    assert "flagged: the archive holds 100% of the evaluation texts" in page
    lookup = evaluated["Lookup"].pk
    assert f'<a class="tag failed" href="/evaluations/{lookup}/#integrity" title="' in page
    board = client.get("/api/v1/benchmarks/reviews/v1/leaderboard/").json()
    flags = {entry["name"]: [flag["code"] for flag in entry["integrity_flags"]]
             for entry in board["entries"]}
    assert flags == {"Lookup": ["memorised_texts", "perturbation_gap"], "Keywords": []}
    only = client.get("/api/v1/benchmarks/reviews/v1/leaderboard/?flagged=yes").json()
    assert [entry["name"] for entry in only["entries"]] == ["Lookup"]


def test_evaluation_page_and_api_show_the_evidence(client, evaluated):
    lookup = evaluated["Lookup"]
    page = client.get(f"/evaluations/{lookup.pk}/").content.decode()
    assert 'id="integrity"' in page
    assert '<a class="tag failed" href="#integrity">flagged by an integrity check</a> Rank' in page
    assert "Share of the evaluation texts found: <strong>100.0%</strong> (12 of 12 texts" in page
    assert "flagged: memorised_texts" in page and "flagged: perturbation_gap" in page
    assert ("Held, for example: <q>A good film with a moving story.</q> · <q>Great acting from "
            "the whole cast, truly.</q> · <q>Dull and slow, it never finds its feet.</q>") in page
    # Exact against perturbed accuracy, each with its interval, and the drop.
    assert '<td class="num">1.000 <span class="muted">[1.000, 1.000]</span></td>' in page
    assert '<td class="num">0.500 <span class="muted">[' in page
    assert "+0.500" in page
    honest_page = client.get(f"/evaluations/{evaluated['Keywords'].pk}/").content.decode()
    assert '<span class="tag">passed</span>' in honest_page and "flagged:" not in honest_page

    detail = client.get(f"/api/v1/evaluations/{lookup.pk}/").json()
    assert [flag["code"] for flag in detail["integrity_flags"]] == ["memorised_texts",
                                                                    "perturbation_gap"]
    assert detail["integrity_checks"]["archive_texts"]["share"] == 1.0
    case = detail["integrity_checks"]["perturbation_gap"]["perturbations"]["case"]
    assert (case["exact"]["value"], case["perturbed"]["value"]) == (1.0, 0.5)


def test_a_flagged_entry_has_a_red_badge_that_says_so(client, evaluated):
    lookup = evaluated["Lookup"]
    badge = client.get(f"/badges/reviews/{lookup.submission_id}.json").json()
    assert badge["message"].endswith("· flagged") and badge["color"] == "red"
    honest = client.get(f"/badges/reviews/{evaluated['Keywords'].submission_id}.json").json()
    assert "flagged" not in honest["message"]


def test_the_terminal_leaderboard_lists_the_flags(reviews, evaluated):
    text = format_leaderboard(reviews, LeaderboardSnapshot.objects.latest())
    flagged = [line.strip() for line in text.splitlines() if line.strip().startswith("flagged")]
    assert flagged == [f"flagged: Lookup: {flag['message']}"
                       for flag in evaluated["Lookup"].integrity_flags]


def test_an_agent_that_crashes_on_a_perturbed_copy_fails_saying_where(reviews, write_agent):
    strict = write_agent(STRICT_LOOKUP_AGENT,
                         files={"table.json": json.dumps({t: label for t, label in REVIEWS})})
    evaluation = Evaluation.objects.create(
        submission=create_agent_submission(strict, name="Strict lookup"),
        benchmark_version=reviews)
    run_evaluation(evaluation.pk, operator_run=True)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.failure_category) == ("failed", "agent_error")
    assert evaluation.failure_message.startswith(
        "While answering copies of evaluation texts that differ only in case or spacing (an "
        "integrity check): ")
    assert "KeyError" in evaluation.failure_message + evaluation.log
    # What it had already shown stays with the failure: the quality suite and the archive.
    assert evaluation.suites.get().metrics["accuracy"] == 1.0
    assert evaluation.integrity_flags[0]["code"] == "memorised_texts"


def test_a_check_that_breaks_on_our_side_is_noted_and_the_evaluation_goes_on(
        reviews, write_agent, monkeypatch):
    def broken(*args, **kwargs):
        raise MemoryError("the scan ran out of memory")

    monkeypatch.setattr("leaderboard.integrity_checks.held_texts", broken)
    evaluation = evaluate_now(create_agent_submission(write_agent(KEYWORDS_AGENT),
                                                      name="Keywords"), reviews)
    archive = evaluation.integrity_checks["archive_texts"]
    assert archive["error"] == "MemoryError: the scan ran out of memory"
    assert archive["message"] == "the check could not run (SafetyGym's fault, not the agent's)"
    assert not archive["flagged"] and evaluation.integrity_flags == []
    assert "perturbation_gap" in evaluation.integrity_checks
