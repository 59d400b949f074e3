import math

import numpy as np
import pytest

from sandbox.errors import BadOutput, InvalidSubmission
from sandbox.protocol import (
    AgentInfo,
    decode_line,
    encode_line,
    validate_hello,
    validate_probabilities,
)

LABELS = ["rotten", "fresh"]


def test_a_message_is_one_json_line():
    line = encode_line({"op": "predict", "inputs": ["ça va", "a\nb"]})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert decode_line(line, max_bytes=100) == {"op": "predict", "inputs": ["ça va", "a\nb"]}


def test_a_reply_longer_than_the_limit_is_bad_output():
    line = encode_line({"ok": True, "probabilities": [[0.5, 0.5]] * 20})
    assert decode_line(line, max_bytes=len(line) - 1)["ok"] is True  # the newline does not count
    with pytest.raises(BadOutput, match=r"larger than the limit of 100 bytes \(max_line_bytes\)"):
        decode_line(line, max_bytes=100)


@pytest.mark.parametrize(
    "line, cause",
    [
        (b"Loading weights...\n", "not valid JSON"),
        (b"\xff\xfe\n", "not valid JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b"[" * 100_000 + b"\n", r"not valid JSON \(maximum recursion depth exceeded"),
    ],
)
def test_a_reply_that_is_not_a_json_object_is_bad_output(line, cause):
    with pytest.raises(BadOutput, match=cause):
        decode_line(line, max_bytes=200_000)


def test_hello_gives_the_labels_and_input_kind():
    info = validate_hello(
        {"ok": True, "protocol": 1, "labels": ["neg", "pos"], "input_kind": "record"}
    )
    assert info == AgentInfo(labels=["neg", "pos"], input_kind="record", protocol=1)
    assert validate_hello({"protocol": 1, "labels": ["a", "b"]}).input_kind == "text"


def test_hello_with_another_protocol_version_is_bad_output():
    with pytest.raises(BadOutput, match="protocol version 2; this server speaks 1"):
        validate_hello({"protocol": 2, "labels": ["a", "b"]})


@pytest.mark.parametrize(
    "reply, cause",
    [
        ({"protocol": 1, "labels": []}, "non-empty list"),
        ({"protocol": 1, "labels": "rotten,fresh"}, "non-empty list"),
        ({"protocol": 1, "labels": ["rotten", 1]}, "non-empty list"),
        ({"protocol": 1, "labels": ["rotten", "fresh", "rotten"]}, r"\['rotten'\] more than once"),
        ({"protocol": 1, "labels": ["a"], "input_kind": "image"}, "'image'; it must be one of"),
    ],
)
def test_hello_with_bad_declarations_is_an_invalid_submission(reply, cause):
    with pytest.raises(InvalidSubmission, match=cause):
        validate_hello(reply)


def test_valid_probabilities_become_a_float_array():
    rows = [[0.25, 0.75], [1, 0], [0.5, 0.50009]]
    probabilities = validate_probabilities(rows, 3, LABELS)
    assert probabilities.dtype == np.float64
    assert probabilities.tolist() == [[0.25, 0.75], [1.0, 0.0], [0.5, 0.50009]]


@pytest.mark.parametrize(
    "rows, cause",
    [
        ({"rotten": 0.5}, "it returned a JSON dict"),
        ([[0.5, 0.5]], "returned 1 rows for a batch of 2 inputs"),
        ([0.3, 0.7], "returned a number \\(0.3\\) as row 0.*rather than a flat list"),
        ([[0.5, 0.5], [0.2, 0.3, 0.5]], "Row 1 .* has 3 values but the model declares 2 labels"),
        (
            [[0.5, 0.5], [math.nan, 1.0]],
            r"column 0 \('rotten'\) .* is nan; probabilities must be finite",
        ),
        ([[0.5, 0.5], [math.inf, 0.0]], "is inf; probabilities must be finite"),
        ([[1.5, -0.5], [0.5, 0.5]], r"is 1.5, outside \[0, 1\].*apply a softmax"),
        ([[2.0, 3.0], [0.5, 0.5]], r"is 2, outside \[0, 1\]"),
        ([[0.5, 0.4], [0.5, 0.5]], "Row 0 .* sums to 0.9, not 1.*Normalise each row"),
        ([[0.5, 0.5], [0.5, 0.5002]], "Row 1 .* sums to 1.0002"),
        ([[True, False], [0.5, 0.5]], r"is a boolean \(true\), not a number"),
        (
            [[0.5, "0.5"], [0.5, 0.5]],
            r"column 1 \('fresh'\) .* is a string \('0.5'\), not a number",
        ),
        ([[0.5, None], [0.5, 0.5]], "is null, not a number"),
    ],
)
def test_bad_probabilities_are_bad_output_naming_the_problem(rows, cause):
    with pytest.raises(BadOutput, match=cause):
        validate_probabilities(rows, 2, LABELS)
