import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from benchmarks import catalog
from benchmarks.baselines import hf_classifier
from leaderboard import queries
from leaderboard.hf_submission import submit_built_model
from leaderboard.models import Evaluation
from leaderboard.submissions import resolve_version, submit_baselines
from leaderboard.tasks import chosen_backend, requeue_stale
from leaderboard.terminal import format_leaderboard

PR_SET_PDEATHSIG = 1


class Command(BaseCommand):
    help = (
        "The demo: load the latest version of every benchmark, evaluate its baselines through the "
        "queue and the sandbox with a worker, print the leaderboards, then serve them (the "
        "worker keeps running)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="stop after the leaderboard")

    def handle(self, addr, no_serve, **options):
        # Ctrl-C and a stop signal both end the demo through its cleanup, which stops the worker
        # (also when SIGINT was ignored by whoever started us, as in a background job).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            self.run_demo(addr, no_serve)
        except KeyboardInterrupt:  # the worker is stopped by then; a traceback would say nothing
            self.stdout.write("stopped")

    def run_demo(self, addr, no_serve):
        started = time.monotonic()
        # No hub here: models come from the server's hub cache only (the worker inherits it).
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        if not no_serve:
            check_address_free(addr)  # before minutes of evaluating, not after
        use_site_url(addr)
        versions = [resolve_version(slug) for slug in catalog.BENCHMARKS]
        for version in versions:
            self.stdout.write(f"{version}: {version.items.count()} items loaded")
        # No worker of this demo runs yet: anything still marked running was interrupted.
        for evaluation in requeue_stale(max_heartbeat_age_s=120):
            self.stdout.write(f"requeued interrupted evaluation {evaluation.pk}")
        evaluations = []
        for version in versions:
            queued = submit_baselines(version)
            self.stdout.write(f"{version} baselines: {', '.join(e.submission.name for e in queued)}")
            evaluations += queued
            if version.benchmark.slug == hf_classifier.BENCHMARK:
                # The Hugging Face path: a model built here, in the hub cache, submitted by ID.
                model = submit_built_model(version)
                self.stdout.write(f"{version} Hugging Face model: {model.submission.model_id} "
                                  f"at {model.submission.model_sha[:12]} "
                                  f"(cache {settings.HF_CACHE_DIR})")
                evaluations.append(model)
        self.stdout.write(f"sandbox: {chosen_backend()[1]}")
        worker = self.start_worker()
        try:
            self.wait_for(evaluations, worker)
            for version in versions:
                self.stdout.write("")
                self.stdout.write(format_leaderboard(version, queries.latest_snapshot(version)))
            self.stdout.write(f"\ndemo work took {time.monotonic() - started:.0f} s "
                              f"(sandbox: {chosen_backend()[1]})")
            if no_serve:
                return
            self.stdout.write(f"\nServing the leaderboard at http://{addr}/ (Ctrl-C stops it).")
            call_command("runserver", addr, use_reloader=False)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
            stop_worker(worker)
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def start_worker(self):
        env = dict(os.environ)
        # The demo's operator is its user: let agents they submit run in the local sandbox.
        env.setdefault("SAFETYGYM_ALLOW_UNTRUSTED_LOCAL", "1")
        # Two evaluations at once: each alternates between the worker (an attack's search) and
        # the sandboxed model, so one alone leaves a core of the two idle half of the time.
        env.setdefault("SAFETYGYM_WORKERS", "2")
        # ...and each model one core with one math thread: a second thread of a model answering
        # an attack's small batches waits at barriers for the first, ten times slower on a busy
        # machine (docs/benchmarks.md).
        env.setdefault("SAFETYGYM_SANDBOX_CPUS", "1")
        # The demo prints its own progress; the worker's per-task lines would interleave.
        env.setdefault("SAFETYGYM_QUEUE_LOG_LEVEL", "WARNING")
        # Its own session: a Ctrl-C in the terminal reaches only the demo, which then stops the
        # worker's whole process group once (two signals at once can wedge django-q's shutdown).
        return subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"], env=env,
            start_new_session=True, preexec_fn=stop_when_parent_dies,
        )

    def wait_for(self, evaluations, worker):
        ids = [e.pk for e in evaluations]
        last = None
        while True:
            rows = list(Evaluation.objects.filter(pk__in=ids)
                        .select_related("submission", "benchmark_version__benchmark"))
            line = progress_line(rows)
            if line != last:
                self.stdout.write(line)
                last = line
            if all(not e.is_active for e in rows):
                for e in rows:
                    if e.status == "failed":
                        self.stderr.write(f"{e.submission.name} on {e.benchmark_version} failed: "
                                          f"{e.failure_category}: "
                                          f"{e.failure_message}")
                return
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited with code {worker.returncode}")
            time.sleep(2)


def use_site_url(addr):
    """E-mailed links point at where the demo serves, unless SAFETYGYM_SITE_URL says otherwise;
    set in the environment too, so the worker, which sends the evaluation notices, agrees."""
    if "SAFETYGYM_SITE_URL" not in os.environ:
        os.environ["SAFETYGYM_SITE_URL"] = f"http://{addr}"
        settings.SITE_URL = os.environ["SAFETYGYM_SITE_URL"]


def check_address_free(addr):
    """CommandError naming the fix when the demo could not serve at addr (host:port)."""
    host, _, port = addr.rpartition(":")
    try:
        port = int(port)
        with socket.create_server((host.strip("[]") or "127.0.0.1", port)):
            pass
    except ValueError:
        raise CommandError(f"--addr takes HOST:PORT, e.g. 127.0.0.1:8001, not {addr!r}") from None
    except OSError as error:
        raise CommandError(
            f"Cannot serve at {addr}: {error.strerror or error}. Choose another address, e.g. "
            f"`make demo DEMO_ADDR=127.0.0.1:{port + 1}`."
        ) from None


def progress_line(evaluations):
    """How many evaluations are in each state, then the ones under way with their suite and
    share done: one line for any number of benchmarks."""
    counts = Counter(e.status for e in evaluations)
    line = ", ".join(f"{counts[status]} {status}" for status, _ in Evaluation.STATUSES
                     if counts[status])
    for e in sorted(evaluations, key=lambda e: e.pk):
        if e.status in ("preparing", "running", "scoring"):
            step = e.progress.get(e.current_suite) or {}
            suite = f" {e.current_suite}" if e.current_suite else ""
            if step.get("total"):
                suite += f" {step.get('done', 0)}/{step['total']}"
            line += (f" | {e.submission.name} on {e.benchmark_version}: {e.status}{suite}, "
                     f"{round(100 * e.progress_fraction())}% of the evaluation")
    return line


def stop_worker(worker, grace_s=20, first_signal=signal.SIGINT):
    """Stop qcluster (or another server started in its own session) and every process it
    started; nothing may keep running uploaded code. first_signal: what asks it to stop
    (SIGINT, what qcluster expects from a terminal; SIGTERM for gunicorn's graceful stop)."""
    try:
        os.killpg(worker.pid, first_signal)
        worker.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop_when_parent_dies():
    """In the worker, before exec: the kernel sends it SIGINT should the demo die unannounced."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGINT)
