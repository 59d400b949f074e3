"""A good agent, end to end through the local backend."""

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from sandbox.backends import start_sandbox
from sandbox.client import AgentInfo
from sandbox.errors import InvalidSubmission, PlatformError
from sandbox.labels import predicted_labels
from sandbox.limits import Limits

from .conftest import (
    BENCHMARK_LABELS,
    COUNTING_AGENT,
    QUICK,
    assert_no_process_left,
    processes_mentioning,
)

TEXTS = ["good film", "bad bad film", "", "good good bad", "bad"]
# In benchmark order [rotten, fresh]; P(fresh) = (1 + goods) / (2 + goods + bads).
EXPECTED = [[1 / 3, 2 / 3], [3 / 4, 1 / 4], [1 / 2, 1 / 2], [2 / 5, 3 / 5], [2 / 3, 1 / 3]]


def test_a_good_agent_gives_its_probabilities_in_benchmark_label_order(write_agent):
    folder = write_agent(COUNTING_AGENT)
    progress = []
    limits = Limits(batch_size=2, memory_mb=256)
    with start_sandbox(folder, limits=limits, trusted=True) as client:
        assert client.backend == "local"
        assert client.hello() == AgentInfo(
            labels=["fresh", "rotten"], input_kind="text", protocol=1
        )
        assert client.use_labels(BENCHMARK_LABELS) == [1, 0]
        probabilities = client.predict_proba(
            TEXTS, progress=lambda done, total: progress.append((done, total))
        )
        stats = client.stats
    assert probabilities.shape == (5, 2)
    np.testing.assert_allclose(probabilities, EXPECTED, rtol=0, atol=1e-15)
    assert predicted_labels(probabilities).tolist() == [
        1,
        0,
        0,
        1,
        0,
    ]  # the tie on "" goes to rotten
    assert progress == [(2, 5), (4, 5), (5, 5)]
    assert stats["items"] == 5
    assert stats["latency_ms_per_item"] == pytest.approx(
        1000 * stats["seconds"] / 5, rel=0.01, abs=0.01
    )
    assert 5 < stats["peak_memory_mb"] < 256  # Python + numpy
    assert 0 < stats["startup_seconds"] < 10
    assert_no_process_left(folder)


def test_no_inputs_need_no_request(start):
    client = start(COUNTING_AGENT)
    client.use_labels(BENCHMARK_LABELS)
    assert client.predict_proba([]).shape == (0, 2)
    assert client.stats["items"] == 0


def test_predict_needs_the_labels_aligned_first(start):
    client = start(COUNTING_AGENT)
    with pytest.raises(PlatformError, match=r"use_labels\(\) must be called"):
        client.predict_proba(["good"])


def test_agent_py_inside_one_top_level_folder_is_found(tmp_path):
    nested = tmp_path / "upload" / "my-model"
    nested.mkdir(parents=True)
    (nested / "agent.py").write_text(COUNTING_AGENT)
    (nested / "helper.py").write_text("BONUS = 0\n")
    (tmp_path / "upload" / "__MACOSX").mkdir()
    with start_sandbox(tmp_path / "upload", limits=QUICK, trusted=True) as client:
        client.use_labels(BENCHMARK_LABELS)
        np.testing.assert_allclose(
            client.predict_proba(["good"]), [[1 / 3, 2 / 3]], rtol=0, atol=1e-15
        )


def test_an_agent_imports_its_own_modules_and_reads_its_files(write_agent):
    folder = write_agent(
        """
        from pathlib import Path
        from weights import FRESH

        labels = ["rotten", "fresh"]
        BIAS = float((Path(__file__).parent / "bias.txt").read_text())

        def predict(inputs):
            return [[1 - FRESH - BIAS, FRESH + BIAS] for _ in inputs]
        """,
        files={"weights.py": "FRESH = 0.5\n", "bias.txt": "0.25\n"},
    )
    with start_sandbox(folder, limits=QUICK, trusted=True) as client:
        client.use_labels(BENCHMARK_LABELS)
        assert client.predict_proba(["x", "y"]).tolist() == [[0.25, 0.75], [0.25, 0.75]]


def test_printing_to_stdout_does_not_disturb_the_protocol(start):
    client = start(
        """
        import os, sys
        print("loading the model")
        labels = ["rotten", "fresh"]

        def predict(inputs):
            print('{"ok": true, "probabilities": [[1, 0]]}')
            sys.stdout.write("progress 50%\\n")
            os.write(1, b"written to fd 1\\n")
            assert sys.stdin.read() == ""  # the protocol's stdin is not the agent's
            return [[0.5, 0.5] for _ in inputs]
        """
    )
    client.use_labels(BENCHMARK_LABELS)
    assert client.predict_proba(["a", "b"]).tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert client.predict_proba(["c"]).tolist() == [[0.5, 0.5]]
    log = client.log_tail()
    assert "loading the model" in log
    assert log.count("progress 50%") == 2 and log.count("written to fd 1") == 2


def test_record_inputs_reach_predict_as_dicts(start):
    client = start(
        """
        labels = ["denied", "approved"]
        input_kind = "record"

        def predict(inputs):
            return [[0.0, 1.0] if row["income"] > 50_000 else [1.0, 0.0] for row in inputs]
        """
    )
    assert client.hello().input_kind == "record"
    client.use_labels(["denied", "approved"])
    rows = [{"income": 60_000, "age": 41}, {"income": 20_000, "age": 29}]
    assert client.predict_proba(rows).tolist() == [[0.0, 1.0], [1.0, 0.0]]


def test_the_environment_is_cleared(write_agent, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/safetygym")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter2")
    folder = write_agent(
        """
        import json, os, sys
        labels = ["rotten", "fresh"]
        sys.stderr.write("ENV " + json.dumps({"env": dict(os.environ), "cwd": os.getcwd()}) + "\\n")

        def predict(inputs):
            return [[0.5, 0.5] for _ in inputs]
        """
    )
    with start_sandbox(folder, limits=QUICK, trusted=True, env={"EXTRA_SETTING": "on"}) as client:
        line = next(line for line in client.log_tail().splitlines() if line.startswith("ENV "))
    seen = json.loads(line[4:])
    env = seen["env"]
    assert set(env) == {
        "PATH",
        "HOME",
        "TMPDIR",
        "LANG",
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_HUB_DISABLE_TELEMETRY",
        "TOKENIZERS_PARALLELISM",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "PYTHONDONTWRITEBYTECODE",
        "EXTRA_SETTING",
    }
    assert env["HF_HUB_OFFLINE"] == env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["OMP_NUM_THREADS"] == "2"
    # The working directory is HOME, a fresh temporary folder removed afterwards.
    assert seen["cwd"] == env["HOME"] != os.environ.get("HOME")
    assert not Path(env["HOME"]).exists()
    assert not (folder / "__pycache__").exists()


def test_the_local_backend_refuses_untrusted_agents(write_agent):
    folder = write_agent(COUNTING_AGENT)
    with pytest.raises(PlatformError, match=r"only\s+runs trusted"):
        start_sandbox(folder, limits=QUICK, trusted=False)
    with start_sandbox(folder, limits=QUICK, trusted=False, allow_untrusted=True) as client:
        assert client.hello().labels == ["fresh", "rotten"]


def test_an_unknown_backend_is_a_platform_error(write_agent):
    with pytest.raises(PlatformError, match="Unknown sandbox backend 'podman'"):
        start_sandbox(write_agent(COUNTING_AGENT), backend="podman", trusted=True)


def test_a_label_mismatch_is_found_before_anything_is_predicted(start):
    client = start(
        """
        import sys
        labels = ["negative", "positive"]

        def predict(inputs):
            sys.stderr.write("predict was called\\n")
            return [[0.5, 0.5] for _ in inputs]
        """
    )
    with pytest.raises(
        InvalidSubmission, match=r"\['negative', 'positive'\] do not match .* \['rotten', 'fresh'\]"
    ):
        client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(PlatformError):
        client.predict_proba(["good"])
    assert "predict was called" not in client.log_tail()
    assert client.use_labels(BENCHMARK_LABELS, {"negative": "rotten", "positive": "fresh"}) == [
        0,
        1,
    ]


def test_close_kills_the_process_and_its_children(write_agent):
    folder = write_agent(
        """
        import subprocess, sys
        labels = ["rotten", "fresh"]
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", __file__])

        def predict(inputs):
            return [[0.5, 0.5] for _ in inputs]
        """
    )
    client = start_sandbox(folder, limits=QUICK, trusted=True)
    # The runner and its child (whose command line shows once its exec has finished).
    deadline = time.monotonic() + 5
    while len(processes_mentioning(str(folder))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(processes_mentioning(str(folder))) == 2
    client.close()
    client.close()  # twice is fine
    assert_no_process_left(folder)
