"""Tiny Hugging Face text classifiers, saved with save_pretrained and placed in a hub-cache
layout in a test's folder, for the tests of Hugging Face submissions (run with HF_HUB_OFFLINE=1).

The classifier's output layer has zero weights and a bias of log(probabilities), so every input
gets exactly `probabilities`: what the sandbox returns is known to the last digit, whatever the
encoder (randomly initialised from a fixed seed) does with the text.
"""

import json
import math
from pathlib import Path

from sandbox.hf_hub import place_in_cache

WORDS = ["a", "good", "bad", "film", "great", "story", "the", "dull"]
MAX_POSITIONS = 16  # a long input must be cut to this, or the position embeddings overflow


def write_tiny_classifier(folder, *, id2label=None, num_labels=2, probabilities=None,
                          safetensors=True, config_extra=None, constant=True):
    """A BertForSequenceClassification with `id2label` (None: transformers' LABEL_n names) that
    gives every input `probabilities` (default: 0.25, 0.75, …), or with constant=False its
    seeded random head (probabilities that depend on the text). Returns the folder."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocabulary = folder / "vocab.txt"
    vocabulary.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(vocabulary), model_max_length=MAX_POSITIONS)
    labels = {"id2label": id2label, "label2id": {v: k for k, v in id2label.items()}} \
        if id2label else {"num_labels": num_labels}
    config = BertConfig(vocab_size=len(WORDS) + 5, hidden_size=8, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=16,
                        max_position_embeddings=MAX_POSITIONS, **labels)
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    count = config.num_labels
    probabilities = probabilities or ([0.25, 0.75] if count == 2 else [1 / count] * count)
    with torch.no_grad():
        if constant:
            model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor([math.log(p) for p in probabilities]))
    model.save_pretrained(folder, safe_serialization=safetensors)
    tokenizer.save_pretrained(folder)
    if config_extra:
        path = folder / "config.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), **config_extra}, indent=2))
    return folder


def cached_classifier(cache_dir, model_id, *, refs=("main",), **options):
    """A tiny classifier placed in the hub cache at cache_dir as model_id; returns its SHA."""
    folder = Path(cache_dir).parent / "built" / model_id.replace("/", "--")
    write_tiny_classifier(folder, **options)
    return place_in_cache(folder, cache_dir, model_id, refs=refs)
