"""The `docker` backend: one long-lived container per evaluation, on the runner image.

The runner (sandbox/runner/runner.py, bind-mounted read-only so it is never stale) serves the
agent or Hugging Face model (bind-mounted read-only at /agent) over the container's stdin/stdout; every batch of the
evaluation goes through the same container. The container:
- has no network (network_mode "none": only a loopback interface; connections fail, DNS fails);
- has a read-only root and a 64 MB tmpfs at /tmp (the only writable place besides /dev/shm);
- is held to limits.memory_mb of memory with no swap beyond it (memory = memory+swap limit), an
  out-of-memory kill is read from the container's State.OOMKilled, not guessed from exit 137;
- gets `cpus` CPUs (nano_cpus), at most 128 processes/threads, no capabilities,
  no-new-privileges, uid/gid 65534 (nobody), an init process that reaps orphans, and a 1 MB cap
  on the engine's copy of its output;
- may run under another OCI runtime (e.g. gVisor's `runsc`) when `runtime` names one the
  engine knows.
Wall-clock limits are ModelClient's deadlines: on a timeout it closes the transport, which
removes the container (a docker `wait` timeout alone never stops anything).

Every container carries the labels safetygym.sandbox=1 and safetygym.owner=<hostname>:<pid>, and
close() always removes it; reap_containers() removes what a crashed worker left behind.
"""

import logging
import os
import secrets
import selectors
import signal
import socket
import struct
import threading
import time
from pathlib import Path

import docker
import requests
from docker.errors import DockerException, ImageNotFound, NotFound
from docker.types import LogConfig, Mount, Ulimit

from sandbox.backends.local import sandbox_environment
from sandbox.errors import InvalidSubmission, PlatformError
from sandbox.model_mount import model_mount, runner_target
from sandbox.runner import RUNNER_PATH
from sandbox.runtime import runtime_from_labels
from sandbox.transport import (
    STDERR_CATCH_UP_SECONDS,
    STDERR_KEEP_BYTES,
    ReplyLines,
    bytes_waiting,
    last_lines,
    write_all,
)

DEFAULT_IMAGE = "safetygym-runner:1"
DEFAULT_CPUS = 2.0
PIDS_LIMIT = 128
TMPFS_SIZE = "64m"
NOBODY = "65534:65534"
RUNNER_IN_CONTAINER = "/opt/safetygym/runner.py"
AGENT_IN_CONTAINER = "/agent"
SANDBOX_LABEL = "safetygym.sandbox"
OWNER_LABEL = "safetygym.owner"
OWNER_START_LABEL = "safetygym.owner-started"  # tells a reused pid from the original owner
OOM_EVENT_WAIT_S = 1
ENGINE_TIMEOUT_S = 30  # one engine API call (create, start, remove), not the model's time
BUILD_ADVICE = "build it with `make runner-image` (or `docker build -t {image} sandbox/image`)"
START_ENGINE_ADVICE = (
    "start it (`dockerd --iptables=false --bridge=none &` as root, or `systemctl start docker`) "
    "or point DOCKER_HOST at a running engine"
)

STDERR_QUIET_S = 0.05  # see stderr_tail
STDOUT, STDERR = 1, 2
FRAME_HEADER = struct.Struct(">BxxxI")

logger = logging.getLogger(__name__)


def start(
    agent_dir,
    *,
    limits,
    trusted,
    image=DEFAULT_IMAGE,
    runtime=None,
    cpus=DEFAULT_CPUS,
    env=None,
    huggingface=False,
):
    """Start the runner on agent_dir in a new container; returns its DockerTransport.

    Trusted and uploaded agents run alike. `runtime` names an OCI runtime the engine knows
    ("runsc"); None is the engine's default (runc). `env`: extra environment variables.
    huggingface: agent_dir is a model snapshot, bound read-only with its cache repository.
    """
    agent_dir = Path(agent_dir).resolve()
    if not agent_dir.is_dir():
        raise InvalidSubmission(f"The agent folder {agent_dir} does not exist.")
    mounted, inside = model_mount(agent_dir, huggingface)
    started_at = time.monotonic()
    engine = _connect()
    for name in remove_unremoved(engine):
        logger.warning("Removed sandbox container %s, left when the engine was away", name)
    try:
        container = engine.containers.create(
            image,
            command=[
                "python",
                "-I",
                "-B",
                RUNNER_IN_CONTAINER,
                "--memory-mb",
                str(limits.memory_mb),
                *runner_target(AGENT_IN_CONTAINER, inside, huggingface),
            ],
            **container_options(mounted, limits, runtime=runtime, cpus=cpus, env=env),
        )
    except ImageNotFound:
        engine.close()
        raise PlatformError(
            f"The runner image {image} is not on this Docker engine: "
            f"{BUILD_ADVICE.format(image=image)}."
        ) from None
    except (DockerException, requests.RequestException) as error:
        engine.close()
        raise PlatformError(
            f"The Docker engine could not create the sandbox container: {_cause(error)}"
            + _runtime_advice(error, runtime)
        ) from error
    try:
        # Attached before start, so not a byte of output (a crash in the first milliseconds) is
        # missed.
        attached = engine.api.attach_socket(
            container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
        )
        transport = DockerTransport(
            engine, container, attached, image=image, max_line_bytes=limits.max_line_bytes
        )
    except (DockerException, requests.RequestException, OSError) as error:
        _remove(container)
        engine.close()
        raise PlatformError(
            f"Could not attach to the sandbox container: {_cause(error)}"
        ) from error
    transport.started_at = started_at
    try:
        container.start()
    except (DockerException, requests.RequestException) as error:
        transport.close()
        raise PlatformError(
            f"The Docker engine could not start the sandbox container: {_cause(error)}"
            + _runtime_advice(error, runtime)
        ) from error
    return transport


def container_options(agent_dir, limits, *, runtime=None, cpus=DEFAULT_CPUS, env=None):
    """The keyword arguments of containers.create() that make the sandbox."""
    threads = str(max(1, round(cpus)))  # what the model's math libraries may use
    extra = {"PATH": "/opt/venv/bin:/usr/bin:/bin"}
    extra.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads)
    extra.update(env or {})
    options = {
        "name": f"safetygym-sandbox-{secrets.token_hex(6)}",
        "labels": owner_labels(),
        # With the default detach=False, stdin_open also sets StdinOnce: the runner's input
        # closes when our connection drops (the worker died), and a waiting runner exits.
        "stdin_open": True,
        "tty": False,  # stdout and stderr kept apart, as frames
        "environment": sandbox_environment("/tmp", extra),
        "working_dir": "/tmp",
        "hostname": "sandbox",
        "user": NOBODY,
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {"/tmp": f"size={TMPFS_SIZE},mode=1777"},
        "mounts": [
            Mount(AGENT_IN_CONTAINER, str(agent_dir), type="bind", read_only=True),
            Mount(RUNNER_IN_CONTAINER, str(RUNNER_PATH), type="bind", read_only=True),
        ],
        "mem_limit": f"{limits.memory_mb}m",
        "memswap_limit": f"{limits.memory_mb}m",
        "nano_cpus": int(cpus * 1e9),
        "pids_limit": PIDS_LIMIT,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "ulimits": [Ulimit(name="core", soft=0, hard=0)],
        "init": True,
        "log_config": LogConfig(type="json-file", config={"max-size": "1m", "max-file": "1"}),
    }
    if runtime:
        options["runtime"] = runtime
    return options


def available(image=DEFAULT_IMAGE, runtime=None):
    """(True, "") when an engine answers and has the image (and the runtime); else (False, why)."""
    try:
        engine = docker.from_env(timeout=5)
    except (DockerException, requests.RequestException) as error:
        return False, f"No Docker engine is reachable ({_cause(error)}): {START_ENGINE_ADVICE}."
    try:
        engine.images.get(image)
        if runtime:
            runtimes = engine.info().get("Runtimes") or {}
            if runtime not in runtimes:
                return False, (
                    f"The Docker engine has no runtime {runtime!r} (it has {sorted(runtimes)}): "
                    "install it and register it in the engine's daemon.json, or unset the runtime."
                )
    except ImageNotFound:
        return False, (
            f"The runner image {image} is not on the Docker engine: "
            f"{BUILD_ADVICE.format(image=image)}."
        )
    except (DockerException, requests.RequestException) as error:
        return False, f"The Docker engine did not answer: {_cause(error)}."
    finally:
        engine.close()
    return True, ""


def reap_containers(owner=None, *, include_live=False):
    """Remove sandbox containers left behind; returns the names of those removed.

    owner=None: this host's sandbox containers whose owner process is gone (a worker that
    crashed or was killed); with include_live=True all of this host's, e.g. when the only worker
    of the host starts. owner="<hostname>:<pid>": that owner's containers, alive or not.
    Containers of other hosts sharing the engine are never touched unless named.
    """
    engine = _connect()
    removed = []
    try:
        containers = engine.containers.list(
            all=True, filters={"label": f"{SANDBOX_LABEL}=1"}, ignore_removed=True
        )
        host = socket.gethostname()
        for container in containers:
            labels = container.labels
            container_owner = labels.get(OWNER_LABEL, "")
            if owner is not None:
                doomed = container_owner == owner
            else:
                owner_host, _, pid = container_owner.rpartition(":")
                doomed = owner_host == host and (
                    include_live or not _owner_alive(pid, labels.get(OWNER_START_LABEL))
                )
            if doomed and _remove(container):
                removed.append(container.name)
    except (DockerException, requests.RequestException) as error:
        raise PlatformError(f"Could not list the sandbox containers: {_cause(error)}") from error
    finally:
        engine.close()
    return removed


def owner_labels():
    return {
        SANDBOX_LABEL: "1",
        OWNER_LABEL: f"{socket.gethostname()}:{os.getpid()}",
        OWNER_START_LABEL: _process_start(os.getpid()) or "",
    }


class DockerTransport:
    """The runner's stdin/stdout/stderr over the container's attach socket (see sandbox.transport).

    With tty=False the engine multiplexes stdout and stderr onto one stream of frames: an 8-byte
    header [stream, 0, 0, 0, payload length (uint32, big-endian)] and the payload. Frames do not
    follow lines, so each stream is buffered on its own; stdout is split into lines, stderr kept
    as a 64 KB tail. One thread reads the socket for both, so a chatty stderr never stalls it.
    """

    def __init__(self, engine, container, attached, *, image, max_line_bytes):
        self.engine = engine
        self.container = container
        self.image = image
        self.max_line_bytes = max_line_bytes
        self.started_at = time.monotonic()
        self._attached = attached  # keeps the HTTP response (and so the socket) alive
        self._socket = getattr(attached, "_sock", attached)
        self._socket.setblocking(False)
        # A runner that floods its stdout is not buffered without bound: past ReplyLines' bound
        # later output is dropped (the stream is out of step anyway).
        self._lines = ReplyLines(max_line_bytes)
        self._line = bytearray()
        self._line_scanned = 0
        self._stdout_done = False
        self._stderr = bytearray()
        self._stderr_lock = threading.Lock()
        self._last_data_at = time.monotonic()
        self._exit_code = None
        self._oom_killed = None
        self._peak_memory_mb = None
        self._peak_file = None
        self._created_at = int(time.time())
        self._closed = False
        attrs = container.attrs
        self._description = {
            "backend": "docker",
            "image": image,
            "image_id": attrs.get("Image"),
            "runtime": (attrs.get("HostConfig") or {}).get("Runtime") or "runc",
            # A container's labels include its image's: the offline build records its runtime.
            **runtime_from_labels((attrs.get("Config") or {}).get("Labels")),
        }
        self._reader = threading.Thread(
            target=self._read, name=f"sandbox-{container.name}", daemon=True
        )
        self._reader.start()

    # -- reading the multiplexed stream ----------------------------------------------------

    def _read(self):
        header = bytearray()
        stream, remaining = None, 0
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self._socket, selectors.EVENT_READ)
                while True:
                    selector.select()
                    # Read and keep under the lock, so stderr_tail can wait for what is pending.
                    with self._stderr_lock:
                        try:
                            data = self._socket.recv(1 << 16)
                        except BlockingIOError:
                            continue
                        if not data:
                            break
                        self._last_data_at = time.monotonic()
                        view = memoryview(data)
                        while view:
                            if remaining == 0:
                                taken = 8 - len(header)
                                header += view[:taken]
                                view = view[taken:]
                                if len(header) == 8:
                                    stream, remaining = FRAME_HEADER.unpack(header)
                                    header.clear()
                                continue
                            payload = view[:remaining]
                            view = view[len(payload) :]
                            remaining -= len(payload)
                            if stream == STDERR:
                                self._stderr += payload
                                del self._stderr[:-STDERR_KEEP_BYTES]
                            elif stream == STDOUT:
                                self._take_stdout(payload)
        except (OSError, ValueError):
            pass
        self._stdout_done = True
        self._lines.end()  # (a partial last line means the process died mid-write)

    def _take_stdout(self, payload):
        if self._stdout_done:
            return
        self._line += payload
        while True:
            newline = self._line.find(b"\n", self._line_scanned)
            if newline == -1:
                if len(self._line) > self.max_line_bytes:
                    # One byte more than the limit: enough for the reader to reject it.
                    self._queue(bytes(self._line[: self.max_line_bytes + 1]))
                    self._stop_stdout()
                else:
                    self._line_scanned = len(self._line)
                return
            if newline > self.max_line_bytes:
                self._queue(bytes(self._line[: self.max_line_bytes + 1]))
                self._stop_stdout()
                return
            self._queue(bytes(self._line[: newline + 1]))
            del self._line[: newline + 1]
            self._line_scanned = 0

    def _queue(self, line):
        if not self._lines.put(line):
            self._stop_stdout()

    def _stop_stdout(self):
        # The stream is out of step: later output is dropped (stderr is still read).
        self._stdout_done = True
        self._line = bytearray()

    # -- the transport interface -----------------------------------------------------------

    def write_line(self, data, deadline):
        write_all(self._socket, self._socket.send, data, deadline)

    def read_line(self, deadline):
        return self._lines.get(deadline)

    def wait_exit(self, timeout):
        if self._exit_code is None:
            try:
                # A wait that runs out only ends the request: the container keeps running.
                status = self.engine.api.wait(self.container.id, timeout=max(timeout, 0.01))
            except (DockerException, requests.RequestException):
                return None
            self._exit_code = _exit_status(status.get("StatusCode"))
        # The last words of a crash may still be on their way.
        self._reader.join(timeout=1.0)
        return self._exit_code

    def stderr_tail(self, max_bytes=20_000):
        # The engine forwards stdout and stderr separately, so what the runner wrote to stderr
        # before its last reply may come after it: wait until the stream has been quiet a moment
        # (a process that writes all the time gets a short wait at most).
        deadline = time.monotonic() + STDERR_CATCH_UP_SECONDS
        while self._reader.is_alive() and time.monotonic() < deadline:
            quiet = time.monotonic() - self._last_data_at >= STDERR_QUIET_S
            if quiet and bytes_waiting(self._socket.fileno()) == 0:
                break
            time.sleep(0.002)
        with self._stderr_lock:
            return last_lines(self._stderr, max_bytes)

    def memory_exceeded(self):
        """True when the engine's OOM killer acted in this container (State.OOMKilled)."""
        if self._oom_killed is None:
            state = self._state()
            if state is None or state.get("Running"):
                return bool(state and state.get("OOMKilled"))
            self._oom_killed = self._oom_killed_in(state)
        return self._oom_killed

    def peak_memory_mb(self):
        """The container's memory high-water mark in MB (its cgroup's: page cache included)."""
        if not self._closed:
            self._sample_peak_memory()
        return self._peak_memory_mb

    def describe(self):
        return dict(self._description)

    def outside_cause(self):
        """Why the runner's stream ended when the model did not end it, else None: the engine
        stopped answering, the container was removed, or the engine was told to stop or kill
        it (an engine shutting down stops its containers; so does `docker stop`). The engine
        records a `kill` event only for a kill it was asked for, never for a process that
        killed itself, so an agent cannot pass its own crash off as the platform's. An engine
        that crashed and came back within the second this takes has forgotten its events (it
        keeps them in memory), and its kill of the container then reads as the model's crash
        (docs/deploy.md)."""
        try:
            self.engine.api.inspect_container(self.container.id)
            events = self.engine.api.events(
                since=self._created_at - 1, until=int(time.time()) + 1,
                filters={"container": self.container.id, "event": "kill"}, decode=True,
            )
            try:
                killed = next(iter(events), None)
            finally:
                events.close()
        except NotFound:
            return "its container was removed from outside (by an operator or the engine)"
        except (DockerException, requests.RequestException) as error:
            return f"the Docker engine stopped answering ({_cause(error)})"
        if killed is not None:
            signal_number = killed.get("Actor", {}).get("Attributes", {}).get("signal", "?")
            return ("the Docker engine stopped its container (signal "
                    f"{signal_number}: an engine restart, `docker stop` or `docker kill`)")
        return None

    def kill(self):
        try:
            self.container.kill()
        except (DockerException, requests.RequestException):
            pass  # not running any more

    def close(self):
        """Stop and remove the container, whatever state it is in (never raises)."""
        if self._closed:
            return
        self._closed = True
        self._sample_peak_memory()
        state = self._state()
        if state is not None and state.get("Running"):
            # Stopped before it is removed, so its final state says whether the OOM killer
            # acted meanwhile (e.g. on a child process, while the runner itself hung).
            self.kill()
            self.wait_exit(timeout=5)
            final = self._state()
            if final is not None and not final.get("Running"):
                self._oom_killed = bool(final.get("OOMKilled"))
        elif state is not None:
            self._oom_killed = self._oom_killed_in(state)
            if self._exit_code is None:
                self._exit_code = _exit_status(state.get("ExitCode"))
        _remove(self.container)
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._reader.join(timeout=2.0)
        try:
            self._socket.close()
            self._attached.close()
        except OSError:
            pass
        self.engine.close()

    # -- engine queries --------------------------------------------------------------------

    def _state(self):
        try:
            return self.engine.api.inspect_container(self.container.id)["State"]
        except (DockerException, requests.RequestException):
            return None

    def _oom_killed_in(self, state):
        """Whether a container that ended by itself was stopped by the OOM killer."""
        if state.get("OOMKilled"):
            return True
        if state.get("ExitCode") != 128 + signal.SIGKILL:
            return False
        # The engine may handle the exit before the OOM kill's event (seen with cgroup v1) and
        # then records OOMKilled=false: look for the event itself, waiting a moment for it.
        try:
            events = self.engine.api.events(
                since=self._created_at - 1,
                until=int(time.time()) + OOM_EVENT_WAIT_S,
                filters={"container": self.container.id, "event": "oom"},
                decode=True,
            )
            try:
                return next(iter(events), None) is not None
            finally:
                events.close()
        except (DockerException, requests.RequestException):
            return False

    def _sample_peak_memory(self):
        # Read from the container's memory cgroup when this host has it (the engine's stats API
        # takes up to a second per call); None elsewhere (a remote engine, no cgroup access).
        if self._peak_file is None:
            self._peak_file = next(
                (path for path in _cgroup_peak_files(self.container.id) if path.exists()), False
            )
        if not self._peak_file:
            return
        try:
            peak = int(self._peak_file.read_text())
        except (OSError, ValueError):
            return  # the container has stopped and its cgroup is gone
        self._peak_memory_mb = max(self._peak_memory_mb or 0, round(peak / 2**20, 1))


# -- helpers ------------------------------------------------------------------------------------


def _connect():
    try:
        return docker.from_env(timeout=ENGINE_TIMEOUT_S)
    except (DockerException, requests.RequestException) as error:
        raise PlatformError(
            f"No Docker engine is reachable ({_cause(error)}): {START_ENGINE_ADVICE}."
        ) from error


# Containers this process could not remove (the engine was away): removed at its next start(),
# since the reapers leave a live owner's containers alone.
_unremoved = {}


def _remove(container):
    """Force-remove (kill first if it runs); True once it is gone."""
    try:
        container.remove(force=True)
        _unremoved.pop(container.id, None)
        return True
    except NotFound:
        _unremoved.pop(container.id, None)
        return True
    except (DockerException, requests.RequestException) as error:
        if "already in progress" in str(error):
            return _gone(container)  # someone else (another worker's reaper) is removing it
        logger.warning(
            "Could not remove sandbox container %s (retried at the next start): %s",
            container.name,
            _cause(error),
        )
        _unremoved[container.id] = container.name
        return False


def remove_unremoved(engine):
    """Remove what this process could not remove before; returns the names removed."""
    removed = []
    for container_id, name in list(_unremoved.items()):
        try:
            engine.containers.get(container_id).remove(force=True)
        except NotFound:
            pass
        except (DockerException, requests.RequestException):
            continue  # still not possible: next time
        _unremoved.pop(container_id, None)
        removed.append(name)
    return removed


def _gone(container, timeout=10):
    """Wait until the container no longer exists; False if it still does after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            container.reload()
        except NotFound:
            return True
        except (DockerException, requests.RequestException):
            return False
        time.sleep(0.05)
    return False


def _cgroup_peak_files(container_id):
    """Where a container's memory high-water mark may be, by cgroup version and driver."""
    root = Path("/sys/fs/cgroup")
    scope = f"docker-{container_id}.scope"  # the systemd cgroup driver's name
    return [
        root / "memory" / "docker" / container_id / "memory.max_usage_in_bytes",
        root / "memory" / "system.slice" / scope / "memory.max_usage_in_bytes",
        root / "system.slice" / scope / "memory.peak",
        root / "docker" / container_id / "memory.peak",
    ]


def _exit_status(code):
    """The init process reports a runner killed by signal N as 128 + N: as -N, like Popen."""
    if code is None:
        return None
    if 128 < code < 128 + 65:
        return -(code - 128)
    return code


def _process_start(pid):
    """The start time of a process (clock ticks since boot) as text, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            stat = stat_file.read()
    except OSError:
        return None
    return stat[stat.rindex(b")") + 2 :].split()[19].decode()


def _owner_alive(pid, started):
    if not pid.isdigit():
        return False
    now = _process_start(int(pid))
    return now is not None and (not started or now == started)


def _cause(error):
    explanation = getattr(error, "explanation", None)
    return str(explanation or error).strip()


def _runtime_advice(error, runtime):
    if runtime and "runtime" in str(error).lower():
        return (
            f" (the runtime {runtime!r} must be installed and registered in the engine's "
            "daemon.json, or the runtime setting unset)"
        )
    return ""
