"""Dataset loaders, by the name a benchmark version refers to.

A loader is `load(**options) -> LoadedDataset` (items with text or record, label name, source_id
and split, the label names in benchmark order, the input kind, and provenance). Adding a dataset
is one module and one entry.
"""

from benchmarks.datasets import adult_income, rt_sentiment, tweet_sentiment

DATASETS = {
    "rt-sentiment": rt_sentiment.load,
    "tweet-sentiment": tweet_sentiment.load,
    "adult-income": adult_income.load,
}
