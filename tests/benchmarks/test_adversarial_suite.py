"""The adversarial suite on a lexicon model: TextAttack's own Attacker agrees with it, robust is
the worst case over recipes, the wrapper asks each text once, and antonyms are never swapped in."""

import numpy as np
import pytest

from benchmarks import catalog
from benchmarks.attacks.model import CachedModelWrapper
from benchmarks.attacks.recipes import are_antonyms
from benchmarks.nltk_data import import_textattack
from benchmarks.suites import adversarial
from tests.benchmarks.lexicon_client import LexiconClient

LABELS = ["negative", "positive"]
ITEMS = [
    {"input": "A good film with a lovely, moving story.", "label": 1},
    {"input": "Dull, slow and boring from start to finish.", "label": 0},
    {"input": "The cast is great fun and the script is smart.", "label": 1},
    {"input": "An awful mess of a movie with a tedious plot.", "label": 0},
    {"input": "Charming, warm and funny.", "label": 1},
    {"input": "The jokes are flat and the pacing is clumsy.", "label": 0},
    {"input": "A brilliant, beautiful film.", "label": 1},
    {"input": "Bland.", "label": 1},  # wrong from the start: not attacked, not robust
    {"input": "The best and the worst of the director, a tired but charming mess.", "label": 0},
    {"input": "Superb acting, though the story is weak.", "label": 1},  # a tie: wrong too
]
SEED, BUDGET = 11, 40


def suite_config(recipes, **options):
    return {"labels": LABELS, "seed": SEED, "recipes": recipes, **options}


@pytest.mark.slow
def test_deepwordbug_success_rate_equals_textattacks_own_attacker():
    textattack = import_textattack()
    from textattack.attack_recipes import DeepWordBugGao2018
    from textattack.metrics import AttackQueries, AttackSuccessRate

    ours = adversarial.run(LexiconClient(), ITEMS,
                           suite_config({"deepwordbug": {"query_budget": BUDGET}}))

    reference = CachedModelWrapper(LexiconClient(), len(LABELS))
    attacker = textattack.Attacker(
        DeepWordBugGao2018.build(reference),
        textattack.datasets.Dataset([(item["input"], item["label"]) for item in ITEMS]),
        textattack.AttackArgs(num_examples=len(ITEMS), random_seed=SEED, query_budget=BUDGET,
                              silent=True, disable_stdout=True),
    )
    results = attacker.attack_dataset()
    expected = AttackSuccessRate().calculate(results)

    recipe = ours.metrics["recipes"]["deepwordbug"]
    assert recipe["attack_success_rate"] == pytest.approx(expected["attack_success_rate"] / 100)
    assert recipe["successes"] == expected["successful_attacks"] == 5
    assert recipe["attacked"] == expected["successful_attacks"] + expected["failed_attacks"] == 8
    assert recipe["mean_queries"] == pytest.approx(AttackQueries().calculate(results)["avg_num_queries"])
    # Every success is shown (fewer than the 8 examples kept), and they are TextAttack's own.
    assert {example["perturbed_text"] for example in ours.examples} == {
        result.perturbed_result.attacked_text.text for result in results
        if isinstance(result, textattack.attack_results.SuccessfulAttackResult)}


@pytest.mark.slow
def test_robust_is_the_worst_case_over_recipes_and_rows_name_the_sampled_items():
    recipes = {"deepwordbug": {"query_budget": BUDGET}, "typos": {"query_budget": BUDGET}}
    outcome = adversarial.run(LexiconClient(), ITEMS,
                              suite_config(recipes, sample_size=8, sample_seed=5))

    per_item = outcome.per_item
    assert per_item["item"] == adversarial.sample_positions(len(ITEMS), 8, 5)
    assert outcome.units.clusters == tuple(per_item["item"])
    assert outcome.units.strata == ("attacked",) * 8
    by_recipe = [per_item[f"{name}_robust"] for name in recipes]
    # Every stored list has a value per sampled item: the API pages through them as rows.
    assert {len(values) for values in per_item.values()} == {8}
    assert per_item["robust"] == [int(c and a and b) for c, a, b in
                                  zip(per_item["correct"], *by_recipe)]
    # Typos reach fewer words than DeepWordBug's four edits: the worst case is below each.
    assert outcome.metrics["robust_accuracy"] <= min(
        outcome.metrics["recipes"][name]["robust_accuracy"] for name in recipes)
    assert outcome.metrics["model_queries"] <= outcome.metrics["queries_asked"]


def test_robust_needs_a_correct_item_that_no_recipe_flips():
    flipped = {"status": "succeeded", "queries": 5, "perturbed_share": 0.25}
    held = {"status": "failed", "queries": 9}
    skipped = {"status": "skipped", "queries": 1}
    outcomes = {
        "deepwordbug": [{**flipped, "predicted_before": 1}, {**held, "predicted_before": 0},
                        {**held, "predicted_before": 1}, {**skipped, "predicted_before": 0}],
        "pwws": [{**held, "predicted_before": 1}, {**flipped, "perturbed_share": 0.5,
                                                   "predicted_before": 0},
                 {**held, "predicted_before": 1}, {**skipped, "predicted_before": 0}],
    }
    per_item = adversarial.item_outcomes(outcomes, [3, 10, 11, 40], 4)
    assert per_item["correct"] == [1, 1, 1, 0]
    assert per_item["robust"] == [0, 0, 1, 0]
    assert per_item["queries"] == [14, 14, 18, 2]
    assert per_item["perturbed_share"] == [0.25, 0.5, None, None]
    summary = adversarial.summary(per_item["correct"], per_item["robust"], per_item["queries"],
                                  per_item["perturbed_share"])
    assert summary["robust_accuracy"] == 0.25
    assert summary["attack_success_rate"] == pytest.approx(2 / 3)
    assert summary["mean_queries"] == pytest.approx(46 / 3)
    assert summary["mean_perturbed_word_share"] == pytest.approx(0.375)


def test_the_wrapper_counts_queries_and_asks_each_text_once():
    client = LexiconClient()
    wrapper = CachedModelWrapper(client, 2)
    first = wrapper(["good", "bad", "good"])
    again = wrapper(["bad", "a good film"])
    assert (client.calls, client.inputs_sent) == (2, 3)
    assert (wrapper.asked, wrapper.sent) == (5, 3)
    np.testing.assert_allclose(first[0], first[2])
    np.testing.assert_allclose(again[0], first[1])
    assert first.shape == (3, 2) and again.shape == (2, 2)


def test_the_wrapper_refuses_rows_of_the_wrong_width():
    wrapper = CachedModelWrapper(LexiconClient(labels=("negative", "neutral", "positive")), 2)
    with pytest.raises(ValueError, match=r"shape \(1, 2\)"):
        wrapper(["good"])


@pytest.mark.slow
def test_word2vec_neighbours_that_are_antonyms_are_never_swapped_in():
    from textattack.shared import AttackedText

    from benchmarks.attacks import recipes

    assert are_antonyms("good", "bad") and are_antonyms("Bad", "good")
    assert are_antonyms("great", "bad")  # indirectly, through good
    assert not are_antonyms("good", "decent")
    attack = recipes.embedding(CachedModelWrapper(LexiconClient(), 2))
    text = AttackedText("a good film")
    proposed = {candidate.words[1] for candidate in attack.transformation(text)}
    kept = {candidate.words[1] for candidate in attack.get_transformations(text, original_text=text)}
    assert "bad" in proposed and "bad" not in kept
    assert {"great", "decent"} <= kept


@pytest.mark.slow
def test_three_labels_are_attacked_like_two():
    labels = ["negative", "neutral", "positive"]
    items = [{"input": "A great, brilliant flight today.", "label": 2},
             {"input": "The worst, most tedious flight.", "label": 0},
             {"input": "Flight news today.", "label": 1}]
    outcome = adversarial.run(LexiconClient(labels), items,
                              {"labels": labels, "seed": 1,
                               "recipes": {"deepwordbug": {"query_budget": 30}}})
    assert outcome.per_item["correct"] == [1, 1, 1]
    assert outcome.metrics["recipes"]["deepwordbug"]["successes"] >= 1
    assert {example["predicted_after_name"] for example in outcome.examples} <= set(labels)


def test_the_sample_is_fixed_by_its_seed():
    sample = adversarial.sample_positions(2000, 300, 42)
    assert sample == sorted(sample) and len(set(sample)) == 300
    assert sample == adversarial.sample_positions(2000, 300, 42)
    assert sample != adversarial.sample_positions(2000, 300, 43)
    assert adversarial.sample_positions(5, 300, 42) == [0, 1, 2, 3, 4]


def test_every_adversarial_version_attacks_at_least_300_items():
    configs = [version.suites["adversarial"] for spec in catalog.BENCHMARKS.values()
               for version in spec.versions.values() if "adversarial" in version.suites]
    assert len(configs) >= 2
    for config in configs:
        assert config["sample_size"] >= 300
        assert set(config["recipes"]) == {"deepwordbug", "pwws", "typos", "embedding"}
        assert all(recipe["query_budget"] > 0 for recipe in config["recipes"].values())


def test_a_recipe_without_a_budget_or_name_is_refused_before_any_query():
    client = LexiconClient()
    with pytest.raises(ValueError, match="deepwordbug recipe needs a query_budget"):
        adversarial.run(client, ITEMS, suite_config({"deepwordbug": {}}))
    with pytest.raises(ValueError, match="unknown attack recipe 'textfooler'"):
        adversarial.run(client, ITEMS, suite_config({"textfooler": {"query_budget": 5}}))
    assert client.calls == 0


def test_records_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="attacks texts"):
        adversarial.run(LexiconClient(), [{"input": {"age": 30}, "label": 0}],
                        suite_config({"deepwordbug": {"query_budget": 5}}))


@pytest.mark.slow
def test_pwws_offers_the_most_frequent_senses_synonyms_in_a_fixed_order():
    import_textattack()
    from benchmarks.attacks.recipes import offline_wordnet_swap, wordnet_synonyms

    assert wordnet_synonyms("movie", 5) == ["film", "picture", "pic", "flick"]
    assert wordnet_synonyms("hits", 2) == ["hit", "hitting"]
    assert offline_wordnet_swap()._get_replacement_words("hits") == [
        "hit", "hitting", "striking", "smash", "smasher"]
