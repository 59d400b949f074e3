"""Logistic regression baseline on UCI Adult records, in plain numpy.

A record (a JSON object of the 13 census features) becomes a row of the numeric features,
standardised with the public split's mean and standard deviation, followed by a one-hot column
for each category seen in the public split (a category never seen there is all zeros). Then
P(>50K) = sigmoid(row . coef + intercept). encoding.json and weights.npz are written by the
build from the public split, which also checks that this gives scikit-learn's numbers.
"""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

labels = ["<=50K", ">50K"]
input_kind = "record"

HERE = Path(__file__).parent


@lru_cache(maxsize=1)
def encoding():
    spec = json.loads((HERE / "encoding.json").read_text(encoding="utf-8"))
    columns = {(feature, value): index for index, (feature, value) in
               enumerate(spec["one_hot"], start=len(spec["numeric"]))}
    return spec["numeric"], columns


def encode(records):
    """(n, columns) float64: numeric features as they are, then the one-hot columns."""
    numeric, one_hot = encoding()
    rows = np.zeros((len(records), len(numeric) + len(one_hot)))
    for row, record in enumerate(records):
        rows[row, : len(numeric)] = [float(record[feature]) for feature in numeric]
        for feature, value in record.items():
            column = one_hot.get((feature, value))
            if column is not None:
                rows[row, column] = 1.0
    return rows


def predict(inputs):
    with np.load(HERE / "weights.npz", allow_pickle=False) as weights:
        rows = encode(list(inputs))
        numeric = len(weights["mean"])
        rows[:, :numeric] = (rows[:, :numeric] - weights["mean"]) / weights["scale"]
        above = 1.0 / (1.0 + np.exp(-(rows @ weights["coef"] + weights["intercept"])))
    return np.column_stack([1.0 - above, above]).tolist()
