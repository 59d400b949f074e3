import os
import socket
import subprocess

import pytest

from sandbox.backends import docker as docker_backend
from sandbox.backends import start_sandbox
from sandbox.limits import Limits
from tests.conftest import skip_unless_backend_runs

BENCHMARK_LABELS = ["rotten", "fresh"]

# Counts "good" and "bad"; its columns are in the opposite order to the benchmark's, so every
# result also pins the column alignment. P(fresh) = (1 + goods) / (2 + goods + bads).
COUNTING_AGENT = """
import numpy as np

labels = ["fresh", "rotten"]

def predict(inputs):
    rows = []
    for text in inputs:
        words = text.split()
        fresh = (1 + words.count("good")) / (2 + words.count("good") + words.count("bad"))
        rows.append([fresh, 1 - fresh])
    return np.array(rows)
"""

# Small limits so that failures show within a second.
QUICK = Limits(memory_mb=256, start_timeout_s=10, request_timeout_s=5, total_timeout_s=60)

# The sandbox containers this test process started carry its owner label.
OWNER = f"{socket.gethostname()}:{os.getpid()}"


def agent_returning(expression):
    """An agent whose predict() returns `expression` (math and numpy imported as np)."""
    return f"""
        import math
        import numpy as np
        labels = ["rotten", "fresh"]

        def predict(inputs):
            return {expression}
        """


def processes_mentioning(text):
    """PIDs of live processes whose command line contains `text`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as cmdline:
                if text.encode() in cmdline.read():
                    found.append(int(name))
        except OSError:
            continue
    return found


def assert_no_process_left(agent_dir):
    assert processes_mentioning(str(agent_dir)) == []


def marked_processes(mark):
    """PIDs of live processes whose command line or environment holds `mark`: a mark passed in
    a sandbox's environment finds its processes in any backend, containers and pid namespaces
    included (their processes are still processes of this machine)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        for part in ("cmdline", "environ"):
            try:
                with open(f"/proc/{name}/{part}", "rb") as data:
                    if mark.encode() in data.read():
                        found.append(int(name))
                        break
            except OSError:
                continue
    return found


def our_containers(engine):
    """The sandbox containers this test process started that still exist."""
    return engine.containers.list(
        all=True, filters={"label": f"{docker_backend.OWNER_LABEL}={OWNER}"}, ignore_removed=True
    )


def host_address():
    """This machine's address on its main network interface (where a sandbox would go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        try:
            udp.connect(("1.1.1.1", 53))  # picks the route; sends nothing
            return udp.getsockname()[0]
        except OSError:
            return socket.gethostbyname(socket.gethostname())


@pytest.fixture(
    params=[
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("bwrap", marks=pytest.mark.bwrap),
    ]
)
def hostile_backend(request):
    """Each backend that isolates an upload ("docker", "bwrap"), for tests every one of them must
    pass. Skipped with the reason where it cannot run here, failed instead where
    SAFETYGYM_REQUIRE_SANDBOXES names it (comma-separated; CI sets docker,bwrap)."""
    skip_unless_backend_runs(request.param)
    return request.param


@pytest.fixture
def start(write_agent):
    """Write agent source to a folder and start it on the local backend; closed after the test."""
    clients = []

    def start_agent(source, limits=QUICK, **options):
        folder = write_agent(source)
        client = start_sandbox(folder, backend="local", limits=limits, trusted=True, **options)
        clients.append(client)
        return client

    yield start_agent
    for client in clients:
        client.close()


def runner_python_version():
    """The version of the interpreter the runner venv and image are built from."""
    return subprocess.run(
        ["/usr/bin/python3.11", "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
