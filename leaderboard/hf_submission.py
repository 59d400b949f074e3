"""Hugging Face model submissions: from what a submitter typed to queued evaluations, and the
worker's side, the pinned snapshot ready to mount. Shared by `manage.py submit-model`, the web
form and the API.

A submission is validated before anything is queued: the ID's syntax, the revision resolved to
its commit SHA (which is what is run, whatever the branch does later), the repository's files
(safetensors weights, no code of its own, under the size cap) and its labels against every
benchmark it is submitted to. The worker checks the files and labels again at the pinned SHA
before its run, since the cache it reads may differ from the one the submission was checked in.
"""

from django.conf import settings
from django.db import transaction

from leaderboard.models import Submission
from leaderboard.quota import reserve_quota
from leaderboard.submissions import (clean_description, clean_name, create_evaluation,
                                     evaluation_once)
from sandbox import hf_hub
from sandbox.errors import InvalidSubmission
from sandbox.hf_config import check_labels
from sandbox.hf_model_id import normalise_model_id, parse_model_reference

__all__ = ["create_model_submission", "normalise_model_id", "prepare_model", "model_snapshot",
           "submit_built_model"]


def max_model_bytes():
    return settings.HF_MAX_MODEL_MB * 2**20


def check_scorable(config, version, label_mapping):
    """InvalidSubmission unless the model's outputs can be scored on `version`."""
    if version.input_kind != "text":
        raise InvalidSubmission(
            f"{version} gives {version.input_kind!r} inputs; a Hugging Face model is served as "
            "a text classifier. Submit an agent for this benchmark instead."
        )
    try:
        check_labels(config, version.labels, label_mapping)
    except InvalidSubmission as error:
        raise InvalidSubmission(f"On {version}: {error}") from None


def prepare_model(model, revision=None, *, versions=(), label_mapping=None):
    """Validate a model for the benchmark versions; returns the resolved model (its SHA)."""
    try:
        reference = parse_model_reference(model)
    except ValueError as error:
        raise InvalidSubmission(str(error)) from None
    revision = (revision or "").strip()
    if reference.revision and revision and revision != reference.revision:
        raise InvalidSubmission(
            f"The URL names the revision {reference.revision!r} but {revision!r} was given too; "
            "give one of them."
        )
    resolved, config = hf_hub.prepare(
        reference.model_id, revision or reference.revision or "main", settings.HF_CACHE_DIR,
        max_model_bytes(),
    )
    for version in versions:
        check_scorable(config, version, label_mapping)
    return resolved


def create_model_submission(model, *, versions, revision=None, name=None, description="",
                            label_mapping=None, public=True, owner=None, trusted=False,
                            queue=True):
    """Register a Hugging Face model and queue one evaluation per benchmark version; returns
    (submission, evaluations). InvalidSubmission, before anything is stored, when the model
    cannot be evaluated (its message says why); PlatformError when the hub is unreachable."""
    versions = list(versions)
    if not versions:
        raise InvalidSubmission("Choose at least one benchmark to evaluate the model on.")
    label_mapping = dict(label_mapping or {})
    resolved = prepare_model(model, revision, versions=versions, label_mapping=label_mapping)
    name = clean_name((name or "").strip() or resolved.model_id)
    description = clean_description(description)
    # The hub was asked above, outside the transaction: the quota's lock is held only here.
    with transaction.atomic():
        reserve_quota(owner, len(versions))
        submission = Submission.objects.create(
            name=name, description=description, kind="huggingface", model_id=resolved.model_id,
            model_revision=resolved.revision, model_sha=resolved.sha,
            label_mapping=label_mapping, trusted=trusted, public=public, owner=owner,
        )
        evaluations = [create_evaluation(submission, version, queue=queue)
                       for version in versions]
    return submission, evaluations


def model_snapshot(submission, version):
    """On the worker: the submission's pinned snapshot fetched into the shared cache and checked
    again as it is on disk; the folder the sandbox mounts read-only. A snapshot the offline
    cache lost is a PlatformError (requeued), not the submitter's fault."""
    folder, config = hf_hub.fetch_checked(submission.model_id, submission.model_sha,
                                          settings.HF_CACHE_DIR, max_model_bytes())
    check_scorable(config, version, submission.label_mapping)
    return folder


def submit_built_model(version, *, queue=True):
    """The repository's own Hugging Face classifier (benchmarks/baselines/hf_classifier.py),
    placed in the server's hub cache and submitted by its model ID like any other model; its
    evaluation on version, new or existing (one per commit, so a repeated demo adds none)."""
    from benchmarks.baselines import hf_classifier

    sha = hf_classifier.place_in_hub_cache(settings.HF_CACHE_DIR)
    submission = Submission.objects.filter(kind="huggingface", model_id=hf_classifier.MODEL_ID,
                                           model_sha=sha, trusted=True).first()
    if submission is None:
        submission, _ = create_model_submission(
            hf_classifier.MODEL_ID, versions=[version], revision=sha, name="MiniLM (HF model)",
            description="all-MiniLM-L6-v2 with a mean-pooling layer and a logistic-regression "
                        "head, saved in the Hugging Face format and submitted by model ID "
                        "(benchmarks/baselines/hf_classifier.py).",
            # Queued here or never: evaluation_once below finds this evaluation and returns it.
            trusted=True, queue=queue,
        )
    return evaluation_once(submission, version, queue=queue)
