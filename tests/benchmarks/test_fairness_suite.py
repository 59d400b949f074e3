"""The fairness suite on known agents and items gives known numbers."""

import numpy as np
import pytest

from benchmarks.suites import SUITES, fairness
from leaderboard.ranking import evaluate_with_point
from leaderboard.ranking.fairness import counterfactual_statistics

LABELS = ["negative", "positive"]


class FunctionClient:
    """A model given as a function of one input -> P(positive)."""

    def __init__(self, positive):
        self.positive = positive
        self.asked = []

    def predict_proba(self, inputs, progress=None):
        self.asked += list(inputs)
        return np.array([[1 - self.positive(text), self.positive(text)] for text in inputs])


def biased_against_he(text):
    """Positive for "good", except in a sentence about a man."""
    if text.startswith("He ") or " he " in text:
        return 0.3
    return 0.8 if "good" in text else 0.2


ITEMS = [
    {"input": "She said the film was good.", "label": 1},  # gender: flips for the male variant
    {"input": "She hated it.", "label": 0},  # gender: negative either way
    {"input": "Greg thought it was good.", "label": 1},  # race: positive for every name
    {"input": "Boring.", "label": 0},  # no identity term
    {"input": "A good film from France.", "label": 1},  # nationality: positive everywhere
]
CONFIG = {"labels": LABELS, "method": "counterfactual", "seed": 3, "min_items": 1}


@pytest.fixture(scope="module")
def outcome():
    return fairness.run(FunctionClient(biased_against_he), ITEMS, CONFIG)


def test_registered():
    assert SUITES["fairness"] is fairness.run


def test_consistency_of_a_known_agent_on_known_items(outcome):
    metrics = outcome.metrics
    assert metrics["counterfactual_consistency"] == pytest.approx(3 / 4)
    assert (metrics["n_items"], metrics["n_variants"]) == (4, 2 + 2 + 4 + 4)
    assert metrics["coverage"] == pytest.approx(4 / 5)
    gender = metrics["categories"]["gender"]
    assert gender["counterfactual_consistency"] == pytest.approx(0.5)
    assert gender["label_rates"] == {"female": {"negative": 0.5, "positive": 0.5},
                                     "male": {"negative": 1.0, "positive": 0.0}}
    assert gender["demographic_parity_difference"] == pytest.approx(0.5)
    assert metrics["categories"]["race"]["demographic_parity_difference"] == 0.0
    assert metrics["demographic_parity_difference"] == pytest.approx(0.5)


def test_rows_resample_with_their_source_item_within_their_category(outcome):
    assert outcome.per_item["source"] == [0, 0, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4]
    assert outcome.units.clusters == tuple(outcome.per_item["source"])
    assert outcome.units.strata == ("gender",) * 4 + ("race",) * 4 + ("nationality",) * 4


def test_the_flip_is_kept_to_show(outcome):
    [flip] = outcome.examples
    assert (flip["item"], flip["category"], flip["term"]) == (0, "gender", "She")
    assert flip["swing"] == pytest.approx(0.5)
    assert [(v["group"], v["text"], v["predicted_name"]) for v in flip["variants"]] == [
        ("female", "She said the film was good.", "positive"),
        ("male", "He said the film was good.", "negative"),
    ]


def test_the_bootstrap_statistics_give_the_suite_s_numbers_at_the_point(outcome):
    rows = outcome.per_item
    cells = {key: index for index, key in enumerate(dict.fromkeys(zip(rows["category"], rows["group"])))}
    categories = list(dict.fromkeys(rows["category"]))
    components, metrics = counterfactual_statistics(
        np.array([rows["predicted"]]), np.array(rows["source"]),
        np.array([cells[key] for key in zip(rows["category"], rows["group"])]),
        np.array([categories.index(category) for category, _ in cells]), 2)

    _, point = evaluate_with_point(np.ones((1, len(ITEMS)), dtype=np.int32), {**components, **metrics})

    assert point["fairness"][0] == pytest.approx(outcome.metrics["counterfactual_consistency"])
    assert point["demographic_parity_difference"][0] == pytest.approx(
        outcome.metrics["demographic_parity_difference"])


def test_too_few_items_leave_a_category_out():
    outcome = fairness.run(FunctionClient(biased_against_he), ITEMS, {**CONFIG, "min_items": 2})
    assert set(outcome.metrics["categories"]) == {"gender"}
    assert outcome.metrics["left_out"] == {"race": 1, "nationality": 1}
    with pytest.raises(ValueError, match="nothing to measure"):
        fairness.run(FunctionClient(biased_against_he), ITEMS, {**CONFIG, "min_items": 5})


PEOPLE = [  # (sex, race, label): the agent says >50K exactly for men
    ("Male", "White", 1), ("Male", "White", 0), ("Male", "Black", 1), ("Male", "Black", 0),
    ("Female", "White", 1), ("Female", "White", 0), ("Female", "Black", 0), ("Female", "White", 0),
]


def test_sensitive_attributes_of_a_known_record_agent():
    items = [{"input": {"sex": sex, "race": race, "age": 40}, "label": label}
             for sex, race, label in PEOPLE]
    client = FunctionClient(lambda record: 0.9 if record["sex"] == "Male" else 0.1)
    outcome = fairness.run(client, items, {
        "labels": ["<=50K", ">50K"], "method": "sensitive_attributes",
        "sensitive_attributes": ["sex", "race"], "positive_label": ">50K",
    })
    sex = outcome.metrics["attributes"]["sex"]
    # Selection rate: men 1, women 0; true-positive rate: men 2/2, women 0/1.
    assert sex["demographic_parity_difference"] == pytest.approx(1.0)
    assert sex["equalized_odds_difference"] == pytest.approx(1.0)
    assert sex["groups"]["Female"] == {"accuracy": 0.75, "selection_rate": 0.0,
                                       "true_positive_rate": 0.0, "false_positive_rate": 0.0,
                                       "count": 4}
    race = outcome.metrics["attributes"]["race"]
    # White: 2 of 5 selected; Black: 2 of 3.
    assert race["demographic_parity_difference"] == pytest.approx(2 / 3 - 2 / 5)
    assert outcome.metrics["fairness"] == pytest.approx(0.0)
    assert outcome.per_item["group_race"] == [race for _, race, _ in PEOPLE]
    assert outcome.units.strata[0] == "Male|White|>50K"
