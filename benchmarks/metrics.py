"""Quality metrics as plain numpy functions of per-item outcomes.

Calibration bins are equal-width and closed on the left: bin k holds confidences in
[k / n_bins, (k + 1) / n_bins), except the last, which also holds exactly 1. A confidence of
exactly 0 therefore falls in the first bin and exactly 1 in the last. The ranking code reuses
`calibration_bin` so that its bootstrap ECE bins exactly as the suite does.
"""

import numpy as np

CALIBRATION_BINS = 10


def calibration_bin(confidence, n_bins=CALIBRATION_BINS):
    """The bin index (0 .. n_bins - 1) of each confidence in [0, 1]."""
    confidence = np.asarray(confidence, dtype=float)
    # Edges k / n_bins computed by one division each, so 0.3 is the double nearest 0.3, and a
    # confidence equal to an edge opens that edge's bin (a comparison, never a rounded product).
    inner_edges = np.arange(1, n_bins) / n_bins
    return np.searchsorted(inner_edges, confidence, side="right")


def accuracy(correct):
    return float(np.mean(np.asarray(correct, dtype=float)))


def macro_f1(labels, predicted, n_labels):
    """Unweighted mean over all n_labels classes of 2TP / (2TP + FP + FN).

    A class with no true and no predicted item counts as 0, as scikit-learn's default does.
    """
    labels = np.asarray(labels, dtype=int)
    predicted = np.asarray(predicted, dtype=int)
    scores = []
    for label in range(n_labels):
        true_positive = np.sum((labels == label) & (predicted == label))
        false_positive = np.sum((labels != label) & (predicted == label))
        false_negative = np.sum((labels == label) & (predicted != label))
        denominator = 2 * true_positive + false_positive + false_negative
        scores.append(2 * true_positive / denominator if denominator else 0.0)
    return float(np.mean(scores))


def expected_calibration_error(correct, confidence, n_bins=CALIBRATION_BINS):
    """Sum over bins of |sum of (correct - confidence) in the bin| / number of items."""
    correct = np.asarray(correct, dtype=float)
    confidence = np.asarray(confidence, dtype=float)
    gap_per_bin = np.bincount(
        calibration_bin(confidence, n_bins), weights=correct - confidence, minlength=n_bins
    )
    return float(np.abs(gap_per_bin).sum() / len(correct))
