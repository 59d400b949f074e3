"""The evaluation task: the one place that ties the sandbox, the suites and the database.

`queue_evaluation` hands an evaluation to django-q2; a worker (`manage.py qcluster`) then calls
`run_evaluation`, which moves it through queued → preparing → running → scoring → finished, or
to failed with a failure category and a message that names the cause.
"""

import contextlib
import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from benchmarks.suites import SUITES
from leaderboard import integrity_checks, leases, provenance
from leaderboard.hf_submission import model_snapshot
from leaderboard.models import Evaluation, SuiteResult
from leaderboard.plain_text import defused
from leaderboard.notifications import notify_evaluation_ended
from leaderboard.snapshots import rebuild_snapshot
from sandbox.agent_files import folder_sha256
from sandbox.backends import docker as docker_backend
from sandbox.backends import reap_leftovers, start_sandbox
from sandbox.errors import InvalidSubmission, PlatformError, SandboxError
from sandbox.limits import Limits
from sandbox.preflight import preflight
from sandbox.selection import resolve_backend

logger = logging.getLogger(__name__)

PREFLIGHT_ITEMS = 8
PROGRESS_SAVE_INTERVAL_S = 2.0
# A run the platform loses (worker died, engine down, a bug) is not the submission's fault: the
# evaluation is queued again, at most this many runs in all, then it fails with the reasons.
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
    """Save fields of a run this worker holds (renewing its lease), or raise LeaseLost."""
    leases.write(evaluation, **fields)


class ProgressRecorder:
    """Saves a suite's progress (and the heartbeat) at most every few seconds."""

    def __init__(self, evaluation, suite, on_progress=None, lease=None):
        self.evaluation = evaluation
        self.suite = suite
        self.on_progress = on_progress
        self.lease = lease
        self.saved_at = 0.0

    def __call__(self, done, total):
        if self.lease:
            self.lease.check()  # another run owns the evaluation now: stop this one
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
    """Evaluate one submission on one benchmark version. Never raises for the submission's faults.

    Only the worker that claims the queued evaluation runs it (see leaderboard.leases); a
    platform failure queues it again, up to MAX_RUNS runs, resuming after its finished suites.
    """
    owner = leases.worker_identity()
    if not leases.claim(evaluation_id, owner):
        logger.warning("evaluation %s is not queued; not running it again", evaluation_id)
        return
    evaluation = Evaluation.objects.select_related(
        "submission", "benchmark_version__benchmark"
    ).get(pk=evaluation_id)
    # A caller inside a transaction (the tests' wrapping one; never a worker) keeps its lease by
    # its own writes: another connection, the keeper's, could not see its rows.
    keeper = contextlib.nullcontext() if connection.in_atomic_block else leases.LeaseKeeper(evaluation)
    client = None
    try:
        with keeper:
            check_agent_unchanged(evaluation.submission)
            if chosen_backend()[0] == "docker":
                # A worker of this host that died (and was replaced by django-q2) left its
                # container behind.
                reap_worker_sandboxes(None)
            files = submission_files(evaluation.submission, evaluation.benchmark_version)
            client = start_agent_sandbox(evaluation.submission, operator_run, files=files)
            with client:
                _run_suites(evaluation, client, files, on_progress, keeper)
            rebuild_snapshot(evaluation.benchmark_version)
        _update(evaluation, status="finished", current_suite="", lease_owner="",
                finished_at=timezone.now())
        notify_evaluation_ended(evaluation)
    except leases.LeaseLost as error:
        logger.warning("%s; this run stops without writing", error)
    except PlatformError as error:
        log = error.log or (client.log_tail() if client else "")
        if error.retryable and not operator_run:
            _requeue_or_fail(evaluation, str(error), log)
        else:
            _fail(evaluation, error.category, str(error), log)
    except SandboxError as error:
        log = error.log or (client.log_tail() if client else "")
        _fail(evaluation, error.category, str(error), log)
    except Exception as error:  # a bug of ours must not leave the evaluation running forever
        logger.exception("evaluation %s failed on the platform's side", evaluation_id)
        message = (f"SafetyGym failed while evaluating ({type(error).__name__}: {error}); "
                   "this is not the submission's fault")
        log = client.log_tail() if client else ""
        if operator_run:
            _fail(evaluation, "platform_error", message, log)
        else:
            _requeue_or_fail(evaluation, message, log)
    except BaseException:  # Ctrl-C or a stop signal: say so rather than stay "running"
        message = ("The evaluation was interrupted (the worker or command running it was "
                   "stopped); this is not the submission's fault.")
        log = client.log_tail() if client else ""
        if operator_run:
            _fail(evaluation, "platform_error", message, log)
        else:  # a worker stopped for a deploy: the next one resumes it
            _requeue_or_fail(evaluation, message, log)
        raise


def _run_suites(evaluation, client, files, on_progress, keeper):
    """Pre-flight in the started sandbox, then every suite not finished yet, then the integrity
    checks."""
    version = evaluation.benchmark_version
    submission = evaluation.submission
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
    lease = keeper if isinstance(keeper, leases.LeaseKeeper) else None
    for suite, config in version.suites.items():
        if SuiteResult.objects.filter(evaluation=evaluation, suite=suite).exists():
            continue  # finished in an earlier run
        _update(evaluation, current_suite=suite)
        started = time.monotonic()
        outcome = SUITES[suite](
            client, items, {**config, "labels": version.labels},
            ProgressRecorder(evaluation, suite, on_progress, lease),
        )
        _save_suite_result(evaluation, suite, outcome, time.monotonic() - started)
        if suite != list(version.suites)[-1]:
            # Suites remain: the evaluation appears now, ranked apart as provisional.
            rebuild_snapshot(version)
    _update(evaluation, current_suite="integrity")
    integrity_checks.check_perturbations(
        evaluation, client, ProgressRecorder(evaluation, "integrity", on_progress, lease))
    integrity_checks.check_same_agent(evaluation)
    _update(evaluation, status="scoring", stats=client.stats,
            log=printable(client.log_tail(), LOG_LIMIT))


def _save_suite_result(evaluation, suite, outcome, seconds):
    """Stored only while this worker still holds the evaluation (row-locked, so the watchdog
    cannot hand it to another run in between)."""
    with transaction.atomic():
        if not leases.held(evaluation).select_for_update().exists():
            raise leases.LeaseLost(f"evaluation {evaluation.pk} was taken back before {suite} was saved")
        SuiteResult.objects.create(
            evaluation=evaluation, suite=suite, metrics=outcome.metrics,
            per_item=outcome.per_item, examples=outcome.examples,
            units=outcome.units.as_json(), seconds=round(seconds, 3),
        )


def check_agent_unchanged(submission):
    """The stored agent must still be the one submitted (an earlier run could have rewritten
    its own files where the sandbox does not mount them read-only)."""
    if submission.agent_sha256 and folder_sha256(submission.agent_path) != submission.agent_sha256:
        raise PlatformError(
            f"The stored files of this agent no longer match the submitted sha256 "
            f"{submission.agent_sha256[:12]}; the copy is not run. Submit the agent again.",
            retryable=False,  # the same files would be found again
        )


def printable(text, limit, keep="end"):
    """Text fit to store and show: no NUL bytes (PostgreSQL refuses them), no terminal escapes
    or direction overrides (leaderboard.plain_text) and at most `limit` characters, keeping the
    end (a log) or the start (a message)."""
    text = defused(text)
    if len(text) <= limit:
        return text
    if keep == "start":
        return text[:limit] + f" […] ({len(text):,} characters in all)"
    return "[…] " + text[-limit:]


def _fail(evaluation, category, message, log, rows=None):
    """End the evaluation as failed and tell its owner; rows: the condition it must still meet
    (default: this worker holds it). False when it did not (someone else has it now)."""
    rows = leases.held(evaluation) if rows is None else rows
    now = timezone.now()
    fields = {
        "status": "failed", "lease_owner": "", "current_suite": "",
        "failure_category": category,
        "failure_message": printable(message, MESSAGE_LIMIT, keep="start"),
        "log": printable(log, LOG_LIMIT),
        "finished_at": now, "heartbeat_at": now, "interruptions": evaluation.interruptions,
    }
    if not rows.update(**fields):
        return False
    for name, value in fields.items():
        setattr(evaluation, name, value)
    notify_evaluation_ended(evaluation)
    return True


def _requeue_or_fail(evaluation, reason, log="", rows=None):
    """A run the platform lost: queue the evaluation again to resume after its finished suites,
    never charged, or after MAX_RUNS runs fail it as platform_error with every run's reason.
    rows: the condition the evaluation must still meet (default: this worker holds it).
    Returns the evaluation when it was queued again, else None."""
    rows = leases.held(evaluation) if rows is None else rows
    evaluation.interruptions = [*evaluation.interruptions, {
        "run": evaluation.runs, "worker": evaluation.lease_owner,
        "at": timezone.now().isoformat(timespec="seconds"),
        "reason": printable(reason, MESSAGE_LIMIT // 4, keep="start"),
    }]
    if evaluation.runs >= MAX_RUNS:
        reasons = "; ".join(f"run {i['run']}: {i['reason']}" for i in evaluation.interruptions)
        _fail(evaluation, "platform_error",
              f"SafetyGym lost each of {evaluation.runs} runs of this evaluation, so it is not "
              f"tried again (this is not counted against the submission). {reasons}", log, rows)
        return None
    if not rows.update(status="queued", lease_owner="", current_suite="",
                       interruptions=evaluation.interruptions):
        return None
    evaluation.refresh_from_db()
    logger.warning("evaluation %s queued again after run %s: %s", evaluation.pk,
                   evaluation.runs, reason)
    return queue_evaluation(evaluation)


def requeue_stale(max_heartbeat_age_s=None):
    """The watchdog (scheduled every minute): evaluations whose lease nobody renewed (their
    worker was killed, its host died or lost the database) are queued again to resume after
    their last finished suite, not charged; after MAX_RUNS runs they fail as platform_error with
    the reasons. The dead worker's sandbox containers are removed. Returns the requeued ones."""
    age = settings.EVALUATION_LEASE_S if max_heartbeat_age_s is None else max_heartbeat_age_s
    cutoff = timezone.now() - timezone.timedelta(seconds=age)
    requeued = []
    for evaluation in Evaluation.objects.filter(status__in=leases.HELD, heartbeat_at__lt=cutoff):
        # Only if nothing changed since it was read: a late renewal keeps the lease.
        rows = Evaluation.objects.filter(
            pk=evaluation.pk, status=evaluation.status, lease_owner=evaluation.lease_owner,
            heartbeat_at=evaluation.heartbeat_at,
        )
        reason = (f"the worker {evaluation.lease_owner or '(unknown)'} stopped renewing its lease "
                  f"(last at {evaluation.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC, while "
                  f"{evaluation.status}); if the agent kills or exhausts its host process, that "
                  "is why")
        if _requeue_or_fail(evaluation, reason, evaluation.log, rows):
            requeued.append(evaluation)
        if evaluation.lease_owner:
            reap_worker_sandboxes(evaluation.lease_owner)
    # Also what dead workers of this host left without a lease (killed between start and claim).
    reap_leftovers()
    return requeued


def reap_worker_sandboxes(owner):
    """Remove the sandbox containers of a worker whose lease expired, on whatever host it ran
    (the engine may be shared), or with owner=None those of this host's dead processes; an
    engine that does not answer has nothing to remove."""
    try:
        for name in docker_backend.reap_containers(owner=owner):
            logger.warning("removed container %s of the lost worker %s", name,
                           owner or "(a dead process of this host)")
    except PlatformError as error:
        logger.info("no containers of %s reaped: %s", owner, error)
