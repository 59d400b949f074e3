import numpy as np
import pytest

from sandbox.errors import InvalidSubmission
from sandbox.labels import align_labels, predicted_labels


def test_labels_are_matched_by_name():
    # For each benchmark label, the model's column holding it.
    assert align_labels(["fresh", "rotten"], ["rotten", "fresh"]) == [1, 0]
    assert align_labels(["rotten", "fresh"], ["rotten", "fresh"]) == [0, 1]
    assert align_labels(["b", "c", "a"], ["a", "b", "c"]) == [2, 0, 1]


def test_a_declared_mapping_renames_the_model_labels():
    mapping = {"POSITIVE": "fresh", "NEGATIVE": "rotten"}
    assert align_labels(["POSITIVE", "NEGATIVE"], ["rotten", "fresh"], mapping) == [1, 0]
    # A partial mapping: unmapped labels keep their names.
    assert align_labels(["pos", "rotten"], ["rotten", "fresh"], {"pos": "fresh"}) == [1, 0]


@pytest.mark.parametrize(
    "agent_labels, mapping, cause",
    [
        (
            ["negative", "positive"],
            None,
            r"nothing maps to the benchmark label\(s\) \['rotten', 'fresh'\]",
        ),
        (
            ["rotten", "fresh", "neutral"],
            None,
            r"the model label\(s\) \['neutral'\] have no benchmark label",
        ),
        (["rotten"], None, r"nothing maps to the benchmark label\(s\) \['fresh'\]"),
        (["Rotten", "Fresh"], None, "declare a mapping"),
        (
            ["neg", "pos"],
            {"neg": "rotten", "positive": "fresh"},
            r"renames \['positive'\], which the model does not declare",
        ),
        (
            ["neg", "pos"],
            {"neg": "rotten", "pos": "good"},
            r"maps to \['good'\], which are not labels of this benchmark",
        ),
        (
            ["neg", "pos"],
            {"neg": "fresh", "pos": "fresh"},
            r"several model labels become \['fresh'\]",
        ),
    ],
)
def test_an_unmappable_label_set_is_an_invalid_submission(agent_labels, mapping, cause):
    with pytest.raises(InvalidSubmission, match=cause):
        align_labels(agent_labels, ["rotten", "fresh"], mapping)


def test_the_prediction_is_the_argmax_and_a_tie_goes_to_the_earliest_benchmark_label():
    probabilities = np.array(
        [
            [0.3, 0.7, 0.0],
            [0.4, 0.2, 0.4],  # tie between labels 0 and 2
            [0.1, 0.45, 0.45],  # tie between labels 1 and 2
            [1 / 3, 1 / 3, 1 / 3],
        ]
    )
    assert predicted_labels(probabilities).tolist() == [1, 0, 1, 0]
