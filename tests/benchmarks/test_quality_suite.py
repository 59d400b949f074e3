from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.metrics import f1_score

from benchmarks import metrics
from benchmarks.suites import SUITES, ResamplingUnits, SuiteOutcome, quality
from sandbox.errors import BadOutput


class FakeClient:
    """Answers fixed probability rows, like ModelClient.predict_proba (benchmark label order)."""

    def __init__(self, rows):
        self.rows = np.array(rows, dtype=float)
        self.calls = []

    def predict_proba(self, inputs, progress=None):
        self.calls.append(list(inputs))
        if progress is not None:
            progress(len(inputs), len(inputs))
        return self.rows


# gold, probabilities -> predicted, confidence, correct, calibration bin
ROWS = [
    [0.5, 0.5],  # gold 1: a tie goes to label 0; confidence 0.5 (bin 5); wrong
    [0.0, 1.0],  # gold 1: confidence 1.0 (last bin); right
    [0.2, 0.8],  # gold 0: confidence 0.8 (bin 8); wrong
    [0.9, 0.1],  # gold 0: confidence 0.9 (bin 9, with the 1.0 above); right
    [0.4, 0.6],  # gold 1: confidence 0.6 (bin 6); right
]
GOLD = [1, 1, 0, 0, 1]
ITEMS = [{"text": f"text {i}", "label": label} for i, label in enumerate(GOLD)]


def test_registered():
    assert SUITES["quality"] is quality.run


def test_calibration_bins_include_both_ends():
    confidence = [0.0, 0.05, 0.1, 0.3, 0.6999, 0.7, 0.9, 0.999, 1.0]
    assert metrics.calibration_bin(confidence).tolist() == [0, 0, 1, 3, 6, 7, 9, 9, 9]
    assert metrics.calibration_bin([0.0, 0.5, 1.0], n_bins=2).tolist() == [0, 1, 1]


def test_ece_sums_the_gap_inside_each_bin_before_the_absolute_value():
    # bins 0, 9, 2, 3: (|1 - 0| + |0 - 1| + |1 - 0.25| + |0 - 0.3|) / 4
    assert metrics.expected_calibration_error([1, 0, 1, 0], [0.0, 1.0, 0.25, 0.3]) == (
        pytest.approx(0.7625, abs=1e-12)
    )
    # one bin: |(1 - 0.62) + (0 - 0.68)| / 2, not (0.38 + 0.68) / 2
    assert metrics.expected_calibration_error([1, 0], [0.62, 0.68]) == pytest.approx(
        0.15, abs=1e-12
    )
    assert metrics.expected_calibration_error([1, 1, 0], [1.0, 1.0, 0.0]) == 0.0


def test_accuracy_and_macro_f1():
    labels = [0, 0, 1, 1, 2, 2, 2]
    predicted = [0, 1, 1, 1, 2, 0, 2]
    assert metrics.accuracy(np.equal(labels, predicted)) == pytest.approx(5 / 7, abs=1e-12)
    # F1 per class, 2TP / (2TP + FP + FN): 2/4, 4/5, 4/5
    expected = (1 / 2 + 4 / 5 + 4 / 5) / 3
    assert metrics.macro_f1(labels, predicted, 3) == pytest.approx(expected, abs=1e-12)
    assert metrics.macro_f1(labels, predicted, 3) == pytest.approx(
        f1_score(labels, predicted, average="macro"), abs=1e-12
    )


def test_macro_f1_matches_scikit_learn_on_random_labels():
    rng = np.random.default_rng(7)
    for n_labels in (2, 3, 5):
        labels = rng.integers(0, n_labels, size=300)
        predicted = rng.integers(0, n_labels, size=300)
        assert metrics.macro_f1(labels, predicted, n_labels) == pytest.approx(
            f1_score(labels, predicted, average="macro", labels=list(range(n_labels))),
            abs=1e-12,
        )


def test_macro_f1_counts_a_class_never_seen_nor_predicted_as_zero():
    assert metrics.macro_f1([0, 1], [0, 1], 3) == pytest.approx(2 / 3, abs=1e-12)


def test_quality_suite_on_a_fake_client():
    client = FakeClient(ROWS)
    calls = []
    outcome = quality.run(client, ITEMS, {}, lambda done, total: calls.append((done, total)))

    assert isinstance(outcome, SuiteOutcome)
    assert outcome.suite == "quality"
    assert client.calls == [[item["text"] for item in ITEMS]]
    assert calls == [(5, 5)]
    assert outcome.per_item["predicted"] == [0, 1, 1, 0, 1]
    assert outcome.per_item["confidence"] == [0.5, 1.0, 0.8, 0.9, 0.6]
    assert outcome.per_item["correct"] == [0, 1, 0, 1, 1]
    assert outcome.per_item["probabilities"] == ROWS
    assert outcome.metrics["n_items"] == 5
    assert outcome.metrics["accuracy"] == pytest.approx(0.6, abs=1e-12)
    # class 0: TP 1, FP 1, FN 1 -> 1/2; class 1: TP 2, FP 1, FN 1 -> 2/3
    assert outcome.metrics["macro_f1"] == pytest.approx((1 / 2 + 2 / 3) / 2, abs=1e-12)
    # bins: 5 -> -0.5; 6 -> +0.4; 8 -> -0.8; 9 -> (1 - 1.0) + (1 - 0.9) = +0.1
    assert outcome.metrics["ece"] == pytest.approx(1.8 / 5, abs=1e-12)
    assert outcome.examples == [
        {"item": 2, "text": "text 2", "label": 0, "predicted": 1, "confidence": 0.8},
        {"item": 0, "text": "text 0", "label": 1, "predicted": 0, "confidence": 0.5},
    ]


def test_every_item_is_its_own_resampling_unit():
    outcome = quality.run(FakeClient(ROWS), ITEMS, {})

    assert outcome.units == ResamplingUnits(clusters=None, strata=None)
    assert outcome.units.as_json() == {}


def test_metrics_and_per_item_are_plain_python():
    outcome = quality.run(FakeClient(ROWS), ITEMS, {}, None)
    assert type(outcome.metrics["accuracy"]) is float
    assert type(outcome.metrics["ece"]) is float
    assert all(type(value) is int for value in outcome.per_item["predicted"])
    assert all(type(value) is float for value in outcome.per_item["confidence"])


@dataclass
class StoredItem:
    input: str
    label: int
    text: str = "not the input"


def test_objects_with_input_and_label_names():
    items = [StoredItem(input="stored 0", label=1), {"input": "stored 1", "label": "rotten"}]
    client = FakeClient([[0.3, 0.7], [0.6, 0.4]])
    outcome = quality.run(client, items, {"labels": ["rotten", "fresh"], "examples": 1}, None)
    assert client.calls == [["stored 0", "stored 1"]]
    assert outcome.per_item["correct"] == [1, 1]
    assert outcome.metrics["accuracy"] == 1.0
    assert outcome.examples == []


def test_examples_name_labels_and_respect_the_limit():
    outcome = quality.run(
        FakeClient(ROWS), ITEMS, {"labels": ["rotten", "fresh"], "examples": 1}, None
    )
    assert outcome.examples == [
        {
            "item": 2,
            "text": "text 2",
            "label": 0,
            "predicted": 1,
            "confidence": 0.8,
            "label_name": "rotten",
            "predicted_name": "fresh",
        }
    ]


def test_calibration_bins_come_from_the_config():
    # two bins: [0, 0.5) holds nothing, [0.5, 1] holds all: |3 - 3.8| / 5
    outcome = quality.run(FakeClient(ROWS), ITEMS, {"calibration_bins": 2}, None)
    assert outcome.metrics["ece"] == pytest.approx(0.8 / 5, abs=1e-12)


def test_wrong_shapes_and_labels_are_refused():
    with pytest.raises(ValueError, match="shape"):
        quality.run(FakeClient(ROWS), ITEMS, {"labels": ["a", "b", "c"]}, None)
    with pytest.raises(ValueError, match="indices"):
        quality.run(FakeClient(ROWS[:1]), [{"text": "x", "label": 2}], {}, None)
    with pytest.raises(ValueError, match="neither"):
        quality.run(FakeClient(ROWS[:1]), [{"text": "x", "label": "fresh"}], {}, None)
    with pytest.raises(ValueError, match="at least one"):
        quality.run(FakeClient([]), [], {}, None)


class PaddingNoiseClient:
    """Answers that move by `noise` with the size of the batch, as float32 padding does."""

    def __init__(self, noise):
        self.noise = noise

    def predict_proba(self, inputs, progress=None):
        p = 0.7 + (self.noise if len(inputs) < 4 else 0.0)
        return np.array([[1 - p, p] for _ in inputs])


def test_the_recheck_forgives_float32_padding_noise_but_not_more():
    inputs = [f"text {i}" for i in range(8)]
    first = np.array([[0.3, 0.7]] * 8)
    quality.recheck_consistency(PaddingNoiseClient(2e-6), inputs, first, 2)
    with pytest.raises(BadOutput, match="different probabilities for the same input"):
        quality.recheck_consistency(PaddingNoiseClient(1e-3), inputs, first, 2)
