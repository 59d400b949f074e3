"""An agent's files: unpacked safely from an archive or copied from a folder, and hashed.

Nothing here runs agent code. An archive is refused, with the reason, when it would write outside
its folder (absolute or `..` paths), holds links or devices, or unpacks to more than the limits
(a zip bomb). macOS `__MACOSX` litter is ignored.
"""

import ast
import hashlib
import shutil
import stat
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sandbox.errors import InvalidSubmission
from sandbox.runner.runner import IGNORED_NAMES, find_agent_file



@dataclass(frozen=True)
class ArchiveLimits:
    max_unpacked_bytes: int = 512 * 2**20
    max_files: int = 5000
    max_compression_ratio: float = 200.0


def _ignored(relative):
    return any(part in IGNORED_NAMES or part.startswith("._") for part in relative.parts)


def _safe_member_path(name):
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith(("/", "\\")) or (path.parts and ":" in path.parts[0]):
        raise InvalidSubmission(f"the archive holds an absolute path ({name!r}); use relative paths")
    if ".." in path.parts:
        raise InvalidSubmission(f"the archive holds a path that climbs out of its folder ({name!r})")
    return path


def find_agent_root(folder):
    """The folder holding agent.py: the root, or its one top-level folder (the runner's rule)."""
    agent_file = find_agent_file(str(folder))
    if agent_file is None:
        raise InvalidSubmission(
            "no agent.py found: put agent.py (defining `labels` and `predict(inputs)`) at the root "
            "of the archive or folder, or inside its one top-level folder"
        )
    return Path(agent_file).parent


def check_entry_point(root):
    """agent.py must at least compile: a syntax error is said before anything is queued
    rather than after a wait in the queue. Compiling runs none of its code."""
    agent_file = Path(root) / "agent.py"
    try:
        compile(agent_file.read_bytes(), "agent.py", "exec", dont_inherit=True)
    except SyntaxError as error:
        where = f" (line {error.lineno})" if error.lineno else ""
        raise InvalidSubmission(f"agent.py does not compile: {error.msg}{where}") from None
    except ValueError as error:  # e.g. NUL bytes
        raise InvalidSubmission(f"agent.py does not compile: {error}") from None


# Calls through which a module can rebind or mutate `labels` without naming it as a target.
_INDIRECT_WRITERS = {"globals", "setattr", "exec", "eval", "vars", "__import__", "__getattr__"}
_LIST_MUTATORS = {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"}


def declared_labels(root):
    """The `labels` agent.py declares, read from its source without running it: a list of
    strings when the module assigns a literal list or tuple of strings to `labels` exactly
    once, at module level, and nothing else can change it; None whenever that is not certain
    (computed labels, a second binding, `import *`, globals() and the like), and the worker,
    which imports the agent in its sandbox, decides."""
    try:
        tree = ast.parse((Path(root) / "agent.py").read_bytes(), "agent.py")
    except (OSError, SyntaxError, ValueError):
        return None
    assigned = []
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) and node.value else [])
        if any(isinstance(target, ast.Name) and target.id == "labels" for target in targets):
            assigned.append(node)
    if len(assigned) != 1 or _labels_may_change(tree):
        return None
    try:
        value = ast.literal_eval(assigned[0].value)
    except ValueError:
        return None
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(label, str) and label for label in value):
        return list(value)
    return None


def _labels_may_change(tree):
    bindings = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "labels" and not isinstance(node.ctx,
                                                                                 ast.Load):
            bindings += 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)) and "labels" in node.names:
            return True
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                alias.name == "*" or (alias.asname or alias.name) == "labels"
                for alias in node.names):
            return True
        elif isinstance(node, ast.Name) and node.id in _INDIRECT_WRITERS:
            return True
        elif isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            return True
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "labels" and node.attr in _LIST_MUTATORS):
            return True
        elif (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
              and node.value.id == "labels" and not isinstance(node.ctx, ast.Load)):
            return True
    return bindings != 1


def _check_totals(count, size, limits):
    if count > limits.max_files:
        raise InvalidSubmission(f"the agent holds more than {limits.max_files} files")
    if size > limits.max_unpacked_bytes:
        raise InvalidSubmission(
            f"the agent unpacks to more than {limits.max_unpacked_bytes // 2**20} MB"
        )


def _unpack_zip(archive, dest, limits):
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.infolist() if not _ignored(_safe_member_path(m.filename))]
        total = 0
        for member in members:
            mode = member.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise InvalidSubmission(f"the archive holds a symbolic link ({member.filename!r})")
            total += member.file_size
            if member.compress_size and member.file_size / member.compress_size > limits.max_compression_ratio:
                raise InvalidSubmission(
                    f"{member.filename!r} expands {member.file_size // max(member.compress_size, 1)}"
                    " times its packed size; that looks like a zip bomb"
                )
        _check_totals(len(members), total, limits)
        for member in members:
            target = dest / _safe_member_path(member.filename)
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as source, open(target, "wb") as sink:
                # Count real bytes too: a forged header can understate the size.
                written = 0
                while chunk := source.read(2**20):
                    written += len(chunk)
                    if written > member.file_size or written > limits.max_unpacked_bytes:
                        raise InvalidSubmission(f"{member.filename!r} is larger than its header says")
                    sink.write(chunk)


def _unpack_tar(archive, dest, limits):
    with tarfile.open(archive) as tf:
        # Header by header, with the totals checked as they grow: reaching the next header means
        # decompressing the data before it, so a gzip bomb is refused at the header that states
        # its size (reading all headers first took 35 s for 8 GB of zeros in an 8 MB upload).
        # Ignored litter counts too, since it is decompressed all the same.
        members, entries, size = [], 0, 0
        for member in tf:
            entries += 1
            size += member.size if member.isfile() else 0
            _check_totals(entries, size, limits)
            if _ignored(_safe_member_path(member.name)):
                continue
            if member.issym() or member.islnk():
                raise InvalidSubmission(f"the archive holds a link ({member.name!r})")
            if not (member.isfile() or member.isdir()):
                raise InvalidSubmission(f"the archive holds a device or special file ({member.name!r})")
            members.append(member)
        tf.extractall(dest, members=members, filter="data")


def unpack_archive(archive, dest, limits=ArchiveLimits()):
    archive = Path(archive)
    name = archive.name.lower()
    try:
        if name.endswith(".zip"):
            _unpack_zip(archive, dest, limits)
        elif name.endswith((".tar.gz", ".tgz", ".tar")):
            _unpack_tar(archive, dest, limits)
        else:
            raise InvalidSubmission(
                f"{archive.name}: an agent comes as a folder, a .zip or a .tar.gz archive"
            )
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as error:
        raise InvalidSubmission(f"{archive.name} is not a readable archive ({error})") from error


def copy_folder(source, dest, limits=ArchiveLimits()):
    source = Path(source)
    files = []
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if _ignored(relative):
            continue
        if path.is_symlink():
            raise InvalidSubmission(f"the agent folder holds a symbolic link ({relative})")
        if path.is_file():
            files.append(relative)
    _check_totals(len(files), sum((source / f).stat().st_size for f in files), limits)
    for relative in files:
        (dest / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, dest / relative)


def folder_sha256(folder):
    """A digest of every file's relative path and contents, independent of timestamps."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if _ignored(relative):
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def make_readable_by_all(folder):
    """The sandbox's unprivileged user must read a stored agent; the data folder above it
    (mode 0700) keeps the machine's other users out."""
    for path in [Path(folder), *Path(folder).rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def store_agent(source, store_dir, limits=ArchiveLimits()):
    """Copy or unpack an agent into `store_dir/<sha256>/`. Returns (agent root, sha256)."""
    source = Path(source)
    if not source.exists():
        raise InvalidSubmission(f"{source} does not exist")
    store_dir = Path(store_dir)
    store_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="incoming-", dir=store_dir))
    try:
        if source.is_dir():
            copy_folder(source, staging, limits)
        else:
            unpack_archive(source, staging, limits)
        root = find_agent_root(staging)
        sha = folder_sha256(root)
        final = store_dir / sha
        if not final.exists():
            make_readable_by_all(root)
            shutil.move(str(root), final)
        return final, sha
    finally:
        shutil.rmtree(staging, ignore_errors=True)
