import ast
import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from benchmarks.baselines.build import load_agent
from benchmarks.datasets import rt_sentiment

BASELINES_DIR = Path(rt_sentiment.__file__).parents[1] / "baselines" / "rt-sentiment"
NAMES = ["vader", "textblob", "tfidf_lr", "minilm_lr"]
PROJECT_PACKAGES = {"benchmarks", "sandbox", "leaderboard", "safetygym", "tests"}

# Imports agent.py by file path in a fresh interpreter, as the sandbox runner does, and reports.
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("agent", sys.argv[1])
agent = importlib.util.module_from_spec(spec)
spec.loader.exec_module(agent)
inputs = json.loads(sys.argv[2])
rows = agent.predict(inputs)
print(json.dumps({
    "labels": agent.labels,
    "input_kind": agent.input_kind,
    "is_list": isinstance(rows, list),
    "rows": [[float(value) for value in row] for row in rows],
    "scores": [agent.score(text) for text in inputs] if hasattr(agent, "score") else None,
}))
"""

INPUTS = [
    "A masterpiece: brilliant, moving and beautifully acted.",
    "Dull, tedious and painfully unfunny.",
    "The film opens on Friday.",
    "",
]


def probe(name, tmp_path):
    environment = {"PATH": os.environ.get("PATH", ""), "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)}
    completed = subprocess.run(
        [
            sys.executable,
            "-I",
            "-B",  # no __pycache__ inside the agent folders
            "-c",
            PROBE,
            str(BASELINES_DIR / name / "agent.py"),
            json.dumps(INPUTS),
        ],
        check=False,
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def check_rows(report):
    assert report["labels"] == ["rotten", "fresh"]
    assert report["input_kind"] == "text"
    assert report["is_list"]
    rows = report["rows"]
    assert len(rows) == len(INPUTS)
    for row in rows:
        assert len(row) == 2
        assert all(math.isfinite(value) and 0.0 <= value <= 1.0 for value in row)
        assert sum(row) == pytest.approx(1.0, abs=1e-9)
    fresh = [row[1] > row[0] for row in rows]
    assert fresh[0] and not fresh[1]
    return rows


@pytest.mark.parametrize("name", ["vader", "textblob"])
def test_lexicon_baselines_keep_the_published_rule(name, tmp_path):
    report = probe(name, tmp_path)
    rows = check_rows(report)
    scores = report["scores"]
    assert scores[2] == 0.0 and scores[3] == 0.0  # no sentiment words: the rule says fresh
    # np.argmax sends ties to "rotten", so fresh must win strictly exactly when score >= 0.
    assert [int(np.argmax(row)) for row in rows] == [int(score >= 0) for score in scores]


def test_tfidf_baseline_predicts_probabilities(tmp_path):
    check_rows(probe("tfidf_lr", tmp_path))


@pytest.mark.slow
def test_minilm_baseline_predicts_probabilities(tmp_path):
    check_rows(probe("minilm_lr", tmp_path))


EVERY_BASELINE = sorted(path.parent for path in BASELINES_DIR.parent.glob("*/*/agent.py"))


@pytest.mark.parametrize("folder", EVERY_BASELINE, ids=lambda folder: f"{folder.parent.name}/{folder.name}")
def test_agents_are_self_contained_data_files_without_pickles(folder):
    tree = ast.parse((folder / "agent.py").read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not imported & PROJECT_PACKAGES
    files = [path for path in folder.iterdir() if path.is_file()]
    assert {path.suffix for path in files} <= {".py", ".json", ".npz"}
    for path in files:
        assert path.stat().st_size < 5 * 2**20
        if path.suffix == ".npz":
            with zipfile.ZipFile(path) as archive:
                assert all(member.endswith(".npy") for member in archive.namelist())
            with np.load(path, allow_pickle=False) as arrays:
                assert all(arrays[key].dtype == np.float64 for key in arrays.files)
        if path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_tfidf_baseline_accuracy_on_the_evaluation_split():
    agent = load_agent(BASELINES_DIR / "tfidf_lr")
    evaluation = rt_sentiment.load().split("evaluation")
    probabilities = np.asarray(agent.predict([item.text for item in evaluation]))
    gold = np.array([rt_sentiment.LABELS.index(item.label) for item in evaluation])
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == gold))
    assert accuracy == pytest.approx(0.77, abs=0.02)
