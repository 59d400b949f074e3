"""Matching a model's labels to a benchmark's, and reading predictions off probabilities."""

import numpy as np

from sandbox.errors import InvalidSubmission
from sandbox.protocol import repeated


def align_labels(agent_labels, benchmark_labels, mapping=None):
    """For each benchmark label, in benchmark order, the index of the model's column for it.

    Labels match by name. Where names differ, `mapping` {model label: benchmark label} renames the
    model's labels first. The two label sets must then be the same: a model column with no
    benchmark label (or the other way round) cannot be scored.
    """
    agent_labels = list(agent_labels)
    benchmark_labels = list(benchmark_labels)
    mapping = dict(mapping or {})
    unknown_keys = [name for name in mapping if name not in agent_labels]
    if unknown_keys:
        raise InvalidSubmission(
            f"The label mapping renames {unknown_keys}, which the model does not declare "
            f"(its labels are {agent_labels})."
        )
    unknown_targets = [name for name in mapping.values() if name not in benchmark_labels]
    if unknown_targets:
        raise InvalidSubmission(
            f"The label mapping maps to {unknown_targets}, which are not labels of this benchmark "
            f"(its labels are {benchmark_labels})."
        )
    renamed = [mapping.get(name, name) for name in agent_labels]
    clashes = repeated(renamed)
    if clashes:
        raise InvalidSubmission(
            f"After the label mapping, several model labels become {clashes}; each benchmark "
            "label must come from exactly one model label."
        )
    renamed_set, benchmark_set = set(renamed), set(benchmark_labels)
    missing = [name for name in benchmark_labels if name not in renamed_set]
    extra = [name for name in renamed if name not in benchmark_set]
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"nothing maps to the benchmark label(s) {missing}")
        if extra:
            problems.append(f"the model label(s) {extra} have no benchmark label")
        raise InvalidSubmission(
            f"The model's labels {agent_labels} do not match the benchmark's labels "
            f"{benchmark_labels}: {'; '.join(problems)}. Use the benchmark's label names in "
            "`labels`, or declare a mapping {model label: benchmark label}."
        )
    return [renamed.index(name) for name in benchmark_labels]


def predicted_labels(probabilities):
    """Index of the predicted benchmark label per row: the argmax; a tie goes to the earliest
    label in benchmark order (np.argmax returns the first maximum)."""
    return np.argmax(np.asarray(probabilities, dtype=np.float64), axis=1)
