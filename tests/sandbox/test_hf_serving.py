"""A Hugging Face snapshot from the hub cache served by the runner's text-classification
pipeline in each backend, the model's repository mounted read-only: protocol v1, its id2label
columns aligned to the benchmark's, long inputs truncated to the model's limit."""

import numpy as np
import pytest

from sandbox.backends import start_sandbox
from sandbox.errors import InvalidSubmission
from sandbox.hf_hub import fetch_snapshot, prepare
from sandbox.limits import Limits
from tests.conftest import skip_unless_backend_runs
from tests.hf_models import MAX_POSITIONS, cached_classifier

from .conftest import BENCHMARK_LABELS

LIMITS = Limits(memory_mb=1536, start_timeout_s=60, request_timeout_s=30, total_timeout_s=120)
LONG_TEXT = "good " * (MAX_POSITIONS * 20)  # 320 words for 16 positions


@pytest.fixture(params=[
    "local",
    pytest.param("docker", marks=pytest.mark.docker),
    pytest.param("bwrap", marks=pytest.mark.bwrap),
])
def backend(request):
    if request.param != "local":
        skip_unless_backend_runs(request.param)
    return request.param


def snapshot_of(hf_cache, model_id, **options):
    cached_classifier(hf_cache, model_id, **options)
    resolved, _ = prepare(model_id, "main", hf_cache, max_bytes=10**9)
    return fetch_snapshot(resolved, hf_cache)


def test_a_cached_model_is_served_with_its_labels_aligned(hf_cache, backend):
    # Columns [fresh, rotten] give [0.25, 0.75]: in benchmark order [rotten, fresh], [0.75, 0.25].
    snapshot = snapshot_of(hf_cache, "org/tiny", id2label={0: "fresh", 1: "rotten"})
    with start_sandbox(snapshot, backend=backend, limits=LIMITS, trusted=backend == "local",
                       huggingface=True) as client:
        info = client.hello()
        assert (info.labels, info.input_kind, info.protocol) == (["fresh", "rotten"], "text", 1)
        client.use_labels(BENCHMARK_LABELS)
        probabilities = client.predict_proba(["a good film", LONG_TEXT, "", "the dull story"])
        np.testing.assert_allclose(probabilities, [[0.75, 0.25]] * 4, atol=1e-6)
        assert client.sandbox_info["backend"] == backend


def test_the_mounted_model_is_read_only(hf_cache, hostile_backend):
    backend = hostile_backend
    snapshot = snapshot_of(hf_cache, "org/tiny", id2label={0: "rotten", 1: "fresh"})
    with start_sandbox(snapshot, backend=backend, limits=LIMITS, trusted=False,
                       huggingface=True) as client:
        client.hello()
        transport = client.transport
        if backend == "docker":
            transport.container.reload()
            mounts = {m["Destination"]: m for m in transport.container.attrs["Mounts"]}
            assert mounts["/agent"]["RW"] is False
            assert mounts["/agent"]["Source"] == str(snapshot.parents[1])  # the repository
        else:
            runner = transport._model_processes()[-1]
            with open(f"/proc/{runner.pid}/mountinfo") as mountinfo:
                agent = [line.split() for line in mountinfo if line.split()[4] == "/agent"]
            assert agent and "ro" in agent[-1][5].split(",")


def test_a_snapshot_transformers_cannot_load_is_an_invalid_submission(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "no-such-architecture"}')
    with pytest.raises(InvalidSubmission, match="transformers could not load the model"):
        start_sandbox(folder, backend="local", limits=LIMITS, trusted=True, huggingface=True)
