"""What the integrity checks cost and what they find on the shipped agents; the figures go into
docs/benchmarks.md.

    python -m benchmarks.integrity.bench            # both checks, every text baseline
    python -m benchmarks.integrity.bench --no-gap   # the archive scan only (no sandbox)

1. The archive scan on generated archives of 10 and 100 MB (half random bytes, as weights are
   to the scan, half the public split repeated, plus 500 evaluation texts), and on each
   baseline, the whole public split and a lookup table of the evaluation split.
2. The perturbation gap of each text baseline through the local backend: the exact texts of
   the sample and their perturbed copies, with the seconds they took.
"""

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import catalog
from benchmarks.datasets import DATASETS
from benchmarks.integrity.archive_texts import held_texts
from benchmarks.integrity.perturbation_gap import perturbation_gap, sample_positions

BASELINES = Path(__file__).parents[1] / "baselines"
TEXT_BENCHMARKS = ("rt-sentiment", "tweet-sentiment")


def splits(slug):
    spec = catalog.get(slug).versions[catalog.get(slug).latest_version]
    dataset = DATASETS[spec.dataset](**spec.dataset_options)
    labels = list(dataset.labels)
    evaluation = [item for item in dataset.items if item.split == "evaluation"]
    return {"texts": [item.text for item in evaluation],
            "labels": np.array([labels.index(item.label) for item in evaluation]),
            "public": [item.text for item in dataset.items if item.split == "public"],
            "label_names": labels, "seed": spec.bootstrap_seed}


def generated_archive(folder, megabytes, data):
    folder.mkdir()
    half = megabytes * 2**20 // 2
    (folder / "weights.bin").write_bytes(os.urandom(half))
    corpus = "\n".join(data["public"]).encode()
    with open(folder / "corpus.txt", "wb") as out:
        for _ in range(half // len(corpus) + 1):
            out.write(corpus + b"\n")
        out.write("\n".join(data["texts"][:500]).encode())
    return folder


def scan_table(data_by_slug):
    print("| archive | size | texts held | share | flagged | seconds |")
    print("|---|---|---|---|---|---|")

    def row(name, folder, texts):
        size = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
        found = held_texts(folder, texts)
        print(f"| {name} | {size / 2**20:.1f} MB | {found.held:,} of {found.eligible:,} | "
              f"{found.share:.1%} | {'yes' if found.flagged else 'no'} | {found.seconds:.2f} |")

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        rt = data_by_slug["rt-sentiment"]
        for megabytes in (10, 100):
            folder = generated_archive(scratch / f"generated-{megabytes}", megabytes, rt)
            row(f"rt-sentiment: generated, {megabytes} MB", folder, rt["texts"])
        for slug, data in data_by_slug.items():
            for baseline in sorted((BASELINES / slug).iterdir()):
                if (baseline / "agent.py").is_file():
                    row(f"{slug}: {baseline.name}", baseline, data["texts"])
            public = scratch / f"{slug}-public"
            public.mkdir()
            (public / "train.txt").write_text("\n".join(data["public"]))
            row(f"{slug}: the whole public split", public, data["texts"])
            lookup = scratch / f"{slug}-lookup"
            lookup.mkdir()
            (lookup / "table.json").write_text(json.dumps(
                dict(zip(data["texts"], data["labels"].tolist()))))
            row(f"{slug}: lookup table of the evaluation split", lookup, data["texts"])


class CountingClient:
    """The sandbox client, counting the inputs the check asks about (the perturbed copies)."""

    def __init__(self, client):
        self.client = client
        self.queries = 0

    def predict_proba(self, inputs, progress=None):
        self.queries += len(inputs)
        return self.client.predict_proba(inputs, progress=progress)


def gap_table(data_by_slug):
    from sandbox.backends import start_sandbox  # only this part needs the sandbox

    print("| benchmark | baseline | copies asked | seconds | drop: case | spacing | "
          "punctuation spacing | flagged |")
    print("|---|---|---|---|---|---|---|---|")
    for slug, data in data_by_slug.items():
        texts, labels = data["texts"], data["labels"]
        positions = sample_positions(len(texts), data["seed"])
        for baseline in sorted((BASELINES / slug).iterdir()):
            if not (baseline / "agent.py").is_file():
                continue
            with start_sandbox(str(baseline), backend="local", trusted=True) as client:
                client.hello()
                client.use_labels(data["label_names"], None)
                exact = np.full(len(texts), -1)
                exact[positions] = np.argmax(
                    client.predict_proba([texts[i] for i in positions]), axis=1)
                counting = CountingClient(client)
                started = time.monotonic()
                gap = perturbation_gap(counting, texts, labels, exact, seed=data["seed"])
                seconds = time.monotonic() - started
            drops = [gap.perturbations[name]["drop"] for name in
                     ("case", "spacing", "punctuation_spacing")]
            cells = " | ".join(f"{d['value']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}]"
                               for d in drops)
            print(f"| {slug} | {baseline.name} | {counting.queries} | {seconds:.1f} | {cells} | "
                  f"{'yes' if gap.flagged else 'no'} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-gap", action="store_true", help="skip the sandboxed part")
    arguments = parser.parse_args()
    data_by_slug = {slug: splits(slug) for slug in TEXT_BENCHMARKS}
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    scan_table(data_by_slug)
    if not arguments.no_gap:
        print()
        gap_table(data_by_slug)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
