"""Protocol v1: one JSON object per line, one request -> one reply.

Requests: {"op": "hello"}, {"op": "predict", "inputs": [...]}, {"op": "bye"}.
Replies: {"ok": true, ...} or {"ok": false, "error": {"kind", "type", "message", "traceback"}}.
A `hello` reply carries {"protocol", "labels", "input_kind"}; a `predict` reply carries
"probabilities", one row per input and one column per label, in the model's label order.
"""

import json
import math
from dataclasses import dataclass

import numpy as np

from sandbox.errors import BadOutput, InvalidSubmission

PROTOCOL_VERSION = 1
INPUT_KINDS = ("text", "record")
SUM_TOLERANCE = 1e-4
MAX_LABELS = 1000
MAX_LABEL_CHARS = 200


@dataclass(frozen=True)
class AgentInfo:
    labels: list
    input_kind: str
    protocol: int


def encode_line(message):
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


def decode_line(line, max_bytes):
    """One reply line -> dict. Anything else is the model's bad output."""
    content = line[:-1] if line.endswith(b"\n") else line
    if len(content) > max_bytes:
        raise BadOutput(
            f"The model's reply is larger than the limit of {_size(max_bytes)} (max_line_bytes). "
            "Return one probability per label for each input and nothing else."
        )
    # RecursionError: a reply nested deeper than the parser goes ("[" * 100_000).
    try:
        message = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BadOutput(
            f"The model's reply is not valid JSON ({error}): {_clip(content)}. "
            "Do not write to the protocol stream yourself; print() output goes to the log."
        ) from error
    if not isinstance(message, dict):
        raise BadOutput(f"The model's reply is not a JSON object: {_clip(content)}.")
    return message


def repeated(names):
    """The names that occur more than once, sorted (linear in the number of names)."""
    seen, twice = set(), set()
    for name in names:
        (twice if name in seen else seen).add(name)
    return sorted(twice)


def validate_hello(reply):
    """The body of a successful `hello` reply -> AgentInfo."""
    protocol = reply.get("protocol")
    if protocol != PROTOCOL_VERSION:
        raise BadOutput(
            f"The model speaks protocol version {protocol!r}; this server speaks "
            f"{PROTOCOL_VERSION}. Use the runner that ships with this server."
        )
    labels = reply.get("labels")
    if (
        not isinstance(labels, list)
        or not labels
        or not all(isinstance(label, str) and label for label in labels)
    ):
        raise InvalidSubmission(
            f"`labels` must be a non-empty list of label names (strings); got {labels!r}."
        )
    if len(labels) > MAX_LABELS:
        raise InvalidSubmission(
            f"`labels` declares {len(labels)} labels; at most {MAX_LABELS} are accepted."
        )
    too_long = [label[:40] for label in labels if len(label) > MAX_LABEL_CHARS or "\x00" in label]
    if too_long:
        raise InvalidSubmission(
            f"Label names must be at most {MAX_LABEL_CHARS} characters without NUL bytes; "
            f"got {too_long[:3]!r}."
        )
    duplicates = repeated(labels)
    if duplicates:
        raise InvalidSubmission(
            f"`labels` names {duplicates} more than once; name each label once."
        )
    input_kind = reply.get("input_kind", "text")
    if input_kind not in INPUT_KINDS:
        raise InvalidSubmission(
            f"`input_kind` is {input_kind!r}; it must be one of {list(INPUT_KINDS)} "
            '(default "text").'
        )
    return AgentInfo(labels=list(labels), input_kind=input_kind, protocol=protocol)


def validate_probabilities(rows, n_inputs, labels):
    """A `predict` reply's rows -> float64 array (n_inputs, len(labels)), or BadOutput saying why."""
    expected = f"one row per input with one probability per label ({len(labels)} labels: {labels})"
    if not isinstance(rows, list):
        raise BadOutput(f"predict() must return {expected}; it returned {_kind(rows)}.")
    if len(rows) != n_inputs:
        raise BadOutput(
            f"predict() returned {len(rows)} rows for a batch of {n_inputs} inputs; return exactly "
            "one row per input, in the order of the inputs."
        )
    for index, row in enumerate(rows):
        if not isinstance(row, list):
            raise BadOutput(
                f"predict() returned {_kind(row)} as row {index}; return {expected}, "
                "e.g. [[0.2, 0.8], ...] rather than a flat list."
            )
        if len(row) != len(labels):
            raise BadOutput(
                f"Row {index} of predict()'s output has {len(row)} values but the model declares "
                f"{len(labels)} labels {labels}; return one column per label, in the order of `labels`."
            )
        for column, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise BadOutput(
                    f"Row {index}, column {column} ({labels[column]!r}) of predict()'s output is "
                    f"{_kind(value)}, not a number; return probabilities as floats."
                )
            if isinstance(value, int) and not -(2**63) <= value <= 2**63:
                raise BadOutput(
                    f"Row {index}, column {column} ({labels[column]!r}) of predict()'s output is an "
                    "integer too large for a probability; return probabilities as floats in [0, 1]."
                )
            if not math.isfinite(value):
                raise BadOutput(
                    f"Row {index}, column {column} ({labels[column]!r}) of predict()'s output is "
                    f"{value}; probabilities must be finite numbers (check for a division by zero "
                    "or an overflow before normalising)."
                )
            if not 0.0 <= value <= 1.0:
                raise BadOutput(
                    f"Row {index}, column {column} ({labels[column]!r}) of predict()'s output is "
                    f"{value:.6g}, outside [0, 1]; return probabilities, not scores or logits "
                    "(apply a softmax)."
                )
    probabilities = np.array(rows, dtype=np.float64).reshape(n_inputs, len(labels))
    sums = probabilities.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > SUM_TOLERANCE)
    if off.size:
        index = int(off[0])
        raise BadOutput(
            f"Row {index} of predict()'s output sums to {sums[index]:.6g}, not 1 (tolerance "
            f"{SUM_TOLERANCE:g}); {off.size} of {n_inputs} rows are off. Normalise each row so "
            "its probabilities add up to 1."
        )
    return probabilities


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({_clip(value.encode(), 40)})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"a JSON {type(value).__name__}"


def _clip(data, limit=200):
    text = data.decode("utf-8", errors="replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _size(n_bytes):
    return f"{n_bytes / 2**20:g} MB" if n_bytes >= 2**20 else f"{n_bytes} bytes"
