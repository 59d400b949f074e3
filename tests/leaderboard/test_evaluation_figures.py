"""The figures of an evaluation's results from its per-item outcomes: confusion matrix,
reliability bins and the words an attack changed."""

import numpy as np
import pytest

from benchmarks.metrics import expected_calibration_error
from leaderboard.evaluation_results import (
    confusion_matrix,
    confusion_rows,
    marked_changes,
    reliability_bins,
)


def test_confusion_matrix_counts_true_against_predicted():
    labels = [0, 0, 1, 1, 1, 2]
    predicted = [0, 1, 1, 1, 0, 2]
    assert confusion_matrix(labels, predicted, 3) == [[1, 1, 0], [1, 2, 0], [0, 0, 1]]
    rows = confusion_rows(confusion_matrix(labels, predicted, 3), ["a", "b", "c"])
    assert rows[1]["label"] == "b" and rows[1]["total"] == 3
    assert [cell["share"] for cell in rows[1]["cells"]] == pytest.approx([1 / 3, 2 / 3, 0])
    assert [cell["correct"] for cell in rows[1]["cells"]] == [False, True, False]


def test_confusion_matrix_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        confusion_matrix([0, 1, 1], [0, 1], 2)


def test_reliability_bins_bin_as_the_ece_does_and_add_up_to_it():
    rng = np.random.default_rng(3)
    confidence = np.concatenate([[0.0, 1.0, 0.5, 0.3], rng.uniform(0.5, 1, 200)])
    correct = (rng.random(204) < confidence).astype(int)
    bins = reliability_bins(correct, confidence)

    assert len(bins) == 10
    assert bins[0]["count"] >= 1  # a confidence of exactly 0 is in the first bin
    assert bins[9]["count"] >= 1  # and exactly 1 in the last
    assert bins[3]["low"] == 0.3 and bins[3]["count"] == 1  # an edge opens its bin
    assert sum(b["count"] for b in bins) == 204
    assert sum(b["ece_share"] for b in bins) == pytest.approx(
        expected_calibration_error(correct, confidence))
    assert bins[1]["count"] == 0 and bins[1]["accuracy"] is None


def test_marked_changes_mark_whole_changed_words_and_nothing_else():
    before, after = marked_changes("a truly great film, really", "a truly graet flim, really")
    assert before == [("a truly ", False), ("great", True), (" ", False), ("film", True),
                      (", really", False)]
    assert after == [("a truly ", False), ("graet", True), (" ", False), ("flim", True),
                     (", really", False)]


def test_marked_changes_of_an_inserted_and_a_deleted_word():
    before, after = marked_changes("not a bad movie", "a bad bad movie")
    assert "".join(text for text, _ in before) == "not a bad movie"
    assert "".join(text for text, _ in after) == "a bad bad movie"
    assert ("not", True) in before
    assert [text for text, changed in after if changed] == ["bad"]


def test_unchanged_text_has_no_mark():
    assert marked_changes("same text", "same text") == ([("same text", False)],
                                                         [("same text", False)])
    assert marked_changes("", "") == ([], [])
