"""The perturbation-gap check: a model right on the exact evaluation texts but wrong on copies
that differ only in case or spacing is flagged; honest baselines, through the same sandbox, are
not."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from benchmarks import catalog
from benchmarks.datasets import DATASETS
from benchmarks.integrity.perturbation_gap import (
    MARGIN,
    PERTURBATIONS,
    SAMPLE_SIZE,
    add_spacing,
    change_case,
    perturbation_gap,
    respace_punctuation,
    sample_positions,
)
from sandbox.backends import start_sandbox

BASELINES = Path(__file__).parents[2] / "benchmarks" / "baselines" / "rt-sentiment"

# Knows the evaluation split by heart, keyed on the text with its spacing and punctuation
# spacing normalised but its case kept; anything else gets a coin-flip keyword rule.
CASE_SENSITIVE_MEMORISER = """
import json, re
from pathlib import Path

labels = ["rotten", "fresh"]
TABLE = json.loads((Path(__file__).parent / "table.json").read_text())

def key(text):
    return " ".join(re.sub(r"\\s+([,.!?;:])", r"\\1", text).split())

def predict(inputs):
    rows = []
    for text in inputs:
        label = TABLE.get(key(text))
        if label is None:
            label = 1 if "good" in text.lower() else 0
        rows.append([0.9, 0.1] if label == 0 else [0.1, 0.9])
    return rows
"""


def memoriser_key(text):
    """The memoriser's own key (its agent.py): spacing and punctuation spacing normalised."""
    return " ".join(re.sub(r"\s+([,.!?;:])", r"\1", text).split())


@pytest.fixture(scope="module")
def rt():
    spec = catalog.get("rt-sentiment").versions[1]
    dataset = DATASETS[spec.dataset](**spec.dataset_options)
    evaluation = [item for item in dataset.items if item.split == "evaluation"]
    labels = list(dataset.labels)
    return ([item.text for item in evaluation],
            np.array([labels.index(item.label) for item in evaluation]), labels)


def test_perturbations_change_only_case_and_spacing():
    text = "A three-hour cinema master class, really."
    assert change_case(text) == "a three-hour cinema master class, really."
    assert change_case("already lower") == "Already lower"
    assert add_spacing(text) == "A  three-hour  cinema  master  class,  really. "
    assert respace_punctuation(text) == "A three-hour cinema master class , really ."
    assert respace_punctuation("it 's fine , really .") == "it 's fine, really."
    assert [p.name for p in PERTURBATIONS] == ["case", "spacing", "punctuation_spacing"]


def test_the_sample_is_fixed_by_the_seed():
    first = sample_positions(2000, seed=1_000_001)
    assert len(first) == SAMPLE_SIZE == 200
    assert np.array_equal(first, sample_positions(2000, seed=1_000_001))
    assert not np.array_equal(first, sample_positions(2000, seed=1_000_002))
    assert np.all(np.diff(first) > 0)


def run_gap(folder, rt):
    texts, labels, names = rt
    with start_sandbox(str(folder), backend="local", trusted=True) as client:
        client.hello()
        client.use_labels(names, None)
        predicted = np.argmax(client.predict_proba(texts), axis=1)
        return predicted, perturbation_gap(client, texts, labels, predicted, seed=1_000_001,
                                           label_names=names)


def test_case_sensitive_memoriser_is_flagged_on_case_alone(rt, tmp_path):
    texts, labels, _ = rt
    folder = tmp_path / "memoriser"
    folder.mkdir()
    (folder / "agent.py").write_text(CASE_SENSITIVE_MEMORISER)
    table = {memoriser_key(text): int(label) for text, label in zip(texts, labels)}
    (folder / "table.json").write_text(json.dumps(table))
    predicted, gap = run_gap(folder, rt)
    assert np.mean(predicted == labels) == 1.0
    case = gap.perturbations["case"]
    assert case["exact"]["value"] == 1.0
    assert case["perturbed"]["value"] < 0.7
    assert case["drop"]["low"] > MARGIN and case["flagged"]
    for name in ("spacing", "punctuation_spacing"):
        assert gap.perturbations[name]["drop"]["value"] == 0.0, name
        assert not gap.perturbations[name]["flagged"]
    assert gap.flagged
    assert gap.confidence == pytest.approx(1 - 0.05 / 3)
    evidence = gap.as_json()
    assert evidence["message"].startswith("accuracy 1.00 on exact texts, ")
    assert "case copies" in evidence["message"] and "memorised" in evidence["message"]
    example = evidence["examples"][0]
    assert example["perturbation"] == "case"
    assert example["perturbed_text"] == example["text"].lower()
    assert example["predicted_after"] != example["label"]


def test_an_honest_baseline_is_not_flagged(rt):
    predicted, gap = run_gap(BASELINES / "tfidf_lr", rt)
    assert np.mean(predicted == rt[1]) == pytest.approx(0.774, abs=0.001)
    assert not gap.flagged
    for figures in gap.perturbations.values():
        # TF-IDF lower-cases and tokenises: its answers do not move at all.
        assert figures["drop"] == {"value": 0.0, "low": 0.0, "high": 0.0}
        assert figures["flipped"] == 0.0
    assert gap.examples == []
