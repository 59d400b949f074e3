"""Cleaning and splitting labelled texts the same way on every machine.

Split: per label, texts are ordered by sha256(f"{split_seed}:{text}") and the first ones go to
the held-out evaluation set, the evaluation size shared between labels in proportion to their
sizes (largest remainder, ties in benchmark label order). It depends only on the seed and the
texts, never on the row order or a library's random generator.
"""

import hashlib


def deduplicate(examples):
    """Collapse exact duplicate texts to their first occurrence; drop texts whose copies disagree
    on the label (the gold label of such a text is unknowable).

    `examples` is a list of tuples whose first two fields are (text, label). Returns the kept
    ones, in input order.
    """
    labels_of = {}
    for text, label, *_ in examples:
        labels_of.setdefault(text, set()).add(label)
    kept, seen = [], set()
    for example in examples:
        text = example[0]
        if text in seen or len(labels_of[text]) > 1:
            continue
        seen.add(text)
        kept.append(example)
    return kept


def split_key(split_seed, text):
    return hashlib.sha256(f"{split_seed}:{text}".encode()).hexdigest()


def evaluation_quota(label_counts, evaluation_size, labels):
    """How many evaluation items each label gets: proportional, largest remainder, ties in the
    order of `labels`."""
    total = sum(label_counts.values())
    exact = {label: evaluation_size * count / total for label, count in label_counts.items()}
    quota = {label: int(value) for label, value in exact.items()}
    by_remainder = sorted(
        label_counts, key=lambda label: (-(exact[label] - quota[label]), labels.index(label))
    )
    for label in by_remainder[: evaluation_size - sum(quota.values())]:
        quota[label] += 1
    return quota


def evaluation_texts(examples, split_seed, evaluation_size, labels):
    """The texts of the stratified, seeded evaluation split of (text, label, ...) examples."""
    by_label = {}
    for text, label, *_ in examples:
        by_label.setdefault(label, []).append(text)
    quota = evaluation_quota(
        {label: len(texts) for label, texts in by_label.items()}, evaluation_size, labels
    )
    chosen = set()
    for label, texts in by_label.items():
        chosen.update(sorted(texts, key=lambda text: split_key(split_seed, text))[: quota[label]])
    return chosen


SPLIT_METHOD = "per label, sha256(f'{split_seed}:{text}') ascending; proportional quota"
