"""Creating submissions and their evaluations: shared by the CLI, the web form and the API."""

import argparse
from pathlib import Path

from django.conf import settings
from django.db import transaction

from benchmarks import catalog
from benchmarks.loading import load_benchmark
from leaderboard import queries
from leaderboard.models import Evaluation, Submission
from leaderboard.plain_text import defused, unsafe_characters
from leaderboard.quota import reserve_quota
from sandbox.agent_files import (check_entry_point, declared_labels, find_agent_root,
                                 folder_sha256, store_agent)
from sandbox.errors import InvalidSubmission
from sandbox.labels import align_labels

NAME_MAX = Submission._meta.get_field("name").max_length
BASELINES_DIR = Path(settings.BASE_DIR) / "benchmarks" / "baselines"


def parse_label_map(pair):
    """`agent_label=benchmark_label` → a tuple, for argparse."""
    agent_label, sep, benchmark_label = pair.partition("=")
    if not sep or not agent_label or not benchmark_label:
        raise argparse.ArgumentTypeError(f"expected AGENT_LABEL=BENCHMARK_LABEL, got {pair!r}")
    return agent_label, benchmark_label


def add_label_map_argument(parser):
    parser.add_argument(
        "--label-map", dest="label_map", type=parse_label_map, action="append", default=[],
        metavar="AGENT_LABEL=BENCHMARK_LABEL",
        help="map an agent label to a benchmark label whose name differs (repeatable)",
    )


def resolve_version(slug, number=None):
    """The benchmark version to evaluate on, loading it on first use."""
    version = queries.get_version(slug, number)
    if version is None:
        catalog.get(slug)  # names the known benchmarks when the slug is wrong
        version, _ = load_benchmark(slug, number)
    return version


def clean_name(name):
    """The name for the leaderboard, stripped; refused when empty, too long, or holding
    characters that would act on a terminal or turn the text's direction."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidSubmission(f"a submission needs a name of 1 to {NAME_MAX} characters")
    unsafe = unsafe_characters(name)
    if unsafe:
        raise InvalidSubmission(
            f"the name holds {', '.join(unsafe)}: control characters and text-direction "
            "overrides are not allowed in a name")
    return name


def clean_description(description):
    """A description keeps its lines; other control characters become visible escapes."""
    return defused(description).strip()


def create_agent_submission(path, *, name, description="", trusted=False, public=True,
                            label_mapping=None, owner=None):
    """Register an agent. Trusted agents run from where they are; others are copied first."""
    name = clean_name(name)
    description = clean_description(description)
    if trusted:
        root = find_agent_root(Path(path).resolve())
        sha = folder_sha256(root)
    else:
        root, sha = store_agent(path, settings.AGENT_UPLOAD_DIR)
        check_entry_point(root)
    return Submission.objects.create(
        name=name, description=description, kind="agent", agent_path=str(root),
        agent_sha256=sha, trusted=trusted, public=public, label_mapping=label_mapping or {},
        owner=owner,
    )


def create_evaluation(submission, version, *, queue=True, charged=True):
    """charged=False: started by the operator (a re-evaluation), not counted in the owner's
    quota."""
    from leaderboard.tasks import queue_evaluation

    with transaction.atomic():
        evaluation = Evaluation.objects.create(submission=submission, benchmark_version=version,
                                               charged=charged)
    if queue:
        transaction.on_commit(lambda: queue_evaluation(evaluation))
    return evaluation


class UnmatchedLabels(InvalidSubmission):
    """The agent's declared labels cannot be mapped onto a chosen benchmark's."""


def check_declared_labels(submission, versions):
    """An agent whose `labels` are a literal in agent.py is matched to every chosen benchmark
    now, by the worker's own align_labels, rather than failing after its wait in the queue.
    Labels computed at import time are left to the worker (nothing here runs the agent)."""
    labels = declared_labels(submission.agent_path)
    if labels is None:
        return
    for version in versions:
        try:
            align_labels(labels, version.labels, submission.label_mapping or None)
        except InvalidSubmission as error:
            raise UnmatchedLabels(f"On {version}: {error}") from None


def submit_agent(path, versions, **submission_fields):
    """Register an agent and queue one evaluation per benchmark version, in one transaction:
    a refused agent leaves nothing behind. The owner's quota is checked in it, under a lock
    (QuotaExceeded). Returns (submission, evaluations)."""
    with transaction.atomic():
        reserve_quota(submission_fields.get("owner"), len(versions))
        submission = create_agent_submission(path, **submission_fields)
        check_declared_labels(submission, versions)
        evaluations = [create_evaluation(submission, version) for version in versions]
    return submission, evaluations


def baseline_folders(slug):
    folder = BASELINES_DIR / slug
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if (p / "agent.py").is_file())


def baseline_name(folder):
    """The leaderboard name of a baseline folder (tfidf_lr → TF-IDF + LR)."""
    names = {"vader": "VADER", "textblob": "TextBlob", "tfidf_lr": "TF-IDF + LR",
             "minilm_lr": "MiniLM + LR", "logistic_regression": "Logistic regression",
             "gradient_boosting": "Gradient boosting"}
    return names.get(folder.name, folder.name)


def submit_baselines(version, *, queue=True):
    """Queue the version's baselines, unless each already has a finished or active evaluation.

    Returns the evaluations, new or existing, so a repeated demo adds no duplicate entries."""
    evaluations = []
    for folder in baseline_folders(version.benchmark.slug):
        sha = folder_sha256(folder)
        submission = Submission.objects.filter(trusted=True, agent_sha256=sha).first()
        if submission is None:
            submission = create_agent_submission(
                folder, name=baseline_name(folder), trusted=True,
                description=f"Baseline shipped with SafetyGym ({folder.relative_to(settings.BASE_DIR)}).",
            )
        evaluations.append(evaluation_once(submission, version, queue=queue))
    return evaluations


def evaluation_once(submission, version, *, queue=True):
    """The submission's finished or active evaluation on version, else a new one."""
    existing = submission.evaluations.filter(
        benchmark_version=version, status__in=[*Evaluation.ACTIVE, "finished"]
    ).first()
    return existing or create_evaluation(submission, version, queue=queue)

