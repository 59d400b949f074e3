"""The figures of an evaluation's results, computed from its stored per-item outcomes: the
confusion matrix, the reliability diagram's bins, and the words an attack changed.

Plain functions of lists and arrays (no Django), so each is tested on known values.
"""

import difflib
import re

import numpy as np

from benchmarks.metrics import CALIBRATION_BINS, calibration_bin

# A word, a run of spaces, or one other character: joining the tokens gives the text back.
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def confusion_matrix(labels, predicted, n_labels):
    """counts[true][predicted] over the items, as nested lists of ints."""
    labels = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    if labels.shape != predicted.shape:
        raise ValueError(f"{labels.size} labels but {predicted.size} predictions")
    counts = np.bincount(labels * n_labels + predicted, minlength=n_labels * n_labels)
    return counts.reshape(n_labels, n_labels).tolist()


def confusion_rows(matrix, label_names):
    """The matrix as rows a template draws: per true label, its cells with count, share of the
    row (recall on the diagonal) and whether it is the diagonal."""
    rows = []
    for true_index, counts in enumerate(matrix):
        total = sum(counts)
        rows.append({
            "label": label_names[true_index],
            "total": total,
            "cells": [{"count": count, "share": count / total if total else 0.0,
                       "correct": predicted_index == true_index}
                      for predicted_index, count in enumerate(counts)],
        })
    return rows


def reliability_bins(correct, confidence, n_bins=CALIBRATION_BINS):
    """Per equal-width confidence bin (binned exactly as the ECE is): low, high, count,
    mean_confidence and accuracy (None for an empty bin), and the bin's gap, the signed
    (accuracy - confidence) share it adds to the ECE."""
    correct = np.asarray(correct, dtype=np.float64)
    confidence = np.asarray(confidence, dtype=np.float64)
    which = calibration_bin(confidence, n_bins)
    counts = np.bincount(which, minlength=n_bins)
    confidence_sums = np.bincount(which, weights=confidence, minlength=n_bins)
    correct_sums = np.bincount(which, weights=correct, minlength=n_bins)
    bins = []
    for k in range(n_bins):
        count = int(counts[k])
        bins.append({
            "low": k / n_bins,
            "high": (k + 1) / n_bins,
            "count": count,
            "mean_confidence": float(confidence_sums[k] / count) if count else None,
            "accuracy": float(correct_sums[k] / count) if count else None,
            "ece_share": float(abs(correct_sums[k] - confidence_sums[k]) / len(correct))
            if len(correct) else 0.0,
        })
    return bins


def marked_changes(original, perturbed):
    """The two texts as segments [(text, changed)], with the words that differ marked.

    Words are compared as tokens (a word, a space run or a punctuation mark), so a changed
    character marks its whole word, and unchanged words between two changes stay unmarked.
    """
    before, after = _TOKENS.findall(original or ""), _TOKENS.findall(perturbed or "")
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    original_segments, perturbed_segments = [], []
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        changed = tag != "equal"
        _append(original_segments, before[a_start:a_end], changed)
        _append(perturbed_segments, after[b_start:b_end], changed)
    return original_segments, perturbed_segments


def _append(segments, tokens, changed):
    """Add tokens as segments, leaving spaces at the edges of a change unmarked."""
    if not tokens:
        return
    if not changed:
        _merge(segments, "".join(tokens), False)
        return
    start, end = 0, len(tokens)
    while start < end and tokens[start].isspace():
        start += 1
    while end > start and tokens[end - 1].isspace():
        end -= 1
    _merge(segments, "".join(tokens[:start]), False)
    _merge(segments, "".join(tokens[start:end]), True)
    _merge(segments, "".join(tokens[end:]), False)


def _merge(segments, text, changed):
    if not text:
        return
    if segments and segments[-1][1] == changed:
        segments[-1] = (segments[-1][0] + text, changed)
    else:
        segments.append((text, changed))
