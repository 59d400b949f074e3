"""The `bwrap` backend: the runner inside bubblewrap namespaces, for Linux hosts without Docker.

What the model sees (the threat model is in docs/sandbox-bwrap.md):
- the host's /usr read-only (and the /bin, /lib, /lib64, /sbin links into it), a private /proc
  of its own processes, a minimal /dev, a private /tmp and /dev/shm (small tmpfs);
- the runner venv read-only at /opt/venv, runner.py read-only at /opt/runner/runner.py, the
  agent folder read-only at /agent, and an /etc/passwd and /etc/group naming only its own user;
  everything else of the root is read-only and empty.
It never sees the host's /etc, /root, /home, /var, the project's folder, its database or this
process's environment, and it has no network (only its own loopback), no capabilities,
no-new-privileges, its own pid, ipc, uts, cgroup and user namespaces, and cannot create more
user namespaces.

Host identity: when this process runs as root, bubblewrap itself is started as uid/gid 65534
(nobody), so the model's processes are nobody on the host too. With a user namespace mapped
onto host root, a process without capabilities still passes root's file permission checks,
e.g. on /proc/sys/kernel/core_pattern (measured: it opens for writing), and RLIMIT_NPROC never
applies to root. bubblewrap opens what it binds as that user: the runner venv must be readable
by all (it is checked); the agent folder and runner.py are copied (hard-linked where possible)
into a folder of the run when they are not.

Limits:
- memory: RLIMIT_DATA = memory_mb per process, set by runner.py (as on the local backend), plus
  the local backend's monitor, here summing the resident memory of every process under
  bubblewrap (found through their parent ids: the pid namespace hides them from our process
  group). The tmpfs folders hold at most 2 * tmpfs_mb more, outside memory_mb.
- processes: RLIMIT_NPROC = max_processes (threads count), set inside the sandbox before the
  runner starts. It counts the processes of this sandbox's user namespace only.
- CPU time: RLIMIT_CPU, generous (the whole run's time on every core): a backstop behind the
  wall-clock limits, which ModelClient enforces.
- close() kills the sandbox's pid-namespace init, upon which the kernel kills every process in
  the namespace (daemons included), then bubblewrap itself; --die-with-parent does the same if
  this process dies.
"""

import concurrent.futures
import functools
import hashlib
import os
import shutil
import select
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from sandbox.backends.local import LocalTransport, high_water_kb, process_stats, sandbox_environment
from sandbox.errors import InvalidSubmission, PlatformError
from sandbox.model_mount import model_mount, runner_target
from sandbox.runner import RUNNER_PATH
from sandbox.runtime import venv_runtime

# The runner venv built from /usr/bin/python3.11 (`make runner-venv`); shared with the image.
RUNNER_VENV = Path(__file__).resolve().parents[2] / "var" / "runner" / "venv"
SANDBOX_UID = SANDBOX_GID = 65534  # nobody, inside the sandbox and (when we are root) outside
VENV_MOUNT = "/opt/venv"
RUNNER_MOUNT = "/opt/runner/runner.py"
AGENT_MOUNT = "/agent"
TMPFS_MB = 64  # /tmp, and /dev/shm as much again
MAX_PROCESSES = 128  # processes and threads together
CPU_SECONDS_MARGIN = 60
SANDBOX_EXIT_WAIT_SECONDS = 5.0
PROBE_TIMEOUT_SECONDS = 20
RUN_FOLDER_PREFIX = "safetygym-bwrap-"  # + the worker's pid: a folder per run, in the temp dir
PASSWD = f"nobody:x:{SANDBOX_UID}:{SANDBOX_GID}:nobody:/tmp:/usr/sbin/nologin\n"
GROUP = f"nogroup:x:{SANDBOX_GID}:\n"
# Host top-level names that are links into /usr on merged-/usr systems (copied as links) or
# real folders elsewhere (bound read-only).
USR_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")

# --die-with-parent ties bubblewrap to the *thread* that started it (Linux sends the parent-death
# signal when that thread ends), so every sandbox starts from this one thread, which lives as long
# as the process: a sandbox started by a short-lived thread would be killed with it.
SPAWNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="bwrap-start")

# Runs inside the sandbox, then becomes the runner: the limits runner.py does not set itself.
LIMITS_SHIM = (
    "import os, resource, sys\n"
    "cpu, processes = int(sys.argv[1]), int(sys.argv[2])\n"
    "resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))\n"
    "resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def start(
    agent_dir,
    *,
    limits,
    trusted,
    venv=None,
    env=None,
    max_processes=MAX_PROCESSES,
    tmpfs_mb=TMPFS_MB,
    allow_untrusted=False,
    huggingface=False,
):
    """Start the runner on agent_dir under bubblewrap; returns its BwrapTransport.

    Any agent may run here (`trusted` and `allow_untrusted` change nothing). `env` adds
    variables to the model's environment; `venv` replaces the runner venv. huggingface:
    agent_dir is a model snapshot, bound read-only (--ro-bind) with its cache repository.
    """
    del trusted, allow_untrusted  # isolation does not depend on who wrote the agent
    agent_dir = Path(agent_dir).resolve()
    if not agent_dir.is_dir():
        raise InvalidSubmission(f"The agent folder {agent_dir} does not exist.")
    mounted, inside = model_mount(agent_dir, huggingface)
    venv = Path(venv or RUNNER_VENV).absolute()
    ok, reason = _check_host(venv)
    if ok:
        source, reason = _reachable_venv(venv)
        ok = source is not None
    if ok:
        ok, reason = _probe(_bwrap_path(), str(source), *_host_identity())
    if not ok:
        raise PlatformError(f"The bwrap sandbox cannot run here: {reason}")
    home = tempfile.mkdtemp(prefix=f"{RUN_FOLDER_PREFIX}{os.getpid()}-")
    try:
        os.chmod(home, 0o711)  # the sandbox's host user reaches the copies made here
        if os.geteuid() == 0 and not all(
            os.stat(parent).st_mode & stat.S_IXOTH for parent in Path(home).parents
        ):
            raise PlatformError(
                f"The bwrap sandbox cannot run here: uid {SANDBOX_UID} cannot reach the temporary "
                f"folder {Path(home).parent}; set TMPDIR to a folder every user can traverse."
            )
        mounts = [
            (source, VENV_MOUNT),
            (_reachable_copy(RUNNER_PATH, home, "runner.py"), RUNNER_MOUNT),
            (_reachable_copy(mounted, home, "agent"), AGENT_MOUNT),
            *_user_database(home),
        ]
        cpu_seconds = int(limits.total_timeout_s * (os.cpu_count() or 1)) + CPU_SECONDS_MARGIN
        command = _bwrap_command(
            mounts,
            environment=_environment(env),
            tmpfs_mb=tmpfs_mb,
            command=[
                f"{VENV_MOUNT}/bin/python",
                "-I",
                "-S",
                "-c",
                LIMITS_SHIM,
                str(cpu_seconds),
                str(max_processes),
                f"{VENV_MOUNT}/bin/python",
                "-I",
                "-B",
                RUNNER_MOUNT,
                "--memory-mb",
                str(limits.memory_mb),
                *runner_target(AGENT_MOUNT, inside, huggingface),
            ],
        )
        process = SPAWNER.submit(
            subprocess.Popen,
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd="/",
            env={},  # bubblewrap's own environment shows in the sandbox's /proc/1/environ
            close_fds=True,
            start_new_session=True,
            **_popen_identity(),
        ).result()
    except OSError as error:
        shutil.rmtree(home, ignore_errors=True)
        raise PlatformError(f"Could not start the bwrap sandbox: {error}") from error
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    return BwrapTransport(
        process,
        max_line_bytes=limits.max_line_bytes,
        memory_mb=limits.memory_mb,
        home=home,
        description=describe(venv),
    )


def available(venv=None):
    """(True, what runs) when bubblewrap can sandbox the runner here, else (False, why not)."""
    venv = Path(venv or RUNNER_VENV).absolute()
    ok, reason = _check_host(venv)
    if not ok:
        return False, reason
    source, reason = _reachable_venv(venv)
    if source is None:
        return False, reason
    ok, reason = _probe(_bwrap_path(), str(source), *_host_identity())
    if not ok:
        return False, reason
    return True, f"bubblewrap {_bwrap_version(_bwrap_path())} with the runner venv {venv}"


def reap_stale_runs():
    """Remove the run folders of workers that died (their sandboxes died with them, but the
    folders stay); returns how many. Meant for worker start; other workers' runs are kept."""
    removed = 0
    for path in Path(tempfile.gettempdir()).glob(f"{RUN_FOLDER_PREFIX}*-*"):
        owner = path.name[len(RUN_FOLDER_PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def describe(venv=None):
    """What runs the models, for an evaluation's provenance."""
    bwrap = _bwrap_path()
    return {
        "backend": "bwrap",
        "bwrap_version": _bwrap_version(bwrap) if bwrap else None,
        "venv": str(Path(venv or RUNNER_VENV).absolute()),
        **venv_runtime(Path(venv or RUNNER_VENV).absolute()),
    }


class BwrapTransport(LocalTransport):
    """The local backend's transport, for a process tree that hides in a pid namespace."""

    def __init__(self, process, *, max_line_bytes, memory_mb, home, description):
        self._sandbox_pids = []  # the model's processes at the last memory sample
        self._kill_lock = threading.Lock()
        super().__init__(process, max_line_bytes=max_line_bytes, memory_mb=memory_mb, home=home,
                         description=description)

    def wait_exit(self, timeout):
        code = super().wait_exit(timeout)
        # bubblewrap exits with 128 + N when the runner was killed by signal N.
        if code is not None and 128 < code <= 128 + 64:
            return 128 - code
        return code

    def _model_processes(self):
        """The model's processes: those under bubblewrap's pid-namespace init (~1 MB, a reaper)."""
        model = [proc for proc in process_tree(self.pid) if proc.ppid != self.pid]
        self._sandbox_pids = [proc.pid for proc in model]
        return model

    def _resident_kb(self):
        model = self._model_processes()
        if len(model) <= 1:
            return sum(proc.rss_pages for proc in model) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        # Forked processes share their parent's pages until they write them: the resident sizes
        # would count those once per process, the proportional sizes count them once in all.
        total = sum(proportional_kb(proc) for proc in model)
        # A count that overlapped close() read some processes after others had died, when the
        # pages they shared fell to fewer of them: too high, and the run is over anyway.
        return 0 if self._stop.is_set() else total

    def _high_water_kb(self):
        # The processes of the last memory sample, if there was one yet (a fast start may
        # answer before the first).
        pids = self._sandbox_pids or [proc.pid for proc in self._model_processes()]
        return max((high_water_kb(pid) for pid in pids), default=0)

    def kill(self):
        # The pid-namespace init (bubblewrap's child) first: when it dies the kernel kills every
        # process of the namespace. Each is signalled through a pidfd after checking its parent,
        # so a pid reused meanwhile is never hit.
        with self._kill_lock:
            init = None
            for proc in process_tree(self.pid):
                pidfd = _pidfd_of(proc)
                if pidfd is None:
                    continue
                try:
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                if proc.ppid == self.pid and init is None:
                    init = pidfd
                else:
                    os.close(pidfd)
            if init is not None:
                # Once the init has exited, so has every process of its namespace. bubblewrap
                # then reaps it and exits: killed before, it would leave the init a zombie.
                _wait_for_exit(init, SANDBOX_EXIT_WAIT_SECONDS)
                os.close(init)
                try:
                    self.process.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    pass
            if self.process.returncode is None:
                super().kill()


def process_tree(root_pid):
    """The live descendants of root_pid (not itself), parents before children."""
    children = {}
    for proc in process_stats():
        if proc.state != "Z":
            children.setdefault(proc.ppid, []).append(proc)
    tree = []
    parents = [root_pid]
    while parents:
        level = [child for parent in parents for child in children.get(parent, ())]
        tree.extend(level)
        parents = [child.pid for child in level]
    return tree


def proportional_kb(proc):
    """A process's proportional set size (kB): its resident memory, each page shared with other
    processes divided among them. Costs ~4 ms for a 300 MB process, so only for trees."""
    try:
        with open(f"/proc/{proc.pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return proc.rss_pages * (os.sysconf("SC_PAGE_SIZE") // 1024)


def _pidfd_of(proc):
    """A pidfd for the process `proc` describes, or None if that process is gone."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except OSError:
        return None
    try:
        with open(f"/proc/{proc.pid}/stat", "rb") as stat_file:
            line = stat_file.read()
        ppid = int(line[line.rindex(b")") + 2 :].split()[1])
    except (OSError, ValueError):
        ppid = None
    if ppid != proc.ppid:  # the pid now belongs to another process
        os.close(pidfd)
        return None
    return pidfd


def _wait_for_exit(pidfd, timeout):
    with select.epoll() as poller:
        poller.register(pidfd, select.EPOLLIN)
        poller.poll(timeout)


def _environment(extra):
    environment = sandbox_environment("/tmp", extra)
    if not extra or "PATH" not in extra:
        environment["PATH"] = f"{VENV_MOUNT}/bin:/usr/bin:/bin"
    return environment


def _bwrap_command(mounts, *, environment, tmpfs_mb, command):
    options = _options(_bwrap_path())
    size = ["--size", str(tmpfs_mb * 2**20)] if "--size" in options else []
    arguments = [
        _bwrap_path(),
        "--unshare-all",
        "--unshare-user",
        *(["--disable-userns"] if "--disable-userns" in options else []),
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_GID),
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for name in USR_LINKS:
        host = Path("/") / name
        if host.is_symlink():
            arguments += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            arguments += ["--ro-bind", str(host), str(host)]
    arguments += ["--proc", "/proc", "--dev", "/dev"]
    arguments += size + ["--tmpfs", "/tmp"] + size + ["--tmpfs", "/dev/shm"]
    for source, target in mounts:
        arguments += ["--ro-bind", str(source), target]
    # The root and /dev are tmpfs folders that bubblewrap made: no writing there.
    arguments += ["--remount-ro", "/dev", "--remount-ro", "/"]
    arguments += ["--clearenv"]
    for name, value in environment.items():
        arguments += ["--setenv", name, value]
    arguments += ["--chdir", "/tmp", "--"]
    return arguments + command


def _host_identity():
    """(uid, gid) bubblewrap runs as: nobody when we are root, else ourselves."""
    if os.geteuid() == 0:
        return SANDBOX_UID, SANDBOX_GID
    return os.geteuid(), os.getegid()


def _popen_identity():
    if os.geteuid() == 0:
        return {"user": SANDBOX_UID, "group": SANDBOX_GID, "extra_groups": []}
    return {}


def _bwrap_path():
    return shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None)


def _check_host(venv):
    """The cheap checks: Linux, bubblewrap installed, a usable runner venv. (ok, reason)."""
    if not sys.platform.startswith("linux"):
        return False, "bubblewrap needs Linux namespaces; this is " + sys.platform
    if _bwrap_path() is None:
        return False, "bubblewrap is not installed (apt-get install bubblewrap)"
    python = venv / "bin" / "python"
    if not python.exists():
        return False, (
            f"the runner venv {venv} does not exist; build it with `make runner-venv` "
            "(or `make runner-image`)"
        )
    interpreter = os.path.realpath(python)
    if not interpreter.startswith("/usr/"):
        return False, (
            f"the runner venv's interpreter is {interpreter}, outside /usr (the only host "
            f"folder the sandbox sees); rebuild {venv} from /usr/bin/python3.11 with "
            "`make runner-venv`"
        )
    return True, ""


@functools.lru_cache(maxsize=8)
def _probe_once(bwrap, venv, host_uid, host_gid):
    command = _bwrap_command(
        [(venv, VENV_MOUNT)],
        environment=_environment(None),
        tmpfs_mb=TMPFS_MB,
        command=[f"{VENV_MOUNT}/bin/python", "-I", "-c", "import encodings, json"],
    )
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            cwd="/",
            env={},
            timeout=PROBE_TIMEOUT_SECONDS,
            **_popen_identity(),
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"bubblewrap could not start a sandbox here: {error}"
    if result.returncode != 0:
        detail = " ".join(result.stderr.decode(errors="replace").strip().splitlines()[-3:])
        if "Permission denied" in detail:
            return False, (
                f"uid {host_uid}, the sandbox's user on this host, cannot read the runner venv "
                f"{venv} ({detail}); make it and its parent folders readable by all"
            )
        return False, (
            f"bubblewrap could not start a sandbox here as uid {host_uid} (user namespaces "
            f"may be disabled for unprivileged users): {detail or 'no message'}"
        )
    return True, ""


def _probe(bwrap, venv, host_uid, host_gid):
    """Start one sandbox with the real layout; remembered once it worked. (ok, reason)."""
    result = _probe_once(bwrap, venv, host_uid, host_gid)
    if not result[0]:
        _probe_once.cache_clear()  # try again next time: the host may be fixed meanwhile
    return result


@functools.lru_cache(maxsize=4)
def _bwrap_version(bwrap):
    try:
        output = subprocess.run(
            [bwrap, "--version"], capture_output=True, text=True, timeout=10, env={}
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return output.split()[-1] if output.split() else None


@functools.lru_cache(maxsize=4)
def _options(bwrap):
    """The options this bubblewrap knows: --size came with 0.5, --disable-userns with 0.8."""
    try:
        output = subprocess.run(
            [bwrap, "--help"], capture_output=True, text=True, timeout=10, env={}
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(word for word in output.split() if word.startswith("--"))


def _user_database(home):
    """An /etc/passwd and /etc/group naming only the sandbox's user, for code that looks its
    user up (getpass.getuser, ~ expansion); the host's /etc stays out of sight."""
    mounts = []
    for name, text in (("passwd", PASSWD), ("group", GROUP)):
        path = Path(home) / name
        path.write_text(text)
        path.chmod(0o644)
        mounts.append((path, f"/etc/{name}"))
    return mounts


def _reachable_copy(path, home, name):
    """path, or a copy of it at home/name when the sandbox's host user could not read it.

    bubblewrap opens the folders it binds as the user it runs as: nobody, when we are root.
    The copy hard-links what it can (every file readable by all, same file system).
    """
    if os.geteuid() != 0 or _readable_by_all(path):
        return path
    copy = Path(home) / name
    if path.is_dir():
        shutil.copytree(path, copy, symlinks=True, copy_function=_link_or_copy)
        for folder, _, _ in os.walk(copy):
            os.chmod(folder, 0o755)
    else:
        _link_or_copy(path, copy)
    return copy


VENV_MIRROR_PREFIX = "safetygym-runner-venv-"  # + a hash of the venv's path, in the temp dir


def _reachable_venv(venv):
    """(folder to bind as the runner venv, "") or (None, why not).

    The venv itself where the sandbox's host user can reach it; else (a checkout under a private
    home or a mktemp folder, with bubblewrap started as nobody) a mirror of it in the temp dir,
    hard-linked file by file, made once per build of the venv (its .stamp) and shared by every
    later sandbox. The venv's files are readable by all (pip makes them so); only the folders
    above it are out of reach, and a bind cannot skip them (bubblewrap resolves even an
    inherited descriptor by its path).
    """
    if os.geteuid() != 0 or all(os.stat(parent).st_mode & stat.S_IXOTH for parent in venv.parents):
        return venv, ""
    stamp = _build_of(venv)
    mirror = venv_mirror(venv)
    if _mirrored_build(mirror) == stamp:
        return mirror / "venv", ""
    partial = Path(tempfile.mkdtemp(prefix=mirror.name + ".partial-"))
    try:
        shutil.copytree(venv, partial / "venv", symlinks=True, copy_function=_link_or_copy)
        for folder, _, _ in os.walk(partial):
            os.chmod(folder, 0o755)
        # Beside the venv, not in it: its files are hard links, writing one writes the original.
        (partial / "build").write_text(stamp)
        stale = mirror.with_name(f"{mirror.name}.stale-{os.getpid()}")
        if mirror.exists():
            os.rename(mirror, stale)  # sandboxes running on it keep their bind mounts
        os.rename(partial, mirror)
        shutil.rmtree(stale, ignore_errors=True)
    except OSError as error:
        shutil.rmtree(partial, ignore_errors=True)
        if _mirrored_build(mirror) == stamp:  # another worker made it meanwhile
            return mirror / "venv", ""
        return None, (
            f"uid {SANDBOX_UID}, the sandbox's user on this host, cannot reach the runner venv "
            f"{venv} (a folder above it is closed to other users), and mirroring it into "
            f"{mirror.parent} failed: {error}; set SAFETYGYM_RUNNER_VENV to a venv every user "
            "can reach"
        )
    return mirror / "venv", ""


def venv_mirror(venv):
    """Where _reachable_venv mirrors `venv` (the mirror's venv is its "venv" folder)."""
    return Path(tempfile.gettempdir()) / (
        VENV_MIRROR_PREFIX + hashlib.sha256(str(venv).encode()).hexdigest()[:16]
    )


def _build_of(venv):
    """What tells one build of the venv from the next: its stamp (make runner-venv writes it),
    else when its pyvenv.cfg was written."""
    try:
        return "stamp " + (venv / ".stamp").read_text().strip()
    except OSError:
        return f"pyvenv.cfg {(venv / 'pyvenv.cfg').stat().st_mtime_ns}"


def _mirrored_build(mirror):
    try:
        return (mirror / "build").read_text()
    except OSError:
        return None


def _link_or_copy(source, target):
    if os.stat(source).st_mode & stat.S_IROTH:
        try:
            os.link(source, target)
            return target
        except OSError:
            pass
    shutil.copyfile(source, target)
    os.chmod(target, 0o644)
    return target


def _readable_by_all(path):
    """True when a user with no relation to its owner can reach path and read all of it."""
    search = stat.S_IXOTH
    if not all(os.stat(parent).st_mode & search for parent in path.parents):
        return False
    if not path.is_dir():
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    for folder, _, files in os.walk(path):
        if os.stat(folder).st_mode & (stat.S_IROTH | search) != (stat.S_IROTH | search):
            return False
        for name in files:
            try:
                mode = os.stat(os.path.join(folder, name)).st_mode
            except OSError:
                continue  # a dangling link: nothing to read anyway
            if not mode & stat.S_IROTH:
                return False
    return True
