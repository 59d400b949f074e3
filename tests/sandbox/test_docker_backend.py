"""The docker backend: the runner image under the sandbox's flags, one container per run.

Needs a Docker engine and the runner image (`make runner-image`); skips with the reason where
either is missing, and fails instead where SAFETYGYM_REQUIRE_SANDBOXES names docker (CI).
"""

import json
import socket
import subprocess

import docker as docker_sdk
import numpy as np
import pytest

from sandbox.backends import docker as docker_backend
from sandbox.backends import start_sandbox
from sandbox.errors import AgentError, OutOfMemory, PlatformError, SandboxTimeout
from sandbox.backends import bwrap
from sandbox.limits import Limits
from sandbox.runtime import venv_runtime
from tests.conftest import skip_unless_backend_runs

from .conftest import (
    BENCHMARK_LABELS,
    COUNTING_AGENT,
    OWNER,
    QUICK,
    host_address,
    our_containers,
    runner_python_version,
)
from .test_memory_cap import MINILM_AGENT

pytestmark = pytest.mark.docker

# Runs each input as Python code and prints its `result` to stderr, so one agent can look at the
# container from the inside.
PROBE_AGENT = """
import json, sys
labels = ["rotten", "fresh"]

def predict(inputs):
    for code in inputs:
        scope = {}
        exec(code, scope)
        print("PROBE " + json.dumps(scope["result"]), file=sys.stderr, flush=True)
    return [[0.5, 0.5] for _ in inputs]
"""


@pytest.fixture(scope="module", autouse=True)
def engine():
    skip_unless_backend_runs("docker")
    client = docker_sdk.from_env()
    yield client
    client.close()


@pytest.fixture(autouse=True)
def no_container_left(engine):
    yield
    left = our_containers(engine)
    for container in left:
        container.remove(force=True)
    assert [container.name for container in left] == []


@pytest.fixture
def start(write_agent):
    clients = []

    def start_agent(source, limits=QUICK, **options):
        client = start_sandbox(write_agent(source), backend="docker", limits=limits, **options)
        clients.append(client)
        return client

    yield start_agent
    for client in clients:
        client.close()


@pytest.fixture
def probe(start):
    """Runs code inside a fresh sandbox container; returns what it sets as `result`."""

    def run(code, limits=QUICK):
        client = start(PROBE_AGENT, limits=limits)
        client.use_labels(BENCHMARK_LABELS)
        client.predict_proba([code])
        lines = [line for line in client.log_tail().splitlines() if line.startswith("PROBE ")]
        return json.loads(lines[-1].removeprefix("PROBE "))

    return run


def test_a_good_agent_gives_its_exact_probabilities(start, engine):
    client = start(COUNTING_AGENT)
    client.use_labels(BENCHMARK_LABELS)
    probabilities = client.predict_proba(["good good film", "bad film", "a film", "good bad"])
    # P(fresh) = (1 + goods) / (2 + goods + bads); the columns in the benchmark's order.
    np.testing.assert_array_equal(
        probabilities, [[1 - 3 / 4, 3 / 4], [1 - 1 / 3, 1 / 3], [0.5, 0.5], [0.5, 0.5]]
    )
    image = engine.images.get("safetygym-runner:1")
    assert client.sandbox_info == {
        "backend": "docker",
        "image": "safetygym-runner:1",
        "image_id": image.id,
        "runtime": "runc",
        # What the image was built with (its runtime label), not the worker's interpreter.
        "python": runner_python_version(),
        "packages": venv_runtime(bwrap.RUNNER_VENV)["packages"],
    }
    assert client.sandbox_info["packages"]["torch"] == "2.13.0+cpu"
    assert client.sandbox_info["image_id"].startswith("sha256:")
    assert 5 < client.stats["peak_memory_mb"] < QUICK.memory_mb


def test_replies_spanning_many_frames_and_a_chatty_stderr_arrive_whole(start):
    # 3,000 rows is one ~100 KB reply line; 2 MB of stderr is read alongside it.
    client = start(
        """
        import sys
        labels = ["rotten", "fresh"]

        def predict(inputs):
            for number in range(20_000):
                print(f"log line {number} " + "." * 80, file=sys.stderr)
            return [[0.25, 0.75]] * len(inputs)
        """,
        limits=Limits(memory_mb=256, start_timeout_s=10, request_timeout_s=20, batch_size=3000),
    )
    client.use_labels(BENCHMARK_LABELS)
    probabilities = client.predict_proba(["a film"] * 3000)
    assert probabilities.shape == (3000, 2)
    assert (probabilities == [0.25, 0.75]).all()
    assert client.log_tail().rstrip().endswith("log line 19999 " + "." * 80)


def test_the_container_has_no_network(probe):
    # A server on this machine, at an address the container would use to reach it.
    with socket.create_server(("0.0.0.0", 0)) as server:
        port = server.getsockname()[1]
        result = probe(
            f"""
import os, socket

def attempt(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return "connected"
    except OSError as error:
        return f"{{type(error).__name__}} {{error.errno}}"

def resolve(name):
    try:
        return socket.getaddrinfo(name, 443)[0][4][0]
    except OSError as error:
        return type(error).__name__

result = {{
    "interfaces": sorted(os.listdir("/sys/class/net")),
    "internet": attempt("1.1.1.1", 443),
    "host": attempt({host_address()!r}, {port}),
    "dns": resolve("example.com"),
}}
"""
        )
    assert result == {
        "interfaces": ["lo"],
        "internet": "OSError 101",  # ENETUNREACH: there is no route at all
        "host": "OSError 101",
        "dns": "gaierror",
    }


def test_the_root_is_read_only_and_only_tmp_is_writable(probe):
    result = probe(
        """
import errno

def write(path, size=1):
    try:
        with open(path, "wb") as handle:
            handle.write(b"x" * size)
        return "written"
    except OSError as error:
        return errno.errorcode[error.errno]

result = {
    "usr": write("/usr/lib/python3.11/os.py"),
    "new file in /usr": write("/usr/planted"),
    "agent": write("/agent/agent.py"),
    "runner": write("/opt/safetygym/runner.py"),
    "root": write("/planted"),
    "tmp": write("/tmp/scratch"),
    "tmp past its 64 MB": write("/tmp/big", 80 * 2**20),
}
"""
    )
    assert result == {
        "usr": "EROFS",
        "new file in /usr": "EROFS",
        "agent": "EROFS",
        "runner": "EROFS",
        "root": "EROFS",
        "tmp": "written",
        "tmp past its 64 MB": "ENOSPC",
    }


def test_the_agent_runs_as_nobody_without_capabilities(probe):
    result = probe(
        """
import os
lines = open("/proc/self/status").read().splitlines()
status = dict(line.split(":\\t", 1) for line in lines if ":\\t" in line)
result = {
    "uid": os.getuid(),
    "gid": os.getgid(),
    "groups": os.getgroups(),
    "CapEff": status["CapEff"].strip(),
    "CapPrm": status["CapPrm"].strip(),
    "NoNewPrivs": status["NoNewPrivs"].strip(),
    "Seccomp": status["Seccomp"].strip(),
    "environment has SECRET_KEY": "SECRET_KEY" in os.environ,
    "HOME": os.environ["HOME"],
}
"""
    )
    assert result == {
        "uid": 65534,
        "gid": 65534,
        "groups": [65534],
        "CapEff": "0000000000000000",
        "CapPrm": "0000000000000000",
        "NoNewPrivs": "1",
        "Seccomp": "2",
        "environment has SECRET_KEY": False,
        "HOME": "/tmp",
    }


def test_too_much_memory_is_out_of_memory_from_the_oom_killer(start):
    # Shared memory is outside the runner's RLIMIT_DATA, so only the container's memory limit
    # stops it: the engine's OOM killer, seen as State.OOMKilled.
    client = start(
        """
        import mmap
        labels = ["rotten", "fresh"]

        def predict(inputs):
            block = mmap.mmap(-1, 400 * 2**20)
            for _ in range(400):
                block.write(b"x" * 2**20)
            return [[0.5, 0.5] for _ in inputs]
        """,
        limits=Limits(memory_mb=200, start_timeout_s=10, request_timeout_s=20),
    )
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(OutOfMemory) as caught:
        client.predict_proba(["good film"])
    assert str(caught.value).startswith(
        "The model used more than 200 MB of memory (the memory_mb limit) while answering a "
        "predict request of 1 input, and was stopped."
    )
    assert client.transport.memory_exceeded()


def test_a_child_killed_for_memory_makes_a_stuck_run_out_of_memory(start):
    # The OOM killer stops the child; the runner waits on; the timeout stops the container, and
    # its final state still says out of memory.
    client = start(
        """
        import subprocess, sys, time
        labels = ["rotten", "fresh"]
        HOG = (
            "import mmap\\n"
            "block = mmap.mmap(-1, 300 * 2**20)\\n"
            "for _ in range(300): block.write(b'x' * 2**20)\\n"
        )

        def predict(inputs):
            subprocess.run([sys.executable, "-c", HOG])
            time.sleep(30)
        """,
        limits=Limits(memory_mb=200, start_timeout_s=10, request_timeout_s=2),
    )
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(OutOfMemory, match="while answering a predict request of 1 input, and was"):
        client.predict_proba(["good film"])


def test_a_runner_killed_by_a_signal_is_not_out_of_memory(start):
    # Exit status 137 (SIGKILL) without the OOM killer: a crash, not out of memory.
    client = start(
        """
        import os, signal
        labels = ["rotten", "fresh"]

        def predict(inputs):
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(AgentError, match=r"was killed by signal 9 \(SIGKILL\); .* while answering"):
        client.predict_proba(["good film"])
    assert not client.transport.memory_exceeded()


def test_a_crash_at_import_shows_its_error_output(write_agent):
    folder = write_agent(
        """
        import os, sys
        sys.stderr.write("cannot find my weights\\n")
        sys.stderr.flush()
        os._exit(3)
        """
    )
    with pytest.raises(AgentError) as caught:
        start_sandbox(folder, backend="docker", limits=QUICK)
    assert str(caught.value) == (
        "The model's process exited with code 3 while starting (importing agent.py). "
        "The last lines of its error output:\ncannot find my weights"
    )
    assert "cannot find my weights" in caught.value.log


def test_a_hang_is_a_timeout_and_the_container_is_removed(start, engine):
    client = start(
        """
        import time
        labels = ["rotten", "fresh"]

        def predict(inputs):
            time.sleep(3600)
        """,
        limits=Limits(memory_mb=256, start_timeout_s=10, request_timeout_s=1),
    )
    client.use_labels(BENCHMARK_LABELS)
    container_id = client.transport.container.id
    with pytest.raises(SandboxTimeout, match="the request_timeout_s limit is 1 s"):
        client.predict_proba(["good film"])
    with pytest.raises(docker_sdk.errors.NotFound):
        engine.containers.get(container_id)


def test_a_missing_image_is_a_platform_error_naming_the_build(write_agent):
    with pytest.raises(PlatformError, match=r"safetygym-runner:missing .* `make runner-image`"):
        start_sandbox(
            write_agent(COUNTING_AGENT),
            backend="docker",
            limits=QUICK,
            image="safetygym-runner:missing",
        )
    ready, reason = docker_backend.available(image="safetygym-runner:missing")
    assert not ready
    assert "`make runner-image`" in reason


def test_an_unknown_runtime_is_a_platform_error(write_agent):
    with pytest.raises(PlatformError, match=r"runtime 'no-such-runtime' must be installed"):
        start_sandbox(
            write_agent(COUNTING_AGENT), backend="docker", limits=QUICK, runtime="no-such-runtime"
        )
    ready, reason = docker_backend.available(runtime="no-such-runtime")
    assert not ready
    assert "no runtime 'no-such-runtime'" in reason


def test_reaping_removes_leftovers_of_dead_owners_only(start, engine):
    live = start(COUNTING_AGENT)
    dead_pid = _dead_pid()
    labels = {
        docker_backend.SANDBOX_LABEL: "1",
        docker_backend.OWNER_LABEL: f"{socket.gethostname()}:{dead_pid}",
    }
    leftover = engine.containers.create(
        "safetygym-runner:1",
        command=["python", "-c", "import time; time.sleep(600)"],
        labels=labels,
        network_mode="none",
    )
    leftover.start()
    removed = docker_backend.reap_containers()
    assert leftover.name in removed
    assert live.transport.container.name not in removed
    with pytest.raises(docker_sdk.errors.NotFound):
        engine.containers.get(leftover.id)
    # Named explicitly, a live owner's containers go too (the fixture then finds none left).
    assert docker_backend.reap_containers(OWNER) == [live.transport.container.name]


def _dead_pid():
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.slow
def test_a_torch_model_gives_the_same_numbers_as_in_process(start):
    # The same agent and figures as the local backend's test: the image's packages match.
    client = start(MINILM_AGENT, limits=Limits(memory_mb=1024, start_timeout_s=120))
    client.use_labels(BENCHMARK_LABELS)
    texts = ["a good film", "a bad film", "a dull, lifeless film", "a wonderful, moving story"]
    np.testing.assert_allclose(
        client.predict_proba(texts),
        [[0.107375, 0.892625], [0.931765, 0.068235], [0.637510, 0.362490], [0.307137, 0.692863]],
        atol=1e-4,
    )
