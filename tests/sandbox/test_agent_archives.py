"""Hostile agent archives: refused with the reason, before anything lands outside their folder.

A zip whose member climbs out with `../` is refused in tests/leaderboard/test_commands.py
(through `submit-agent`); every other way out, and every bomb, is here.
"""

import gzip
import io
import os
import stat
import tarfile
import time
import zipfile

import pytest

from sandbox.agent_files import ArchiveLimits, store_agent
from sandbox.errors import InvalidSubmission

AGENT = b'labels = ["rotten", "fresh"]\npredict = lambda inputs: [[0.5, 0.5]] * len(inputs)\n'
SMALL = ArchiveLimits(max_unpacked_bytes=2**20, max_files=10)


def zip_archive(path, members):
    """A zip of (name or ZipInfo, bytes) members, deflated."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members:
            archive.writestr(member, data)
    return path


def tar_archive(path, members):
    """A .tar.gz of (TarInfo, bytes or None) members."""
    with tarfile.open(path, "w:gz") as archive:
        for member, data in members:
            if data is not None:
                member.size = len(data)
            archive.addfile(member, io.BytesIO(data) if data is not None else None)
    return path


def archive_of(path, members):
    """A .zip or .tar.gz (by path's name) of regular files: (name, bytes) members."""
    if path.name.endswith(".zip"):
        return zip_archive(path, members)
    return tar_archive(path, [(tar_member(name), data) for name, data in members])


def tar_member(name, kind=tarfile.REGTYPE, linkname=""):
    member = tarfile.TarInfo(name)
    member.type, member.linkname = kind, linkname
    return member


def zip_symlink(name, target):
    member = zipfile.ZipInfo(name)
    member.external_attr = (stat.S_IFLNK | 0o777) << 16
    return member, target.encode()


def assert_refused(archive, reason, limits=ArchiveLimits()):
    """store_agent refuses the archive naming `reason` (a regex), and leaves nothing behind: the
    store stays empty and nothing appears beside the upload (where a `../` or absolute path in
    these archives points)."""
    root = archive.parent.parent
    store = root / "store"
    with pytest.raises(InvalidSubmission, match=reason) as refused:
        store_agent(archive, store, limits)
    assert refused.value.category == "invalid_submission"
    assert list(store.iterdir()) == []
    assert sorted(str(path.relative_to(root)) for path in root.rglob("*")) == sorted(
        ["store", "upload", f"upload/{archive.name}"]
    )


@pytest.fixture
def upload(tmp_path):
    """Where an upload is saved: tmp_path/upload/<name>, the store beside it."""
    (tmp_path / "upload").mkdir()
    return lambda name: tmp_path / "upload" / name


def test_a_zip_bomb_is_refused_by_its_compression_ratio(upload):
    archive = zip_archive(
        upload("bomb.zip"), [("agent.py", AGENT), ("weights.bin", bytes(50 * 2**20))]
    )
    assert archive.stat().st_size < 100_000
    assert_refused(
        archive, r"'weights.bin' expands \d{3,} times its packed size; that looks like a zip bomb"
    )


def test_a_zip_whose_header_understates_a_size_writes_no_more_than_it_states(upload):
    # The central directory says 1 kB where 50 MB of zeros are packed: under the ratio and size
    # limits. Unpacking stops at the stated size, and the checksum gives the lie away.
    archive = upload("forged.zip")
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as forged:
        forged.writestr("agent.py", AGENT)
        forged.writestr("weights.bin", bytes(50 * 2**20))
        forged.getinfo("weights.bin").file_size = 1000  # written into the central directory
    assert_refused(
        archive, r"forged.zip is not a readable archive \(Bad CRC-32 for file 'weights.bin'\)"
    )


def test_a_gzip_bomb_is_refused_at_its_first_header(upload):
    # 8 GB of zeros in 8 MB: gzip members of 1 MB each, concatenated (one valid gzip stream).
    member = tar_member("weights.bin")
    member.size = 8 * 2**30
    megabyte_of_zeros = gzip.compress(bytes(2**20))
    archive = upload("bomb.tar.gz")
    with open(archive, "wb") as bomb:
        bomb.write(gzip.compress(member.tobuf(format=tarfile.GNU_FORMAT)))
        for _ in range(member.size // 2**20):
            bomb.write(megabyte_of_zeros)
    began = time.monotonic()
    assert_refused(archive, r"the agent unpacks to more than 512 MB")
    # Decompressing the lot to find the next header takes ~35 s here.
    assert time.monotonic() - began < 5


# Random bytes: past the size limit without looking like a bomb.
TOO_BIG = [("agent.py", AGENT), ("weights.bin", os.urandom(2 * 2**20))]
TOO_MANY = [("agent.py", AGENT)] + [(f"vocabulary/{n}.txt", b"word\n") for n in range(10)]


@pytest.mark.parametrize("name", ["agent.zip", "agent.tar.gz"])
@pytest.mark.parametrize(
    "members, reason",
    [
        (TOO_BIG, "the agent unpacks to more than 1 MB"),
        (TOO_MANY, "the agent holds more than 10 files"),
    ],
    ids=["size", "files"],
)
def test_an_archive_past_the_size_or_file_limits_is_refused(upload, name, members, reason):
    assert_refused(archive_of(upload(name), members), reason, SMALL)


@pytest.mark.parametrize(
    "archive_name, member_name",
    [
        ("agent.tar.gz", "../../escaped.py"),
        ("agent.tar.gz", "agent/../../../escaped.py"),
        ("agent.zip", "..\\..\\escaped.py"),  # Windows separators are separators too
    ],
)
def test_a_path_that_climbs_out_is_refused(upload, archive_name, member_name):
    archive = archive_of(upload(archive_name), [("agent.py", AGENT), (member_name, b"print(1)\n")])
    assert_refused(archive, "the archive holds a path that climbs out of its folder")


@pytest.mark.parametrize("archive_name", ["agent.zip", "agent.tar.gz"])
@pytest.mark.parametrize("where", ["beside the upload", "on a Windows drive"])
def test_an_absolute_path_is_refused(upload, archive_name, where):
    member_name = str(upload("absolute.py")) if where == "beside the upload" else "C:\\absolute.py"
    archive = archive_of(upload(archive_name), [("agent.py", AGENT), (member_name, b"print(1)\n")])
    assert_refused(archive, r"the archive holds an absolute path .*; use relative paths")


def test_a_symbolic_link_in_a_zip_is_refused(upload):
    archive = zip_archive(
        upload("agent.zip"), [("agent.py", AGENT), zip_symlink("weights.bin", "/etc/shadow")]
    )
    assert_refused(archive, r"the archive holds a symbolic link \('weights.bin'\)")


@pytest.mark.parametrize(
    "member, reason",
    [
        (tar_member("weights.bin", tarfile.SYMTYPE, "/etc/shadow"), r"a link \('weights.bin'\)"),
        (tar_member("vocabulary", tarfile.SYMTYPE, "../.."), r"a link \('vocabulary'\)"),
        (tar_member("copy.py", tarfile.LNKTYPE, "/etc/passwd"), r"a link \('copy.py'\)"),
        (tar_member("console", tarfile.CHRTYPE), r"a device or special file \('console'\)"),
        (tar_member("disk", tarfile.BLKTYPE), r"a device or special file \('disk'\)"),
        (tar_member("pipe", tarfile.FIFOTYPE), r"a device or special file \('pipe'\)"),
    ],
    ids=["symlink", "symlink to a folder", "hard link", "character device", "block device", "fifo"],
)
def test_links_and_devices_in_a_tar_are_refused(upload, member, reason):
    archive = tar_archive(
        upload("agent.tar.gz"), [(tar_member("agent.py"), AGENT), (member, None)]
    )
    assert_refused(archive, f"the archive holds {reason}")


def test_a_symbolic_link_in_an_agent_folder_is_refused(tmp_path):
    folder = tmp_path / "agent"
    folder.mkdir()
    (folder / "agent.py").write_bytes(AGENT)
    (folder / "weights.bin").symlink_to("/etc/shadow")
    store = tmp_path / "store"
    with pytest.raises(
        InvalidSubmission, match=r"the agent folder holds a symbolic link \(weights.bin\)"
    ):
        store_agent(folder, store)
    assert list(store.iterdir()) == []
