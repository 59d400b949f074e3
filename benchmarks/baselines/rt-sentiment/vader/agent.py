"""VADER baseline: the published rule `compound >= 0 -> fresh`, given as probabilities.

P(fresh) = sigmoid(slope * compound + step), where step = +STEP when compound >= 0 and -STEP
otherwise. With slope >= 0 the mapping is monotone and P(fresh) > 0.5 exactly when
compound >= 0, so the argmax (ties to "rotten", the first label) is the published rule. The slope
is a 1-D logistic calibration fitted on the public split (calibration.json).
"""

import json
import math
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

labels = ["rotten", "fresh"]
input_kind = "text"

CALIBRATION_FILE = Path(__file__).parent / "calibration.json"
# Half the jump of the log-odds at score 0: keeps P(fresh) at a score of exactly 0 clearly above
# 0.5 in floating point, and below 0.5 for any negative score.
STEP = 0.01

_analyzer = SentimentIntensityAnalyzer()


def score(text):
    return _analyzer.polarity_scores(text)["compound"]


def fresh_probability(value, slope):
    log_odds = slope * value + (STEP if value >= 0 else -STEP)
    return 1.0 / (1.0 + math.exp(-log_odds))


def predict(inputs):
    slope = json.loads(CALIBRATION_FILE.read_text())["slope"]
    rows = []
    for text in inputs:
        fresh = fresh_probability(score(text), slope)
        rows.append([1.0 - fresh, fresh])
    return rows
