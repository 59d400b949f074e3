"""export-public writes the public dev split, labelled, and never the evaluation split."""

import csv
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from benchmarks.models import BenchmarkVersion

pytestmark = pytest.mark.django_db


def test_the_public_split_is_written_with_label_names(tmp_path):
    output = tmp_path / "public.jsonl"
    call_command("export-public", "rt-sentiment", "--benchmark-version", "1", output=str(output))

    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    version = BenchmarkVersion.objects.get(benchmark__slug="rt-sentiment", number=1)
    public = list(version.items_of("public"))
    assert len(rows) == len(public) == 10_752
    assert rows[0] == {"input": public[0].text, "label": version.labels[public[0].label],
                       "source_id": public[0].source_id}
    assert {row["label"] for row in rows} == {"rotten", "fresh"}
    evaluation_texts = {item.text for item in version.items_of("evaluation")}
    assert not evaluation_texts & {row["input"] for row in rows}


def test_csv_has_a_header_and_the_same_rows(tmp_path):
    call_command("export-public", "rt-sentiment", "--benchmark-version", "1",
                 format="csv", output=str(tmp_path / "public.csv"))
    with open(tmp_path / "public.csv", newline="", encoding="utf-8") as data:
        rows = list(csv.DictReader(data))
    assert len(rows) == 10_752 and list(rows[0]) == ["input", "label", "source_id"]


def test_an_unknown_benchmark_names_the_known_ones():
    with pytest.raises(CommandError, match=r"unknown benchmark 'nope'; known benchmarks: .*rt-sentiment"):
        call_command("export-public", "nope")
