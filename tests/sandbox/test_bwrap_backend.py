"""The bwrap backend: a good agent runs exactly, and hostile ones are contained."""

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from sandbox.backends import bwrap, start_sandbox
from sandbox.errors import AgentError, OutOfMemory, PlatformError, SandboxTimeout
from sandbox.limits import Limits
from sandbox.runtime import venv_runtime
from tests.conftest import skip_unless_backend_runs

from .conftest import (
    BENCHMARK_LABELS,
    COUNTING_AGENT,
    QUICK,
    marked_processes,
    runner_python_version,
)
from .test_memory_cap import MINILM_AGENT

pytestmark = pytest.mark.bwrap


@pytest.fixture(scope="module", autouse=True)
def bwrap_runs_here():
    skip_unless_backend_runs("bwrap")


PROJECT = Path(__file__).resolve().parents[2]
TEXTS = ["good film", "bad bad film", "", "good good bad", "bad"]
# In benchmark order [rotten, fresh]; P(fresh) = (1 + goods) / (2 + goods + bads).
EXPECTED = [[1 / 3, 2 / 3], [3 / 4, 1 / 4], [1 / 2, 1 / 2], [2 / 5, 3 / 5], [2 / 3, 1 / 3]]

# Reports what it tried on its error output, one "name: outcome" line each.
PROBE_AGENT = """
import os, sys
labels = ["rotten", "fresh"]

def report(name, action):
    try:
        outcome = action()
    except OSError as error:
        outcome = f"{type(error).__name__} {error.errno}"
    print(f"{name}: {outcome}", file=sys.stderr, flush=True)

PROBES

def predict(inputs):
    run_probes()
    return [[0.5, 0.5] for _ in inputs]
"""


def probe_agent(probes):
    return PROBE_AGENT.replace("PROBES", probes)


def probe_results(log):
    return dict(line.split(": ", 1) for line in log.splitlines() if ": " in line)


@pytest.fixture
def sandbox(write_agent):
    """Start agent source in the bwrap backend as an untrusted upload. Every run carries a mark
    in its environment, so `left()` finds any of its processes still alive; closed after."""
    clients = []
    mark = f"SANDBOX_TEST_{uuid.uuid4().hex}"

    def start_agent(source, limits=QUICK, env=None, **options):
        folder = write_agent(source)
        client = start_sandbox(
            folder,
            backend="bwrap",
            limits=limits,
            trusted=False,
            env={"TEST_MARK": mark, **(env or {})},
            **options,
        )
        clients.append(client)
        return client

    start_agent.left = lambda: marked_processes(mark)
    yield start_agent
    for client in clients:
        client.close()
    assert marked_processes(mark) == []


def test_a_good_agent_gives_its_exact_probabilities(sandbox):
    client = sandbox(COUNTING_AGENT, limits=Limits(batch_size=2, memory_mb=256))
    assert client.backend == "bwrap"
    assert client.transport.describe() == {
        "backend": "bwrap",
        "bwrap_version": bwrap.describe()["bwrap_version"],
        "venv": str(bwrap.RUNNER_VENV),
        "python": runner_python_version(),  # the runner venv's, not the worker's
        "packages": venv_runtime(bwrap.RUNNER_VENV)["packages"],
    }
    assert client.transport.describe()["packages"]["scikit-learn"] == "1.9.1"
    client.use_labels(BENCHMARK_LABELS)
    probabilities = client.predict_proba(TEXTS)
    np.testing.assert_allclose(probabilities, EXPECTED, rtol=0, atol=1e-15)
    assert 5 < client.stats["peak_memory_mb"] < 256
    assert 0 < client.stats["startup_seconds"] < 10
    assert sandbox.left()  # running until closed
    client.close()
    assert sandbox.left() == []


def test_available_names_what_runs_or_what_is_missing(tmp_path):
    ok, reason = bwrap.available()
    assert ok and reason.startswith(f"bubblewrap {bwrap.describe()['bwrap_version']} with ")
    ok, reason = bwrap.available(tmp_path / "no-venv")
    assert not ok
    assert reason == (
        f"the runner venv {tmp_path / 'no-venv'} does not exist; build it with "
        "`make runner-venv` (or `make runner-image`)"
    )
    # A venv made from an interpreter the sandbox cannot see (e.g. pyenv's).
    (tmp_path / "python3.11").touch()
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").symlink_to(tmp_path / "python3.11")
    ok, reason = bwrap.available(tmp_path / "venv")
    assert not ok
    assert reason.startswith(
        f"the runner venv's interpreter is {tmp_path / 'python3.11'}, outside /usr (the only "
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="only root starts bubblewrap as nobody")
def test_a_venv_under_a_folder_closed_to_others_runs_through_a_mirror(write_agent):
    # A checkout in a mktemp folder (0700): nobody, bubblewrap's host user, cannot pass it.
    closed = Path(tempfile.mkdtemp(prefix="closed-checkout-"))
    try:
        venv = closed / "var" / "runner" / "venv"
        shutil.copytree(bwrap.RUNNER_VENV, venv, symlinks=True, copy_function=os.link)
        (venv / ".stamp").unlink()  # a build of its own, not the shared venv's
        (venv / ".stamp").write_text("a private build\n")
        client = start_sandbox(write_agent(COUNTING_AGENT), backend="bwrap", limits=QUICK,
                               trusted=False, venv=venv)
        with client:
            client.use_labels(BENCHMARK_LABELS)
            np.testing.assert_allclose(client.predict_proba(TEXTS), EXPECTED, atol=1e-15)
        mirrored = bwrap.venv_mirror(venv) / "venv"
        assert (mirrored / "pyvenv.cfg").stat().st_ino == (venv / "pyvenv.cfg").stat().st_ino
        assert (venv / ".stamp").read_text() == "a private build\n"
    finally:
        shutil.rmtree(closed)
        shutil.rmtree(bwrap.venv_mirror(closed / "var" / "runner" / "venv"), ignore_errors=True)


def test_starting_without_the_runner_venv_is_a_platform_error(write_agent, tmp_path):
    folder = write_agent(COUNTING_AGENT)
    with pytest.raises(PlatformError, match=r"cannot run here: the runner venv .* runner-venv`"):
        start_sandbox(folder, backend="bwrap", venv=tmp_path / "missing")


def test_no_network_reaches_the_host_the_internet_or_dns(sandbox):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    probes = """
import socket

def run_probes():
    port = int(os.environ["HOST_PORT"])
    report("host", lambda: socket.create_connection(("127.0.0.1", port), timeout=2).close())
    report("internet", lambda: socket.create_connection(("1.1.1.1", 53), timeout=2).close())
    report("dns", lambda: socket.getaddrinfo("example.com", 443))
    report("interfaces", lambda: sorted(name for _, name in socket.if_nameindex()))
"""
    with listener:
        client = sandbox(probe_agent(probes), env={"HOST_PORT": str(listener.getsockname()[1])})
        client.use_labels(BENCHMARK_LABELS)
        client.predict_proba(["a"])
        results = probe_results(client.log_tail())
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing came through
    assert results == {
        "host": "ConnectionRefusedError 111",  # its own loopback: nothing listens there
        "internet": "OSError 101",  # ENETUNREACH: no route out
        "dns": "gaierror -3",  # no resolver configuration, no network
        "interfaces": "['lo']",
    }


def test_host_secrets_and_the_workers_environment_are_invisible(sandbox, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "fake-secret-key-for-the-bwrap-test")
    probes = f"""
def environments():
    seen = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            with open(f"/proc/{{pid}}/environ", "rb") as environ:
                seen.append(environ.read())
    return any(b"fake-secret-key" in data for data in seen), len(seen)

def run_probes():
    import getpass
    for path in ["/etc/shadow", "/etc/hosts", "/etc/resolv.conf", "/root", "/home", "/var",
                 {str(PROJECT)!r}, {str(PROJECT / "var" / "safetygym.sqlite3")!r},
                 {str(PROJECT / "var" / "secret_key")!r}]:
        report(path, lambda: os.path.exists(path))
    report("top", lambda: sorted(os.listdir("/")))
    report("/etc", lambda: sorted(os.listdir("/etc")))
    report("/etc/passwd", lambda: open("/etc/passwd").read().replace(":", " "))
    report("user", getpass.getuser)
    report("env", lambda: sorted(os.environ))
    report("secret in any environment, processes", environments)
"""
    client = sandbox(probe_agent(probes))
    client.use_labels(BENCHMARK_LABELS)
    client.predict_proba(["a"])
    results = probe_results(client.log_tail())
    hidden = ["/etc/shadow", "/etc/hosts", "/etc/resolv.conf", "/root", "/home", "/var"]
    hidden += [str(PROJECT), str(PROJECT / "var" / "safetygym.sqlite3")]
    hidden += [str(PROJECT / "var" / "secret_key")]
    assert {path: results[path] for path in hidden} == dict.fromkeys(hidden, "False")
    usr_links = [name for name in bwrap.USR_LINKS if os.path.lexists(f"/{name}")]
    top = ["agent", "dev", "etc", "opt", "proc", "tmp", "usr", *usr_links]
    assert results["top"] == str(sorted(top))
    # Not the host's: only the sandbox's own user.
    assert results["/etc"] == "['group', 'passwd']"
    assert results["/etc/passwd"] == "nobody x 65534 65534 nobody /tmp /usr/sbin/nologin"
    assert results["user"] == "nobody"
    assert results["env"] == str(
        sorted(
            [
                *("HF_HUB_DISABLE_TELEMETRY", "HF_HUB_OFFLINE", "HOME", "LANG", "MKL_NUM_THREADS"),
                *("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "PATH", "PWD"),
                "PYTHONDONTWRITEBYTECODE",
                *("TEST_MARK", "TMPDIR", "TOKENIZERS_PARALLELISM", "TRANSFORMERS_OFFLINE"),
            ]
        )
    )
    # Its own pid namespace: bubblewrap's init (an empty environment) and the runner.
    assert results["secret in any environment, processes"] == "(False, 2)"


def test_nothing_outside_tmp_is_writable(sandbox):
    probes = """
def write(path, size=1):
    with open(path, "wb") as target:
        target.write(b"x" * size)
    return "written"

def run_probes():
    for path in ["/x", "/agent/x", "/opt/venv/x", "/opt/runner/runner.py", "/usr/x", "/dev/x",
                 "/bin/x", "/etc/x", "/proc/sys/vm/drop_caches", "/tmp/x", "/dev/shm/x"]:
        report(path, lambda: write(path))
    report("/tmp/big", lambda: write("/tmp/big", 100 * 2**20))
"""
    client = sandbox(probe_agent(probes))
    client.use_labels(BENCHMARK_LABELS)
    client.predict_proba(["a"])
    assert probe_results(client.log_tail()) == {
        "/x": "OSError 30",  # EROFS
        "/agent/x": "OSError 30",
        "/opt/venv/x": "OSError 30",
        "/opt/runner/runner.py": "OSError 30",
        "/usr/x": "OSError 30",
        "/dev/x": "OSError 30",
        "/bin/x": "OSError 30",
        "/etc/x": "OSError 30",
        "/proc/sys/vm/drop_caches": "PermissionError 13",  # host root could open it
        "/tmp/x": "written",
        "/dev/shm/x": "written",
        "/tmp/big": "OSError 28",  # ENOSPC: /tmp holds 64 MB
    }


def test_agent_files_the_sandbox_user_cannot_reach_are_copied_for_the_run(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only under root does bubblewrap run as another user (nobody)")
    # pytest's folders are private to root (0700): the sandbox's host user cannot reach them.
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    (folder / "agent.py").write_text(COUNTING_AGENT)  # 0644
    (folder / "weights.txt").write_text("secret sauce")
    os.chmod(folder / "weights.txt", 0o600)
    client = start_sandbox(folder, backend="bwrap", limits=QUICK)
    with client:
        client.use_labels(BENCHMARK_LABELS)
        np.testing.assert_allclose(client.predict_proba(["good film"]), [[1 / 3, 2 / 3]])
        copy = Path(client.transport.home) / "agent"
        assert stat.S_IMODE(copy.stat().st_mode) == 0o755
        assert (copy / "agent.py").stat().st_ino == (folder / "agent.py").stat().st_ino  # linked
        assert stat.S_IMODE((copy / "weights.txt").stat().st_mode) == 0o644  # a copy
        assert stat.S_IMODE((folder / "weights.txt").stat().st_mode) == 0o600  # untouched
    assert not copy.exists()  # removed with the run


def test_an_agent_folder_readable_by_all_is_bound_as_it_is():
    folder = Path(tempfile.mkdtemp())
    try:
        os.chmod(folder, 0o755)
        (folder / "agent.py").write_text(COUNTING_AGENT)
        with start_sandbox(folder, backend="bwrap", limits=QUICK) as client:
            client.use_labels(BENCHMARK_LABELS)
            np.testing.assert_allclose(client.predict_proba(["bad"]), [[2 / 3, 1 / 3]])
            # runner.py is copied too when the project lies in a folder closed to others (a
            # mktemp clone); the agent's own folder, readable by all, never is.
            assert "agent" not in os.listdir(client.transport.home)
            assert {"group", "passwd"} <= set(os.listdir(client.transport.home))
    finally:
        shutil.rmtree(folder)


MEMORY_CAP = Limits(memory_mb=200, start_timeout_s=30, request_timeout_s=20)


def test_a_memory_bomb_is_out_of_memory(sandbox):
    client = sandbox(
        """
        labels = ["rotten", "fresh"]

        def predict(inputs):
            hoard = []
            while True:
                hoard.append(b"x" * 2**24)
        """,
        limits=MEMORY_CAP,
    )
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(OutOfMemory) as caught:
        client.predict_proba(["a"])
    # Python's MemoryError at the rlimit, or, when the memory watcher sees the process first (a
    # busy machine), the watcher's stop: out of memory either way, named the same.
    message = str(caught.value)
    opening = ("The model used more than 200 MB of memory (the memory_mb limit) while answering a "
               "predict request of 1 input")
    assert message.startswith(opening)
    assert message[len(opening):].startswith((" (MemoryError).", ", and was stopped."))
    client.close()
    assert sandbox.left() == []


def test_memory_spread_over_processes_is_out_of_memory(sandbox):
    # Each process stays under the per-process limit; the monitor sums the whole tree.
    client = sandbox(
        """
        import subprocess, sys, time
        labels = ["rotten", "fresh"]
        HOG = "import time; block = b'x' * (90 * 2**20); time.sleep(60)"

        def predict(inputs):
            workers = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(3)]
            time.sleep(30)
        """,
        limits=MEMORY_CAP,
    )
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(OutOfMemory, match=r"more than 200 MB .*, and was stopped\."):
        client.predict_proba(["a"])
    assert client.stats["peak_memory_mb"] > 200
    assert sandbox.left() == []


FORKS_UNTIL_REFUSED = """
import os, sys, time
labels = ["rotten", "fresh"]

def predict(inputs):
    forks = 0
    try:
        while True:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
            forks += 1
    except OSError as error:
        print(f"{forks} forks, then {type(error).__name__}", file=sys.stderr, flush=True)
    return [[0.5, 0.5] for _ in inputs]
"""

FORK_BOMB = """
import os, time
labels = ["rotten", "fresh"]

def predict(inputs):
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)
"""


def test_the_process_count_is_limited(sandbox):
    client = sandbox(FORKS_UNTIL_REFUSED, max_processes=40)
    client.use_labels(BENCHMARK_LABELS)
    client.predict_proba(["a"])
    # The runner and bubblewrap's init count too.
    assert client.log_tail() == "38 forks, then BlockingIOError\n"
    assert len(sandbox.left()) == 1 + 1 + 1 + 38  # bubblewrap, its init, the runner, the forks
    client.close()
    assert sandbox.left() == []


def test_a_fork_bomb_is_contained_and_times_out(sandbox):
    client = sandbox(FORK_BOMB, limits=Limits(memory_mb=1024, request_timeout_s=1))
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(SandboxTimeout) as caught:
        client.predict_proba(["a"])
    assert (caught.value.category, caught.value.limit) == ("timeout", "request_timeout_s")
    assert sandbox.left() == []
    healthy = sandbox(COUNTING_AGENT)  # the next run is fine
    healthy.use_labels(BENCHMARK_LABELS)
    np.testing.assert_allclose(healthy.predict_proba(["bad"]), [[2 / 3, 1 / 3]])


def test_a_daemon_left_behind_is_killed_at_close(sandbox):
    client = sandbox(
        """
        import os, time
        labels = ["rotten", "fresh"]

        def predict(inputs):
            if os.fork() == 0:  # detach: a new session, then orphaned
                os.setsid()
                if os.fork() == 0:
                    time.sleep(600)
                os._exit(0)
            return [[0.5, 0.5] for _ in inputs]
        """
    )
    client.use_labels(BENCHMARK_LABELS)
    client.predict_proba(["a"])
    time.sleep(0.1)
    assert len(sandbox.left()) == 4  # bubblewrap, its init, the runner, the daemon
    client.close()
    assert sandbox.left() == []


def test_a_hang_is_a_timeout_and_leaves_nothing(sandbox):
    client = sandbox(
        """
        import time
        labels = ["rotten", "fresh"]

        def predict(inputs):
            time.sleep(600)
        """,
        limits=Limits(request_timeout_s=0.5),
    )
    client.use_labels(BENCHMARK_LABELS)
    began = time.monotonic()
    with pytest.raises(SandboxTimeout) as caught:
        client.predict_proba(["a"])
    assert time.monotonic() - began < 3
    assert (caught.value.limit, caught.value.seconds) == ("request_timeout_s", 0.5)
    assert sandbox.left() == []


def test_a_hang_at_import_is_a_timeout_and_leaves_nothing(sandbox):
    with pytest.raises(SandboxTimeout) as caught:
        sandbox("import time\ntime.sleep(600)\n", limits=Limits(start_timeout_s=0.5))
    assert caught.value.limit == "start_timeout_s"
    assert sandbox.left() == []


def test_a_sandbox_started_by_a_thread_that_ended_keeps_running(sandbox):
    # bubblewrap's parent-death signal follows the thread that started it, not the process.
    started = {}
    thread = threading.Thread(target=lambda: started.update(client=sandbox(COUNTING_AGENT)))
    thread.start()
    thread.join()
    client = started["client"]
    client.use_labels(BENCHMARK_LABELS)
    np.testing.assert_allclose(client.predict_proba(["bad"]), [[2 / 3, 1 / 3]])


WORKER = """
import sys
from sandbox.backends import start_sandbox
from sandbox.limits import Limits

client = start_sandbox(sys.argv[1], backend="bwrap", env={"TEST_MARK": sys.argv[2]})
print("started", flush=True)
sys.stdin.read()
"""


def test_the_sandbox_dies_with_the_worker(write_agent):
    mark = f"SANDBOX_TEST_{uuid.uuid4().hex}"
    folder = write_agent("import time\nlabels = ['rotten', 'fresh']\npredict = time.sleep\n")
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(folder), mark],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=PROJECT,
    )
    assert worker.stdout.readline() == b"started\n"
    sandbox_pids = set(marked_processes(mark)) - {worker.pid}
    assert len(sandbox_pids) == 3  # bubblewrap, its init, the runner
    worker.kill()
    worker.wait()
    deadline = time.monotonic() + 5
    while marked_processes(mark) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marked_processes(mark) == []
    # Its run folder stays until a worker starts and reaps it.
    [run_folder] = Path(tempfile.gettempdir()).glob(f"safetygym-bwrap-{worker.pid}-*")
    assert bwrap.reap_stale_runs() >= 1
    assert not run_folder.exists()


def test_a_runner_killed_by_a_signal_is_reported_as_such(sandbox):
    client = sandbox(
        """
        import os, signal, sys
        labels = ["rotten", "fresh"]

        def predict(inputs):
            print("about to crash", file=sys.stderr, flush=True)
            os.kill(os.getpid(), signal.SIGSEGV)
        """
    )
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(AgentError) as caught:
        client.predict_proba(["a"])
    assert str(caught.value) == (
        "The model's process was killed by signal 11 (SIGSEGV) while answering a predict request "
        "of 1 input. The last lines of its error output:\nabout to crash"
    )
    assert sandbox.left() == []


def test_no_capabilities_and_no_new_user_namespaces(sandbox):
    probes = """
import subprocess

def status():
    lines = open("/proc/self/status").read().splitlines()
    return " ".join(line for line in lines if line.startswith(("Uid", "CapEff", "NoNewPrivs")))

def unshare():
    result = subprocess.run(["/usr/bin/unshare", "--user", "true"], capture_output=True, text=True)
    return result.stderr.strip()

def run_probes():
    report("status", status)
    report("unshare", unshare)
"""
    client = sandbox(probe_agent(probes))
    client.use_labels(BENCHMARK_LABELS)
    client.predict_proba(["a"])
    assert probe_results(client.log_tail()) == {
        "status": "Uid:\t65534\t65534\t65534\t65534 CapEff:\t0000000000000000 NoNewPrivs:\t1",
        "unshare": "unshare: unshare failed: No space left on device",  # a limit of 0 left
    }


@pytest.mark.slow
def test_a_torch_model_runs_with_only_usr_and_the_runner_venv(sandbox):
    client = sandbox(MINILM_AGENT, limits=Limits(memory_mb=1024, start_timeout_s=120))
    client.use_labels(BENCHMARK_LABELS)
    probabilities = client.predict_proba(["a good film", "a bad film"])
    np.testing.assert_allclose(
        probabilities, [[0.107375, 0.892625], [0.931765, 0.068235]], atol=1e-4
    )
    assert 300 < client.stats["peak_memory_mb"] < 1024
