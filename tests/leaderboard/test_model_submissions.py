"""Hugging Face model submissions end to end, offline, on models in a hub cache in the test's
folder: validated and pinned at submission (nothing stored when refused), evaluated by the worker
from the pinned snapshot, shown with their model ID, revision and commit on the page, the API
and the command line."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from benchmarks.models import Benchmark, BenchmarkVersion
from leaderboard.hf_submission import create_model_submission
from leaderboard.models import Evaluation, Submission
from leaderboard.tasks import MAX_RUNS, run_evaluation
from sandbox.errors import InvalidSubmission
from sandbox.hf_hub import repository_folder
from tests.hf_models import cached_classifier

pytestmark = pytest.mark.django_db

NAMED = {0: "negative", 1: "positive"}


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_a_submission_stores_the_model_its_revision_and_the_commit_it_resolved_to(
        hf_cache, tiny_version):
    sha = cached_classifier(hf_cache, "org/tiny", id2label=NAMED, refs=("main", "v1"))
    submission, (evaluation,) = create_model_submission(
        "https://huggingface.co/org/tiny/tree/v1", versions=[tiny_version], queue=False)
    assert (submission.kind, submission.name, submission.model_id) == (
        "huggingface", "org/tiny", "org/tiny")
    assert (submission.model_revision, submission.model_sha) == ("v1", sha)
    assert (evaluation.status, evaluation.benchmark_version) == ("queued", tiny_version)


def test_a_url_revision_and_another_revision_given_with_it_are_refused(hf_cache, tiny_version):
    cached_classifier(hf_cache, "org/tiny", id2label=NAMED, refs=("main", "v1"))
    with pytest.raises(InvalidSubmission, match="names the revision 'v1' but 'main' was given"):
        create_model_submission("https://huggingface.co/org/tiny/tree/v1", revision="main",
                                versions=[tiny_version], queue=False)


@pytest.mark.parametrize("options, setting, says", [
    ({"safetensors": False}, {}, "has no safetensors weights"),
    ({"config_extra": {"auto_map": {"AutoModel": "custom.Model"}}}, {},
     "needs code from its own repository"),
    ({}, {"HF_MAX_MODEL_MB": 0}, "more than this server's cap of 0 MB"),
    ({"id2label": None}, {}, "On tiny v1: The model's labels are the generic names"),
    ({"id2label": {0: "a", 1: "b", 2: "c"}}, {}, "the counts must match"),
    ({"id2label": {0: "score"}}, {}, "single output"),
])
def test_a_model_that_cannot_be_evaluated_is_refused_before_anything_is_stored(
        hf_cache, tiny_version, settings, options, setting, says):
    for name, value in setting.items():
        setattr(settings, name, value)
    cached_classifier(hf_cache, "org/bad", **{"id2label": NAMED, **options})
    with pytest.raises(InvalidSubmission) as refused:
        create_model_submission("org/bad", versions=[tiny_version], queue=False)
    assert refused.value.category == "invalid_submission"
    assert says in str(refused.value)
    assert not Submission.objects.exists() and not Evaluation.objects.exists()


def test_a_record_benchmark_is_refused_for_a_text_model(hf_cache):
    benchmark = Benchmark.objects.create(slug="records", name="Records")
    version = BenchmarkVersion.objects.create(
        benchmark=benchmark, number=1, labels=["negative", "positive"], input_kind="record",
        suites={"quality": {}}, bootstrap_seed=1, data_sha256="0" * 64)
    cached_classifier(hf_cache, "org/tiny", id2label=NAMED)
    with pytest.raises(InvalidSubmission, match="gives 'record' inputs"):
        create_model_submission("org/tiny", versions=[version], queue=False)


def test_the_worker_evaluates_the_pinned_snapshot_with_exact_metrics(hf_cache, tiny_version,
                                                                     client, settings):
    settings.SANDBOX_ALLOW_UNTRUSTED_LOCAL = True  # tests run on the local backend
    # Generic labels, declared by the submitter; column 1 (positive) always gets 0.75: right on
    # the 5 positives of 10, confidence 0.75 everywhere, so ECE = |0.75 - 0.5| = 0.25.
    sha = cached_classifier(hf_cache, "org/tiny", id2label=None)
    submission, (evaluation,) = create_model_submission(
        "org/tiny", versions=[tiny_version], queue=False,
        label_mapping={"LABEL_0": "negative", "LABEL_1": "positive"})
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.status == "finished", evaluation.failure_message
    quality = evaluation.suites.get(suite="quality").metrics
    assert (quality["accuracy"], quality["ece"]) == (pytest.approx(0.5), pytest.approx(0.25))
    submitted = evaluation.provenance["submission"]
    assert submitted["model_id"] == "org/tiny"
    assert (submitted["requested_revision"], submitted["revision"]) == ("main", sha)
    assert submitted["labels"] == ["LABEL_0", "LABEL_1"]

    page = client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert f"<code>org/tiny</code></a>, revision <code>main</code> = commit" in page
    assert sha in page
    assert f"manage.py submit-model org/tiny --revision {sha} --benchmark tiny" in page
    api = client.get(f"/api/v1/evaluations/{evaluation.pk}/").json()["submission"]
    assert (api["model_id"], api["requested_revision"], api["revision"]) == (
        "org/tiny", "main", sha)
    assert api["label_mapping"] == {"LABEL_0": "negative", "LABEL_1": "positive"}


def test_a_snapshot_the_cache_lost_is_a_platform_error_not_the_submitters(hf_cache,
                                                                           tiny_version):
    sha = cached_classifier(hf_cache, "org/tiny", id2label=NAMED)
    _, (evaluation,) = create_model_submission("org/tiny", versions=[tiny_version], queue=False)
    snapshot = repository_folder(hf_cache, "org/tiny") / "snapshots" / sha
    for path in snapshot.iterdir():
        path.unlink()
    snapshot.rmdir()
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    # Another worker's cache may hold it: queued again, not charged, up to MAX_RUNS runs.
    assert evaluation.status == "queued" and not evaluation.charged_to_submitter
    assert "not in this worker's model cache" in evaluation.interruptions[0]["reason"]
    for _ in range(MAX_RUNS - 1):
        run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.failure_category) == ("failed", "platform_error")
    assert "not in this worker's model cache" in evaluation.failure_message


def test_a_config_changed_in_the_cache_is_checked_again_before_the_run(hf_cache, tiny_version):
    sha = cached_classifier(hf_cache, "org/tiny", id2label=NAMED)
    _, (evaluation,) = create_model_submission("org/tiny", versions=[tiny_version], queue=False)
    config = repository_folder(hf_cache, "org/tiny") / "snapshots" / sha / "config.json"
    changed = {**json.loads(config.read_text()), "id2label": {"0": "LABEL_0", "1": "LABEL_1"}}
    config.unlink()
    config.write_text(json.dumps(changed))
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.failure_category) == ("failed", "invalid_submission")
    assert "generic names" in evaluation.failure_message


def test_submit_model_prints_the_commit_and_queues_each_benchmark(hf_cache, tiny_version):
    sha = cached_classifier(hf_cache, "org/tiny", id2label={0: "neg", 1: "pos"})
    output = run("submit-model", "https://huggingface.co/org/tiny", "--benchmark", "tiny",
                 "--label-map", "neg=negative", "--label-map", "pos=positive")
    evaluation = Evaluation.objects.get()
    assert f"org/tiny revision main = commit {sha}" in output
    assert "label neg -> negative" in output
    assert f"queued evaluation {evaluation.pk} on tiny v1" in output


def test_submit_model_turns_a_refusal_into_its_category_and_reason(hf_cache, tiny_version):
    cached_classifier(hf_cache, "org/tiny", id2label=NAMED, refs=())
    with pytest.raises(CommandError) as refused:
        run("submit-model", "org/tiny", "--benchmark", "tiny")
    assert str(refused.value).startswith("invalid_submission: The revision 'main' of org/tiny")
    with pytest.raises(CommandError, match="invalid_submission: .* points at a dataset"):
        run("submit-model", "https://huggingface.co/datasets/org/tiny", "--benchmark", "tiny")


@pytest.mark.slow
def test_the_model_built_here_is_submitted_by_id_once_per_commit(
        hf_cache, monkeypatch, django_capture_on_commit_callbacks):
    from leaderboard.hf_submission import submit_built_model

    queued = []
    monkeypatch.setattr("leaderboard.tasks.queue_evaluation", queued.append)
    benchmark = Benchmark.objects.create(slug="reviews", name="Reviews")
    version = BenchmarkVersion.objects.create(
        benchmark=benchmark, number=1, labels=["rotten", "fresh"], input_kind="text",
        suites={"quality": {}}, bootstrap_seed=1, data_sha256="0" * 64)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = submit_built_model(version)
    assert queued == [evaluation]  # handed to the queue, not only created
    submission = evaluation.submission
    assert (submission.kind, submission.model_id, submission.trusted) == (
        "huggingface", "safetygym/minilm-rt-sentiment", True)
    assert submission.model_sha == (
        repository_folder(hf_cache, submission.model_id) / "refs" / "main").read_text()
    assert submit_built_model(version) == evaluation  # a repeated demo adds none
    assert queued == [evaluation]
