"""Adversarial attacks through the sandbox, built from TextAttack's parts.

- model: the TextAttack model wrapper over a sandbox ModelClient (batched, counted, each distinct
  text asked once per evaluation);
- word_vectors: the packaged word2vec subset as a TextAttack word embedding;
- recipes: the attack recipes a benchmark version can name, each one function that composes a
  transformation, constraints, a goal and a search.

TextAttack itself is imported only inside the functions that build or run an attack
(benchmarks.nltk_data.import_textattack), never when this package is imported.
"""
