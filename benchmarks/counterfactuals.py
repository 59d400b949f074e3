"""Counterfactual variants of real texts that differ only in an identity term.

A text has a *slot* for a category when it already names an identity of that category: a
gendered word (she, his, mother), a first name, a religion (Muslim, Christians) or a country.
Its variants put each group of the category in that slot and change nothing else:
- gender: every gendered word becomes its female form in one variant and its male form in the
  other (a text that mentions both genders has no gender slot: swapping would merge two people);
  her/his are resolved by role (before a content word a determiner: his ↔ her; otherwise a
  pronoun: her → him, his → hers);
- race: the text's first name becomes a European-American name in one variant and the
  African-American name at the same list position in the other (same gender), for
  `name_pairs` positions chosen from the item's key: of the gender the text's pronouns give the
  person, else half male and half female;
- religion: the religion becomes each religion of the lexicon (plural kept);
- nationality: the country becomes a country of each income group, chosen from the item's key
  among the one-word names.

Only real items are varied (no templates): the variants stay texts of the benchmark's own kind,
and a model is asked about the identity term alone, not about a frame no item has.

Randomness comes in as a key (the split seed and the item's position), so the same items always
give the same variants.
"""

import hashlib
import re
from dataclasses import dataclass

# A category's slot is looked for in this order and an item gets the first category it has a
# slot for: the rare categories first, so that they gather as many items as the data holds.
CATEGORY_ORDER = ("religion", "nationality", "race", "gender")
WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# After these the possessive reading of her/his is unlikely ("gave her the keys", "his own").
FUNCTION_WORDS = frozenset(
    "a an the and or but to of in on at for with by from as than that this these those is are "
    "was were be been am not so too very own".split()
)


@dataclass(frozen=True)
class Slot:
    category: str
    spans: tuple  # ((start, end), ...) of the identity term(s) in the text
    term: str  # the identity term as written (first occurrence)
    group: str | None  # the group the text itself names, when known


@dataclass(frozen=True)
class Variant:
    group: str
    text: str


def stable_index(key, size):
    """A number in 0 .. size - 1 from a string key, the same on every machine."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % size


def match_case(word, model):
    """word written in the case pattern of model (HE → SHE, He → She, he → she)."""
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def replace_spans(text, spans, replacements):
    """text with each (start, end) span replaced by the matching replacement."""
    pieces, last = [], 0
    for (start, end), replacement in sorted(zip(spans, replacements)):
        pieces += [text[last:start], replacement]
        last = end
    return "".join(pieces) + text[last:]


def words_with_spans(text):
    return [(match.group(), match.start(), match.end()) for match in WORD.finditer(text)]


def is_handle_or_tag(text, start):
    return start > 0 and text[start - 1] in "@#"


def gender_slot(text, lexicon):
    terms = lexicon.gender.gender_of_word
    found = [(word, start, end) for word, start, end in words_with_spans(text)
             if word.lower() in terms and not is_handle_or_tag(text, start)]
    genders = {terms[word.lower()] for word, _, _ in found}
    if len(genders) != 1:
        return None
    return Slot("gender", tuple((start, end) for _, start, end in found), found[0][0],
                genders.pop())


def gender_variants(text, slot, lexicon):
    gender = lexicon.gender
    words = words_with_spans(text)
    next_word = {start: (words[i + 1][0].lower() if i + 1 < len(words) else None)
                 for i, (_, start, _) in enumerate(words)}
    variants = []
    for target in ("female", "male"):
        replacements = []
        for start, end in slot.spans:
            word = text[start:end]
            lower = word.lower()
            following = next_word.get(start)
            possessive = following is not None and following not in FUNCTION_WORDS
            if lower == gender.his_determiner and target == "male":  # her
                new = gender.her_possessive if possessive else gender.her_objective
            elif lower == gender.her_possessive and target == "female":  # his
                new = gender.his_determiner if possessive else gender.his_pronoun
            elif lower in gender.of_word:
                new = gender.of_word[lower][target]
            else:  # her → her, his → his: the word already has the target gender
                new = lower
            replacements.append(match_case(new, word))
        variants.append(Variant(target, replace_spans(text, slot.spans, replacements)))
    return variants


def name_slot(text, lexicon):
    for word, start, _ in words_with_spans(text):
        name = word.split("'")[0]
        if name in lexicon.first_names and not is_handle_or_tag(text, start):
            spans = tuple((m.start(), m.end())
                          for m in re.finditer(rf"(?<![@#\w]){re.escape(name)}(?!\w)", text))
            group = next((g for g, names in lexicon.race_names.items() if name in names), None)
            return Slot("race", spans, name, group)
    return None


def name_variants(text, slot, lexicon, key, name_pairs):
    groups = list(lexicon.race_names)
    size = len(lexicon.race_names[groups[0]])
    half = size // 2  # positions 0 .. half - 1 hold male names, the rest female ones
    first = stable_index(key, half)
    pronouns = gender_slot(text, lexicon)
    if pronouns is None:
        # Unknown gender: as many male as female positions (first, first + half, first + 1, ...).
        positions = [(first + pair // 2) % half + half * (pair % 2) for pair in range(name_pairs)]
    else:
        # The text says the person's gender (her name, his flight): keep it.
        offset = half * (pronouns.group == "female")
        positions = [(first + pair) % half + offset for pair in range(name_pairs)]
    return [
        Variant(group, replace_spans(text, slot.spans,
                                     [lexicon.race_names[group][position]] * len(slot.spans)))
        for position in positions
        for group in groups
    ]


def religion_slot(text, lexicon):
    found = list(lexicon.religion_pattern.finditer(text))
    if not found:
        return None
    religions = {match.group(1) for match in found}
    if len(religions) != 1:
        return None  # two religions compared: swapping one would make them the same
    return Slot("religion", tuple(match.span(1) for match in found), found[0].group(1),
                found[0].group(1).lower())


def religion_variants(text, slot, lexicon):
    return [
        Variant(religion.lower(), replace_spans(text, slot.spans, [religion] * len(slot.spans)))
        for religion in lexicon.religions
    ]


def country_slot(text, lexicon):
    found = list(lexicon.country_pattern.finditer(text))
    if not found or len({match.group() for match in found}) != 1:
        return None
    country = found[0].group()
    group = next(g for g, countries in lexicon.countries.items() if country in countries)
    return Slot("nationality", tuple(match.span() for match in found), country, group)


def country_variants(text, slot, lexicon, key):
    variants = []
    for group, countries in lexicon.countries.items():
        # One-word names read naturally anywhere ("in Japan", not "in Faroe Islands").
        choices = [country for country in countries
                   if country != slot.term and re.fullmatch(r"[A-Z][a-z]+", country)]
        country = choices[stable_index(f"{key}:{group}", len(choices))]
        variants.append(Variant(group, replace_spans(text, slot.spans, [country] * len(slot.spans))))
    return variants


SLOT_FINDERS = {
    "religion": religion_slot,
    "nationality": country_slot,
    "race": name_slot,
    "gender": gender_slot,
}


def find_slot(text, lexicon, categories=CATEGORY_ORDER):
    """The slot of the first category in `categories` (in CATEGORY_ORDER) the text has, or None."""
    for category in CATEGORY_ORDER:
        if category in categories:
            slot = SLOT_FINDERS[category](text, lexicon)
            if slot is not None:
                return slot
    return None


def make_variants(text, slot, lexicon, key, name_pairs=2):
    """The counterfactual variants of text for its slot, one or more per group of the category."""
    if slot.category == "gender":
        return gender_variants(text, slot, lexicon)
    if slot.category == "race":
        return name_variants(text, slot, lexicon, key, name_pairs)
    if slot.category == "religion":
        return religion_variants(text, slot, lexicon)
    return country_variants(text, slot, lexicon, key)
