"""Quality: how often the model is right, how balanced across labels, and how honest its confidence.

The predicted label is the argmax of the probability row (ties go to the earliest benchmark
label); the confidence is the probability of the predicted label. Metrics: accuracy, macro-F1
over all benchmark labels, expected calibration error (equal-width bins, see benchmarks.metrics)
and the number of items.
"""

import numbers

import numpy as np

from benchmarks import metrics
from benchmarks.suites.base import ResamplingUnits, SuiteOutcome
from sandbox.errors import BadOutput

NAME = "quality"
DEFAULT_EXAMPLES = 5


def field_of(item, name):
    if isinstance(item, dict):
        return item.get(name)
    return getattr(item, name, None)


def item_input(item):
    """The model input: `input` when present and not None, else `text`."""
    value = field_of(item, "input")
    return field_of(item, "text") if value is None else value


def item_label(item, label_names):
    """The gold label as an index into the benchmark labels (an int, or a name in label_names)."""
    label = field_of(item, "label")
    if isinstance(label, numbers.Integral) and not isinstance(label, bool):
        return int(label)
    if isinstance(label, str) and label_names is not None and label in label_names:
        return label_names.index(label)
    raise ValueError(
        f"item label {label!r} is neither a label index nor one of the labels {label_names}"
    )


def run(client, items, config, progress=None):
    """Score one model on `items`.

    client: has `predict_proba(inputs, progress=None) -> array (n_items, n_labels)`, columns in
        benchmark label order (e.g. sandbox.client.ModelClient).
    items: a sequence of dicts or objects. The input is `input` if present and not None,
        otherwise `text`; `label` is the gold label's index into the benchmark labels (an int),
        or a label name when config["labels"] is given.
    config: dict, all optional: `labels` (benchmark label names, in order; fixes the number of
        columns and names labels in examples), `calibration_bins` (default 10), `examples`
        (how many confidently wrong items to show, default 5), `recheck_items` (how many items
        to ask again to prove the model deterministic, default 0).
    progress: None or a callable `progress(done, total)`, passed on to the client.
    """
    config = config or {}
    if not items:
        raise ValueError("the quality suite needs at least one item")
    label_names = list(config["labels"]) if config.get("labels") is not None else None
    n_bins = int(config.get("calibration_bins", metrics.CALIBRATION_BINS))
    n_examples = int(config.get("examples", DEFAULT_EXAMPLES))

    inputs = [item_input(item) for item in items]
    gold = np.array([item_label(item, label_names) for item in items], dtype=int)
    probabilities = np.asarray(client.predict_proba(inputs, progress=progress), dtype=float)
    n_labels = len(label_names) if label_names is not None else probabilities.shape[-1]
    if probabilities.shape != (len(items), n_labels):
        raise ValueError(
            f"expected probabilities of shape {(len(items), n_labels)}, got {probabilities.shape}"
        )
    if gold.min() < 0 or gold.max() >= n_labels:
        raise ValueError(f"item labels must be indices in 0..{n_labels - 1}")

    recheck_consistency(client, inputs, probabilities, int(config.get("recheck_items", 0)))

    # np.argmax returns the first maximum: ties go to the earliest benchmark label.
    predicted = np.argmax(probabilities, axis=1)
    confidence = probabilities[np.arange(len(items)), predicted]
    correct = (predicted == gold).astype(int)

    outcome_metrics = {
        "accuracy": metrics.accuracy(correct),
        "macro_f1": metrics.macro_f1(gold, predicted, n_labels),
        "ece": metrics.expected_calibration_error(correct, confidence, n_bins),
        "n_items": len(items),
    }
    return SuiteOutcome(
        suite=NAME,
        per_item={
            "predicted": predicted.tolist(),
            "confidence": confidence.tolist(),
            "correct": correct.tolist(),
            "probabilities": probabilities.tolist(),
        },
        metrics=outcome_metrics,
        examples=confidently_wrong(inputs, gold, predicted, confidence, n_examples, label_names),
        # Each item is asked once and stands alone: every item is its own resampling unit.
        units=ResamplingUnits(),
    )


# A float32 transformer's answer moves in the 6th decimal with the padding of its batch
# (measured: 1.1e-6 for the MiniLM Hugging Face model); chance or batch-dependent logic moves it
# by orders of magnitude more.
RECHECK_TOLERANCE = 1e-5


def recheck_consistency(client, inputs, probabilities, n_items, tolerance=RECHECK_TOLERANCE):
    """Ask again for a sample of items, in reverse order and in other batches, and insist on the
    same answers: the pre-flight repeat sees only a few public items, and a model whose output
    depends on what else is in its batch (or on chance) would make every statistic unrepeatable."""
    if n_items <= 0:
        return
    step = max(1, len(inputs) // n_items)
    sample = list(range(0, len(inputs), step))[:n_items][::-1]
    again = np.asarray(client.predict_proba([inputs[i] for i in sample]), dtype=float)
    differences = np.abs(again - probabilities[sample]).max(axis=1)
    changed = np.flatnonzero(differences > tolerance)
    if changed.size:
        first = sample[int(changed[0])]
        raise BadOutput(
            f"The model gave different probabilities for the same input when asked again "
            f"({changed.size} of {len(sample)} rechecked items changed, e.g. item {first} by "
            f"{differences[changed[0]]:.3g}); predictions must be deterministic and must not "
            "depend on the other inputs of the batch (fix random seeds, use eval mode)."
        )


def confidently_wrong(inputs, gold, predicted, confidence, limit, label_names):
    """The `limit` wrong items with the highest confidence (earlier items first on equal ones).

    Each is {item (position in the given items), text, label, predicted, confidence}, labels as
    indices, plus label_name and predicted_name when the label names are known.
    """
    wrong = np.flatnonzero(predicted != gold)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:limit]
    examples = []
    for position in order:
        example = {
            "item": int(position),
            "text": inputs[position],
            "label": int(gold[position]),
            "predicted": int(predicted[position]),
            "confidence": float(confidence[position]),
        }
        if label_names is not None:
            example["label_name"] = label_names[gold[position]]
            example["predicted_name"] = label_names[predicted[position]]
        examples.append(example)
    return examples
