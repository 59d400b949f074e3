"""Gradient-boosted trees baseline on UCI Adult records, in plain numpy.

The trees are scikit-learn's GradientBoostingClassifier's (binary log-loss), stored as flat
arrays in trees.npz: for every node its left and right child (-1 at a leaf), the feature it
splits on, its threshold, and its value; `roots` gives each tree's first node. A record becomes
the numeric features followed by one-hot columns (encoding.json); each tree sends a row left when
its feature, as float32 (what scikit-learn's trees compare), is <= the threshold. Then
P(>50K) = sigmoid(prior + learning_rate * the sum of the leaves' values). The build checks that
this gives scikit-learn's numbers.
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
    numeric, one_hot = encoding()
    rows = np.zeros((len(records), len(numeric) + len(one_hot)), dtype=np.float32)
    for row, record in enumerate(records):
        rows[row, : len(numeric)] = [float(record[feature]) for feature in numeric]
        for feature, value in record.items():
            column = one_hot.get((feature, value))
            if column is not None:
                rows[row, column] = 1.0
    return rows


@lru_cache(maxsize=1)
def trees():
    with np.load(HERE / "trees.npz", allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}


def raw_scores(rows):
    """Every row down every tree at once: (rows, trees) node indices, one level per step."""
    model = trees()
    left, right = model["left"].astype(np.int64), model["right"].astype(np.int64)
    feature = model["feature"].astype(np.int64)
    node = np.broadcast_to(model["roots"].astype(np.int64), (len(rows), len(model["roots"])))
    row = np.arange(len(rows))[:, None]
    while True:
        inner = left[node] >= 0
        if not inner.any():
            break
        goes_left = rows[row, feature[node]] <= model["threshold"][node]
        node = np.where(inner, np.where(goes_left, left[node], right[node]), node)
    return float(model["prior"]) + float(model["learning_rate"]) * model["value"][node].sum(axis=1)


def predict(inputs):
    above = 1.0 / (1.0 + np.exp(-raw_scores(encode(list(inputs)))))
    return np.column_stack([1.0 - above, above]).tolist()
