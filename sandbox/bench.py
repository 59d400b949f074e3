"""What a sandbox backend costs a model: start latency, per-batch round trip, overhead.

For every backend that can run on this machine (docker, bwrap, local; the others are listed
with the reason they were skipped) it measures, through the real API (start_sandbox and
ModelClient.predict_proba):

1. start: from the start_sandbox() call until the agent's `hello` is answered, for an agent that
   imports nothing (median and p90 over --starts starts, after one untimed start). On docker it
   is also split at the container's State.StartedAt: the engine's part (create, attach, start)
   and the rest (interpreter, runner, agent import, `hello`).
2. round trip: one predict_proba() of 64 real review snippets (rt-sentiment) for an agent that
   returns constant probabilities, i.e. the fixed cost of a batch (median and p90 over
   --batches batches).
3. overhead: a 64-input batch through the backend against the same agent's predict() called in
   a plain process, for two agents of >= 20 ms per batch: `busy` (deterministic numpy matrix
   work, ~25 ms here) and `minilm_lr` (the all-MiniLM-L6-v2 baseline shipped in
   benchmarks/baselines). The plain process uses the interpreter and packages the backend runs
   the agent with (the runner venv for docker and bwrap, this interpreter for local), the same
   environment and math-library thread counts, and imports the agent with the runner's own
   loader; it times predict() alone. Both sides are warmed up, then run blocks of back-to-back
   batches (as an evaluation streams them) in turn, the first side switching every block; the
   first batch of a block is not timed (see measure_overhead). The overhead is the median of
   the per-batch differences (sandboxed minus in-process, the same inputs), relative to the
   in-process median; the target is under 10% for a model of >= 20 ms per batch.

Run it with `make bench`, or:

    .venv/bin/python -m sandbox.bench [--backends docker,bwrap,local] [--starts 10]
        [--batches 300] [--compute-batches N] [--compute-agents busy,minilm_lr] [--markdown]

The figures depend on what else the machine runs: the load average before and after is printed
with them.
"""

import argparse
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from sandbox.backends import bwrap, docker, local, start_sandbox
from sandbox.errors import SandboxError
from sandbox.limits import Limits
from sandbox.runner import RUNNER_PATH

BACKEND_ORDER = ("docker", "bwrap", "local")
BATCH_SIZE = Limits().batch_size
LABELS = ["rotten", "fresh"]
WARM_UP_BATCHES = 3
TIMED_BATCHES_PER_BLOCK = 5
# Math libraries keep their worker threads spinning for a while after a call (OpenBLAS ~0.1 s):
# a pause before each block lets the other side's threads go to sleep first.
SETTLE_SECONDS = 0.25
OVERHEAD_TARGET = 0.10  # for a model that takes at least MIN_MODEL_SECONDS per batch
MIN_MODEL_SECONDS = 0.020
BASELINES_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "baselines" / "rt-sentiment"
# Timed batches per side, by default: MiniLM takes ~1 s per batch here, busy ~20 ms.
COMPUTE_AGENTS = {"busy": 100, "minilm_lr": 20}

CONSTANT_AGENT = """
labels = ["rotten", "fresh"]

def predict(inputs):
    return [[0.5, 0.5]] * len(inputs)
"""

# Hashed bag of words, then a stack of dense layers: a fixed amount of BLAS work per batch
# (~4 ms per layer for 64 inputs on 2 cores), so the model's time does not depend on the backend.
BUSY_AGENT = """
import zlib

import numpy as np

labels = ["rotten", "fresh"]
FEATURES = 1024
LAYERS = 6
WEIGHTS = np.random.default_rng(0).standard_normal((FEATURES, FEATURES)) / FEATURES**0.5

def predict(inputs):
    hidden = np.zeros((len(inputs), FEATURES))
    for row, text in enumerate(inputs):
        for word in text.split():
            hidden[row, zlib.crc32(word.encode()) % FEATURES] += 1.0
    for _ in range(LAYERS):
        hidden = np.tanh(hidden @ WEIGHTS)
    fresh = 1.0 / (1.0 + np.exp(-hidden.sum(axis=1)))
    return np.column_stack([1.0 - fresh, fresh])
"""

# Runs in a plain process: imports the agent exactly as the runner does, then answers each line
# of inputs with the seconds predict() took on them.
IN_PROCESS_TIMER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import runner
module, _ = runner.load_agent(sys.argv[2])
print("ready", flush=True)
for line in sys.stdin:
    inputs = json.loads(line)
    began = time.perf_counter()
    module.predict(inputs)
    print(time.perf_counter() - began, flush=True)
"""


def available_backends(names):
    """(runnable backends, {skipped backend: why}) among names, in BACKEND_ORDER."""
    checks = {"docker": docker.available, "bwrap": bwrap.available, "local": lambda: (True, "")}
    runnable, skipped = [], {}
    for name in BACKEND_ORDER:
        if name not in names:
            continue
        ok, reason = checks[name]()
        if ok:
            runnable.append(name)
        else:
            skipped[name] = reason
    return runnable, skipped


def reference_python(backend):
    """The interpreter (and so the packages) the backend runs agents with."""
    if backend == "local":
        return sys.executable
    # The docker image's /opt/venv is built from this same venv (`make runner-image`).
    return str(bwrap.RUNNER_VENV / "bin" / "python")


def write_agent(folder, source):
    """An agent folder every user can read (the docker and bwrap sandboxes run as nobody)."""
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    agent_file = folder / "agent.py"
    agent_file.write_text(textwrap.dedent(source))
    agent_file.chmod(0o644)
    return folder


def review_batches(count):
    """`count` batches of 64 rt-sentiment snippets, cycling through the data set."""
    # Imported here: the bench uses the benchmark's data, the sandbox package never does.
    from benchmarks.datasets import rt_sentiment

    texts = [item.text for item in rt_sentiment.load().items]
    return [
        [texts[(index * BATCH_SIZE + offset) % len(texts)] for offset in range(BATCH_SIZE)]
        for index in range(count)
    ]


def summary_ms(seconds):
    """(median, p90) in milliseconds."""
    milliseconds = 1000 * np.asarray(seconds)
    return float(np.median(milliseconds)), float(np.percentile(milliseconds, 90))


def engine_started_at(client):
    """When the docker engine recorded the container as started (seconds since the epoch)."""
    container = client.transport.container
    container.reload()
    text = container.attrs["State"]["StartedAt"]  # RFC 3339 with nanoseconds
    seconds, fraction = re.match(r"([^.Z]+)(?:\.(\d+))?", text).groups()
    stamp = datetime.fromisoformat(seconds + "+00:00").timestamp()
    return stamp + float(f"0.{fraction or 0}")


def measure_starts(backend, agent_dir, starts):
    """Start-to-hello seconds per start, and on docker the engine's part of each."""
    totals, engine_parts = [], []
    for attempt in range(starts + 1):
        called_at_wall = time.time()
        called_at = time.perf_counter()
        client = start_sandbox(agent_dir, backend=backend, trusted=True)
        answered = time.perf_counter() - called_at
        try:
            if attempt == 0:
                continue  # untimed: warms the page cache and the engine
            totals.append(answered)
            if backend == "docker":
                engine_parts.append(engine_started_at(client) - called_at_wall)
        finally:
            client.close()
    return totals, engine_parts


def timed_predict(client, batch):
    began = time.perf_counter()
    client.predict_proba(batch)
    return time.perf_counter() - began


def measure_round_trips(backend, agent_dir, batches):
    with start_sandbox(agent_dir, backend=backend, trusted=True) as client:
        client.use_labels(LABELS)
        for batch in batches[:WARM_UP_BATCHES]:
            client.predict_proba(batch)
        return [timed_predict(client, batch) for batch in batches]


def start_reference(backend, agent_dir, home):
    """A plain process that times the agent's predict() (see IN_PROCESS_TIMER)."""
    process = subprocess.Popen(
        [
            reference_python(backend),
            "-I",
            "-B",
            "-c",
            IN_PROCESS_TIMER,
            str(RUNNER_PATH.parent),
            str(agent_dir),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=home,
        # The sandboxes' environment, math-library thread counts included (docker sets them from
        # its cpus option, 2 by default, which equals local.MODEL_THREADS).
        env=local.sandbox_environment(home),
    )
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError(f"the in-process reference could not load {agent_dir}")
    return process


def reference_predict(process, batch):
    process.stdin.write(json.dumps(batch) + "\n")
    process.stdin.flush()
    return float(process.stdout.readline())


def measure_overhead(backend, agent_dir, batches, home):
    """(in-process seconds, sandboxed seconds) per batch, in the order of `batches` on both sides.

    The sides take turns by blocks of back-to-back batches, which is how an evaluation streams
    them. The first batch of each block is run but not timed: it pays for waking the side's
    threads and for the other side's threads still spinning.
    """
    reference = start_reference(backend, agent_dir, home)
    try:
        with start_sandbox(agent_dir, backend=backend, trusted=True) as client:
            client.use_labels(LABELS)
            for batch in batches[:WARM_UP_BATCHES]:
                reference_predict(reference, batch)
                client.predict_proba(batch)
            in_process, sandboxed = [], []
            sides = [
                (in_process, functools.partial(reference_predict, reference)),
                (sandboxed, functools.partial(timed_predict, client)),
            ]
            for number, start in enumerate(range(0, len(batches), TIMED_BATCHES_PER_BLOCK)):
                block = batches[start : start + TIMED_BATCHES_PER_BLOCK]
                for seconds, predict_one in sides[:: 1 if number % 2 == 0 else -1]:
                    time.sleep(SETTLE_SECONDS)
                    seconds.extend([predict_one(batch) for batch in [block[0], *block]][1:])
    finally:
        reference.stdin.close()
        reference.wait(timeout=30)
    return in_process, sandboxed


def overhead_row(backend, agent, in_process, sandboxed):
    in_process_ms, sandboxed_ms = 1000 * np.median(in_process), 1000 * np.median(sandboxed)
    # Paired by batch (the same inputs, a few seconds apart): neither the batches' lengths nor a
    # change of the machine's load during the run count as overhead.
    overhead_ms = 1000 * np.median(np.subtract(sandboxed, in_process))
    overhead = overhead_ms / in_process_ms
    if in_process_ms < 1000 * MIN_MODEL_SECONDS:
        verdict = "n/a (model < 20 ms)"
    else:
        verdict = "met" if overhead < OVERHEAD_TARGET else "NOT met"
    return [
        backend,
        agent,
        in_process_ms,
        sandboxed_ms,
        overhead_ms,
        100 * overhead,
        len(sandboxed),
        verdict,
    ]


def bench_backend(backend, agents, home, options):
    """The figures of one backend: (start and round-trip rows, overhead rows)."""
    totals, engine_parts = measure_starts(backend, agents["constant"], options.starts)
    rows = [[backend, "start → hello", *summary_ms(totals), len(totals)]]
    if engine_parts:
        after_engine = np.subtract(totals, engine_parts)
        rows.append(
            [backend, "  engine: create+attach+start", *summary_ms(engine_parts), len(totals)]
        )
        rows.append(
            [backend, "  container started → hello", *summary_ms(after_engine), len(totals)]
        )
    trips = measure_round_trips(backend, agents["constant"], review_batches(options.batches))
    rows.append([backend, f"round trip of {BATCH_SIZE} inputs", *summary_ms(trips), len(trips)])
    overhead_rows = []
    for name in options.compute_agents.split(","):
        batches = review_batches(options.compute_batches or COMPUTE_AGENTS[name])
        in_process, sandboxed = measure_overhead(backend, agents[name], batches, home)
        overhead_rows.append(overhead_row(backend, name, in_process, sandboxed))
    return rows, overhead_rows


def table(headers, rows, markdown):
    """Rows as an aligned text table, or as a markdown table."""
    cells = [
        [f"{value:.2f}" if isinstance(value, float) else str(value) for value in row]
        for row in rows
    ]
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])
    widths = [
        max(len(line[column]) for line in [headers, *cells]) for column in range(len(headers))
    ]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
        for line in [headers, *cells]
    )


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--backends",
        default=",".join(BACKEND_ORDER),
        help="comma-separated backends to measure (default: all)",
    )
    parser.add_argument("--starts", type=int, default=10, help="timed starts per backend")
    parser.add_argument(
        "--batches", type=int, default=300, help="timed batches of the constant agent per backend"
    )
    parser.add_argument(
        "--compute-batches",
        type=int,
        help="timed batches per side for each compute agent (default: "
        + ", ".join(f"{name} {count}" for name, count in COMPUTE_AGENTS.items())
        + ")",
    )
    parser.add_argument(
        "--compute-agents",
        default=",".join(COMPUTE_AGENTS),
        help="comma-separated agents of the overhead measure (default: all)",
    )
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    options = parser.parse_args(argv)
    for option, known in (("backends", BACKEND_ORDER), ("compute_agents", COMPUTE_AGENTS)):
        unknown = set(getattr(options, option).split(",")) - set(known)
        if unknown:
            parser.error(
                f"unknown {option.replace('_', ' ')} {sorted(unknown)}; "
                f"choose from {list(known)}"
            )
    return options


def main(argv=None):
    options = parse_arguments(argv)
    runnable, skipped = available_backends(options.backends.split(","))
    for backend, reason in skipped.items():
        print(f"{backend}: skipped: {reason}")
    start_rows, overhead_rows = [], []
    with tempfile.TemporaryDirectory(prefix="safetygym-bench-") as folder:
        home = Path(folder)
        home.chmod(0o755)
        agents = {
            "constant": write_agent(home / "constant", CONSTANT_AGENT),
            "busy": write_agent(home / "busy", BUSY_AGENT),
            "minilm_lr": BASELINES_DIR / "minilm_lr",
        }
        load_before = os.getloadavg()[0]
        for backend in runnable:
            print(f"measuring {backend} ...", file=sys.stderr, flush=True)
            try:
                starts, overheads = bench_backend(backend, agents, home, options)
            except SandboxError as error:
                print(f"{backend}: failed: {error}")
                continue
            start_rows += starts
            overhead_rows += overheads
        load_after = os.getloadavg()[0]
    print(
        f"1-minute load average: {load_before:.2f} before, {load_after:.2f} after "
        f"({os.cpu_count()} CPUs)"
    )
    print(table(["backend", "measure", "median ms", "p90 ms", "n"], start_rows, options.markdown))
    print()
    print(
        table(
            [
                "backend",
                "agent",
                "in-process median ms",
                "sandboxed median ms",
                "overhead ms (paired)",
                "overhead %",
                "n",
                f"< {OVERHEAD_TARGET:.0%} target",
            ],
            overhead_rows,
            options.markdown,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
