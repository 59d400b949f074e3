"""Perturbation gap: right on the exact evaluation texts, wrong on trivially changed copies.

An agent that looks texts up (a table keyed on the exact string, or on its hash) knows the
answer only for the string it memorised. Changing the case, the spacing or the spacing around
punctuation leaves a text's meaning alone, so an honest model answers the copy as it answered
the original, while a memoriser falls back to guessing. The check asks the model about such
copies of a deterministic sample of evaluation items, through the same sandbox, and compares
its accuracy on them with its accuracy on the same items' exact texts.

The rule, per perturbation: the paired difference exact − perturbed accuracy over the sampled
items, bootstrapped by item (the same resamples for both, B = 2,000, the version's seed); the
agent is flagged when the lower end of that difference's interval lies above MARGIN, at a
confidence of 1 − 0.05 / 3 (Bonferroni over the three perturbations, so the chance that an
agent whose true gap is at most the margin gets flagged stays under 5%). The margin is there
because honest models are not perfectly invariant: a cased tokenizer may lose a point or two
on lower-cased text. A memoriser loses tens of points.

Pure numpy: no Django. Perturbations are HELM-style: a name, a description and one function
of the text; they need no randomness, so the same text always gives the same copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# 200 items, three copies each: 600 more queries (a quarter of rt-sentiment's quality suite;
# 17 s for the MiniLM baseline on 2 busy cores). A memoriser's drop of 0.2 or more is then
# told from the margin with room to spare: its interval is about ±0.07 wide.
SAMPLE_SIZE = 200
MARGIN = 0.05
FAMILY_ALPHA = 0.05
REPLICATES = 2000
EXAMPLES = 5


@dataclass(frozen=True)
class Perturbation:
    name: str
    description: str
    perturb: Callable[[str], str]


def change_case(text):
    """Lower-case the text; a text that is lower case already gets a capital first letter."""
    lowered = text.lower()
    return lowered if lowered != text else text[:1].upper() + text[1:]


def add_spacing(text):
    """Every space doubled, and one more at the end."""
    return text.replace(" ", "  ") + " "


_ATTACHED_PUNCTUATION = re.compile(r"(?<=\S)([,.!?;:])")
_DETACHED_PUNCTUATION = re.compile(r"\s+([,.!?;:])")


def respace_punctuation(text):
    """A space before each punctuation mark that had none ("fun, really." → "fun , really ."),
    or, in a text whose marks all stand apart already, the spaces before them removed."""
    spaced = _ATTACHED_PUNCTUATION.sub(r" \1", text)
    return spaced if spaced != text else _DETACHED_PUNCTUATION.sub(r"\1", text)


PERTURBATIONS = (
    Perturbation("case", "lower case (or a capital first letter)", change_case),
    Perturbation("spacing", "every space doubled, a trailing space", add_spacing),
    Perturbation("punctuation_spacing", "a space before punctuation marks", respace_punctuation),
)


def sample_positions(n_items, seed, size=SAMPLE_SIZE):
    """A deterministic sample of evaluation positions, in split order."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_items, size=min(size, n_items), replace=False))


def paired_interval(exact, perturbed, rng, confidence, replicates=REPLICATES):
    """Point estimates and percentile intervals of exact accuracy, perturbed accuracy and
    their difference, from the same item resamples (paired)."""
    exact = np.asarray(exact, dtype=float)
    perturbed = np.asarray(perturbed, dtype=float)
    drawn = rng.integers(0, len(exact), size=(replicates, len(exact)))
    tail = (1 - confidence) / 2
    result = {}
    for name, values in (("exact", exact), ("perturbed", perturbed),
                         ("drop", exact - perturbed)):
        means = values[drawn].mean(axis=1)
        low, high = np.quantile(means, [tail, 1 - tail])
        result[name] = {"value": float(values.mean()), "low": float(low), "high": float(high)}
    return result


@dataclass(frozen=True)
class GapResult:
    items: int
    seed: int
    confidence: float
    margin: float
    perturbations: dict  # name -> {description, items, exact, perturbed, drop, flipped, flagged}
    flagged: bool
    examples: list

    def as_json(self):
        return {"check": "perturbation_gap", "items": self.items, "seed": self.seed,
                "confidence": self.confidence, "margin": self.margin,
                "perturbations": self.perturbations, "flagged": self.flagged,
                "examples": self.examples, "message": self.message()}

    def message(self):
        if not self.perturbations:
            return "no sampled item could be perturbed"
        # The copy kind whose drop is most clearly above 0 speaks for the check.
        name, worst = max(self.perturbations.items(), key=lambda pair: pair[1]["drop"]["low"])
        drop = worst["drop"]
        found = (f"accuracy {worst['exact']['value']:.2f} on exact texts, "
                 f"{worst['perturbed']['value']:.2f} on {name.replace('_', ' ')} copies "
                 f"(drop {drop['value']:.2f} [{drop['low']:.2f}, {drop['high']:.2f}])")
        if self.flagged:
            return (found + f": right on the exact texts but not on trivially changed ones, "
                    "as a model that memorised them would be")
        return found


def perturbation_gap(client, texts, labels, exact_predicted, seed, label_names=None,
                     size=SAMPLE_SIZE, margin=MARGIN, progress=None):
    """Ask the model about perturbed copies of a seeded sample of the evaluation items.

    client: has predict_proba(inputs, progress=None) in benchmark label order (the evaluation's
    ModelClient); texts, labels: the evaluation split in order (labels as indices);
    exact_predicted: the quality suite's predicted label per item on the exact texts, so they
    are not asked again.
    """
    positions = sample_positions(len(texts), seed, size)
    asked, rows = [], []  # rows: (position in the split, perturbation name, the copy)
    for position in positions.tolist():
        for perturbation in PERTURBATIONS:
            copy = perturbation.perturb(texts[position])
            if copy != texts[position]:
                asked.append(copy)
                rows.append((position, perturbation.name, copy))
    predicted = np.empty(0, dtype=int)
    if asked:
        predicted = np.argmax(client.predict_proba(asked, progress=progress), axis=1)
    labels = np.asarray(labels)
    exact_predicted = np.asarray(exact_predicted)
    correct = (exact_predicted == labels).astype(int)
    confidence = 1 - FAMILY_ALPHA / len(PERTURBATIONS)
    rng = np.random.default_rng(seed)
    per_perturbation, flagged = {}, False
    for perturbation in PERTURBATIONS:
        mine = [i for i, row in enumerate(rows) if row[1] == perturbation.name]
        if not mine:
            continue
        at = np.array([rows[i][0] for i in mine])
        exact = correct[at]
        after = (predicted[mine] == labels[at]).astype(int)
        figures = paired_interval(exact, after, rng, confidence)
        is_flagged = figures["drop"]["low"] > margin
        flagged |= is_flagged
        per_perturbation[perturbation.name] = {
            "description": perturbation.description, "items": len(mine), **figures,
            # Honest brittleness flips answers both ways; memorisation flips right to wrong.
            "flipped": float(np.mean(predicted[mine] != exact_predicted[at])),
            "flagged": bool(is_flagged),
        }
    examples = []
    for i, (position, name, copy) in enumerate(rows):
        if len(examples) >= EXAMPLES:
            break
        if correct[position] and predicted[i] != labels[position]:
            examples.append({
                "item": int(position), "perturbation": name, "text": texts[position],
                "perturbed_text": copy, "label": int(labels[position]),
                "predicted_after": int(predicted[i]),
                **({"label_name": label_names[labels[position]],
                    "predicted_after_name": label_names[predicted[i]]} if label_names else {}),
            })
    return GapResult(items=len(positions), seed=int(seed), confidence=confidence, margin=margin,
                     perturbations=per_perturbation, flagged=flagged, examples=examples)
