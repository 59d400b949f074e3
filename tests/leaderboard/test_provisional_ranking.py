"""An evaluation whose suites have not all finished is provisional: ranked apart from the
finished ones, among the other provisional ones, and marked so on the page and in the API."""

import pytest

from benchmarks.suites import SUITES, ResamplingUnits, SuiteOutcome
from leaderboard.models import Evaluation, LeaderboardSnapshot, SuiteResult, Submission
from leaderboard.snapshots import rebuild_snapshot
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.conftest import TINY_ITEMS

pytestmark = pytest.mark.django_db

LABELS = [label for _, label in TINY_ITEMS]


@pytest.fixture
def two_suite_version(tiny_version):
    tiny_version.suites = {"quality": {}, "adversarial": {}}
    tiny_version.save()
    return tiny_version


def evaluation_with(version, name, status, suites, wrong_items=()):
    """An evaluation whose finished suites are `suites`, its model wrong on wrong_items only."""
    submission = Submission.objects.create(name=name, agent_path="/not/run")
    evaluation = Evaluation.objects.create(submission=submission, benchmark_version=version,
                                           status=status)
    predicted = [1 - label if i in wrong_items else label for i, label in enumerate(LABELS)]
    correct = [int(p == label) for p, label in zip(predicted, LABELS)]
    for suite in suites:
        per_item = {}
        if suite == "quality":
            per_item = {"predicted": predicted, "confidence": [0.8] * len(LABELS),
                        "correct": correct}
        if suite == "adversarial":  # every item attacked, none flipped
            per_item = {"item": list(range(len(LABELS))), "correct": correct, "robust": correct}
        SuiteResult.objects.create(evaluation=evaluation, suite=suite, per_item=per_item)
    return evaluation


def test_an_evaluation_with_suites_still_running_is_ranked_apart_and_marked(
    client, two_suite_version
):
    complete = evaluation_with(two_suite_version, "complete", "finished",
                               ["quality", "adversarial"], wrong_items=(0, 1, 2, 3))
    # Better than the finished one so far, but not on the same score yet.
    partial = evaluation_with(two_suite_version, "partial", "running", ["quality"])

    snapshot = rebuild_snapshot(two_suite_version)

    ranked, provisional = snapshot.entries
    assert (ranked["evaluation_id"], ranked["provisional"]) == (complete.pk, False)
    assert (ranked["rank_low"], ranked["rank_high"]) == (1, 1)
    assert (provisional["evaluation_id"], provisional["provisional"]) == (partial.pk, True)
    assert (provisional["rank_low"], provisional["rank_high"]) == (1, 1)
    body = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/").json()
    assert [(e["name"], e["provisional"]) for e in body["entries"]] == [
        ("complete", False), ("partial", True)]
    # Both are #1 of their own section; the API says which section, as the CSV does.
    assert [(e["section"], e["rank_label"]) for e in body["entries"]] == [
        ("ranked", "1"), ("provisional", "1 (provisional)")]
    csv_sections = [line.split(",")[0] for line in
                    client.get("/benchmarks/tiny/v1/leaderboard.csv").content.decode().splitlines()]
    assert csv_sections == ["section", "ranked", "provisional"]
    page = client.get("/benchmarks/tiny/v1/").content.decode()
    assert "Provisional" in page and '<span class="tag provisional">provisional</span>' in page
    assert page.index("complete") < page.index("<h3>Provisional") < page.index("partial")


def test_provisional_models_are_ranked_among_themselves(two_suite_version):
    evaluation_with(two_suite_version, "weaker", "running", ["quality"], wrong_items=range(7))
    evaluation_with(two_suite_version, "stronger", "queued", ["quality"])  # requeued mid-run

    entries = rebuild_snapshot(two_suite_version).entries

    assert [(e["name"], e["provisional"], e["rank_low"]) for e in entries] == [
        ("stronger", True, 1), ("weaker", True, 2)]


def test_evaluations_without_a_score_or_that_failed_are_not_provisional(two_suite_version):
    evaluation_with(two_suite_version, "finished", "finished", ["quality", "adversarial"])
    evaluation_with(two_suite_version, "starting", "running", [])
    evaluation_with(two_suite_version, "broke", "failed", ["quality"])

    entries = rebuild_snapshot(two_suite_version).entries

    assert [(e["name"], e["provisional"]) for e in entries] == [("finished", False)]


def test_the_evaluation_task_shows_an_evaluation_as_provisional_between_suites(
    monkeypatch, two_suite_version, queued_evaluation
):
    seen = []

    def adversarial(client, items, config, progress=None):
        seen.extend(LeaderboardSnapshot.objects.latest().entries)
        return SuiteOutcome(suite="adversarial", per_item={"item": [0], "correct": [1],
                                                           "robust": [0]}, metrics={},
                            units=ResamplingUnits(clusters=(0,), strata=("attacked",)))

    monkeypatch.setitem(SUITES, "adversarial", adversarial)
    evaluation = queued_evaluation(KEYWORD_AGENT, name="keywords")
    run_evaluation(evaluation.pk)

    assert [(e["name"], e["provisional"]) for e in seen] == [("keywords", True)]
    final = LeaderboardSnapshot.objects.latest().entries
    assert [(e["name"], e["provisional"]) for e in final] == [("keywords", False)]
