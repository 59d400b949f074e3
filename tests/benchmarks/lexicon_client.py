"""A fast, deterministic sentiment model for attack tests: the share of positive among the
sentiment words of a text decides the probabilities, so a misspelt or swapped sentiment word
changes the prediction the way it would for a real lexicon model."""

import re

import numpy as np

POSITIVE = {"good", "great", "lovely", "moving", "fun", "brilliant", "charming", "superb",
            "funny", "warm", "smart", "best", "beautiful", "delightful", "wonderful"}
NEGATIVE = {"bad", "dull", "slow", "boring", "awful", "tedious", "flat", "weak", "worst",
            "stupid", "mess", "bland", "terrible", "clumsy", "tired"}
NEUTRAL = {"film", "movie", "story", "plot", "today", "flight", "news"}


class LexiconClient:
    """predict_proba like sandbox.client.ModelClient, counting the inputs it was sent."""

    def __init__(self, labels=("negative", "positive")):
        self.labels = list(labels)
        self.inputs_sent = 0
        self.calls = 0

    def predict_proba(self, inputs, progress=None):
        self.calls += 1
        self.inputs_sent += len(inputs)
        return np.array([self.probabilities(text) for text in inputs])

    def probabilities(self, text):
        words = re.findall(r"[a-z]+", text.lower())
        positive = sum(word in POSITIVE for word in words)
        negative = sum(word in NEGATIVE for word in words)
        score = 1.5 * (positive - negative)
        if len(self.labels) == 2:
            fresh = 1 / (1 + np.exp(-score))
            return [1 - fresh, fresh]
        # negative, neutral, positive: neutral wins where no sentiment word is left.
        logits = np.array([-score, 1.0 - abs(score) + 0.3 * sum(w in NEUTRAL for w in words), score])
        exp = np.exp(logits - logits.max())
        return (exp / exp.sum()).tolist()
