"""The program that runs inside the sandbox (runner.py, standard library only)."""

from pathlib import Path

RUNNER_PATH = Path(__file__).resolve().parent / "runner.py"
