"""Resolving a model's revision in the hub cache (offline) and refusing what the sandbox does
not run: no safetensors weights, code of its own, more than the size cap."""

import json

import pytest

from sandbox.errors import InvalidSubmission, PlatformError
from sandbox.hf_hub import fetch_snapshot, prepare, repository_folder, resolve
from tests.hf_models import cached_classifier

LABELS = {0: "rotten", 1: "fresh"}


def test_a_branch_resolves_to_the_commit_sha_its_ref_holds(hf_cache):
    sha = cached_classifier(hf_cache, "org/tiny", id2label=LABELS, refs=("main", "v1.0"))
    assert resolve("org/tiny", "main", hf_cache).sha == sha
    assert resolve("org/tiny", "v1.0", hf_cache).sha == sha
    resolved = resolve("org/tiny", sha, hf_cache)
    assert resolved.sha == sha and resolved.revision == sha
    assert set(resolved.files) == {"config.json", "model.safetensors", "special_tokens_map.json",
                                   "tokenizer.json", "tokenizer_config.json", "vocab.txt"}


def test_a_pull_request_revision_resolves_through_its_ref(hf_cache):
    sha = cached_classifier(hf_cache, "org/tiny", id2label=LABELS, refs=("refs/pr/3",))
    assert resolve("org/tiny", "refs/pr/3", hf_cache).sha == sha


def test_a_model_without_refs_main_is_refused_by_branch_but_runs_by_sha(hf_cache):
    sha = cached_classifier(hf_cache, "org/tiny", id2label=LABELS, refs=())
    assert not (repository_folder(hf_cache, "org/tiny") / "refs" / "main").exists()
    with pytest.raises(InvalidSubmission) as refused:
        resolve("org/tiny", "main", hf_cache)
    assert "'main' of org/tiny is not in this server's model cache (no refs/main)" in str(
        refused.value)
    assert sha in str(refused.value)  # the cached commits are named, to submit one of them
    resolved, config = prepare("org/tiny", sha, hf_cache, max_bytes=10**9)
    assert config["id2label"] == {"0": "rotten", "1": "fresh"}
    assert fetch_snapshot(resolved, hf_cache) == (
        repository_folder(hf_cache, "org/tiny") / "snapshots" / sha)


def test_an_unknown_model_or_commit_is_refused(hf_cache):
    with pytest.raises(InvalidSubmission, match="org/absent is not in this server's model cache"):
        resolve("org/absent", "main", hf_cache)
    cached_classifier(hf_cache, "org/tiny", id2label=LABELS)
    with pytest.raises(InvalidSubmission, match=f"The commit {'0' * 40} of org/tiny is not"):
        resolve("org/tiny", "0" * 40, hf_cache)


def test_pickled_weights_only_are_refused(hf_cache):
    cached_classifier(hf_cache, "org/pickled", id2label=LABELS, safetensors=False)
    with pytest.raises(InvalidSubmission) as refused:
        prepare("org/pickled", "main", hf_cache, max_bytes=10**9)
    assert "has no safetensors weights (it has pytorch_model.bin)" in str(refused.value)


@pytest.mark.parametrize("config_file", ["config.json", "tokenizer_config.json"])
def test_a_model_needing_its_own_code_is_refused(hf_cache, config_file):
    auto_map = {"AutoModelForSequenceClassification": "modeling_custom.CustomModel"}
    if config_file == "config.json":
        cached_classifier(hf_cache, "org/custom", id2label=LABELS, config_extra={"auto_map": auto_map})
    else:
        sha = cached_classifier(hf_cache, "org/custom", id2label=LABELS)
        path = repository_folder(hf_cache, "org/custom") / "snapshots" / sha / config_file
        value = {**json.loads(path.read_text()), "auto_map": {"AutoTokenizer": ["tok.T", None]}}
        path.unlink()  # a link into blobs/: replaced, not written through
        path.write_text(json.dumps(value))
    with pytest.raises(InvalidSubmission) as refused:
        prepare("org/custom", "main", hf_cache, max_bytes=10**9)
    assert f"needs code from its own repository ({config_file} has an auto_map" in str(
        refused.value)
    assert "trust_remote_code" in str(refused.value)


def test_a_model_over_the_size_cap_is_refused(hf_cache):
    cached_classifier(hf_cache, "org/tiny", id2label=LABELS)
    size = resolve("org/tiny", "main", hf_cache).fetched_bytes()
    prepare("org/tiny", "main", hf_cache, max_bytes=size)  # exactly at the cap: accepted
    with pytest.raises(InvalidSubmission) as refused:
        prepare("org/tiny", "main", hf_cache, max_bytes=size - 1)
    assert "more than this server's cap" in str(refused.value)
    assert "SAFETYGYM_HF_MAX_MODEL_MB" in str(refused.value)


def test_a_snapshot_missing_from_the_cache_offline_is_the_platforms_problem(hf_cache):
    cached_classifier(hf_cache, "org/tiny", id2label=LABELS)
    resolved = resolve("org/tiny", "main", hf_cache)
    elsewhere = hf_cache.parent / "other-cache"
    with pytest.raises(PlatformError, match="not in this worker's model cache"):
        fetch_snapshot(resolved, elsewhere)


@pytest.mark.parametrize("revision", ["../../../etc/passwd", "main/../v1", "/main", "a b",
                                      "main.lock", "x" * 256])
def test_a_revision_that_is_no_ref_name_is_refused_before_the_cache_is_read(hf_cache, revision):
    cached_classifier(hf_cache, "org/tiny", id2label=LABELS)
    with pytest.raises(InvalidSubmission, match="is not a revision"):
        resolve("org/tiny", revision, hf_cache)
