"""Hugging Face repositories as the worker fetches them: a revision resolved to its commit SHA,
the repository's files checked against what the sandbox runs, the pinned snapshot fetched into
a shared cache (the hub's own cache layout, so every worker of a host shares one copy).

Online, huggingface_hub asks the hub. Offline (HF_HUB_OFFLINE=1, or a machine without the hub)
everything comes from the cache alone: `models--org--name/refs/<revision>` gives the SHA and
`snapshots/<sha>/` the files, exactly where snapshot_download puts them.

Only what a transformers text classifier needs is fetched (FETCHED_PATTERNS): safetensors
weights, JSON configs and tokenizer files, never pickled weights (`*.bin`, `*.pt`) or code.
"""

import json
import os
import re
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from sandbox.errors import InvalidSubmission, PlatformError
from sandbox.hf_config import check_no_remote_code
from sandbox.hf_model_id import check_revision

COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
FETCHED_PATTERNS = ("*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken")
CONFIG_FILES = ("config.json", "tokenizer_config.json")
PICKLED_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl", "*.h5", "*.msgpack")


@dataclass(frozen=True)
class ResolvedModel:
    """One commit of a model repository: its SHA and its files' sizes in bytes (None unknown)."""

    model_id: str
    revision: str  # as requested: a branch, tag, refs/pr/N or a SHA
    sha: str
    files: dict = field(default_factory=dict)

    def fetched_files(self):
        return {name: size for name, size in self.files.items() if is_fetched(name)}

    def fetched_bytes(self):
        return sum(size or 0 for size in self.fetched_files().values())


def is_fetched(name):
    base = name.rsplit("/", 1)[-1]
    return any(fnmatch(base, pattern) for pattern in FETCHED_PATTERNS)


def hub_offline():
    """True when the hub must not be asked (huggingface_hub's own switch)."""
    from huggingface_hub import constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    return flag or bool(constants.HF_HUB_OFFLINE)


def repository_folder(cache_dir, model_id):
    """Where the hub cache keeps model_id: <cache>/models--org--name."""
    return Path(cache_dir) / ("models--" + model_id.replace("/", "--"))


def resolve(model_id, revision, cache_dir):
    """The commit `revision` of model_id is at, with its files; InvalidSubmission when there is
    no such model or revision, PlatformError when the hub cannot be reached."""
    revision = (revision or "main").strip() or "main"
    try:
        check_revision(revision)
    except ValueError as error:
        raise InvalidSubmission(str(error)) from None
    if hub_offline():
        return _resolve_in_cache(model_id, revision, cache_dir)
    return _resolve_on_hub(model_id, revision)


def check_repository(resolved, max_bytes):
    """Refuse what the sandbox will not run, before anything is fetched: no safetensors weights
    (pickled weights only: loading them runs code), or more to fetch than max_bytes."""
    names = list(resolved.files)
    weights = [name for name in names if name.endswith(".safetensors")]
    if not weights:
        pickled = [name for name in names
                   if any(fnmatch(name.rsplit("/", 1)[-1], p) for p in PICKLED_WEIGHTS)]
        found = f"it has {', '.join(sorted(pickled)[:5])}" if pickled else "it has no weights"
        raise InvalidSubmission(
            f"{resolved.model_id} at {resolved.sha[:12]} has no safetensors weights ({found}). "
            "SafetyGym only loads *.safetensors (pickled weights can run code when loaded): "
            "convert the weights, e.g. with `model.save_pretrained(folder)` in a recent "
            "transformers, and push them."
        )
    if "config.json" not in names:
        raise InvalidSubmission(
            f"{resolved.model_id} at {resolved.sha[:12]} has no config.json at its root, so "
            "transformers cannot tell what model it is."
        )
    size = resolved.fetched_bytes()
    if size > max_bytes:
        raise InvalidSubmission(
            f"{resolved.model_id} at {resolved.sha[:12]} is {_megabytes(size)} to fetch "
            f"(weights, configs and tokenizer), more than this server's cap of "
            f"{_megabytes(max_bytes)} (SAFETYGYM_HF_MAX_MODEL_MB)."
        )


def read_configs(resolved, cache_dir, local=False):
    """{name: parsed JSON} of config.json and tokenizer_config.json (those the repo has); from
    the hub when online, unless `local` (the cached snapshot's own files)."""
    configs = {}
    for name in CONFIG_FILES:
        if name in resolved.files:
            path = _fetch_file(resolved, name, cache_dir, local)
            configs[name] = _read_json(path, name, resolved)
    return configs


def prepare(model_id, revision, cache_dir, max_bytes):
    """Resolve and check a model without fetching its weights: (ResolvedModel, config.json).
    What a submission is validated with."""
    resolved = resolve(model_id, revision, cache_dir)
    check_repository(resolved, max_bytes)
    configs = read_configs(resolved, cache_dir)
    check_no_remote_code(configs)
    return resolved, configs["config.json"]


def fetch_checked(model_id, sha, cache_dir, max_bytes):
    """On the worker: the snapshot of commit `sha` fetched into the cache, then its files checked
    as they are on disk (what the sandbox will mount): (snapshot folder, config.json)."""
    folder = fetch_snapshot(ResolvedModel(model_id, sha, sha), cache_dir)
    resolved = _resolve_in_cache(model_id, sha, cache_dir)
    check_repository(resolved, max_bytes)
    configs = read_configs(resolved, cache_dir, local=True)
    check_no_remote_code(configs)
    return folder, configs["config.json"]


def fetch_snapshot(resolved, cache_dir):
    """The pinned snapshot's folder, fetched into the cache if it is not there yet."""
    if hub_offline():
        folder = repository_folder(cache_dir, resolved.model_id) / "snapshots" / resolved.sha
        if not folder.is_dir():
            raise PlatformError(
                f"{resolved.model_id} at {resolved.sha[:12]} is not in this worker's model cache "
                f"{cache_dir} and the hub is offline (HF_HUB_OFFLINE=1); fetch it on a machine "
                "with the hub, or share the cache with the worker."
            )
        missing = [name for name in resolved.fetched_files() if not (folder / name).exists()]
        if missing:
            raise PlatformError(
                f"The cached snapshot {folder} lacks {missing[:5]} and the hub is offline."
            )
        return folder
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(resolved.model_id, revision=resolved.sha,
                                      cache_dir=str(cache_dir), allow_patterns=FETCHED_PATTERNS))
    except Exception as error:  # the hub's and the network's many errors: ours to retry
        raise PlatformError(
            f"Fetching {resolved.model_id} at {resolved.sha[:12]} from the hub failed: "
            f"{type(error).__name__}: {error}"
        ) from error


# -- resolution ---------------------------------------------------------------------------------


def _resolve_in_cache(model_id, revision, cache_dir):
    repository = repository_folder(cache_dir, model_id)
    if not repository.is_dir():
        raise InvalidSubmission(
            f"The model {model_id} is not in this server's model cache, and the hub is offline "
            "here (HF_HUB_OFFLINE=1): only cached models can be submitted."
        )
    if COMMIT_SHA.fullmatch(revision):
        sha = revision
    else:
        ref = repository / "refs" / revision
        try:
            sha = ref.read_text().strip()
        except OSError:
            cached = sorted(path.name for path in (repository / "snapshots").glob("*"))
            raise InvalidSubmission(
                f"The revision {revision!r} of {model_id} is not in this server's model cache "
                f"(no refs/{revision}) and the hub is offline here (HF_HUB_OFFLINE=1): submit a "
                f"cached commit SHA instead"
                + (f" ({', '.join(cached[:5])})." if cached else ".")
            ) from None
        if not COMMIT_SHA.fullmatch(sha):
            raise PlatformError(f"The model cache's {ref} does not hold a commit SHA.")
    snapshot = repository / "snapshots" / sha
    if not snapshot.is_dir():
        raise InvalidSubmission(
            f"The commit {sha} of {model_id} is not in this server's model cache and the hub is "
            "offline here (HF_HUB_OFFLINE=1)."
        )
    files = {}
    for path in sorted(snapshot.rglob("*")):
        if path.is_file():  # follows the cache's links into blobs/
            files[path.relative_to(snapshot).as_posix()] = path.stat().st_size
    return ResolvedModel(model_id, revision, sha, files)


def _resolve_on_hub(model_id, revision):
    from huggingface_hub import HfApi
    from huggingface_hub.utils import (
        GatedRepoError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        info = HfApi().model_info(model_id, revision=revision, files_metadata=True)
    except GatedRepoError:
        raise InvalidSubmission(
            f"{model_id} is gated (its authors grant access one user at a time); SafetyGym "
            "evaluates public models only."
        ) from None
    except RepositoryNotFoundError:
        raise InvalidSubmission(
            f"There is no public model {model_id} on the Hugging Face hub (check the spelling; "
            "private models cannot be evaluated)."
        ) from None
    except RevisionNotFoundError:
        raise InvalidSubmission(
            f"{model_id} has no revision {revision!r}: give a branch, a tag, refs/pr/N or a "
            "commit SHA of the repository."
        ) from None
    except Exception as error:  # the network's and the hub's own outages
        raise PlatformError(
            f"The Hugging Face hub did not answer about {model_id}: {type(error).__name__}: "
            f"{error}"
        ) from error
    files = {sibling.rfilename: sibling.size for sibling in info.siblings or []}
    return ResolvedModel(model_id, revision, info.sha, files)


def _fetch_file(resolved, name, cache_dir, local=False):
    if local or hub_offline():
        return repository_folder(cache_dir, resolved.model_id) / "snapshots" / resolved.sha / name
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(resolved.model_id, name, revision=resolved.sha,
                                    cache_dir=str(cache_dir)))
    except Exception as error:
        raise PlatformError(
            f"Fetching {name} of {resolved.model_id} from the hub failed: "
            f"{type(error).__name__}: {error}"
        ) from error


def _read_json(path, name, resolved):
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise PlatformError(f"Could not read {name} of {resolved.model_id}: {error}") from error
    except ValueError as error:
        raise InvalidSubmission(
            f"{name} of {resolved.model_id} at {resolved.sha[:12]} is not valid JSON: {error}"
        ) from None
    if not isinstance(value, dict):
        raise InvalidSubmission(f"{name} of {resolved.model_id} is not a JSON object.")
    return value


def _megabytes(size):
    return f"{size / 2**20:,.0f} MB"


# -- placing a model built here ------------------------------------------------------------------


def place_in_cache(folder, cache_dir, model_id, refs=("main",)):
    """Put a save_pretrained() folder into the hub cache as model_id, the way snapshot_download
    lays a fetched commit out: files in blobs/ (named by their sha256), snapshots/<sha>/ of links
    to them, and refs/<ref> holding <sha>. The commit SHA is a hash of the files' names and
    contents, so the same files always make the same commit. Returns the SHA."""
    import hashlib
    import shutil

    folder = Path(folder)
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    listing = hashlib.sha1()
    digests = {}
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        name = path.relative_to(folder).as_posix()
        digests[name] = (path, digest)
        listing.update(f"{name}\0{digest}\n".encode())
    sha = listing.hexdigest()
    repository = repository_folder(cache_dir, model_id)
    snapshot = repository / "snapshots" / sha
    for name, (path, digest) in digests.items():
        blob = repository / "blobs" / digest
        blob.parent.mkdir(parents=True, exist_ok=True)
        if not blob.exists():
            partial = blob.with_name(f"{digest}.partial-{os.getpid()}")
            shutil.copyfile(path, partial)
            os.replace(partial, blob)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(os.path.relpath(blob, link.parent))
    for ref in refs:
        ref_file = repository / "refs" / ref
        ref_file.parent.mkdir(parents=True, exist_ok=True)
        ref_file.write_text(sha)
    return sha
