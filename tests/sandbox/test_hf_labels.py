"""A Hugging Face model's labels (config.json's id2label) against a benchmark's: matched by
name or through a declared mapping, and every case that cannot be scored refused before the
run with what to declare."""

import pytest

from sandbox.errors import InvalidSubmission
from sandbox.hf_config import check_labels, declared_labels

BENCHMARK = ["rotten", "fresh"]


def config(id2label=None, **extra):
    return {**({"id2label": id2label} if id2label is not None else {}), **extra}


def test_named_labels_are_the_columns_in_index_order():
    assert declared_labels(config({"1": "fresh", "0": "rotten"})) == ["rotten", "fresh"]
    assert check_labels(config({"0": "fresh", "1": "rotten"}), BENCHMARK) == ["fresh", "rotten"]


def test_without_id2label_the_labels_are_transformers_generic_names():
    assert declared_labels({}) == ["LABEL_0", "LABEL_1"]
    assert declared_labels({"num_labels": 3}) == ["LABEL_0", "LABEL_1", "LABEL_2"]


def test_generic_names_with_a_mapping_are_accepted():
    labels = check_labels(config({"0": "LABEL_0", "1": "LABEL_1"}), BENCHMARK,
                          {"LABEL_0": "rotten", "LABEL_1": "fresh"})
    assert labels == ["LABEL_0", "LABEL_1"]


def test_named_labels_that_differ_are_accepted_through_a_mapping():
    assert check_labels(config({"0": "NEGATIVE", "1": "POSITIVE"}), BENCHMARK,
                        {"NEGATIVE": "rotten", "POSITIVE": "fresh"}) == ["NEGATIVE", "POSITIVE"]


def test_generic_names_without_a_mapping_are_refused_with_the_mapping_to_declare():
    with pytest.raises(InvalidSubmission) as refused:
        check_labels(config({"0": "LABEL_0", "1": "LABEL_1"}), BENCHMARK)
    message = str(refused.value)
    assert "generic names ['LABEL_0', 'LABEL_1']" in message
    assert "--label-map LABEL_0=rotten --label-map LABEL_1=fresh" in message
    with pytest.raises(InvalidSubmission, match="generic names"):
        check_labels({}, BENCHMARK)  # no id2label at all: the same


def test_a_partial_mapping_of_generic_names_is_refused():
    with pytest.raises(InvalidSubmission, match="generic names"):
        check_labels(config({"0": "LABEL_0", "1": "LABEL_1"}), BENCHMARK, {"LABEL_0": "rotten"})


def test_a_label_count_mismatch_is_refused():
    with pytest.raises(InvalidSubmission) as refused:
        check_labels(config({"0": "negative", "1": "neutral", "2": "positive"}), BENCHMARK)
    assert "3 output labels" in str(refused.value)
    assert "the benchmark 2 ['rotten', 'fresh']: the counts must match" in str(refused.value)


def test_a_single_logit_head_is_refused():
    with pytest.raises(InvalidSubmission) as refused:
        check_labels(config({"0": "score"}), BENCHMARK)
    assert "single output (num_labels = 1: a regression or single-logit head)" in str(
        refused.value)
    with pytest.raises(InvalidSubmission, match="single output"):
        check_labels({"num_labels": 1}, BENCHMARK)


def test_names_that_match_no_benchmark_label_are_refused():
    with pytest.raises(InvalidSubmission) as refused:
        check_labels(config({"0": "NEGATIVE", "1": "POSITIVE"}), BENCHMARK)
    assert "nothing maps to the benchmark label(s) ['rotten', 'fresh']" in str(refused.value)


def test_duplicate_names_and_gaps_in_id2label_are_refused():
    with pytest.raises(InvalidSubmission, match="names several columns"):
        check_labels(config({"0": "fresh", "1": "fresh"}), BENCHMARK)
    with pytest.raises(InvalidSubmission, match="numbers its columns"):
        declared_labels(config({"0": "rotten", "2": "fresh"}))
