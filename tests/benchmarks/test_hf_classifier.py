"""The repository's own Hugging Face classifier: assembled from the packaged encoder and the
committed head, placed in a hub-cache layout that the submission path accepts, its added layer
computing the mean pooling the encoder was trained for."""

import json

import numpy as np
import pytest

from benchmarks.baselines import hf_classifier
from sandbox.hf_config import check_labels
from sandbox.hf_hub import prepare, repository_folder

pytestmark = pytest.mark.slow


def test_the_model_is_placed_in_a_hub_cache_layout_with_refs_main(tmp_path):
    cache = tmp_path / "hub"
    sha = hf_classifier.place_in_hub_cache(cache)
    repository = repository_folder(cache, hf_classifier.MODEL_ID)
    assert repository.name == "models--safetygym--minilm-rt-sentiment"
    assert (repository / "refs" / "main").read_text() == sha
    snapshot = repository / "snapshots" / sha
    assert (snapshot / "model.safetensors").is_symlink()
    assert (snapshot / "model.safetensors").resolve().parent == repository / "blobs"
    config = json.loads((snapshot / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert config["id2label"] == {"0": "rotten", "1": "fresh"}
    assert "auto_map" not in config
    resolved, checked = prepare(hf_classifier.MODEL_ID, "main", cache, max_bytes=200 * 2**20)
    assert resolved.sha == sha
    assert check_labels(checked, ["rotten", "fresh"]) == ["rotten", "fresh"]
    assert hf_classifier.place_in_hub_cache(cache) == sha  # the same build: the same commit


def test_the_added_layer_gives_the_layer_norm_of_the_mean_token_state():
    import torch

    model, tokenizer = hf_classifier.assemble(hf_classifier.load_head())
    tokens = tokenizer(["a good film", "a long and dull story that never ends"], padding=True,
                       return_tensors="pt")
    with torch.inference_mode():
        output = model.bert(**tokens, output_hidden_states=True)
    encoder_states = output.hidden_states[-2]  # all-MiniLM-L6-v2's own last layer
    mask = tokens["attention_mask"].unsqueeze(-1).float()
    mean = (encoder_states * mask).sum(1) / mask.sum(1)
    expected = torch.nn.functional.layer_norm(mean, (mean.shape[-1],), eps=1e-12)
    np.testing.assert_allclose(output.last_hidden_state[:, 0], expected, atol=5e-3)


def test_served_in_the_sandbox_a_text_scores_the_same_alone_and_beside_longer_ones(tmp_path):
    # Batched, padding to a longer neighbour moved a probability by ~1e-6 and failed the
    # quality suite's consistency re-check; the runner scores one text at a time.
    from sandbox.backends import start_sandbox
    from sandbox.hf_hub import fetch_snapshot, resolve

    cache = tmp_path / "hub"
    hf_classifier.place_in_hub_cache(cache)
    snapshot = fetch_snapshot(resolve(hf_classifier.MODEL_ID, "main", cache), cache)
    texts = ["a moving, generous film", "dull", "the plot drags " * 40]
    with start_sandbox(snapshot, backend="local", trusted=True, huggingface=True) as client:
        client.use_labels(["rotten", "fresh"])
        together = client.predict_proba(texts)
        alone = [client.predict_proba([text])[0] for text in texts]
    assert np.array_equal(together, np.array(alone))
    assert together[0, 1] > 0.5 > together[1, 1]  # fresh, then rotten
