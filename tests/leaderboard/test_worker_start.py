"""A worker that starts first removes what crashed workers of this host left behind: sandbox
containers and bwrap run folders whose owner process is gone."""

import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import docker as docker_sdk
import pytest
from django.apps import apps

from sandbox.backends import bwrap
from sandbox.backends import docker as docker_backend
from tests.conftest import skip_unless_backend_runs


def dead_pid():
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def start_worker_app(monkeypatch):
    """What `manage.py qcluster` does to the leaderboard app when it starts."""
    monkeypatch.setattr(sys, "argv", ["manage.py", "qcluster"])
    apps.get_app_config("leaderboard").ready()


def test_a_starting_worker_removes_containers_of_dead_workers(monkeypatch, caplog):
    skip_unless_backend_runs("docker")
    engine = docker_sdk.from_env()
    leftover = engine.containers.create(
        "safetygym-runner:1",
        command=["python", "-c", "import time; time.sleep(600)"],
        labels={
            docker_backend.SANDBOX_LABEL: "1",
            docker_backend.OWNER_LABEL: f"{socket.gethostname()}:{dead_pid()}",
        },
        network_mode="none",
    )
    try:
        leftover.start()
        start_worker_app(monkeypatch)
        with pytest.raises(docker_sdk.errors.NotFound):
            engine.containers.get(leftover.id)
        assert f"Removed container {leftover.name} left behind" in caplog.text
    finally:
        try:
            leftover.remove(force=True)
        except docker_sdk.errors.NotFound:
            pass
        engine.close()


def test_a_starting_worker_removes_bwrap_run_folders_of_dead_workers(monkeypatch):
    folder = Path(tempfile.gettempdir()) / f"{bwrap.RUN_FOLDER_PREFIX}{dead_pid()}-abc"
    folder.mkdir()
    (folder / "agent.py").write_text("labels = []")
    start_worker_app(monkeypatch)
    assert not folder.exists()


def test_other_commands_leave_the_sandboxes_alone(monkeypatch):
    folder = Path(tempfile.gettempdir()) / f"{bwrap.RUN_FOLDER_PREFIX}{dead_pid()}-abc"
    folder.mkdir()
    try:
        monkeypatch.setattr(sys, "argv", ["manage.py", "runserver"])
        apps.get_app_config("leaderboard").ready()
        assert folder.exists()
    finally:
        folder.rmdir()
