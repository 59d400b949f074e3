"""Builders of the adult-income baselines, each from the public split (adult.data) only.

Both encode a record the same way: the numeric features, then one-hot columns for each category
seen in the public split (encoding.json). Both are deterministic: lbfgs converges to the same
optimum, and the trees see every row and every feature (no subsampling), with a fixed
random_state for scikit-learn's tie-breaking between equally good splits.
- logistic_regression: standardised numeric features, C = 1;
- gradient_boosting: GradientBoostingClassifier, 200 trees of depth 3, learning rate 0.1.
"""

import numpy as np

from benchmarks.baselines.build import load_agent, write_json, write_npz
from benchmarks.datasets import adult_income

CATEGORICAL = [name for name in adult_income.FEATURES if name not in adult_income.NUMERIC]
NUMERIC = [name for name in adult_income.FEATURES if name in adult_income.NUMERIC]
POSITIVE = adult_income.LABELS.index(adult_income.POSITIVE_LABEL)


def write_encoding(folder, public):
    one_hot = sorted({(feature, item.record[feature]) for item in public for feature in CATEGORICAL})
    write_json(folder / "encoding.json",
               {"numeric": NUMERIC, "one_hot": [list(pair) for pair in one_hot]}, indent=0)


def encoded(folder, items):
    """The agent's own encoding of the items' records, and their 0/1 targets."""
    agent = load_agent(folder)
    rows = np.asarray(agent.encode([item.record for item in items]), dtype=np.float64)
    targets = np.array([adult_income.LABELS.index(item.label) == POSITIVE for item in items],
                       dtype=int)
    return agent, rows, targets


def check_against(agent, model_probabilities, records, what):
    difference = np.max(np.abs(np.asarray(agent.predict(records)) - model_probabilities))
    if difference > 1e-9:
        raise AssertionError(f"{what} agent differs from scikit-learn by {difference:.2e}")
    return float(difference)


def build_logistic_regression(folder, dataset):
    from sklearn.linear_model import LogisticRegression

    public = dataset.split("public")
    write_encoding(folder, public)
    _, rows, targets = encoded(folder, public)
    mean = rows[:, : len(NUMERIC)].mean(axis=0)
    scale = rows[:, : len(NUMERIC)].std(axis=0)
    rows[:, : len(NUMERIC)] = (rows[:, : len(NUMERIC)] - mean) / scale
    classifier = LogisticRegression(C=1.0, max_iter=5000).fit(rows, targets)
    write_npz(folder / "weights.npz", mean=mean, scale=scale,
              coef=classifier.coef_[0].astype(np.float64),
              intercept=np.float64(classifier.intercept_[0]))
    difference = check_against(load_agent(folder), classifier.predict_proba(rows),
                               [item.record for item in public], "logistic_regression")
    return {"C": 1.0, "columns": rows.shape[1], "max_difference_from_sklearn_on_public": difference}


def build_gradient_boosting(folder, dataset):
    from sklearn.ensemble import GradientBoostingClassifier

    public = dataset.split("public")
    write_encoding(folder, public)
    _, rows, targets = encoded(folder, public)
    parameters = {"n_estimators": 200, "max_depth": 3, "learning_rate": 0.1, "random_state": 0}
    classifier = GradientBoostingClassifier(**parameters).fit(rows, targets)
    left, right, feature, threshold, value, roots = [], [], [], [], [], []
    offset = 0
    for estimator in classifier.estimators_[:, 0]:
        tree = estimator.tree_
        roots.append(offset)
        inner = tree.children_left >= 0
        left.append(np.where(inner, tree.children_left + offset, -1))
        right.append(np.where(inner, tree.children_right + offset, -1))
        feature.append(np.where(inner, tree.feature, 0))
        threshold.append(tree.threshold)
        value.append(tree.value[:, 0, 0])
        offset += tree.node_count
    prior = classifier.init_.class_prior_[1]
    write_npz(folder / "trees.npz",
              left=np.concatenate(left).astype(np.float64),
              right=np.concatenate(right).astype(np.float64),
              feature=np.concatenate(feature).astype(np.float64),
              threshold=np.concatenate(threshold).astype(np.float64),
              value=np.concatenate(value).astype(np.float64),
              roots=np.array(roots, dtype=np.float64),
              prior=np.float64(np.log(prior / (1 - prior))),
              learning_rate=np.float64(parameters["learning_rate"]))
    difference = check_against(load_agent(folder), classifier.predict_proba(rows),
                               [item.record for item in public], "gradient_boosting")
    return {**parameters, "columns": rows.shape[1], "nodes": offset,
            "max_difference_from_sklearn_on_public": difference}


BASELINES = {
    "logistic_regression": build_logistic_regression,
    "gradient_boosting": build_gradient_boosting,
}
