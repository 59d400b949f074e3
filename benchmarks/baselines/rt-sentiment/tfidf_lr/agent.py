"""TF-IDF (word 1-2 grams) + logistic regression baseline, in plain numpy.

Reproduces scikit-learn's TfidfVectorizer(ngram_range=(1, 2), min_df=2) followed by a binary
LogisticRegression: lowercase, tokens matching (?u)\\b\\w\\w+\\b, unigrams then space-joined
bigrams, raw counts times idf, L2-normalised rows, then sigmoid(row . coef + intercept) as
P(fresh). The vocabulary (vocabulary.json, terms in column order), idf and coefficients
(weights.npz) are written by the build from the public split.
"""

import itertools
import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

labels = ["rotten", "fresh"]
input_kind = "text"

HERE = Path(__file__).parent
TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def model():
    terms = json.loads((HERE / "vocabulary.json").read_text(encoding="utf-8"))
    with np.load(HERE / "weights.npz", allow_pickle=False) as weights:
        return (
            {term: column for column, term in enumerate(terms)},
            weights["idf"],
            weights["coef"],
            float(weights["intercept"]),
        )


def ngrams(text):
    tokens = TOKEN_PATTERN.findall(text.lower())
    return tokens + [" ".join(pair) for pair in itertools.pairwise(tokens)]


def decision_function(inputs):
    vocabulary, idf, coef, intercept = model()
    scores = np.full(len(inputs), intercept)
    for row, text in enumerate(inputs):
        columns = [vocabulary[gram] for gram in ngrams(text) if gram in vocabulary]
        if not columns:
            continue  # an all-zero row: the score is the intercept alone
        columns, counts = np.unique(columns, return_counts=True)
        weights = counts * idf[columns]
        weights /= np.sqrt(weights @ weights)
        scores[row] += weights @ coef[columns]
    return scores


def predict(inputs):
    fresh = 1.0 / (1.0 + np.exp(-decision_function(list(inputs))))
    return np.column_stack([1.0 - fresh, fresh]).tolist()
