"""VADER baseline, three classes: the published rule given as probabilities.

VADER's own thresholds: compound >= 0.05 is positive, compound <= -0.05 negative, anything
between neutral. Each class gets a log-odds slope_k * distance_k, where distance_k is how far the
compound lies inside class k's interval (negative outside it), plus STEP for the class the rule
picks; with slopes >= 0 the rule's class is always the strict argmax, so the argmax is exactly
the published rule. The slopes are a calibration fitted on the public split (calibration.json).
"""

import json
import math
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

labels = ["negative", "neutral", "positive"]
input_kind = "text"

CALIBRATION_FILE = Path(__file__).parent / "calibration.json"
NEGATIVE_UP_TO = -0.05
POSITIVE_FROM = 0.05
# Keeps the rule's class strictly ahead in floating point, also on an interval's boundary.
STEP = 0.01

_analyzer = SentimentIntensityAnalyzer()


def score(text):
    return _analyzer.polarity_scores(text)["compound"]


def rule(value):
    """The class index the published rule gives a compound score."""
    if value >= POSITIVE_FROM:
        return 2
    if value <= NEGATIVE_UP_TO:
        return 0
    return 1


def distances(value):
    return [NEGATIVE_UP_TO - value, min(value - NEGATIVE_UP_TO, POSITIVE_FROM - value),
            value - POSITIVE_FROM]


def class_probabilities(value, slopes):
    logits = [slope * distance for slope, distance in zip(slopes, distances(value))]
    logits[rule(value)] += STEP
    top = max(logits)
    weights = [math.exp(logit - top) for logit in logits]
    return [weight / sum(weights) for weight in weights]


def predict(inputs):
    slopes = json.loads(CALIBRATION_FILE.read_text())["slopes"]
    return [class_probabilities(score(text), slopes) for text in inputs]
