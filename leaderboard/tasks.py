"""The evaluation task: the one place that ties the sandbox, the suites and the database.

`queue_evaluation` hands an evaluation to django-q2; a worker (`manage.py qcluster`) then calls
`run_evaluation`, which moves it through queued → preparing → running → scoring → finished, or
to failed with a failure category and a message that names the cause.
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_q.tasks import async_task

from benchmarks.suites import SUITES
from leaderboard import integrity_checks, provenance
from leaderboard.hf_submission import model_snapshot
from leaderboard.models import Evaluation, SuiteResult
from leaderboard.notifications import notify_evaluation_ended
from leaderboard.snapshots import rebuild_snapshot
from sandbox.agent_files import folder_sha256
from sandbox.backends import start_sandbox
from sandbox.errors import InvalidSubmission, PlatformError, SandboxError
from sandbox.limits import Limits
from sandbox.preflight import preflight
from sandbox.selection import resolve_backend

logger = logging.getLogger(__name__)

PREFLIGHT_ITEMS = 8
PROGRESS_SAVE_INTERVAL_S = 2.0
# A worker that dies mid-run is the platform's fault: the evaluation is queued again, at most
# this many runs in all, then it fails with the reason.
MAX_RUNS = 3
MESSAGE_LIMIT = 4000
LOG_LIMIT = 20000


def queue_evaluation(evaluation):
    evaluation.task_id = async_task(
        "leaderboard.tasks.run_evaluation",
        evaluation.pk,
        task_name=f"evaluation-{evaluation.pk}",
        group="evaluations",
    )
    evaluation.save(update_fields=["task_id"])
    return evaluation


def sandbox_limits():
    return Limits(
        memory_mb=settings.SANDBOX_MEMORY_MB,
        start_timeout_s=settings.SANDBOX_START_TIMEOUT_S,
        request_timeout_s=settings.SANDBOX_REQUEST_TIMEOUT_S,
        total_timeout_s=settings.EVALUATION_TIME_LIMIT_S,
    )


def backend_options(operator_run=False):
    """Each backend's settings. operator_run: the operator runs this by hand (manage.py
    evaluate, check-agent) and so accepts to run the agent on the local backend."""
    return {
        "docker": {"image": settings.SANDBOX_RUNNER_IMAGE, "runtime": settings.SANDBOX_RUNTIME,
                   "cpus": settings.SANDBOX_CPUS},
        "bwrap": {"venv": settings.SANDBOX_RUNNER_VENV},
        "local": {"allow_untrusted": settings.SANDBOX_ALLOW_UNTRUSTED_LOCAL or operator_run},
    }


def chosen_backend():
    """The configured backend, with `auto` resolved once per process (and why)."""
    configured = settings.SANDBOX_BACKEND
    if configured not in _resolved_backends:
        # What decides whether each backend can run here (not its run options, e.g. cpus).
        needs = {
            "docker": {"image": settings.SANDBOX_RUNNER_IMAGE, "runtime": settings.SANDBOX_RUNTIME},
            "bwrap": {"venv": settings.SANDBOX_RUNNER_VENV},
        }
        _resolved_backends[configured] = resolve_backend(configured, needs)
    return _resolved_backends[configured]


_resolved_backends = {}


def submission_files(submission, version):
    """The folder the sandbox runs: the agent's own, or (a Hugging Face model) its pinned
    snapshot, fetched and checked against `version` first."""
    if submission.kind == "huggingface":
        return model_snapshot(submission, version)
    return submission.agent_path


def start_agent_sandbox(submission, operator_run=False, version=None, files=None):
    """The sandbox for a submission, on its files (submission_files when not given)."""
    backend, _ = chosen_backend()
    return start_sandbox(
        files or submission_files(submission, version),
        backend=backend,
        limits=sandbox_limits(),
        trusted=submission.trusted,
        huggingface=submission.kind == "huggingface",
        **backend_options(operator_run).get(backend, {}),
    )


def _update(evaluation, **fields):
    for name, value in fields.items():
        setattr(evaluation, name, value)
    evaluation.heartbeat_at = timezone.now()
    evaluation.save(update_fields=[*fields, "heartbeat_at"])


class ProgressRecorder:
    """Saves a suite's progress (and the heartbeat) at most every few seconds."""

    def __init__(self, evaluation, suite, on_progress=None):
        self.evaluation = evaluation
        self.suite = suite
        self.on_progress = on_progress
        self.saved_at = 0.0

    def __call__(self, done, total):
        if self.on_progress:
            self.on_progress(self.suite, done, total)
        now = time.monotonic()
        if done < total and now - self.saved_at < PROGRESS_SAVE_INTERVAL_S:
            return
        self.saved_at = now
        progress = dict(self.evaluation.progress)
        progress[self.suite] = {"done": done, "total": total}
        _update(self.evaluation, progress=progress)


def suite_items(version):
    """The evaluation split as the suites take it: input, label index and source id."""
    return [
        {"input": item.input, "label": item.label, "source_id": item.source_id}
        for item in version.items_of("evaluation")
    ]


def check_input_kind(info, version):
    if info.input_kind != version.input_kind:
        raise InvalidSubmission(
            f"the agent declares input_kind={info.input_kind!r} but {version} gives "
            f"{version.input_kind!r} inputs; set input_kind = {version.input_kind!r} in agent.py"
        )


def run_evaluation(evaluation_id, on_progress=None, operator_run=False):
    """Evaluate one submission on one benchmark version. Never raises for the submission's faults."""
    with transaction.atomic():
        claimed = Evaluation.objects.filter(pk=evaluation_id, status="queued").update(
            status="preparing", started_at=timezone.now(), heartbeat_at=timezone.now(),
            runs=F("runs") + 1,
        )
    if not claimed:
        logger.warning("evaluation %s is not queued; not running it again", evaluation_id)
        return
    evaluation = Evaluation.objects.select_related(
        "submission", "benchmark_version__benchmark"
    ).get(pk=evaluation_id)
    version = evaluation.benchmark_version
    submission = evaluation.submission
    client = None
    try:
        check_agent_unchanged(submission)
        files = submission_files(submission, version)
        client = start_agent_sandbox(submission, operator_run, files=files)
        with client:
            info = client.hello()
            check_input_kind(info, version)
            client.use_labels(version.labels, submission.label_mapping or None)
            public = [item.input for item in version.items_of("public")[:PREFLIGHT_ITEMS]]
            preflight(client, public)
            _update(
                evaluation,
                status="running",
                backend=client.backend,
                provenance=provenance.describe(evaluation, info, client.sandbox_info),
            )
            integrity_checks.check_archive(evaluation, files)
            items = suite_items(version)
            for suite, config in version.suites.items():
                if SuiteResult.objects.filter(evaluation=evaluation, suite=suite).exists():
                    continue
                _update(evaluation, current_suite=suite)
                started = time.monotonic()
                outcome = SUITES[suite](
                    client, items, {**config, "labels": version.labels},
                    ProgressRecorder(evaluation, suite, on_progress),
                )
                SuiteResult.objects.create(
                    evaluation=evaluation,
                    suite=suite,
                    metrics=outcome.metrics,
                    per_item=outcome.per_item,
                    examples=outcome.examples,
                    units=outcome.units.as_json(),
                    seconds=round(time.monotonic() - started, 3),
                )
                if suite != list(version.suites)[-1]:
                    # Suites remain: the evaluation appears now, ranked apart as provisional.
                    rebuild_snapshot(version)
            _update(evaluation, current_suite="integrity")
            integrity_checks.check_perturbations(
                evaluation, client, ProgressRecorder(evaluation, "integrity", on_progress))
            integrity_checks.check_same_agent(evaluation)
            _update(evaluation, status="scoring", stats=client.stats,
                    log=printable(client.log_tail(), LOG_LIMIT))
        rebuild_snapshot(version)
        _update(evaluation, status="finished", current_suite="", finished_at=timezone.now())
        notify_evaluation_ended(evaluation)
    except SandboxError as error:
        log = error.log or (client.log_tail() if client else "")
        _fail(evaluation, error.category, str(error), log)
    except Exception as error:  # a bug of ours must not leave the evaluation running forever
        logger.exception("evaluation %s failed on the platform's side", evaluation_id)
        _fail(
            evaluation,
            "platform_error",
            f"SafetyGym failed while evaluating ({type(error).__name__}: {error}); "
            "this is not the submission's fault",
            client.log_tail() if client else "",
        )
    except BaseException:  # Ctrl-C or a stop signal: say so rather than stay "running"
        _fail(
            evaluation,
            "platform_error",
            "The evaluation was interrupted (the worker or command running it was stopped); "
            "this is not the submission's fault.",
            client.log_tail() if client else "",
        )
        raise


def check_agent_unchanged(submission):
    """The stored agent must still be the one submitted (an earlier run could have rewritten
    its own files where the sandbox does not mount them read-only)."""
    if submission.agent_sha256 and folder_sha256(submission.agent_path) != submission.agent_sha256:
        raise PlatformError(
            f"The stored files of this agent no longer match the submitted sha256 "
            f"{submission.agent_sha256[:12]}; the copy is not run. Submit the agent again."
        )


def printable(text, limit, keep="end"):
    """Text fit to store and show: no NUL bytes (PostgreSQL refuses them) and at most `limit`
    characters, keeping the end (a log) or the start (a message)."""
    text = (text or "").replace("\x00", "\\0")
    if len(text) <= limit:
        return text
    if keep == "start":
        return text[:limit] + f" […] ({len(text):,} characters in all)"
    return "[…] " + text[-limit:]


def _fail(evaluation, category, message, log):
    _update(
        evaluation,
        status="failed",
        failure_category=category,
        failure_message=printable(message, MESSAGE_LIMIT, keep="start"),
        log=printable(log, LOG_LIMIT),
        finished_at=timezone.now(),
    )
    notify_evaluation_ended(evaluation)



def stale_after_s():
    """How long an evaluation may go without a heartbeat: one request can legitimately take the
    whole start or request timeout, and the heartbeat is saved with progress between requests."""
    return max(settings.SANDBOX_START_TIMEOUT_S, settings.SANDBOX_REQUEST_TIMEOUT_S) + 120


def requeue_stale(max_heartbeat_age_s=None):
    """The watchdog (scheduled every minute): evaluations whose worker went silent (killed
    mid-run) are queued again to resume after their last finished suite, not charged; after
    MAX_RUNS runs they fail as platform_error with the reason. Returns the requeued ones."""
    age = stale_after_s() if max_heartbeat_age_s is None else max_heartbeat_age_s
    cutoff = timezone.now() - timezone.timedelta(seconds=age)
    stale = Evaluation.objects.filter(
        status__in=["preparing", "running", "scoring"], heartbeat_at__lt=cutoff
    )
    requeued = []
    for evaluation in stale:
        if evaluation.runs >= MAX_RUNS:
            _fail(
                evaluation, "platform_error",
                f"The worker stopped answering during each of {evaluation.runs} runs of this "
                f"evaluation (last heartbeat {evaluation.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC, "
                f"while {evaluation.status}); it is not tried again. If the agent kills or "
                "exhausts its host process, that is why.", evaluation.log,
            )
            continue
        if Evaluation.objects.filter(pk=evaluation.pk, status=evaluation.status).update(
            status="queued", current_suite=""
        ):
            evaluation.refresh_from_db()
            logger.warning("evaluation %s went silent; queued again", evaluation.pk)
            requeued.append(queue_evaluation(evaluation))
    return requeued
