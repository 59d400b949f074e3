"""TextBlob baseline, three classes: polarity > 0 positive, < 0 negative, exactly 0 neutral.

A polarity of exactly 0 is what TextBlob gives a text without an opinion word, the common
reading of "neutral". Each class gets a log-odds slope_k * distance_k, where distance_k is how
far the polarity lies inside class k's region (the neutral region is the single point 0, so its
distance is -|polarity|), plus STEP for the class the rule picks: with slopes >= 0 the rule's
class is always the strict argmax. The slopes are a calibration fitted on the public split
(calibration.json).
"""

import json
import math
from pathlib import Path

from textblob import TextBlob

labels = ["negative", "neutral", "positive"]
input_kind = "text"

CALIBRATION_FILE = Path(__file__).parent / "calibration.json"
# Keeps the rule's class strictly ahead in floating point, also at a polarity of exactly 0.
STEP = 0.01


def score(text):
    return TextBlob(text).sentiment.polarity


def rule(value):
    """The class index of the rule: negative below 0, neutral at 0, positive above."""
    return 0 if value < 0 else 2 if value > 0 else 1


def distances(value):
    return [-value, -abs(value), value]


def class_probabilities(value, slopes):
    logits = [slope * distance for slope, distance in zip(slopes, distances(value))]
    logits[rule(value)] += STEP
    top = max(logits)
    weights = [math.exp(logit - top) for logit in logits]
    return [weight / sum(weights) for weight in weights]


def predict(inputs):
    slopes = json.loads(CALIBRATION_FILE.read_text())["slopes"]
    return [class_probabilities(score(text), slopes) for text in inputs]
