"""The runner script on its own: finding agent.py, and one conversation over real pipes."""

import json
import subprocess
import sys

from sandbox.runner import RUNNER_PATH
from sandbox.runner.runner import find_agent_file


def test_agent_py_is_found_at_the_root_or_in_one_top_level_folder(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "agent.py").write_text("")
    assert find_agent_file(str(tmp_path / "root")) == str(tmp_path / "root" / "agent.py")

    nested = tmp_path / "zip" / "model"
    nested.mkdir(parents=True)
    (nested / "agent.py").write_text("")
    (tmp_path / "zip" / "__MACOSX").mkdir()
    (tmp_path / "zip" / "._model").write_text("")
    assert find_agent_file(str(tmp_path / "zip")) == str(nested / "agent.py")

    (tmp_path / "zip" / "other").mkdir()
    assert find_agent_file(str(tmp_path / "zip")) is None  # two folders: which one?
    assert find_agent_file(str(tmp_path / "missing")) is None


def test_a_conversation_on_stdin_and_stdout(tmp_path):
    (tmp_path / "agent.py").write_text(
        "import numpy as np\n"
        "labels = ['rotten', 'fresh']\n"
        "print('hi')\n"
        "def predict(inputs):\n"
        "    return np.array([[0.25, 0.75]] * len(inputs), dtype=np.float32)\n"
    )
    requests = [
        {"op": "hello"},
        {"op": "predict", "inputs": ["a", "b"]},
        {"op": "fly"},
        {"op": "bye"},
    ]
    finished = subprocess.run(
        [sys.executable, "-I", str(RUNNER_PATH), str(tmp_path)],
        input="".join(json.dumps(r) + "\n" for r in requests).encode(),
        capture_output=True,
        timeout=30,
    )
    assert finished.returncode == 0
    replies = [json.loads(line) for line in finished.stdout.decode().splitlines()]
    assert replies[0] == {
        "ok": True,
        "protocol": 1,
        "labels": ["rotten", "fresh"],
        "input_kind": "text",
    }
    assert replies[1] == {"ok": True, "probabilities": [[0.25, 0.75], [0.25, 0.75]]}
    assert replies[2]["ok"] is False and replies[2]["error"]["kind"] == "platform_error"
    assert replies[2]["error"]["message"] == "unknown request 'fly'"
    assert replies[3] == {"ok": True}
    assert finished.stderr.decode() == "hi\n"
