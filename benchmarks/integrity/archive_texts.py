"""Memorised texts: how many of the evaluation texts an agent's own files hold.

The evaluation split ships in a public package, so an agent can carry it: a lookup table of
text → label, a training set that includes the evaluation split, a cache of answers. This check
reads every file of the agent (never running any of it) and counts the evaluation texts that
occur in it, after normalising both sides the same way: case folded, and only the word
characters kept, as one token sequence (so spacing, punctuation and JSON/CSV quoting do not
hide a text).

A text counts as *held* when every one of its 8-token windows occurs in the agent's files (a
text of 5 to 7 tokens: the whole text). Texts under 5 tokens are not counted: "a must-see" can
occur in any vocabulary. Windows are compared as 64-bit hashes, token hashes combined by a polynomial in
numpy, so a 100 MB archive is one pass of C-speed hashing and sorted look-ups, in chunks of a
few MB (memory stays bounded whatever the file size).

What is read: plain files as UTF-8 (errors skipped); inside zip archives (so .npz) and gzip,
bz2 and xz streams; string arrays of .npy files (read with allow_pickle=False); and the string
constants of pickles, walked with pickletools (which parses a pickle without executing it).
Limits: a text stored hashed, encrypted, or split across strings is not found; that is what the
perturbation-gap check is for.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import pickletools
import re
import sys
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

WINDOW_TOKENS = 8
MIN_TOKENS = 5
# An honest agent can hold public texts (a nearest-neighbour model keeps its training set);
# the public split itself holds none of rt-sentiment's evaluation texts and 2.2% of
# tweet-sentiment's after normalisation (the splits removed exact duplicates only: 7 tweets
# differ from a public one in case or spacing, 56 are quoted inside a longer retweet). 10% is far above that and far below a lookup table's
# 100%: an agent holding a tenth of the evaluation split carries it on purpose.
SHARE_THRESHOLD = 0.10
CHUNK_BYTES = 4 * 2**20
# Whatever an archive unpacks to, reading stops here (and says so): the submission limit is
# 512 MB unpacked, and nested compressed members could expand further.
MAX_SCANNED_BYTES = 1024 * 2**20
MAX_NESTING = 3
EXAMPLES = 3

_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"\W")
_MULTIPLIER = np.uint64(1_000_003)
_IGNORED = ("__pycache__", "__MACOSX", ".DS_Store")
# A word no text contains (random per process): put between strings, it breaks every window.
_SEPARATOR = f" x{uuid.uuid4().hex} "
# Escapes of JSON and Python literals (\u00e9, \xe9, \n): an archive written with
# json.dumps(ensure_ascii=True) holds the texts only in this form.
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[nrt])")


def _unescaped(match):
    code = match.group(1)
    if code in "nrt":
        return " "
    point = int(code[1:], 16)
    # Binary junk can spell \UFFFFFFFF, which is no character: it stays as it was.
    return chr(point) if point <= sys.maxunicode else match.group(0)


def normalised_tokens(text):
    """The tokens both sides are compared on: escapes decoded, word characters, case folded.
    (A text holding a literal escape, a tweet with "\\n" in it, is decoded the same way on
    both sides.)"""
    return _WORD.findall(_ESCAPE.sub(_unescaped, text).casefold())


def _token_hashes(tokens):
    return np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens)).view(np.uint64)


def window_hashes(token_hashes, length):
    """The hash of every run of `length` consecutive tokens (uint64 arithmetic wraps)."""
    count = len(token_hashes) - length + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    combined = token_hashes[:count].copy()
    for offset in range(1, length):
        combined *= _MULTIPLIER
        combined += token_hashes[offset : offset + count]
    return combined


@dataclass
class TextIndex:
    """The windows of the evaluation texts that count, by window length."""

    n_texts: int
    eligible: np.ndarray  # positions of the texts long enough to count
    text_windows: list  # per eligible text: (length, indices into windows[length])
    windows: dict = field(default_factory=dict)  # length -> sorted unique uint64 hashes

    @classmethod
    def of(cls, texts):
        by_length, per_text, eligible = {}, [], []
        for position, text in enumerate(texts):
            tokens = normalised_tokens(text)
            if len(tokens) < MIN_TOKENS:
                continue
            length = min(len(tokens), WINDOW_TOKENS)
            hashes = window_hashes(_token_hashes(tokens), length)
            by_length.setdefault(length, []).append(hashes)
            per_text.append((length, hashes))
            eligible.append(position)
        windows = {length: np.unique(np.concatenate(parts)) for length, parts in by_length.items()}
        text_windows = [(length, np.searchsorted(windows[length], hashes))
                        for length, hashes in per_text]
        return cls(len(texts), np.array(eligible, dtype=np.int64), text_windows, windows)


class _Matcher:
    """Feeds a file's text in chunks; marks every window of the index it meets."""

    def __init__(self, index):
        self.index = index
        self.seen = {length: np.zeros(len(hashes), dtype=bool)
                     for length, hashes in index.windows.items()}
        self.longest = max(index.windows, default=1)

    def document(self):
        return _Document(self)

    def mark(self, token_hashes):
        for length, hashes in self.index.windows.items():
            present = window_hashes(token_hashes, length)
            if not present.size:
                continue
            # The index is sorted: a binary search per window beats np.isin, which would
            # sort or hash the archive's millions of windows first.
            at = np.minimum(np.searchsorted(hashes, present), len(hashes) - 1)
            self.seen[length][at[hashes[at] == present]] = True

    def held(self):
        """Positions (in the texts given) of the texts whose every window was seen."""
        return [int(self.index.eligible[i])
                for i, (length, at) in enumerate(self.index.text_windows)
                if self.seen[length][at].all()]


class _Document:
    """One stream of text (a file, an archive member, a string constant): words split across
    chunks are rejoined, and windows span chunk boundaries but never documents."""

    def __init__(self, matcher):
        self.matcher = matcher
        self.partial = ""
        self.tail = np.empty(0, dtype=np.uint64)

    def feed(self, text, final=False):
        text = self.partial + text
        if final:
            self.partial = ""
        else:
            last = None
            for last in _NON_WORD.finditer(text, max(0, len(text) - 256)):
                pass
            # Without a break in the last 256 characters the text ends in a run no evaluation
            # word is as long as: cut it there, so a blob without spaces is not held whole.
            cut = last.end() if last else max(0, len(text) - 256)
            text, self.partial = text[:cut], text[cut:]
        hashes = np.concatenate([self.tail, _token_hashes(normalised_tokens(text))])
        self.matcher.mark(hashes)
        self.tail = hashes[-(self.matcher.longest - 1):] if self.matcher.longest > 1 else hashes[:0]

    def close(self):
        self.feed("", final=True)


@dataclass(frozen=True)
class HeldTexts:
    """What the scan found: evaluation texts held by the archive, of those long enough."""

    eligible: int
    held: int
    share: float
    threshold: float
    flagged: bool
    files: int
    bytes_read: int
    seconds: float
    truncated: bool
    examples: list  # positions of a few held texts, in the evaluation split

    def as_json(self):
        return {"check": "archive_texts", "eligible": self.eligible, "held": self.held,
                "share": self.share, "threshold": self.threshold, "flagged": self.flagged,
                "files": self.files, "bytes_read": self.bytes_read,
                "seconds": round(self.seconds, 3), "truncated": self.truncated,
                "examples": self.examples, "window_tokens": WINDOW_TOKENS,
                "min_tokens": MIN_TOKENS, "message": self.message()}

    def message(self):
        if not self.eligible:
            return f"no evaluation text has the {MIN_TOKENS} words it takes to count"
        found = (f"the archive holds {self.share:.0%} of the evaluation texts ({self.held:,} of "
                 f"{self.eligible:,} with at least {MIN_TOKENS} words)")
        if self.flagged:
            return found + f": at least {self.threshold:.0%} means it carries the evaluation split"
        return found


class _Budget:
    """The bytes still to be read, across every file and decompressed member."""

    def __init__(self, limit):
        self.left = limit
        self.read = 0

    def spend(self, size):
        self.left -= size
        self.read += size


def _read_chunks(stream, budget):
    while budget.left > 0:
        chunk = stream.read(min(CHUNK_BYTES, budget.left))
        if not chunk:
            return
        budget.spend(len(chunk))
        yield chunk


def _scan_text(chunks, matcher):
    """Bytes (any number of chunks, of any size) as one UTF-8 document."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
    document = matcher.document()
    for chunk in chunks:
        for start in range(0, len(chunk), CHUNK_BYTES):
            document.feed(decoder.decode(chunk[start : start + CHUNK_BYTES]))
    document.feed(decoder.decode(b"", final=True))
    document.close()


def _scan_strings(strings, matcher):
    """Many short documents (an array's or a pickle's strings) fed as one stream, a separator
    token between them, so a window never spans two strings and the look-ups run once per few
    MB rather than once per string."""
    document = matcher.document()
    pending, size = [], 0
    for text in strings:
        pending += [text, _SEPARATOR]
        size += len(text) + len(_SEPARATOR)
        if size >= CHUNK_BYTES:
            document.feed("".join(pending))
            pending, size = [], 0
    document.feed("".join(pending))
    document.close()


def _pickle_strings(data):
    """The string constants of a pickle, without executing it; stops at the first opcode that
    does not parse (a joblib file, say, goes on with raw array bytes)."""
    try:
        for opcode, argument, _ in pickletools.genops(io.BytesIO(data)):
            if isinstance(argument, str):
                yield argument
            elif isinstance(argument, (bytes, bytearray)) and len(argument) > 8:
                yield bytes(argument).decode("utf-8", errors="ignore")
    except Exception:  # a malformed or truncated pickle: what was read so far counts
        return


def _npy_strings(data):
    """The strings of a .npy array: text arrays as themselves, object arrays from the pickle
    that stores them; numeric arrays hold no text."""
    stream = io.BytesIO(data)
    try:
        major, _ = np.lib.format.read_magic(stream)
        read_header = (np.lib.format.read_array_header_1_0 if major == 1
                       else np.lib.format.read_array_header_2_0)
        _, _, dtype = read_header(stream)
    except Exception:  # not a readable .npy header: read as plain bytes instead
        return None
    if dtype.kind in "US":
        stream.seek(0)
        try:
            array = np.lib.format.read_array(stream, allow_pickle=False)
        except Exception:
            return None
        return [str(value) for value in array.ravel().tolist()]
    if dtype.hasobject:
        return list(_pickle_strings(data[stream.tell():]))
    return []


def _is_pickle(head):
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _scan_bytes_stream(stream, matcher, budget, depth):
    """One file or member: sniffed by content, not by name (a name can lie)."""
    head = stream.read(min(8, budget.left))
    budget.spend(len(head))
    rest = _read_chunks(stream, budget)
    if depth < MAX_NESTING and head.startswith(b"PK\x03\x04"):
        _scan_zip(_rewound(stream, head, rest, depth), matcher, budget, depth + 1)
        return
    opener = {b"\x1f\x8b": lambda data: gzip.GzipFile(fileobj=data), b"BZh": bz2.BZ2File,
              b"\xfd7zXZ": lzma.LZMAFile}
    for magic, open_compressed in opener.items():
        if depth < MAX_NESTING and head.startswith(magic):
            try:
                with open_compressed(_rewound(stream, head, rest, depth)) as inner:
                    _scan_bytes_stream(inner, matcher, budget, depth + 1)
            except (OSError, EOFError, lzma.LZMAError):
                pass  # not really compressed after all: the raw bytes hold nothing readable
            return
    if head.startswith(b"\x93NUMPY"):
        data = head + b"".join(rest)
        strings = _npy_strings(data)
        if strings is not None:
            _scan_strings(strings, matcher)
            return
        _scan_text([data], matcher)
        return
    if _is_pickle(head):
        data = head + b"".join(rest)
        _scan_strings(_pickle_strings(data), matcher)
        return
    _scan_text(_prepend(head, rest), matcher)


def _rewound(stream, head, rest, depth):
    """The stream from its start again, for a reader that needs to seek or to see the magic:
    a file on disk itself (a 500 MB .npz is not copied into memory; what its members unpack
    to is counted as it is read), else its bytes read into memory, counted as they are."""
    if depth == 0 and stream.seekable():
        stream.seek(0)
        return stream
    return io.BytesIO(head + b"".join(rest))


def _prepend(head, rest):
    yield head
    yield from rest


def _scan_zip(stream, matcher, budget, depth):
    try:
        with zipfile.ZipFile(stream) as archive:
            for member in archive.infolist():
                if member.is_dir() or budget.left <= 0:
                    continue
                with archive.open(member) as inner:
                    _scan_bytes_stream(inner, matcher, budget, depth)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
        return  # a damaged or encrypted member: the rest of the agent is still read


def agent_files(folder, links_within=None):
    """Every regular file under folder. A link is followed only to a file inside
    `links_within` (a hub cache snapshot is links into its repository's blobs); otherwise it
    could point anywhere, and uploads may hold none."""
    boundary = Path(links_within).resolve() if links_within else None
    for root, directories, files in os.walk(folder, followlinks=False):
        directories[:] = sorted(d for d in directories if d not in _IGNORED)
        for name in sorted(files):
            path = Path(root) / name
            if name in _IGNORED:
                continue
            if not path.is_symlink():
                if path.is_file():
                    yield path
                continue
            target = path.resolve()
            if boundary is not None and target.is_file() and target.is_relative_to(boundary):
                yield target


def held_texts(folder, texts, threshold=SHARE_THRESHOLD, max_bytes=MAX_SCANNED_BYTES,
               links_within=None):
    """Scan the agent folder for the evaluation `texts` (in split order). Never runs the
    agent's code. links_within: see agent_files."""
    started = time.monotonic()
    index = TextIndex.of(texts)
    matcher = _Matcher(index)
    budget = _Budget(max_bytes)
    files = 0
    for path in agent_files(folder, links_within):
        if budget.left <= 0:
            break
        files += 1
        with open(path, "rb") as stream:
            _scan_bytes_stream(stream, matcher, budget, depth=0)
    held = matcher.held()
    eligible = len(index.eligible)
    share = len(held) / eligible if eligible else 0.0
    return HeldTexts(
        eligible=eligible, held=len(held), share=share, threshold=threshold,
        flagged=eligible > 0 and share >= threshold, files=files, bytes_read=budget.read,
        seconds=time.monotonic() - started, truncated=budget.left <= 0,
        examples=held[:EXAMPLES],
    )
