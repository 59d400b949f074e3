"""The memorised-texts check: an agent whose files hold the evaluation texts is flagged, in
whatever common form it stores them, and the baselines trained on the public split are not."""

import bz2
import gzip
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from benchmarks import catalog
from benchmarks.datasets import DATASETS
from benchmarks.integrity.archive_texts import (
    MIN_TOKENS,
    SHARE_THRESHOLD,
    held_texts,
    normalised_tokens,
)

BASELINES = Path(__file__).parents[2] / "benchmarks" / "baselines"


def splits(slug):
    spec = catalog.get(slug).versions[1]
    dataset = DATASETS[spec.dataset](**spec.dataset_options)
    evaluation = [item for item in dataset.items if item.split == "evaluation"]
    public = [item.text for item in dataset.items if item.split == "public"]
    return [item.text for item in evaluation], [item.label for item in evaluation], public


@pytest.fixture(scope="module")
def rt():
    return splits("rt-sentiment")


@pytest.fixture(scope="module")
def tweets():
    return splits("tweet-sentiment")


def agent_folder(tmp_path, files):
    folder = tmp_path / "agent"
    folder.mkdir()
    (folder / "agent.py").write_text("labels = ['rotten', 'fresh']\n")
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder


def test_normalising_ignores_case_spacing_punctuation_and_escapes():
    assert normalised_tokens("It's  a GREAT film, really!") == ["it", "s", "a", "great",
                                                                "film", "really"]
    assert normalised_tokens(json.dumps("Café \u2014 bien")) == normalised_tokens("café — bien")


def test_lookup_table_of_the_evaluation_texts_is_flagged(rt, tmp_path):
    texts, labels, _ = rt
    folder = agent_folder(tmp_path, {"table.json": json.dumps(dict(zip(texts, labels)))})
    found = held_texts(folder, texts)
    eligible = sum(len(normalised_tokens(text)) >= MIN_TOKENS for text in texts)
    assert (found.held, found.eligible) == (eligible, eligible) == (1941, 1941)
    assert found.share == 1.0 and found.flagged
    assert found.as_json()["message"].startswith("the archive holds 100% of the evaluation "
                                                 "texts (1,941 of 1,941 with at least 5 words)")


@pytest.mark.parametrize("form", ["pickle", "npz", "gzip", "bz2", "zip", "python", "csv_upper"])
def test_a_lookup_table_is_found_in_every_common_form(rt, tmp_path, form):
    texts, labels, _ = rt
    part = texts[:400]
    table = dict(zip(part, labels))
    buffer = tmp_path / "table.npz"
    np.savez_compressed(buffer, texts=np.array(part), labels=np.array(labels[:400]))
    zipped = tmp_path / "nested.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner/table.json", json.dumps(table))
    files = {
        "pickle": {"weights.pkl": pickle.dumps(table)},
        "npz": {"weights.npz": buffer.read_bytes()},
        "gzip": {"table.json.gz": gzip.compress(json.dumps(table).encode())},
        "bz2": {"data/table.bin": bz2.compress("\n".join(part).encode())},
        "zip": {"bundle.zip": zipped.read_bytes()},
        "python": {"answers.py": f"ANSWERS = {table!r}\n"},
        "csv_upper": {"table.csv": "\n".join(f'"{text.upper()}",{label}'
                                              for text, label in table.items())},
    }[form]
    found = held_texts(agent_folder(tmp_path, files), texts)
    assert found.held == sum(len(normalised_tokens(text)) >= MIN_TOKENS for text in part)
    assert found.share == pytest.approx(found.held / 1941)
    assert found.flagged  # 400 texts are about a fifth of the split, above the 10% threshold


def test_a_tenth_of_the_split_is_the_threshold(rt, tmp_path):
    texts, _, _ = rt
    assert SHARE_THRESHOLD == 0.10
    long_texts = [text for text in texts if len(normalised_tokens(text)) >= MIN_TOKENS]
    below = held_texts(agent_folder(tmp_path, {"a.txt": "\n".join(long_texts[:194])}), texts)
    assert (below.held, below.flagged) == (194, False)
    (tmp_path / "agent" / "b.txt").write_text(long_texts[194])
    at = held_texts(tmp_path / "agent", texts)
    assert (at.held, at.flagged) == (195, True)


def test_short_texts_do_not_count_and_a_text_must_be_whole(rt, tmp_path):
    texts, _, _ = rt
    short = [text for text in texts if len(normalised_tokens(text)) < MIN_TOKENS]
    halves = [" ".join(text.split()[: len(text.split()) // 2]) for text in texts[:300]]
    found = held_texts(agent_folder(tmp_path, {"a.txt": "\n".join(short + halves)}), texts)
    assert len(short) == 59
    assert found.held == 0


@pytest.mark.parametrize("slug", ["rt-sentiment", "tweet-sentiment"])
def test_the_baselines_hold_no_evaluation_text(slug, rt, tweets):
    texts = (rt if slug == "rt-sentiment" else tweets)[0]
    folders = sorted(p for p in (BASELINES / slug).iterdir() if (p / "agent.py").is_file())
    assert [p.name for p in folders] == ["minilm_lr", "textblob", "tfidf_lr", "vader"]
    for folder in folders:
        found = held_texts(folder, texts)
        assert (found.held, found.flagged) == (0, False), folder.name


def test_the_whole_public_split_stays_far_below_the_threshold(rt, tweets, tmp_path):
    """An honest nearest-neighbour agent carries its training set: the public split."""
    for name, (texts, _, public) in {"rt": rt, "tweets": tweets}.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "train.txt").write_text("\n".join(public))
        found = held_texts(folder, texts)
        expected = {"rt": 0, "tweets": 63}[name]  # retweets differing only by case or spacing
        assert found.held == expected, name
        assert not found.flagged and found.share < SHARE_THRESHOLD / 4


def test_reading_stops_at_the_byte_budget(rt, tmp_path):
    texts, _, _ = rt
    folder = agent_folder(tmp_path, {"a.txt": "\n".join(texts)})
    found = held_texts(folder, texts, max_bytes=10_000)
    assert found.truncated and found.bytes_read == 10_000
    assert 0 < found.held < 100


def test_broken_and_hostile_files_are_read_as_far_as_they_go(rt, tmp_path):
    texts, labels, _ = rt
    table = pickle.dumps(dict(zip(texts[:600], labels)))
    files = {
        "truncated.pkl": table[: len(table) // 2],  # the first half's texts still count
        "broken.gz": gzip.compress(b"hello world")[:-6] + b"junk!!",
        "broken.zip": b"PK\x03\x04" + bytes(200),
        "bad.npy": b"\x93NUMPY\x01\x00" + b"\xff" * 50,
        "escapes.bin": rb"\UFFFFFFFF \ud800 \x" + bytes(range(256)),
        "runaway.txt": "x" * 3_000_000,  # one token longer than any word
    }
    found = held_texts(agent_folder(tmp_path, files), texts)
    assert 200 < found.held < 600 and found.flagged
    assert found.files == 7  # agent.py too



def test_links_are_followed_only_inside_the_given_folder(rt, tmp_path):
    texts, _, _ = rt
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("\n".join(texts))
    folder = agent_folder(tmp_path, {})
    (folder / "link.txt").symlink_to(outside)
    assert held_texts(folder, texts).held == 0
    assert held_texts(folder, texts, links_within=folder).held == 0
    assert held_texts(folder, texts, links_within=tmp_path).held == 1941
