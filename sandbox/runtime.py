"""What a sandbox runs agents with, for an evaluation's provenance: the interpreter's version
and the versions of the packages agents import.

These are the sandbox's own, not the worker's: the docker backend reads them from labels its
image was built with, the bwrap backend from its runner venv, the local backend from the
worker's interpreter (which is what it runs agents with). Standard library only: the offline
image build uses it too, under the interpreter it packs.
"""

import json
import platform
from importlib import metadata
from pathlib import Path

# The packages agents may import (docs/runner-image.md), under their distribution names.
AGENT_PACKAGES = ("numpy", "scipy", "scikit-learn", "torch", "transformers", "vaderSentiment",
                  "textblob")
RUNTIME_LABEL = "org.safetygym.runner.runtime"  # the image's label: runtime_label() as JSON


def package_versions(site_packages=None, names=AGENT_PACKAGES):
    """{distribution name: version, or None when absent} in site_packages (default: this
    interpreter's own environment)."""
    if site_packages is None:
        found = {}
        for name in names:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = None
        return found
    installed = {}
    for distribution in metadata.distributions(path=[str(site_packages)]):
        installed.setdefault(_normalised(distribution.metadata["Name"] or ""), distribution.version)
    return {name: installed.get(_normalised(name)) for name in names}


def this_runtime():
    """The runtime of this interpreter and its environment."""
    return {"python": platform.python_version(), "packages": package_versions()}


def venv_runtime(venv):
    """The runtime of a venv: its interpreter's version (from pyvenv.cfg) and its packages."""
    venv = Path(venv)
    python = None
    try:
        for line in (venv / "pyvenv.cfg").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info"):
                python = value.strip()
    except OSError:
        pass
    site_packages = sorted(venv.glob("lib/python3*/site-packages"))
    packages = package_versions(site_packages[0]) if site_packages else {}
    return {"python": python, "packages": packages}


def runtime_label(runtime):
    return json.dumps(runtime, sort_keys=True, separators=(",", ":"))


def runtime_from_labels(labels):
    """The runtime an image's labels record; {} for an image built without it."""
    try:
        runtime = json.loads((labels or {}).get(RUNTIME_LABEL) or "{}")
    except ValueError:
        return {}
    return runtime if isinstance(runtime, dict) else {}


def _normalised(name):
    return name.lower().replace("_", "-").replace(".", "-")
