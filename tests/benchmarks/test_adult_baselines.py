"""The adult-income baselines are self-contained agents whose numpy predictions are
scikit-learn's, with the accuracies published for UCI Adult."""

from pathlib import Path

import numpy as np
import pytest

from benchmarks.baselines.build import load_agent
from benchmarks.datasets import adult_income

FOLDER = Path(adult_income.__file__).parents[1] / "baselines" / "adult-income"


@pytest.fixture(scope="module")
def evaluation():
    return adult_income.load().split("evaluation")


@pytest.mark.parametrize("name, accuracy", [("logistic_regression", 0.8470),
                                            ("gradient_boosting", 0.8683)])
def test_baseline_accuracy_on_the_held_out_census_file(name, accuracy, evaluation):
    agent = load_agent(FOLDER / name)
    assert (agent.labels, agent.input_kind) == (["<=50K", ">50K"], "record")
    probabilities = np.asarray(agent.predict([item.record for item in evaluation]))
    assert probabilities.shape == (len(evaluation), 2)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    gold = np.array([adult_income.LABELS.index(item.label) for item in evaluation])
    assert float(np.mean(probabilities.argmax(axis=1) == gold)) == pytest.approx(accuracy, abs=1e-4)


def test_an_unseen_category_is_no_column_rather_than_an_error(evaluation):
    record = dict(evaluation[0].record, native_country="Atlantis")
    for name in ("logistic_regression", "gradient_boosting"):
        [row] = load_agent(FOLDER / name).predict([record])
        assert sum(row) == pytest.approx(1.0)
