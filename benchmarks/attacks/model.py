"""The TextAttack model wrapper over a sandbox client.

TextAttack calls a model wrapper with a list of texts and expects one probability row per text.
This one asks the sandboxed model (anything with `predict_proba(texts) -> (n, n_labels)`, e.g.
sandbox.client.ModelClient, which batches the request) for the texts it has not seen in this
evaluation, and answers the others from what the model said before: the model was shown to be
deterministic in the pre-flight and by the quality suite's re-check, so asking again would buy
nothing, and the recipes of one suite share many queries (the leave-one-out texts that rank
word importance are the same for all of them).

It counts both what the attacks asked (`asked`, TextAttack's queries, which the budgets limit)
and what reached the model (`sent`, distinct texts), so the cost of an attack is reported as it
was paid.
"""

import numpy as np


class CachedModelWrapper:
    """A TextAttack model wrapper (duck-typed: TextAttack calls it and reads `.model`)."""

    def __init__(self, client, n_labels):
        self.model = client  # TextAttack's goal functions look at the wrapped model's class
        self.n_labels = int(n_labels)
        self.answers = {}  # text -> probability row, for this evaluation
        self.asked = 0
        self.sent = 0

    def __call__(self, texts):
        texts = [text if isinstance(text, str) else str(text) for text in texts]
        self.asked += len(texts)
        new = list(dict.fromkeys(text for text in texts if text not in self.answers))
        if new:
            probabilities = np.asarray(self.model.predict_proba(new), dtype=np.float64)
            if probabilities.shape != (len(new), self.n_labels):
                raise ValueError(f"expected probabilities of shape {(len(new), self.n_labels)}, "
                                 f"got {probabilities.shape}")
            self.sent += len(new)
            self.answers.update(zip(new, probabilities))
        return np.array([self.answers[text] for text in texts], dtype=np.float64).reshape(
            len(texts), self.n_labels
        )
