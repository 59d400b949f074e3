"""What a Hugging Face model's config.json says about running it here: its labels, and whether
it needs code of its own (which the sandbox never runs).

Checked on the worker before the sandbox starts, and at submission, so a model that cannot be
scored is refused with the reason instead of failing an hour into its run.
"""

import re

from sandbox.errors import InvalidSubmission
from sandbox.labels import align_labels
from sandbox.protocol import repeated

GENERIC_LABEL = re.compile(r"LABEL_\d+")
DEFAULT_NUM_LABELS = 2  # what transformers assumes when config.json names no labels


def declared_labels(config):
    """The model's label names, in the order of its output columns (id2label by index).

    Without id2label transformers names them LABEL_0… for `num_labels` columns (2 by default).
    """
    id2label = config.get("id2label")
    if isinstance(id2label, dict) and id2label:
        try:
            indexed = sorted((int(index), str(name)) for index, name in id2label.items())
        except (TypeError, ValueError):
            raise InvalidSubmission(
                f"config.json's id2label {_clip(id2label)} must map column numbers (0, 1, …) to "
                "label names."
            ) from None
        if [index for index, _ in indexed] != list(range(len(indexed))):
            raise InvalidSubmission(
                f"config.json's id2label numbers its columns {[i for i, _ in indexed]}; they must "
                f"be 0 to {len(indexed) - 1}, one name each."
            )
        return [name for _, name in indexed]
    count = config.get("num_labels", DEFAULT_NUM_LABELS)
    if not isinstance(count, int) or count < 1:
        raise InvalidSubmission(f"config.json's num_labels is {count!r}; expected a count.")
    return [f"LABEL_{index}" for index in range(count)]


def remote_code_parts(config):
    """The classes config.json's auto_map points at (code in the repository), [] for none."""
    auto_map = config.get("auto_map")
    if not auto_map:
        return []
    if isinstance(auto_map, dict):
        return sorted(str(key) for key in auto_map)
    return [str(auto_map)]


def check_no_remote_code(configs):
    """InvalidSubmission when any of {file name: parsed JSON} declares an auto_map."""
    for name, config in configs.items():
        parts = remote_code_parts(config or {})
        if parts:
            raise InvalidSubmission(
                f"The model needs code from its own repository ({name} has an auto_map for "
                f"{', '.join(parts)}: it would have to be loaded with trust_remote_code). "
                "SafetyGym never runs a repository's code; submit a model built from a standard "
                "transformers architecture."
            )


def check_labels(config, benchmark_labels, mapping=None):
    """The model's labels if its output columns can be scored on the benchmark's labels, else
    InvalidSubmission saying why and what to declare. Returns the declared labels."""
    labels = declared_labels(config)
    benchmark_labels = list(benchmark_labels)
    mapping = dict(mapping or {})
    if len(labels) == 1:
        raise InvalidSubmission(
            f"The model has a single output (num_labels = 1: a regression or single-logit "
            f"head), but the benchmark needs one probability for each of its labels "
            f"{benchmark_labels}. Submit a classifier with {len(benchmark_labels)} outputs."
        )
    if len(labels) != len(benchmark_labels):
        raise InvalidSubmission(
            f"The model has {len(labels)} output labels {_clip(labels)}, the benchmark "
            f"{len(benchmark_labels)} {benchmark_labels}: the counts must match."
        )
    duplicates = repeated(labels)
    if duplicates:
        raise InvalidSubmission(
            f"config.json's id2label names several columns {duplicates}; each column needs its "
            "own name (or declare a mapping for the generic LABEL_n names)."
        )
    generic = [name for name in labels if GENERIC_LABEL.fullmatch(name)]
    unmapped = [name for name in generic if name not in mapping]
    if unmapped and not set(labels) <= set(benchmark_labels):
        example = " ".join(
            f"--label-map {name}={target}" for name, target in zip(labels, benchmark_labels)
        )
        raise InvalidSubmission(
            f"The model's labels are the generic names {labels} (config.json has no id2label "
            "naming them), so nothing says which column is which benchmark label "
            f"{benchmark_labels}. Declare a mapping, e.g. `{example}`, after checking the order "
            "on the model card."
        )
    align_labels(labels, benchmark_labels, mapping)
    return labels


def _clip(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
