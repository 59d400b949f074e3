"""The evaluation task: the one place that ties the sandbox, the suites and the database.

`queue_evaluation` hands an evaluation to django-q2; a worker (`manage.py qcluster`) then calls
`run_evaluation`, which moves it through queued → preparing → running → scoring → finished, or
to failed with a failure category and a message that names the cause.
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from benchmarks.suites import SUITES
from leaderboard import provenance
from leaderboard.models import Evaluation, SuiteResult
from leaderboard.snapshots import rebuild_snapshot
from sandbox.backends import start_sandbox
from sandbox.errors import InvalidSubmission, SandboxError
from sandbox.limits import Limits
from sandbox.preflight import preflight

logger = logging.getLogger(__name__)

PREFLIGHT_ITEMS = 8
PROGRESS_SAVE_INTERVAL_S = 2.0


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


def start_agent_sandbox(submission):
    return start_sandbox(
        submission.agent_path,
        backend=settings.SANDBOX_BACKEND,
        limits=sandbox_limits(),
        trusted=submission.trusted,
        allow_untrusted=settings.SANDBOX_ALLOW_UNTRUSTED_LOCAL,
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


def run_evaluation(evaluation_id, on_progress=None):
    """Evaluate one submission on one benchmark version. Never raises for the submission's faults."""
    with transaction.atomic():
        claimed = Evaluation.objects.filter(pk=evaluation_id, status="queued").update(
            status="preparing", started_at=timezone.now(), heartbeat_at=timezone.now()
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
        client = start_agent_sandbox(submission)
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
                provenance=provenance.describe(evaluation, info),
            )
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
                    seconds=round(time.monotonic() - started, 3),
                )
            _update(evaluation, status="scoring", stats=client.stats, log=client.log_tail())
        rebuild_snapshot(version)
        _update(evaluation, status="finished", current_suite="", finished_at=timezone.now())
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


def _fail(evaluation, category, message, log):
    _update(
        evaluation,
        status="failed",
        failure_category=category,
        failure_message=message,
        log=log[-20000:],
        finished_at=timezone.now(),
    )



def requeue_stale(max_heartbeat_age_s):
    """Queue again the evaluations whose worker went silent (killed mid-run): the platform's
    fault, so they start over from their last finished suite and are not charged."""
    cutoff = timezone.now() - timezone.timedelta(seconds=max_heartbeat_age_s)
    stale = Evaluation.objects.filter(
        status__in=["preparing", "running", "scoring"], heartbeat_at__lt=cutoff
    )
    requeued = []
    for evaluation in stale:
        if Evaluation.objects.filter(pk=evaluation.pk, status=evaluation.status).update(
            status="queued", current_suite=""
        ):
            evaluation.refresh_from_db()
            requeued.append(queue_evaluation(evaluation))
    return requeued
