"""How fast are the leaderboard page and the badge under load?

Builds a throwaway site (its own SQLite database in a temporary folder, or the empty database
--database-url names) holding one benchmark version with --items evaluation items and
--entries finished evaluations whose per-item outcomes are synthetic (the ranking engine's own
simulation: paired models of accuracy 0.70 .. 0.90), ranks them into a real snapshot (B =
2,000), serves the site with gunicorn on loopback and loads it with wrk (Debian's `wrk`):

1. the leaderboard page with every entry, after a warm-up: as readers get it (the whole page
   from the cache for SAFETYGYM_PAGE_CACHE_SECONDS), and past that page cache (each URL new,
   so each request runs the view, which takes the board rendered once per snapshot and query
   from the cache and adds the evaluations in progress);
2. the SVG badge: one popular badge, then each request for one of the entries' badges in
   turn (each worker has its own cache, so the first request for a badge in a worker runs
   its queries), and the shields.io JSON the same way;
3. the first render of a few other queries (sorts, a filter, a re-weighting): what a reader
   waits for before the cache holds them.

Prints p50 / p95 / p99 latency and requests per second for each, with the load average before
and after: other work on the machine skews the figures. It also prints the CPU time the
server's processes spent per request (from /proc), which that other work inflates far less,
and the requests per second it would allow on idle cores (wrk's own share not counted). The run is bounded (--seconds per
target) and sends requests only to 127.0.0.1.

Run: .venv/bin/python -m leaderboard.web_bench [--entries 500 --items 2000 --seconds 15
     --connections 8 --workers 2 --port 8196]
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCHMARK = "web-bench"
WRK_REPORT = """
paths = {paths}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format("RESULT requests=%d duration_us=%d errors=%d non2xx=%d p50=%d p95=%d "
    .. "p99=%d max=%d\\n", summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def load_average():
    return Path("/proc/loadavg").read_text().split()[:3]


def seed(n_entries, n_items):
    """The benchmark version, its evaluations with synthetic outcomes, and their snapshot.
    Returns (version, submission ids, seconds the snapshot took)."""
    from benchmarks.models import Benchmark, BenchmarkVersion, Item
    from leaderboard.models import Evaluation, SuiteResult, Submission
    from leaderboard.ranking.bench import simulate
    from leaderboard.snapshots import rebuild_snapshot

    labels, correct, confidence, predicted = simulate(n_entries, n_items)
    benchmark = Benchmark.objects.create(slug=BENCHMARK, name="Load benchmark",
                                         description="Synthetic outcomes for the load benchmark.")
    version = BenchmarkVersion.objects.create(
        benchmark=benchmark, number=1, labels=["negative", "positive"], input_kind="text",
        provenance={"sizes": {"public": 0, "evaluation": n_items}}, suites={"quality": {}},
        bootstrap_seed=20260601, data_sha256="0" * 64,
    )
    Item.objects.bulk_create(
        Item(version=version, split="evaluation", position=i, text=f"item {i}", label=int(label))
        for i, label in enumerate(labels))
    submissions = Submission.objects.bulk_create(
        # Names with markup and quotes: the page escapes every one of them.
        Submission(name=f"model {m:03d} <{'baseline' if m % 50 == 0 else 'agent'}> & \"co\"",
                   agent_path="/nonexistent", trusted=m % 50 == 0)
        for m in range(n_entries))
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(submission=submission, benchmark_version=version, status="finished")
        for submission in submissions)
    SuiteResult.objects.bulk_create(
        SuiteResult(evaluation=evaluation, suite="quality", metrics={"n_items": n_items},
                    per_item={"predicted": predicted[m].tolist(),
                              "confidence": confidence[m].round(6).tolist(),
                              "correct": correct[m].tolist()})
        for m, evaluation in enumerate(evaluations))
    started = time.perf_counter()
    rebuild_snapshot(version)
    return version, [submission.pk for submission in submissions], time.perf_counter() - started


def start_server(env, port, workers):
    command = [str(Path(sys.executable).parent / "gunicorn"), "safetygym.wsgi:application",
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", "sync", "--log-level", "warning", "--backlog", "2048"]
    return subprocess.Popen(command, env=env, start_new_session=True)


def wait_until_serving(url, server, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout_s} s")


def fetch_seconds(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{url} answered {response.status}")
    return time.perf_counter() - started, len(body)


def server_cpu_seconds(group):
    """User + system CPU seconds used so far by every process of the server's process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == group:  # fields[2] is the process group (field 5 of stat)
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / ticks


def run_wrk(base, paths, seconds, connections, script_dir, server_group):
    """wrk's figures for the paths, requested in turn: requests/s, latencies, and the
    server's CPU time per request (what the machine's other load does not inflate much)."""
    cpu_before = server_cpu_seconds(server_group)
    script = Path(script_dir) / "report.lua"
    lua_paths = "{" + ", ".join(f'"{path}"' for path in paths) + "}"
    script.write_text(WRK_REPORT.format(paths=lua_paths))
    output = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(script), base],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout
    match = re.search(r"RESULT (.*)", output)
    if not match:
        raise SystemExit(f"wrk printed no result:\n{output}")
    values = {key: int(value) for key, value in
              (pair.split("=") for pair in match.group(1).split())}
    cpu_ms = 1000 * (server_cpu_seconds(server_group) - cpu_before) / max(values["requests"], 1)
    return {
        "cpu_ms": cpu_ms,
        "requests": values["requests"],
        "rps": values["requests"] / (values["duration_us"] / 1e6),
        "p50_ms": values["p50"] / 1000, "p95_ms": values["p95"] / 1000,
        "p99_ms": values["p99"] / 1000, "max_ms": values["max"] / 1000,
        "errors": values["errors"], "non2xx": values["non2xx"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=15, help="per load target (default 15)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--port", type=int, default=8196)
    parser.add_argument("--database-url", help="an EMPTY database to use instead of SQLite")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    data_dir = tempfile.mkdtemp(prefix="safetygym-web-bench-")
    env = {**os.environ, "SAFETYGYM_DATA_DIR": data_dir,
           "DJANGO_SETTINGS_MODULE": "safetygym.settings", "DJANGO_DEBUG": "0",
           "ALLOWED_HOSTS": "127.0.0.1", "SAFETYGYM_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    os.environ.update(env)
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    from leaderboard.management.commands.demo import stop_worker

    print(f"load average before: {' '.join(load_average())}", flush=True)
    call_command("migrate", verbosity=0)
    _, submission_ids, snapshot_seconds = seed(args.entries, args.items)
    print(f"{args.entries} entries x {args.items:,} items: snapshot (B = 2,000) computed in "
          f"{snapshot_seconds:.1f} s", flush=True)
    base = f"http://127.0.0.1:{args.port}"
    board = f"/benchmarks/{BENCHMARK}/v1/"
    server = start_server(env, args.port, args.workers)
    results = {}
    try:
        wait_until_serving(base + "/api/v1/", server)
        cold = {}
        for query in ("", "?sort=name", "?sort=-accuracy", "?q=model+1", "?provisional=no",
                      "?w_accuracy=2&w_calibration=1"):
            cold[query or "(default)"] = fetch_seconds(base + board + query)
        for _ in range(args.workers * 4):  # every worker renders the default board once
            fetch_seconds(base + board)
        results["leaderboard page (500 entries)"] = run_wrk(
            base, [board], args.seconds, args.connections, data_dir, server.pid)
        # A parameter the board ignores makes each URL new to the page cache: what is left is
        # the board rendered once per snapshot plus the page's own queries.
        results["leaderboard page, past the page cache"] = run_wrk(
            base, [f"{board}?reader={i}" for i in range(5000)], args.seconds, args.connections,
            data_dir, server.pid)
        badges = [f"/badges/{BENCHMARK}/{pk}.svg" for pk in submission_ids]
        # Each worker keeps its own cache: passes put most badges in every worker's.
        for path in badges * args.workers:
            fetch_seconds(base + path)
            fetch_seconds(base + path.replace(".svg", ".json"))
        # A popular badge: cached in every worker after its first requests.
        results["SVG badge (one badge)"] = run_wrk(
            base, badges[:1], args.seconds, args.connections, data_dir, server.pid)
        results["SVG badge (500 badges in turn)"] = run_wrk(
            base, badges, args.seconds, args.connections, data_dir, server.pid)
        results["shields.io JSON (500 badges in turn)"] = run_wrk(
            base, [path.replace(".svg", ".json") for path in badges], args.seconds,
            args.connections, data_dir, server.pid)
    finally:
        stop_worker(server, first_signal=signal.SIGTERM)
        shutil.rmtree(data_dir, ignore_errors=True)

    print(f"\ngunicorn {args.workers} sync workers, wrk 1 thread x {args.connections} "
          f"connections x {args.seconds} s per target, {os.cpu_count()} cores, "
          f"database {'PostgreSQL' if args.database_url else 'SQLite'}")
    cores = len(os.sched_getaffinity(0))
    print("\n| target | requests/s | p50 ms | p95 ms | p99 ms | max ms | errors "
          "| server CPU ms / request | requests/s the server's CPU time allows on "
          f"{cores} idle cores |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
              f"{r['p99_ms']:.1f} | {r['max_ms']:.0f} | {r['errors'] + r['non2xx']} | "
              f"{r['cpu_ms']:.2f} | {1000 * cores / r['cpu_ms']:,.0f} |")
    print("\nFirst render of a query (a cache miss; one request each):")
    for query, (seconds, size) in cold.items():
        print(f"  {query:<32} {1000 * seconds:7.0f} ms  {size / 1024:6.0f} KiB")
    print(f"  median {1000 * statistics.median(s for s, _ in cold.values()):.0f} ms")
    print(f"\nload average after: {' '.join(load_average())}")


if __name__ == "__main__":
    main()
