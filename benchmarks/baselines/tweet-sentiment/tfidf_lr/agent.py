"""TF-IDF (word 1-2 grams) + multinomial logistic regression baseline, in plain numpy.

Reproduces scikit-learn's TfidfVectorizer(ngram_range=(1, 2), min_df=2) followed by a
three-class LogisticRegression: lowercase, tokens matching (?u)\\b\\w\\w+\\b, unigrams then
space-joined bigrams, raw counts times idf, L2-normalised rows, then the softmax of
row . coef.T + intercept. The vocabulary (vocabulary.json, terms in column order), idf and
coefficients (weights.npz) are written by the build from the public split.
"""

import itertools
import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

labels = ["negative", "neutral", "positive"]
input_kind = "text"

HERE = Path(__file__).parent
TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def model():
    terms = json.loads((HERE / "vocabulary.json").read_text(encoding="utf-8"))
    with np.load(HERE / "weights.npz", allow_pickle=False) as weights:
        return ({term: column for column, term in enumerate(terms)}, weights["idf"],
                weights["coef"], weights["intercept"])


def tfidf_ngrams(text):
    tokens = TOKEN_PATTERN.findall(text.lower())
    return tokens + [" ".join(pair) for pair in itertools.pairwise(tokens)]


def class_scores(inputs):
    vocabulary, idf, coef, intercept = model()
    scores = np.tile(intercept, (len(inputs), 1))
    for row, text in enumerate(inputs):
        columns = [vocabulary[gram] for gram in tfidf_ngrams(text) if gram in vocabulary]
        if not columns:
            continue  # an all-zero row: the scores are the intercepts alone
        columns, counts = np.unique(columns, return_counts=True)
        weights = counts * idf[columns]
        weights /= np.sqrt(weights @ weights)
        scores[row] += coef[:, columns] @ weights
    return scores


def predict(inputs):
    scores = class_scores(list(inputs))
    scores -= scores.max(axis=1, keepdims=True)
    exponentials = np.exp(scores)
    return (exponentials / exponentials.sum(axis=1, keepdims=True)).tolist()
