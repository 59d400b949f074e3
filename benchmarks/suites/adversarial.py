"""Adversarial: does the prediction survive small changes an attacker searches for?

Each recipe of the version's configuration (benchmarks.attacks.recipes) attacks every item of a
deterministic sample of the evaluation split, black-box through the sandbox, within its query
budget; the seed is set before each recipe, as TextAttack's Attacker sets it before a dataset,
so a recipe's results equal what `textattack.Attacker` reports for the same seed and budget.

An item is *robust* when the model classifies it correctly and no recipe flips it within its
budget (worst case over recipes, DESIGN § Scores); an item the model already gets wrong is not
attacked (TextAttack skips it) and is not robust. Per item and per recipe: the outcome, the
queries TextAttack counted (the budget's unit) and, for a successful attack, the share of the
text's words it changed. Metrics, overall and per recipe: robust accuracy, attack success rate
(flipped among the correctly classified), mean queries per attacked item and mean perturbed-word
share of the successful attacks; and the inputs the model was really sent (each distinct text
once, benchmarks.attacks.model).

The rows are the sampled items, named by their position in the evaluation split, so that the
ranking resamples them with the same items as the other suites, and they form one stratum: every
bootstrap replicate draws as many attacked items as the sample holds.
"""

import time

import numpy as np

from benchmarks.attacks.model import CachedModelWrapper
from benchmarks.attacks.recipes import RECIPE_NAMES, build
from benchmarks.counterfactuals import stable_index
from benchmarks.nltk_data import import_textattack
from benchmarks.suites.base import ResamplingUnits, SuiteOutcome
from benchmarks.suites.quality import item_input, item_label

NAME = "adversarial"
DEFAULT_EXAMPLES = 8
# TextAttack asks the wrapper for at most this many texts at once; the client batches further.
MODEL_BATCH_SIZE = 64
SKIPPED, FAILED, SUCCEEDED = "skipped", "failed", "succeeded"
SAMPLE_STRATUM = "attacked"


def sample_positions(n_items, size, seed):
    """`size` positions of 0 .. n_items - 1 (all when fewer), in ascending order: those whose
    keyed hash of (seed, position) comes first. The same split and seed give the same sample on
    every machine, and growing the split keeps most of it."""
    chosen = sorted(range(n_items), key=lambda position: stable_index(f"{seed}:{position}", 2**62))
    return sorted(chosen[: int(size)])


def run(client, items, config, progress=None):
    """Attack one model on a sample of `items` (the evaluation split, in order).

    config: `labels` (benchmark label names, in order; required), `recipes` ({name:
    {"query_budget": int}}, in the order to run them; required), `seed` (set before each
    recipe), `sample_size` and `sample_seed` (the sample of items attacked; default all
    items), `examples` (how many adversarial examples to keep, default 8).
    """
    config = config or {}
    if not items:
        raise ValueError("the adversarial suite needs at least one item")
    if config.get("labels") is None:
        raise ValueError("the adversarial suite needs the benchmark's labels in its config")
    recipes = dict(config.get("recipes") or {})
    if not recipes:
        raise ValueError(f"the adversarial suite needs `recipes`, some of {', '.join(RECIPE_NAMES)}")
    for name, recipe_config in recipes.items():
        if name not in RECIPE_NAMES:
            raise ValueError(f"unknown attack recipe {name!r}; known: {', '.join(RECIPE_NAMES)}")
        budget = (recipe_config or {}).get("query_budget")
        if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
            raise ValueError(f"the {name} recipe needs a query_budget of at least 1 query, "
                             f"got {budget!r}")
    label_names = list(config["labels"])
    positions = sample_positions(len(items), config.get("sample_size", len(items)),
                                 config.get("sample_seed", 0))
    texts = [item_input(items[position]) for position in positions]
    if not all(isinstance(text, str) for text in texts):
        raise ValueError("the adversarial suite attacks texts; this benchmark's inputs are not text")
    gold = [item_label(items[position], label_names) for position in positions]

    textattack = import_textattack()
    wrapper = CachedModelWrapper(client, len(label_names))
    total, done = len(recipes) * len(positions), 0
    outcomes, seconds = {}, {}
    for name, recipe_config in recipes.items():
        started = time.monotonic()
        attack = build(name, wrapper, recipe_config["query_budget"])
        attack.goal_function.batch_size = MODEL_BATCH_SIZE
        textattack.shared.utils.set_seed(int(config.get("seed", 0)))
        outcomes[name] = []
        for text, label in zip(texts, gold):
            outcomes[name].append(attack_outcome(attack.attack(text, label)))
            done += 1
            if progress is not None:
                progress(done, total)
        seconds[name] = round(time.monotonic() - started, 3)

    per_item = item_outcomes(outcomes, positions, len(texts))
    return SuiteOutcome(
        suite=NAME,
        per_item=per_item,
        metrics={
            **summary(per_item["correct"], per_item["robust"], per_item["queries"],
                      per_item["perturbed_share"]),
            "n_items": len(positions),
            "accuracy_on_sample": float(np.mean(per_item["correct"])),
            "recipes": {
                name: {**summary(per_item["correct"], per_item[f"{name}_robust"],
                                 per_item[f"{name}_queries"], per_item[f"{name}_perturbed_share"]),
                       "query_budget": int(recipes[name]["query_budget"]),
                       "seconds": seconds[name]}
                for name in recipes
            },
            "queries_asked": wrapper.asked,
            "model_queries": wrapper.sent,
        },
        examples=instructive_examples(outcomes, positions, texts, gold, label_names,
                                      int(config.get("examples", DEFAULT_EXAMPLES))),
        # Each row is one sampled item, resampled with that item's rows in every other suite;
        # the sample is a stratum, so every replicate attacks as many items as the sample holds
        # (never none, which would leave robust accuracy undefined).
        units=ResamplingUnits(clusters=tuple(positions), strata=(SAMPLE_STRATUM,) * len(positions)),
    )


def attack_outcome(result):
    """What one TextAttack AttackResult says, as plain data."""
    from textattack.attack_results import SkippedAttackResult, SuccessfulAttackResult

    original = result.original_result
    outcome = {
        "status": SKIPPED if isinstance(result, SkippedAttackResult)
        else SUCCEEDED if isinstance(result, SuccessfulAttackResult) else FAILED,
        "queries": int(result.num_queries),
        "predicted_before": int(original.output),
        "confidence_before": float(original.raw_output[original.output]),
    }
    if outcome["status"] == SUCCEEDED:
        perturbed = result.perturbed_result
        changed = original.attacked_text.words_diff_num(perturbed.attacked_text)
        outcome.update({
            "perturbed_text": perturbed.attacked_text.text,
            "predicted_after": int(perturbed.output),
            "confidence_after": float(perturbed.raw_output[perturbed.output]),
            "changed_words": int(changed),
            "perturbed_share": changed / max(1, original.attacked_text.num_words),
        })
    return outcome


def item_outcomes(outcomes, positions, n_items):
    """Per-item lists of equal length (the API pages through them as rows): item, predicted,
    correct, robust (worst case over recipes), queries (all recipes), perturbed_share (the
    smallest of a successful recipe's, None when none succeeded), and per recipe
    `<recipe>_status`, `<recipe>_robust`, `<recipe>_queries`, `<recipe>_perturbed_share`."""
    per_recipe = {}
    for name, results in outcomes.items():
        per_recipe[f"{name}_status"] = [result["status"] for result in results]
        per_recipe[f"{name}_robust"] = [int(result["status"] == FAILED) for result in results]
        per_recipe[f"{name}_queries"] = [result["queries"] for result in results]
        per_recipe[f"{name}_perturbed_share"] = [result.get("perturbed_share") for result in results]
    first = next(iter(outcomes.values()))
    # The model is deterministic, so every recipe sees the same original prediction.
    correct = [int(result["status"] != SKIPPED) for result in first]
    robust = [int(all(per_recipe[f"{name}_robust"][row] for name in outcomes))
              for row in range(n_items)]
    shares = [[per_recipe[f"{name}_perturbed_share"][row] for name in outcomes
               if per_recipe[f"{name}_perturbed_share"][row] is not None] for row in range(n_items)]
    return {
        "item": list(positions),
        "predicted": [result["predicted_before"] for result in first],
        "correct": correct,
        "robust": robust,
        "queries": [sum(per_recipe[f"{name}_queries"][row] for name in outcomes)
                    for row in range(n_items)],
        "perturbed_share": [min(share) if share else None for share in shares],
        **per_recipe,
    }


def summary(correct, robust, queries, perturbed_share):
    """Robust accuracy, attack success rate, mean queries per attacked item and mean
    perturbed-word share of the successful attacks (None where nothing to average)."""
    correct, robust = np.asarray(correct), np.asarray(robust)
    attacked = correct == 1
    flipped = attacked & (robust == 0)
    shares = [share for share in perturbed_share if share is not None]
    return {
        "robust_accuracy": float(robust.mean()),
        "attack_success_rate": float(flipped.sum() / attacked.sum()) if attacked.any() else None,
        "mean_queries": float(np.asarray(queries)[attacked].mean()) if attacked.any() else None,
        "mean_perturbed_word_share": float(np.mean(shares)) if shares else None,
        "attacked": int(attacked.sum()),
        "successes": int(flipped.sum()),
    }


def instructive_examples(outcomes, positions, texts, gold, label_names, limit):
    """Successful attacks worth showing: per recipe, the fewest words changed first, then the
    most confident wrong prediction; taken in turn from each recipe, one per item."""
    ranked = {
        name: sorted(
            (row for row, result in enumerate(results) if result["status"] == SUCCEEDED),
            key=lambda row, results=results: (results[row]["changed_words"],
                                              -results[row]["confidence_after"], row),
        )
        for name, results in outcomes.items()
    }
    examples, shown = [], set()
    while len(examples) < limit and any(ranked.values()):
        for name, rows in ranked.items():
            while rows and rows[0] in shown:
                rows.pop(0)
            if not rows or len(examples) >= limit:
                continue
            row = rows.pop(0)
            shown.add(row)
            result = outcomes[name][row]
            examples.append({
                "item": positions[row],
                "recipe": name,
                "text": texts[row],
                "perturbed_text": result["perturbed_text"],
                "label": gold[row],
                "label_name": label_names[gold[row]],
                "predicted_before": result["predicted_before"],
                "predicted_before_name": label_names[result["predicted_before"]],
                "confidence_before": result["confidence_before"],
                "predicted_after": result["predicted_after"],
                "predicted_after_name": label_names[result["predicted_after"]],
                "confidence_after": result["confidence_after"],
                "changed_words": result["changed_words"],
                "queries": result["queries"],
            })
    return examples
