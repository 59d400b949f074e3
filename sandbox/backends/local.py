"""The `local` backend: the runner as a plain subprocess of this Python, under limits.

No isolation: the model's code runs as this user, with this machine's files and network. It is
for trusted, operator-owned agents (the shipped baselines) and for development; an upload is
refused unless the operator allows it.

Limits:
- memory: RLIMIT_DATA = memory_mb on each process of the run, set by the runner itself before it
  imports the agent (not in a preexec_fn, which is unsafe in a parent with threads); an
  allocation past it fails inside the model as MemoryError, reported as out of memory. Plus a
  monitor that samples the resident memory of the whole process group every 50 ms and kills the
  group above memory_mb (this sums child processes and counts file-backed memory).
  RLIMIT_AS is not used: `import torch` alone reserves ~640 MB of address space at ~220 MB
  resident, and a loaded MiniLM ~1.5 GB at ~0.57 GB resident, so an address-space cap near the
  real budget breaks ordinary models (measured: `import torch` fails under a 1 GB RLIMIT_AS,
  while MiniLM loads and predicts under a 700 MB RLIMIT_DATA).
- time: enforced by ModelClient through the transport's deadlines.
- environment: cleared; only the variables in `sandbox_environment`, HOME and the working
  directory a fresh temporary folder removed afterwards.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import NamedTuple

from sandbox.errors import InvalidSubmission, PlatformError
from sandbox.model_mount import runner_target
from sandbox.runner import RUNNER_PATH
from sandbox.runtime import this_runtime
from sandbox.transport import PipeTransport

MEMORY_SAMPLE_SECONDS = 0.05
MODEL_THREADS = 2


def sandbox_environment(home, extra=None):
    """The whole environment of the runner: nothing is inherited from this process."""
    environment = {
        "PATH": os.pathsep.join(
            [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": str(MODEL_THREADS),
        "MKL_NUM_THREADS": str(MODEL_THREADS),
        "OPENBLAS_NUM_THREADS": str(MODEL_THREADS),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    environment.update(extra or {})
    return environment


def start(agent_dir, *, limits, trusted, allow_untrusted=False, env=None, huggingface=False):
    """Start the runner on agent_dir; returns its LocalTransport. huggingface: agent_dir is a
    model snapshot (read where it is: no isolation here, read-only or not)."""
    if not trusted and not allow_untrusted:
        # The server's configuration, not the submission, is at fault: never charged.
        raise PlatformError(
            "This server runs agents on the local backend, which has no isolation, so it only "
            "runs trusted (operator-owned) agents. The operator must run uploads in the docker or "
            "bwrap backend (SAFETYGYM_SANDBOX), or allow them on the local backend for "
            "development (SAFETYGYM_ALLOW_UNTRUSTED_LOCAL=1).",
            retryable=False,  # the configuration, not a passing fault
        )
    agent_dir = Path(agent_dir).resolve()
    if not agent_dir.is_dir():
        raise InvalidSubmission(f"The agent folder {agent_dir} does not exist.")
    home = tempfile.mkdtemp(prefix="safetygym-sandbox-")
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-B",
                str(RUNNER_PATH),
                "--memory-mb",
                str(limits.memory_mb),
                *runner_target(agent_dir, "", huggingface),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=home,
            env=sandbox_environment(home, env),
            close_fds=True,
            start_new_session=True,  # its own process group: killpg reaches its children too
        )
    except OSError as error:
        shutil.rmtree(home, ignore_errors=True)
        raise PlatformError(f"Could not start the local sandbox: {error}") from error
    return LocalTransport(
        process, max_line_bytes=limits.max_line_bytes, memory_mb=limits.memory_mb, home=home
    )


class LocalTransport(PipeTransport):
    def __init__(self, process, *, max_line_bytes, memory_mb, home, description=None):
        super().__init__(process, max_line_bytes=max_line_bytes)
        # The local backend runs agents with the worker's own interpreter and packages.
        self.description = description or {"backend": "local", **this_runtime()}
        self.memory_mb = memory_mb
        self.home = home
        self._peak_kb = 0
        self._over_cap = threading.Event()
        self._stop = threading.Event()
        self._monitor = self._thread(self._watch_memory, "memory")

    def describe(self):
        return dict(self.description)

    def _watch_memory(self):
        cap_kb = self.memory_mb * 1024
        while not self._stop.is_set() and self.process.poll() is None:
            resident_kb = self._resident_kb()
            self._peak_kb = max(self._peak_kb, resident_kb, self._high_water_kb())
            if resident_kb > cap_kb:
                self._over_cap.set()
                self.kill()
                return
            self._stop.wait(MEMORY_SAMPLE_SECONDS)

    def _resident_kb(self):
        """Resident memory (kB) of every process of the run; backends override it."""
        return group_resident_kb(self.pid)

    def _high_water_kb(self):
        """Peak resident memory (kB) of the run's main process; backends override it."""
        return high_water_kb(self.pid)

    def memory_exceeded(self):
        return self._over_cap.is_set()

    def peak_memory_mb(self):
        return round(self._peak_kb / 1024, 1) if self._peak_kb else None

    def close(self):
        if self.process.poll() is None:
            # One last sample while the process still exists.
            self._peak_kb = max(self._peak_kb, self._high_water_kb())
        self._stop.set()
        super().close()
        self._monitor.join(timeout=1.0)
        shutil.rmtree(self.home, ignore_errors=True)


class ProcessStat(NamedTuple):
    pid: int
    state: str  # "R", "S", "Z" (a zombie: exited, not yet reaped), ...
    ppid: int
    pgrp: int
    rss_pages: int


def process_stats():
    """One ProcessStat per live process, from /proc/*/stat."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat_file:
                stat = stat_file.read()
        except OSError:
            continue
        # The fields after the command name (which may hold spaces): state, ppid, pgrp, ...;
        # rss is the 24th field of the line.
        fields = stat[stat.rindex(b")") + 2 :].split()
        yield ProcessStat(
            int(name), fields[0].decode(), int(fields[1]), int(fields[2]), int(fields[21])
        )


def group_resident_kb(pgid):
    """Resident memory (kB) summed over the live processes of a process group, from /proc."""
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    return page_kb * sum(stat.rss_pages for stat in process_stats() if stat.pgrp == pgid)


def high_water_kb(pid):
    """VmHWM (peak resident memory, kB) of one process, 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0
