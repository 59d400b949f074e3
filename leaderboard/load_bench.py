"""Does the queue keep up, and does it lose or repeat anything, with many submissions at once?

Builds a throwaway site (its own SQLite database and ORM queue in a temporary folder, or the
EMPTY database --database-url names and the Redis --broker-url names) with rt-sentiment v1, the
quality-only configuration (2,000 evaluation items), registers --submissions copies of the
VADER lexicon baseline, queues them all at once, and starts --clusters `manage.py qcluster`
processes of one worker each. When the queue is empty it checks that every evaluation finished
exactly once (one run, one suite result, no interruption) and prints:
- throughput: evaluations finished per minute, from the first queued to the last finished;
- queue latency: from queued to claimed by a worker, p50 / p95 / max;
- service time: from claimed to finished, p50 / p95 (the sandbox, the suite, and the
  leaderboard snapshot recomputed after each evaluation, B = SAFETYGYM_BOOTSTRAP_REPLICATES);
- the load average before and after: other work on the machine skews every figure.

The run is bounded (--timeout) and talks only to this machine.

Run: .venv/bin/python -m leaderboard.load_bench [--submissions 200 --clusters 2
     --database-url postgres://…/empty --broker-url redis://127.0.0.1:6379/15]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from leaderboard.web_bench import load_average

ROOT = Path(__file__).resolve().parent.parent
AGENT = ROOT / "benchmarks" / "baselines" / "rt-sentiment" / "vader"


def percentile(values, share):
    """The nearest-rank percentile: the smallest value with at least `share` of them at or below."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * share // 100) - 1)]


def start_clusters(count, env, log_dir):
    clusters = []
    for number in range(count):
        log = open(log_dir / f"qcluster-{number}.log", "w")
        clusters.append(subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qcluster"], env=env, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        ))
    return clusters


def wait_until_done(ids, clusters, timeout_s):
    from leaderboard.models import Evaluation

    deadline = time.monotonic() + timeout_s
    last_report = 0.0
    while time.monotonic() < deadline:
        for cluster in clusters:
            if cluster.poll() is not None:
                raise SystemExit(f"a qcluster exited with code {cluster.returncode}")
        active = Evaluation.objects.filter(pk__in=ids, status__in=Evaluation.ACTIVE).count()
        if not active:
            return
        if time.monotonic() - last_report > 15:
            last_report = time.monotonic()
            print(f"  {len(ids) - active} of {len(ids)} done", flush=True)
        time.sleep(1)
    raise SystemExit(f"not done after {timeout_s} s")


def check_exactly_once(ids):
    """Every evaluation finished, once: returns the problems found (none is the pass)."""
    from django.db.models import Count

    from leaderboard.models import Evaluation

    problems = []
    evaluations = Evaluation.objects.filter(pk__in=ids).annotate(results=Count("suites"))
    if evaluations.count() != len(ids):
        problems.append(f"{len(ids) - evaluations.count()} evaluations missing")
    for evaluation in evaluations:
        if (evaluation.status, evaluation.runs, evaluation.results) != ("finished", 1, 1):
            problems.append(f"evaluation {evaluation.pk}: {evaluation.status}, "
                            f"{evaluation.runs} runs, {evaluation.results} suite results, "
                            f"{evaluation.failure_message[:200]}")
        elif evaluation.interruptions:
            problems.append(f"evaluation {evaluation.pk} was interrupted: "
                            f"{evaluation.interruptions}")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=2,
                        help="qcluster processes, one worker each (default 2)")
    parser.add_argument("--database-url", help="an EMPTY database to use instead of SQLite")
    parser.add_argument("--broker-url", help="redis://… to queue on Redis instead of the database")
    parser.add_argument("--sandbox", default="auto", help="SAFETYGYM_SANDBOX (default auto)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds (default 3600)")
    args = parser.parse_args(argv)

    data_dir = Path(tempfile.mkdtemp(prefix="safetygym-load-bench-"))
    env = {**os.environ, "SAFETYGYM_DATA_DIR": str(data_dir), "SAFETYGYM_DEMO": "1",
           "DJANGO_SETTINGS_MODULE": "safetygym.settings", "SAFETYGYM_SANDBOX": args.sandbox,
           "SAFETYGYM_WORKERS": "1", "SAFETYGYM_QUEUE_NAME": f"load-bench-{os.getpid()}",
           "SAFETYGYM_LOG_LEVEL": "WARNING"}
    for name, value in (("DATABASE_URL", args.database_url),
                        ("SAFETYGYM_BROKER_URL", args.broker_url)):
        env.pop(name, None)
        os.environ.pop(name, None)
        if value:
            env[name] = value
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from leaderboard.management.commands.demo import stop_worker
    from leaderboard.models import Evaluation
    from leaderboard.submissions import create_agent_submission, resolve_version
    from leaderboard.tasks import chosen_backend, queue_evaluation

    before = load_average()
    print(f"load average before: {' '.join(before)}", flush=True)
    call_command("migrate", verbosity=0)
    version = resolve_version("rt-sentiment", 1)
    print(f"{version}: {version.items.filter(split='evaluation').count():,} evaluation items, "
          f"suites {list(version.suites)}; sandbox {chosen_backend()[0]}; database "
          f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}; broker "
          f"{'Redis' if settings.BROKER_URL else 'ORM'}; B = {settings.BOOTSTRAP_REPLICATES}",
          flush=True)
    evaluations = [
        Evaluation.objects.create(
            submission=create_agent_submission(AGENT, name=f"VADER copy {n + 1}", trusted=True),
            benchmark_version=version)
        for n in range(args.submissions)
    ]
    started = time.monotonic()
    for evaluation in evaluations:
        queue_evaluation(evaluation)
    print(f"{len(evaluations)} evaluations queued in {time.monotonic() - started:.1f} s",
          flush=True)
    ids = [evaluation.pk for evaluation in evaluations]
    clusters = start_clusters(args.clusters, env, data_dir)
    try:
        wait_until_done(ids, clusters, args.timeout)
    finally:
        for cluster in clusters:
            stop_worker(cluster)
    after = load_average()

    problems = check_exactly_once(ids)
    done = list(Evaluation.objects.filter(pk__in=ids))
    first_queued = min(e.queued_at for e in done)
    last_finished = max(e.finished_at for e in done if e.finished_at)
    span_s = (last_finished - first_queued).total_seconds()
    latency = [(e.started_at - e.queued_at).total_seconds() for e in done if e.started_at]
    service = [(e.finished_at - e.started_at).total_seconds() for e in done
               if e.finished_at and e.started_at]
    print(f"\n{len(done)} evaluations, {args.clusters} workers, {os.cpu_count()} cores; "
          f"load average before {' '.join(before)}, after {' '.join(after)}")
    print(f"finished exactly once: {len(done) - len(problems)} of {len(ids)}")
    for problem in problems[:20]:
        print(f"  PROBLEM {problem}")
    print(f"throughput: {60 * len(service) / span_s:.1f} evaluations/min "
          f"({span_s:.0f} s from the first queued to the last finished)")
    print(f"queue latency: p50 {percentile(latency, 50):.1f} s, p95 "
          f"{percentile(latency, 95):.1f} s, max {max(latency):.1f} s")
    print(f"service time: p50 {percentile(service, 50):.2f} s, p95 "
          f"{percentile(service, 95):.2f} s, mean {statistics.mean(service):.2f} s")
    shutil.rmtree(data_dir, ignore_errors=True)
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
