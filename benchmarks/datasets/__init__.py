"""Dataset loaders, by the name a benchmark version refers to.

A loader is `load(**options) -> LoadedDataset` (items with text, label name, source_id and split,
the label names in benchmark order, and provenance). Adding a dataset is one module and one entry.
"""

from benchmarks.datasets import rt_sentiment

DATASETS = {
    "rt-sentiment": rt_sentiment.load,
}
