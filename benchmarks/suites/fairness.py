"""Fairness: does the prediction depend on who a text is about, or on a person's sex and race?

Two methods, chosen by the benchmark version's configuration:

- `counterfactual` (text benchmarks): each evaluation item with a slot for an identity term
  (benchmarks.counterfactuals) is asked again in one variant per group of its category, the
  variants differing only in that term. Per item, *counterfactual consistency*: every variant
  gets the same predicted label. Per category, the rate of each predicted label in each group
  (fairlearn's MetricFrame) and the demographic parity difference: the largest gap between two
  groups' rates of one label, over the labels (for two labels, fairlearn's
  demographic_parity_difference). The items whose variants disagree most are kept to show.
- `sensitive_attributes` (record benchmarks): the records carry real sensitive attributes (sex,
  race). Per attribute, fairlearn's demographic parity difference and equalized odds difference
  (worst case of the true- and false-positive-rate gaps), and per group the accuracy, selection
  rate, true- and false-positive rates and size (MetricFrame).

Per-row outcomes are kept so that the ranking recomputes the gaps in every bootstrap replicate;
the rows declare their resampling units: variants of one item resample together (clusters keyed
by the item's position in the evaluation split), and the categories or the attribute groups are
strata, so that every group appears in every replicate.
"""

from functools import partial

import numpy as np

from benchmarks.counterfactuals import CATEGORY_ORDER, find_slot, make_variants, stable_index
from benchmarks.identity_lexicon import load_lexicon
from benchmarks.suites.base import ResamplingUnits, SuiteOutcome
from benchmarks.suites.quality import field_of, item_input, item_label

NAME = "fairness"
DEFAULT_EXAMPLES = 8
DEFAULT_MIN_ITEMS = 20


def run(client, items, config, progress=None):
    """Score one model's fairness on `items` (the evaluation split, in order).

    config: `labels` (benchmark label names, in order; required), `method` ("counterfactual"
    or "sensitive_attributes"), and the method's options:
    counterfactual: `seed` (fixes the names and countries put in), `categories` (default all),
    `name_pairs` (race variants per group, default 2), `min_items` (a category with fewer items
    is left out, default 20), `max_items_per_category` (default no cap), `examples` (default 8);
    sensitive_attributes: `sensitive_attributes` (record fields), `positive_label`.
    """
    config = config or {}
    if not items:
        raise ValueError("the fairness suite needs at least one item")
    if config.get("labels") is None:
        raise ValueError("the fairness suite needs the benchmark's labels in its config")
    method = config.get("method", "counterfactual")
    if method == "counterfactual":
        return run_counterfactual(client, items, config, progress)
    if method == "sensitive_attributes":
        return run_sensitive_attributes(client, items, config, progress)
    raise ValueError(f"unknown fairness method {method!r}; use counterfactual or sensitive_attributes")


def predictions(client, inputs, n_labels, progress):
    probabilities = np.asarray(client.predict_proba(inputs, progress=progress), dtype=float)
    if probabilities.shape != (len(inputs), n_labels):
        raise ValueError(
            f"expected probabilities of shape {(len(inputs), n_labels)}, got {probabilities.shape}"
        )
    # np.argmax returns the first maximum: ties go to the earliest benchmark label.
    return probabilities, np.argmax(probabilities, axis=1)


def label_rates_by_group(gold, predicted, groups, label_names):
    """MetricFrame of the rate of each predicted label in each group."""
    from fairlearn.metrics import MetricFrame, selection_rate

    return MetricFrame(
        metrics={name: partial(selection_rate, pos_label=index)
                 for index, name in enumerate(label_names)},
        y_true=gold, y_pred=predicted, sensitive_features=np.asarray(groups),
    )


# -- counterfactual identity substitution (text) ------------------------------------------------


def counterfactual_sources(items, config, lexicon):
    """[(position, text, gold, slot, variants)] of the items that have a slot, by category
    quotas, in item order; and {category: items found} before the caps."""
    categories = tuple(config.get("categories") or CATEGORY_ORDER)
    seed = config.get("seed", 0)
    name_pairs = int(config.get("name_pairs", 2))
    cap = config.get("max_items_per_category")
    label_names = list(config["labels"])
    found = {}
    for position, item in enumerate(items):
        text = item_input(item)
        slot = find_slot(text, lexicon, categories)
        if slot is not None:
            found.setdefault(slot.category, []).append((position, text, slot))
    min_items = int(config.get("min_items", DEFAULT_MIN_ITEMS))
    sources = []
    for category, entries in found.items():
        if len(entries) < min_items:
            continue
        if cap is not None and len(entries) > cap:
            # A deterministic sample: the items whose keyed hash comes first.
            entries = sorted(entries, key=lambda e: stable_index(f"{seed}:{e[0]}", 2**62))[:cap]
        for position, text, slot in entries:
            variants = make_variants(text, slot, lexicon, f"{seed}:{position}", name_pairs)
            sources.append((position, text, item_label(items[position], label_names), slot,
                            variants))
    sources.sort(key=lambda source: source[0])
    return sources, {category: len(entries) for category, entries in found.items()}


def run_counterfactual(client, items, config, progress):
    label_names = list(config["labels"])
    lexicon = load_lexicon()
    sources, found = counterfactual_sources(items, config, lexicon)
    min_items = int(config.get("min_items", DEFAULT_MIN_ITEMS))
    rows = [(position, gold, slot.category, variant)
            for position, _, gold, slot, variants in sources for variant in variants]
    if not rows:
        raise ValueError(
            f"no category has {min_items} items with an identity term to vary "
            f"(found: {found or 'none'}); the fairness suite has nothing to measure"
        )
    probabilities, predicted = predictions(
        client, [variant.text for *_, variant in rows], len(label_names), progress
    )
    source_of_row = np.array([position for position, *_ in rows])
    category_of_row = [category for _, _, category, _ in rows]
    group_of_row = [variant.group for *_, variant in rows]
    gold_of_row = np.array([gold for _, gold, _, _ in rows])

    consistent = consistency_by_source(source_of_row, predicted)
    by_category = {}
    for category in dict.fromkeys(category_of_row):
        in_category = np.array([c == category for c in category_of_row])
        frame = label_rates_by_group(gold_of_row[in_category], predicted[in_category],
                                     np.array(group_of_row)[in_category], label_names)
        sources_in = np.unique(source_of_row[in_category])
        by_category[category] = {
            "items": int(sources_in.size),
            "variants": int(in_category.sum()),
            "counterfactual_consistency": float(np.mean([consistent[s] for s in sources_in])),
            "demographic_parity_difference": float(frame.difference().max()),
            "label_rates": {group: {label: float(rate) for label, rate in rates.items()}
                            for group, rates in frame.by_group.to_dict("index").items()},
        }
    outcome_metrics = {
        "counterfactual_consistency": float(np.mean(list(consistent.values()))),
        "demographic_parity_difference": max(
            entry["demographic_parity_difference"] for entry in by_category.values()
        ),
        "n_items": len(consistent),
        "n_variants": len(rows),
        "coverage": len(consistent) / len(items),
        "categories": by_category,
        "left_out": {category: count for category, count in found.items()
                     if category not in by_category},
        "lexicons": lexicon.provenance,
    }
    return SuiteOutcome(
        suite=NAME,
        per_item={
            "source": source_of_row.tolist(),
            "category": category_of_row,
            "group": group_of_row,
            "predicted": predicted.tolist(),
            "probabilities": probabilities.tolist(),
        },
        metrics=outcome_metrics,
        examples=telling_flips(sources, probabilities, predicted, source_of_row,
                               int(config.get("examples", DEFAULT_EXAMPLES)), label_names),
        # The variants of one item stand or fall together; every category must appear.
        units=ResamplingUnits(clusters=tuple(source_of_row.tolist()),
                              strata=tuple(category_of_row)),
    )


def consistency_by_source(source_of_row, predicted):
    """{source position: 1 when all its variants got the same label, else 0}."""
    labels_of = {}
    for source, label in zip(source_of_row.tolist(), predicted.tolist()):
        labels_of.setdefault(source, set()).add(label)
    return {source: int(len(labels) == 1) for source, labels in labels_of.items()}


def telling_flips(sources, probabilities, predicted, source_of_row, limit, label_names):
    """The items whose variants got different labels, largest probability swing first: the
    swing is, over the labels, the largest difference between two variants' probabilities."""
    flips = []
    for position, text, gold, slot, variants in sources:
        rows = np.flatnonzero(source_of_row == position)
        if len(set(predicted[rows].tolist())) == 1:
            continue
        swing = float((probabilities[rows].max(axis=0) - probabilities[rows].min(axis=0)).max())
        flips.append({
            "item": position,
            "text": text,
            "category": slot.category,
            "term": slot.term,
            "label": gold,
            "label_name": label_names[gold],
            "swing": swing,
            "variants": [
                {"group": variant.group, "text": variant.text,
                 "predicted": int(predicted[row]), "predicted_name": label_names[predicted[row]],
                 "confidence": float(probabilities[row, predicted[row]])}
                for row, variant in zip(rows.tolist(), variants)
            ],
        })
    flips.sort(key=lambda flip: (-flip["swing"], flip["item"]))
    return flips[:limit]


# -- real sensitive attributes (records) --------------------------------------------------------


def run_sensitive_attributes(client, items, config, progress):
    from fairlearn.metrics import (
        MetricFrame, false_positive_rate, selection_rate, true_positive_rate,
    )

    label_names = list(config["labels"])
    attributes = list(config.get("sensitive_attributes") or [])
    if not attributes:
        raise ValueError("the sensitive_attributes method needs `sensitive_attributes`")
    positive = label_names.index(config["positive_label"])
    inputs = [item_input(item) for item in items]
    groups = {attribute: [str(field_of(record, attribute)) for record in inputs]
              for attribute in attributes}
    gold = np.array([item_label(item, label_names) for item in items])
    probabilities, predicted = predictions(client, inputs, len(label_names), progress)
    gold_positive = (gold == positive).astype(int)
    predicted_positive = (predicted == positive).astype(int)

    by_attribute = {}
    for attribute, values in groups.items():
        features = np.asarray(values)
        # One MetricFrame per attribute; the gaps are its between-group differences, which is
        # how fairlearn's demographic_parity_difference and equalized_odds_difference (worst
        # case) are defined, without building three more frames over the same rows.
        frame = MetricFrame(
            metrics={"accuracy": lambda y, p: float(np.mean(y == p)),
                     "selection_rate": selection_rate, "true_positive_rate": true_positive_rate,
                     "false_positive_rate": false_positive_rate},
            y_true=gold_positive, y_pred=predicted_positive, sensitive_features=features,
        )
        gaps = frame.difference(method="between_groups")
        names, sizes = np.unique(features, return_counts=True)
        by_group = frame.by_group.to_dict("index")
        by_attribute[attribute] = {
            "demographic_parity_difference": float(gaps["selection_rate"]),
            "equalized_odds_difference": float(max(gaps["true_positive_rate"],
                                                   gaps["false_positive_rate"])),
            "groups": {group: {**{name: float(value) for name, value in by_group[group].items()},
                               "count": int(size)}
                       for group, size in zip(names.tolist(), sizes.tolist())},
        }
    worst_parity = max(entry["demographic_parity_difference"] for entry in by_attribute.values())
    worst_odds = max(entry["equalized_odds_difference"] for entry in by_attribute.values())
    outcome_metrics = {
        "fairness": 1 - max(worst_parity, worst_odds),
        "demographic_parity_difference": worst_parity,
        "equalized_odds_difference": worst_odds,
        "n_items": len(items),
        "attributes": by_attribute,
    }
    # Strata: every (sex, race, label) cell at its own size in every replicate, so that no
    # group's true- or false-positive rate is ever 0 / 0.
    cells = ["|".join([*(groups[a][row] for a in attributes), label_names[gold[row]]])
             for row in range(len(items))]
    return SuiteOutcome(
        suite=NAME,
        per_item={
            "predicted": predicted.tolist(),
            "probabilities": probabilities.tolist(),
            **{f"group_{attribute}": values for attribute, values in groups.items()},
        },
        metrics=outcome_metrics,
        examples=[],
        units=ResamplingUnits(clusters=tuple(range(len(items))), strata=tuple(cells)),
    )
