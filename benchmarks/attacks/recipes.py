"""The attack recipes a benchmark version can name: each composes TextAttack's transformation,
constraints, goal and search, and runs offline.

Every recipe attacks a black box (probabilities only, no gradients) with an untargeted goal: the
attack succeeds when the predicted label is no longer the gold one. All search with TextAttack's
greedy word swap by word importance, the importance of a word being how much the gold label's
probability drops when the word is replaced by [UNK]; these leave-one-out queries are the same
for every recipe, so the model answers them once (benchmarks.attacks.model).

- deepwordbug: Gao et al. (2018), TextAttack's own recipe unchanged: per word, one random
  neighbour swap, substitution, deletion or insertion of a letter, the best kept;
- pwws: Ren et al. (2019), probability weighted word saliency with WordNet synonyms; TextAttack's
  recipe, built here with a WordNet swap that does not call the NLTK downloader and offers each
  word's 5 synonyms of its most frequent senses, in a fixed order (offline_wordnet_swap);
- typos: what fast typing does (neighbouring letters swapped, a letter dropped, a key's
  neighbour on a QWERTY keyboard hit), inside words of 4+ letters and never their first or last
  letter (Pruthi et al., 2019: readers restore such words), at most 3 words per text;
- embedding: each word swapped for one of its 8 nearest neighbours in the packaged word2vec
  subset (cosine >= 0.6), never for a WordNet antonym: plain word2vec puts "bad" next to "good",
  and a swap that reverses the meaning is a correct change of prediction, not an attack.
"""

from functools import lru_cache

from benchmarks.nltk_data import import_textattack

RECIPE_NAMES = ("deepwordbug", "pwws", "typos", "embedding")
TYPO_MIN_WORD_LENGTH = 4
TYPO_MAX_WORDS = 3
EMBEDDING_CANDIDATES = 8
EMBEDDING_MIN_COSINE = 0.6
PWWS_SYNONYMS = 5


@lru_cache(maxsize=50_000)
def wordnet_antonyms(word):
    """The lower-case antonyms WordNet gives a word: the direct antonyms of its lemmas, and the
    indirect ones of an adjective through the head it is similar to (great ~ good ↔ bad)."""
    from nltk.corpus import wordnet

    antonyms = set()
    word = word.lower()
    for synset in wordnet.synsets(word):
        heads = [synset] + (synset.similar_tos() if synset.pos() == "s" else [])
        for head in heads:
            lemmas = head.lemmas() if head is not synset else [
                lemma for lemma in synset.lemmas() if lemma.name().lower() == word
            ]
            for lemma in lemmas:
                antonyms.update(antonym.name().lower() for antonym in lemma.antonyms())
    return frozenset(antonyms)


def are_antonyms(word, other):
    word, other = word.lower(), other.lower()
    return other in wordnet_antonyms(word) or word in wordnet_antonyms(other)


def antonym_filter():
    """A TextAttack constraint that rejects a swap of a word for one of its WordNet antonyms."""
    import_textattack()
    from textattack.constraints import Constraint
    from textattack.shared.validators import transformation_consists_of_word_swaps

    class NoAntonymSwap(Constraint):
        def __init__(self):
            super().__init__(compare_against_original=True)

        def _check_constraint(self, transformed_text, reference_text):
            for index in transformed_text.attack_attrs.get("newly_modified_indices", ()):
                if index >= len(reference_text.words) or index >= len(transformed_text.words):
                    return False
                if are_antonyms(reference_text.words[index], transformed_text.words[index]):
                    return False
            return True

        def check_compatibility(self, transformation):
            return transformation_consists_of_word_swaps(transformation)

    return NoAntonymSwap()


def wordnet_synonyms(word, limit):
    """Up to `limit` one-word WordNet synonyms of word, most frequent senses first (WordNet lists
    a word's synsets by sense frequency), each once."""
    import textattack
    from nltk.corpus import wordnet

    synonyms = []
    for synset in wordnet.synsets(word):
        for name in synset.lemma_names():
            if (name != word and "_" not in name and textattack.shared.utils.is_one_word(name)
                    and name not in synonyms):
                synonyms.append(name)
                if len(synonyms) == limit:
                    return synonyms
    return synonyms


def offline_wordnet_swap(limit=PWWS_SYNONYMS):
    """TextAttack's WordNet synonym swap with three changes: no `nltk.download("omw-1.4")` in
    its constructor (the English WordNet needs no multilingual data, and nothing is downloaded
    here); synonyms in WordNet's sense order instead of a set's, whose order changes with each
    process's string hashing and with it which of two equally good swaps the search keeps; and
    at most `limit` of them, the most frequent senses', where WordNet's rare senses offer swaps
    no reader would call synonyms ("hits" → "off") and multiply PWWS's queries."""
    import_textattack()
    from textattack.transformations import WordSwapWordNet

    class OrderedWordSwapWordNet(WordSwapWordNet):
        def __init__(self):
            self.language = "eng"

        def _get_replacement_words(self, word, random=False):
            return wordnet_synonyms(word, limit)

    return OrderedWordSwapWordNet()


def deepwordbug(model_wrapper):
    import_textattack()
    from textattack.attack_recipes import DeepWordBugGao2018

    return DeepWordBugGao2018.build(model_wrapper)


def pwws(model_wrapper):
    import_textattack()
    from textattack import Attack
    from textattack.constraints.pre_transformation import (
        RepeatModification, StopwordModification,
    )
    from textattack.goal_functions import UntargetedClassification
    from textattack.search_methods import GreedyWordSwapWIR

    return Attack(UntargetedClassification(model_wrapper),
                  [RepeatModification(), StopwordModification()], offline_wordnet_swap(),
                  GreedyWordSwapWIR("weighted-saliency"))


def typos(model_wrapper):
    import_textattack()
    from textattack import Attack
    from textattack.constraints.overlap import MaxWordsPerturbed
    from textattack.constraints.pre_transformation import (
        MinWordLength, RepeatModification, StopwordModification,
    )
    from textattack.goal_functions import UntargetedClassification
    from textattack.search_methods import GreedyWordSwapWIR
    from textattack.transformations import (
        CompositeTransformation, WordSwapNeighboringCharacterSwap, WordSwapQWERTY,
        WordSwapRandomCharacterDeletion,
    )

    inner = {"random_one": True, "skip_first_char": True, "skip_last_char": True}
    transformation = CompositeTransformation([
        WordSwapNeighboringCharacterSwap(**inner),
        WordSwapRandomCharacterDeletion(**inner),
        WordSwapQWERTY(**inner),
    ])
    constraints = [RepeatModification(), StopwordModification(),
                   MinWordLength(TYPO_MIN_WORD_LENGTH), MaxWordsPerturbed(max_num_words=TYPO_MAX_WORDS)]
    return Attack(UntargetedClassification(model_wrapper), constraints, transformation,
                  GreedyWordSwapWIR("unk"))


def embedding(model_wrapper):
    import_textattack()
    from textattack import Attack
    from textattack.constraints.pre_transformation import (
        RepeatModification, StopwordModification,
    )
    from textattack.constraints.semantics import WordEmbeddingDistance
    from textattack.goal_functions import UntargetedClassification
    from textattack.search_methods import GreedyWordSwapWIR
    from textattack.transformations import WordSwapEmbedding

    from benchmarks.attacks.word_vectors import word_embedding

    vectors = word_embedding()
    constraints = [RepeatModification(), StopwordModification(),
                   WordEmbeddingDistance(vectors, min_cos_sim=EMBEDDING_MIN_COSINE),
                   antonym_filter()]
    return Attack(UntargetedClassification(model_wrapper), constraints,
                  WordSwapEmbedding(max_candidates=EMBEDDING_CANDIDATES, embedding=vectors),
                  GreedyWordSwapWIR("unk"))


RECIPES = {"deepwordbug": deepwordbug, "pwws": pwws, "typos": typos, "embedding": embedding}


def build(name, model_wrapper, query_budget):
    """The named recipe against model_wrapper, within query_budget model queries per item."""
    if name not in RECIPES:
        raise ValueError(f"unknown attack recipe {name!r}; known recipes: {', '.join(RECIPES)}")
    attack = RECIPES[name](model_wrapper)
    attack.goal_function.query_budget = int(query_budget)
    return attack
