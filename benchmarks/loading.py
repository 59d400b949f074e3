"""Turn a catalog entry into database rows, once: loading an existing version is a no-op."""

import hashlib
import json

from django.db import transaction

from benchmarks import catalog
from benchmarks.datasets import DATASETS
from benchmarks.models import Benchmark, BenchmarkVersion, Item


class VersionConflict(Exception):
    """The stored version's data differs from what its catalog entry now produces."""


def items_sha256(labels, items):
    """A digest of the exact items (split, order, input and label), to prove a version unchanged."""
    digest = hashlib.sha256(json.dumps(labels).encode())
    for item in items:
        row = [item["split"], item["position"], item["text"], item.get("record"), item["label"]]
        digest.update(json.dumps(row, ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()


def build_version_rows(spec, number):
    """Load the dataset of one catalog version as plain dicts, in stored order."""
    version_spec = spec.versions[number]
    dataset = DATASETS[version_spec.dataset](**version_spec.dataset_options)
    labels = list(dataset.labels)
    positions = {"public": 0, "evaluation": 0}
    items = []
    for item in dataset.items:
        items.append(
            {
                "split": item.split,
                "position": positions[item.split],
                "text": item.text,
                "record": getattr(item, "record", None),
                "label": labels.index(item.label),
                "source_id": item.source_id or "",
            }
        )
        positions[item.split] += 1
    return dataset, labels, items


def load_benchmark(slug, number=None):
    """Create the benchmark version's rows if missing. Returns (version, created)."""
    spec = catalog.get(slug)
    number = number or spec.latest_version
    if number not in spec.versions:
        raise KeyError(f"{slug} has no version {number}; versions: {sorted(spec.versions)}")
    dataset, labels, items = build_version_rows(spec, number)
    sha = items_sha256(labels, items)
    version_spec = spec.versions[number]
    with transaction.atomic():
        benchmark, _ = Benchmark.objects.update_or_create(
            slug=slug,
            defaults={"name": spec.name, "description": spec.description, "licence": spec.licence},
        )
        existing = BenchmarkVersion.objects.filter(benchmark=benchmark, number=number).first()
        if existing:
            if (existing.suites, existing.bootstrap_seed) != (
                version_spec.suites, version_spec.bootstrap_seed
            ):
                raise VersionConflict(
                    f"{slug} v{number} is already loaded with other suites or seeds than its "
                    "catalog entry now gives; a changed suite configuration must be a new version"
                )
            if existing.data_sha256 != sha:
                raise VersionConflict(
                    f"{slug} v{number} is already loaded with data {existing.data_sha256[:12]}, "
                    f"but its catalog entry now gives {sha[:12]}; a changed dataset, split or "
                    "suite configuration must be a new version"
                )
            return existing, False
        version = BenchmarkVersion.objects.create(
            benchmark=benchmark,
            number=number,
            labels=labels,
            input_kind=getattr(dataset, "input_kind", "text"),
            provenance=dataset.provenance,
            suites=version_spec.suites,
            bootstrap_seed=version_spec.bootstrap_seed,
            data_sha256=sha,
        )
        Item.objects.bulk_create(
            [Item(version=version, **item) for item in items], batch_size=2000
        )
    return version, True
