"""The hostile-agent corpus: what an uploaded agent may try, on every backend that runs here.

Each case must be contained (no secret read, no network reached, nothing written or left running
on the host), classified (one failure category and a message naming the cause, or a normal answer
when the attack came to nothing), and the worker must run the next evaluation as if nothing had
happened. docs/security.md maps each threat to the case that pins it.
"""

import json
import os
import socket
import textwrap
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import docker as docker_sdk
import numpy as np
import pytest

from sandbox.backends import start_sandbox
from sandbox.errors import SandboxError
from sandbox.limits import Limits
from sandbox.transport import MAX_UNREAD_LINES, Flooded

from .conftest import (
    BENCHMARK_LABELS,
    COUNTING_AGENT,
    agent_returning,
    host_address,
    marked_processes,
    our_containers,
    processes_mentioning,
)

PROJECT = Path(__file__).resolve().parents[2]
INPUTS = ["good film", "bad"]
# What every agent that runs to the end answers, in its (and the benchmark's) label order.
ANSWER = [[0.25, 0.75], [0.25, 0.75]]

# Small limits keep the corpus to a few minutes; the start limit leaves a busy engine room.
CORPUS_LIMITS = Limits(memory_mb=256, start_timeout_s=10, request_timeout_s=10, total_timeout_s=60)
# For the cases that end in a timeout: the sooner, the shorter the corpus.
IMPATIENT = replace(CORPUS_LIMITS, request_timeout_s=1.5)

# -- the agents ---------------------------------------------------------------------------------

# The runner keeps its reply stream away from agent code (fd 1 is the log); an agent can still find
# it among its open file descriptors, as the writable pipe that is not its log.
FIND_PROTOCOL_STREAM = """
import fcntl, os, stat

def protocol_stream():
    log = os.fstat(2).st_ino
    for fd in range(3, 256):
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        writable = (fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE) != os.O_RDONLY
        if stat.S_ISFIFO(info.st_mode) and writable and info.st_ino != log:
            return fd
    raise LookupError("no reply stream found")
"""

# A probe tries attacks from predict(), then answers normally. Each attempt is one stderr line,
# `PROBE <attack>: ALLOWED <what it got>` or `PROBE <attack>: blocked <error>`. It learns the
# host's addresses and paths (never a secret) from PROBE_CONTEXT, which the test passes in.
PROBE = """
import json, os, signal, socket, sys

labels = ["rotten", "fresh"]
HOST = json.loads(os.environ["PROBE_CONTEXT"])

def attempt(attack, action):
    try:
        outcome = f"ALLOWED {action()!r:.300}"
    except Exception as error:
        outcome = f"blocked {type(error).__name__} {getattr(error, 'errno', '')}".rstrip()
    print(f"PROBE {attack}: {outcome}", file=sys.stderr, flush=True)

def found(things):
    if not things:
        raise LookupError("nothing found")
    return things

def predict(inputs):
    attacks()
    return [[0.25, 0.75]] * len(inputs)
"""

READ_SECRETS = """
def read(path):
    with open(path, "rb") as secret:
        return found(secret.read(200))

def environments_defining(name):
    # Its own, and every environment /proc lets it read (its parent's and pid 1's included).
    holders = ["its own"] if name in os.environ else []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                if name.encode() + b"=" in environ.read():
                    holders.append(f"/proc/{pid}/environ")
        except OSError:
            pass
    return found(holders)

def docker_socket():
    with socket.socket(socket.AF_UNIX) as engine:
        engine.connect("/var/run/docker.sock")
        return "connected"

def attacks():
    attempt("read /etc/shadow", lambda: read("/etc/shadow"))
    attempt("read the worker's secret file", lambda: read(HOST["secret_file"]))
    attempt("read the project's secret_key", lambda: read(HOST["secret_key_file"]))
    attempt("read the project's settings", lambda: read(HOST["settings_file"]))
    for database in HOST["databases"]:
        attempt(f"read the database {database}", lambda: read(database))
    for folder in ["/root", "/home", "/var/lib/postgresql", HOST["project"], HOST["uploads"]]:
        attempt(f"list {folder}", lambda: found(os.listdir(folder)))
    attempt("SECRET_KEY in an environment", lambda: environments_defining("SECRET_KEY"))
    attempt("DATABASE_URL in an environment", lambda: environments_defining("DATABASE_URL"))
    attempt("the worker's environment", lambda: read(f"/proc/{HOST['worker_pid']}/environ"))
    attempt("the Docker socket", docker_socket)
"""

REACH_THE_NETWORK = """
def connect(address):
    socket.create_connection(address, timeout=3).close()
    return "connected"

def datagram(address):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        return udp.sendto(b"hello", address)

def attacks():
    port = HOST["listener_port"]
    attempt("the worker's listener at 127.0.0.1", lambda: connect(("127.0.0.1", port)))
    attempt("the worker's listener at the host's address",
            lambda: connect((HOST["host_address"], port)))
    attempt("PostgreSQL at 127.0.0.1:5432", lambda: connect(("127.0.0.1", 5432)))
    attempt("the internet at 1.1.1.1:443", lambda: connect(("1.1.1.1", 443)))
    attempt("a datagram to 8.8.8.8:53", lambda: datagram(("8.8.8.8", 53)))
    attempt("DNS for pypi.org", lambda: socket.getaddrinfo("pypi.org", 443))
    attempt("a network interface besides lo",
            lambda: found([name for _, name in socket.if_nameindex() if name != "lo"]))
"""

WRITE_OUTSIDE_TMP = """
def write(path, size=1):
    with open(path, "wb") as target:
        target.write(b"x" * size)
    return "written"

def open_for_writing(path):
    # Opened, never written: on a host where it opened, writing would change the host's kernel.
    os.close(os.open(path, os.O_WRONLY))
    return "opened"

def attacks():
    for path in ["/agent/agent.py", "/agent/planted.py", "/planted", "/etc/planted",
                 "/usr/lib/planted", "/opt/planted", "/opt/venv/planted",
                 "/opt/safetygym/runner.py", "/opt/runner/runner.py", *HOST["host_targets"]]:
        attempt(f"write {path}", lambda: write(path))
    for path in ["/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger",
                 "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"]:
        attempt(f"open {path} for writing", lambda: open_for_writing(path))
    attempt("write /tmp/scratch", lambda: write("/tmp/scratch"))
    attempt("write /dev/shm/scratch", lambda: write("/dev/shm/scratch"))
    attempt("fill /tmp with 100 MB", lambda: write("/tmp/filler", 100 * 2**20))
"""

SIGNAL_ITS_PARENTS = """
def attacks():
    attempt("kill the worker by its pid", lambda: os.kill(HOST["worker_pid"], signal.SIGKILL))
    attempt("kill its parent", lambda: os.kill(os.getppid(), signal.SIGKILL))
    attempt("kill pid 1", lambda: os.kill(1, signal.SIGKILL))
    attempt("stop pid 1", lambda: os.kill(1, signal.SIGSTOP))
    attempt("kill every process it may", lambda: os.kill(-1, signal.SIGKILL))
"""

FORK_BOMB = """
import os, time
labels = ["rotten", "fresh"]

def predict(inputs):
    while True:  # every child goes on forking too
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)
"""

HEAP_BOMB = """
labels = ["rotten", "fresh"]

def predict(inputs):
    hoard = []
    while True:
        hoard.append(b"x" * 2**24)
"""

# Shared memory is outside the runner's RLIMIT_DATA: only the backend's own cap can stop it.
SHARED_MEMORY_BOMB = """
import mmap
labels = ["rotten", "fresh"]

def predict(inputs):
    block = mmap.mmap(-1, 1024 * 2**20)
    for _ in range(1024):
        block.write(b"x" * 2**20)
"""

BUSY_LOOP = """
labels = ["rotten", "fresh"]

def predict(inputs):
    while True:
        pass
"""

SLEEP_AT_IMPORT = """
import time
time.sleep(3600)
labels = ["rotten", "fresh"]
"""

# print(), sys.stdout, sys.__stdout__, fd 1: whatever the agent takes for its stdout is its log.
STDOUT_FLOOD = """
import os, sys
labels = ["rotten", "fresh"]
GARBAGE = '{"ok": false} \\x00\\xff not JSON ]]]\\n' * 1000

def predict(inputs):
    for _ in range(80):  # 11 MB
        print(GARBAGE)
        sys.stdout.write(GARBAGE)
        sys.__stdout__.write(GARBAGE)
        os.write(1, GARBAGE.encode())
    sys.stdout.flush()
    sys.__stdout__.flush()
    return [[0.25, 0.75]] * len(inputs)
"""

STDERR_FLOOD = """
import os
labels = ["rotten", "fresh"]

def predict(inputs):
    while True:
        os.write(2, b"garbage " * 8192)
"""

JSON_THEN_JUNK = (
    FIND_PROTOCOL_STREAM
    + """
import json
labels = ["rotten", "fresh"]

def predict(inputs):
    reply = {"ok": True, "probabilities": [[0.25, 0.75]] * len(inputs)}
    os.write(protocol_stream(), json.dumps(reply).encode() + b" and then some junk\\n")
    return reply["probabilities"]
"""
)

HUNDRED_MB_LINE = (
    FIND_PROTOCOL_STREAM
    + """
labels = ["rotten", "fresh"]

def predict(inputs):
    stream, chunk = protocol_stream(), b"7" * 2**20
    for _ in range(100):
        os.write(stream, chunk)
    os.write(stream, b"\\n")
"""
)

# The whole process is the agent's: it can write any reply the runner could, e.g. blame the
# platform (which would be requeued and never charged), or nest a reply past any parser's depth.
FORGED_REPLY = (
    FIND_PROTOCOL_STREAM
    + """
labels = ["rotten", "fresh"]
FORGERY = REPLY

def predict(inputs):
    os.write(protocol_stream(), FORGERY + b"\\n")
    os._exit(0)
"""
)


def forged_reply(reply):
    """An agent that answers a predict request with `reply` (bytes) and exits."""
    return FORGED_REPLY.replace("REPLY", repr(reply))


CRASH = """
import os, sys
labels = ["rotten", "fresh"]

def predict(inputs):
    sys.stderr.write("loading the vocabulary\\nfatal: vocabulary.txt is missing\\n")
    sys.stderr.flush()
    os._exit(3)
"""

# A double fork and a new session: the classic daemon, out of the runner's process group.
DAEMON = """
import os, signal, sys, time
labels = ["rotten", "fresh"]

def predict(inputs):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for name in ("SIGTERM", "SIGHUP", "SIGINT"):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
            time.sleep(3600)
        os._exit(0)
    print("a daemon runs on", file=sys.stderr, flush=True)
    return [[0.25, 0.75]] * len(inputs)
"""


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    category: str | None  # the failure category it must end in; None: contained, and it answers
    message: str  # in the error's message; for an agent that answers, in its log
    # Needs a sandbox: on the local backend it would be a real attack on this machine (or, for a
    # daemon, escape local's clean-up by leaving its process group).
    isolation_only: bool = False
    limits: Limits = CORPUS_LIMITS
    allowed: frozenset = field(default_factory=frozenset)  # probe attacks that may succeed


CORPUS = [
    Case(
        "fork bomb",
        FORK_BOMB,
        "timeout",
        "the request_timeout_s limit is 1.5 s",
        isolation_only=True,
        # The process limit stops it, not memory: 128 forked interpreters dirty their own pages.
        limits=replace(IMPATIENT, memory_mb=1024),
    ),
    Case("memory bomb", HEAP_BOMB, "out_of_memory", "used more than 256 MB of memory"),
    Case(
        "shared memory bomb",
        SHARED_MEMORY_BOMB,
        "out_of_memory",
        "used more than 256 MB of memory (the memory_mb limit) while answering a predict request "
        "of 2 inputs, and was stopped",
    ),
    Case(
        "infinite loop in predict",
        BUSY_LOOP,
        "timeout",
        "the request_timeout_s limit is 1.5 s; predict() must answer a batch of 2 inputs",
        limits=IMPATIENT,
    ),
    Case(
        "sleeping forever at import",
        SLEEP_AT_IMPORT,
        "timeout",
        "while starting (importing agent.py): the start_timeout_s limit is 1.5 s",
        limits=replace(CORPUS_LIMITS, start_timeout_s=1.5),
    ),
    Case(
        "reading host secrets",
        PROBE + READ_SECRETS,
        None,
        "PROBE read /etc/shadow: blocked",
        isolation_only=True,
    ),
    Case(
        "reaching the host, the internet and DNS",
        PROBE + REACH_THE_NETWORK,
        None,
        "PROBE DNS for pypi.org: blocked gaierror",
        isolation_only=True,
    ),
    Case(
        "writing outside its tmpfs",
        PROBE + WRITE_OUTSIDE_TMP,
        None,
        "PROBE fill /tmp with 100 MB: blocked OSError 28",  # ENOSPC: /tmp holds 64 MB
        isolation_only=True,
        allowed=frozenset({"write /tmp/scratch", "write /dev/shm/scratch"}),
    ),
    Case(
        "signalling and killing its parents",
        PROBE + SIGNAL_ITS_PARENTS,
        None,
        "PROBE kill the worker by its pid: blocked ProcessLookupError 3",
        isolation_only=True,
        # Accepted by the kernel and without effect: the parent is the pid namespace's init, which
        # ignores these signals from inside it. kill(-1) finds no process at all to signal (it
        # spares the init and the caller): ESRCH.
        allowed=frozenset({"kill its parent", "kill pid 1", "stop pid 1"}),
    ),
    Case("leaving a daemon behind", DAEMON, None, "a daemon runs on", isolation_only=True),
    Case("flooding stdout", STDOUT_FLOOD, None, "not JSON ]]]"),
    Case(
        "flooding stderr",
        STDERR_FLOOD,
        "timeout",
        "the request_timeout_s limit is 1.5 s",
        limits=IMPATIENT,
    ),
    Case(
        "valid JSON then junk on the protocol stream",
        JSON_THEN_JUNK,
        "bad_output",
        "The model's reply is not valid JSON (Extra data",
    ),
    Case(
        "a 100 MB single output line",
        HUNDRED_MB_LINE,
        "bad_output",
        "The model's reply is larger than the limit of 16 MB (max_line_bytes)",
    ),
    Case(
        "NaN probabilities",
        agent_returning("[[math.nan, 0.5]] * len(inputs)"),
        "bad_output",
        "column 0 ('rotten') of predict()'s output is nan; probabilities must be finite",
    ),
    Case(
        "negative probabilities",
        agent_returning("[[-0.5, 1.5]] * len(inputs)"),
        "bad_output",
        "is -0.5, outside [0, 1]",
    ),
    Case(
        "probabilities not summing to 1",
        agent_returning("[[0.6, 0.6]] * len(inputs)"),
        "bad_output",
        "Row 0 of predict()'s output sums to 1.2, not 1",
    ),
    Case(
        "wrong batch length",
        agent_returning("[[0.25, 0.75]]"),
        "bad_output",
        "predict() returned 1 rows for a batch of 2 inputs",
    ),
    Case(
        "booleans for probabilities",
        agent_returning("[[False, True]] * len(inputs)"),
        "bad_output",
        "is a boolean (false), not a number",
    ),
    Case(
        "strings for probabilities",
        agent_returning("[['0.25', '0.75']] * len(inputs)"),
        "bad_output",
        "is a string ('0.25'), not a number",
    ),
    Case(
        "a forged platform error",
        forged_reply(
            b'{"ok": false, "error": {"kind": "platform_error", "type": "EngineDown", '
            b'"message": "the Docker engine stopped", "traceback": ""}}'
        ),
        "bad_output",
        "Replies from inside the sandbox cannot declare the platform at fault",
    ),
    Case(
        "an error reply of numbers",
        forged_reply(
            b'{"ok": false, "error": {"kind": "agent_error", "type": 1, "message": 2, '
            b'"traceback": 3}}'
        ),
        "agent_error",
        "predict() raised 1: 2 (the traceback is in the log).",
    ),
    Case(
        "a reply nested too deep to decode",
        forged_reply(b"[" * 100_000),
        "bad_output",
        "The model's reply is not valid JSON",
    ),
    Case(
        "crashing with an exit code",
        CRASH,
        "agent_error",
        "The model's process exited with code 3 while answering a predict request of 2 inputs. "
        "The last lines of its error output:\nloading the vocabulary\n"
        "fatal: vocabulary.txt is missing",
    ),
]


# -- the host the agents attack -----------------------------------------------------------------


@dataclass
class Host:
    context: dict  # what the probes are told: addresses and paths, never a secret
    secrets: list  # values that must never show in anything an agent reports
    listener: socket.socket  # a server of this machine no agent may reach
    planted: list  # host paths the write probe aims at


@pytest.fixture
def host(tmp_path, monkeypatch):
    """The worker's side: secrets in its environment and in a file only it can read, a listening
    server, and paths where nothing may be written."""
    secret_key = f"secret-key-{uuid.uuid4().hex}"
    database_url = f"postgres://worker:{uuid.uuid4().hex}@127.0.0.1:5432/safetygym"
    monkeypatch.setenv("SECRET_KEY", secret_key)
    monkeypatch.setenv("DATABASE_URL", database_url)
    # Beside the agent folders (write_agent makes them in tmp_path), readable by this user only.
    secret_file = tmp_path / "worker-secret.txt"
    file_secret = f"file-secret-{uuid.uuid4().hex}"
    secret_file.write_text(file_secret)
    secret_file.chmod(0o600)
    planted = [tmp_path / "planted", PROJECT / "var" / "planted"]
    listener = socket.create_server(("0.0.0.0", 0))
    listener.setblocking(False)
    var = PROJECT / "var"
    context = {
        "worker_pid": os.getpid(),
        "listener_port": listener.getsockname()[1],
        "host_address": host_address(),
        "secret_file": str(secret_file),
        "secret_key_file": str(var / "secret_key"),
        "settings_file": str(PROJECT / "safetygym" / "settings.py"),
        "databases": sorted({str(var / "safetygym.sqlite3"), *map(str, var.glob("*.sqlite3"))}),
        "project": str(PROJECT),
        "uploads": str(var / "agents"),
        "host_targets": [str(path) for path in planted],
    }
    with listener:
        yield Host(context, [secret_key, database_url, file_secret], listener, planted)


# -- one case -----------------------------------------------------------------------------------


def probe_outcomes(log):
    """{attack: outcome} from a probe's `PROBE <attack>: <outcome>` lines."""
    lines = [line.removeprefix("PROBE ") for line in log.splitlines() if line.startswith("PROBE ")]
    return dict(line.split(": ", 1) for line in lines)


def assert_nothing_left(backend, agent_dir, mark):
    """No process of the run alive (found by the agent folder in its command line or the mark in
    its environment) and, on docker, no container of this test process."""
    assert processes_mentioning(str(agent_dir)) == []
    assert marked_processes(mark) == []
    if backend == "docker":
        engine = docker_sdk.from_env()
        try:
            assert [container.name for container in our_containers(engine)] == []
        finally:
            engine.close()


def predict_inputs(client):
    return client.predict_proba(INPUTS)


def run_agent(backend, agent_dir, limits, probe_context, use=predict_inputs):
    """Start agent_dir on backend and `use` the client; (what use returned or None, the error or
    None, the log), once every process of the run has been checked gone."""
    mark = f"HOSTILE_{uuid.uuid4().hex}"
    result = error = None
    log = ""
    try:
        # local runs only trusted agents; every other backend takes the agent as an upload.
        with start_sandbox(
            agent_dir,
            backend=backend,
            limits=limits,
            trusted=backend == "local",
            env={"SANDBOX_TEST_MARK": mark, "PROBE_CONTEXT": json.dumps(probe_context)},
        ) as client:
            try:
                client.use_labels(BENCHMARK_LABELS)
                result = use(client)
            finally:
                log = client.log_tail()
    except SandboxError as failure:
        error, log = failure, failure.log or log
    assert_nothing_left(backend, agent_dir, mark)
    return result, error, log


def assert_host_untouched(host, agent_dir, source, reported):
    """No secret in what the agent reported, no connection, no file planted or changed."""
    for secret in host.secrets:
        assert [text for text in reported if secret in text] == []
    with pytest.raises(BlockingIOError):
        host.listener.accept()
    assert [path for path in host.planted if path.exists()] == []
    assert sorted(os.listdir(agent_dir)) == ["agent.py"]
    assert (agent_dir / "agent.py").read_text() == textwrap.dedent(source)


def assert_the_next_evaluation_is_fine(backend, write_agent, host):
    """The worker (this process) lives on, and a good agent runs normally on the backend."""
    probabilities, error, _ = run_agent(
        backend, write_agent(COUNTING_AGENT), CORPUS_LIMITS, host.context
    )
    assert error is None
    np.testing.assert_allclose(probabilities, [[1 / 3, 2 / 3], [2 / 3, 1 / 3]], rtol=0, atol=1e-15)


def check_case(backend, case, write_agent, host):
    agent_dir = write_agent(case.source)
    probabilities, error, log = run_agent(backend, agent_dir, case.limits, host.context)
    if case.category is None:
        assert error is None, f"{case.name} should have been contained and answered: {error!r}"
        np.testing.assert_array_equal(probabilities, ANSWER)
        assert case.message in log
        outcomes = probe_outcomes(log)
        allowed = {attack for attack, outcome in outcomes.items() if outcome.startswith("ALLOWED")}
        assert allowed == set(case.allowed), outcomes
    else:
        assert error is not None, f"{case.name} answered {probabilities!r}"
        assert error.category == case.category, error.message
        assert case.message in error.message
        assert len(error.log) <= 20_000  # the log tail, however much the agent wrote
    assert_host_untouched(host, agent_dir, case.source, [log, error.message if error else ""])
    assert_the_next_evaluation_is_fine(backend, write_agent, host)


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_a_hostile_agent_is_contained_and_classified(hostile_backend, case, write_agent, host):
    check_case(hostile_backend, case, write_agent, host)


# The local backend is not a security boundary: it runs the repository's own trusted baselines
# as this user, with this machine's files and network. Only the cases whose classification does
# not rest on isolation run here; the others would be real attacks on this machine (a fork bomb
# with no process limit, a kill of its parent, which is this test process) or, for a daemon in a
# new session, escape the process group that local's clean-up kills.
@pytest.mark.parametrize(
    "case", [case for case in CORPUS if not case.isolation_only], ids=lambda case: case.name
)
def test_a_misbehaving_trusted_agent_is_classified_on_the_local_backend(case, write_agent, host):
    check_case("local", case, write_agent, host)


# -- a flood of replies while the worker is not reading ------------------------------------------

# Answers, then writes copies of its answer to the protocol stream for as long as it lives: while
# the worker is busy elsewhere between requests, nobody reads them.
REPLY_FLOOD = (
    FIND_PROTOCOL_STREAM
    + """
import json, threading
labels = ["rotten", "fresh"]
ANSWER = [[0.25, 0.75]] * 2

def flood():
    stream, reply = protocol_stream(), json.dumps({"ok": True, "probabilities": ANSWER}).encode()
    while True:
        os.write(stream, reply + b"\\n")

def predict(inputs):
    threading.Thread(target=flood, daemon=True).start()
    return ANSWER
"""
)


def check_reply_flood(backend, write_agent, host):
    agent_dir = write_agent(REPLY_FLOOD)

    def answer_then_look_away(client):
        # Its answer or a copy, whichever came first: the same.
        np.testing.assert_array_equal(client.predict_proba(INPUTS), ANSWER)
        time.sleep(0.5)  # e.g. scoring a batch, or saving progress
        kept = []
        with pytest.raises(Flooded):
            for _ in range(MAX_UNREAD_LINES + 1):
                kept.append(client.transport.read_line(time.monotonic() + 5))
        assert 1 <= len(kept) <= MAX_UNREAD_LINES
        client.predict_proba(INPUTS)

    _, error, log = run_agent(
        backend, agent_dir, CORPUS_LIMITS, host.context, answer_then_look_away
    )
    assert error.category == "bad_output"
    assert f"wrote more than {MAX_UNREAD_LINES} lines to the protocol stream" in error.message
    assert_host_untouched(host, agent_dir, REPLY_FLOOD, [log, error.message])
    assert_the_next_evaluation_is_fine(backend, write_agent, host)


def test_a_reply_flood_between_requests_is_held_to_a_few_lines(hostile_backend, write_agent, host):
    check_reply_flood(hostile_backend, write_agent, host)


def test_a_reply_flood_between_requests_is_held_to_a_few_lines_on_the_local_backend(
    write_agent, host
):
    check_reply_flood("local", write_agent, host)
