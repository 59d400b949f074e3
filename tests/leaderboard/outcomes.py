"""Per-item outcomes of made-up models, shared by the ranking tests."""

import numpy as np

from leaderboard.ranking import ModelOutcomes


def outcomes(name, labels, wrong_items, confidence=0.8, n_classes=2, **item_scores):
    """A model right on every item except wrong_items, where it predicts the next class."""
    predicted = np.array(labels)
    predicted[list(wrong_items)] = (predicted[list(wrong_items)] + 1) % n_classes
    return ModelOutcomes(
        name=name,
        correct=(predicted == labels).astype(int),
        confidence=np.full(len(labels), confidence) if np.isscalar(confidence) else confidence,
        predicted=predicted,
        item_scores=item_scores,
    )


def by_name(result):
    return {model.name: model for model in result.models}
