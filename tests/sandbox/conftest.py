import os

import pytest

from sandbox.backends import start_sandbox
from sandbox.limits import Limits

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
