"""check-agent: run an agent the way an evaluation would, and list everything wrong with it.

The same path as an evaluation: start the sandbox, `hello`, align labels, the pre-flight, then one
timed batch. Problems are collected rather than raised, and the checks go on where they still
can: an unmappable label set does not stop the output checks (they then run in the model's own
label order), but nothing can run after the process died or hung.
"""

from dataclasses import dataclass, field
from pathlib import Path

from sandbox.backends import start_sandbox
from sandbox.errors import InvalidSubmission, SandboxError
from sandbox.limits import Limits
from sandbox.preflight import preflight
from sandbox.runner.runner import NO_AGENT_FILE, find_agent_file

PREFLIGHT_ITEMS = 8


@dataclass(frozen=True)
class Problem:
    category: str
    message: str


@dataclass
class CheckReport:
    problems: list = field(default_factory=list)
    # labels, input_kind, startup_seconds, latency_ms_per_item, peak_memory_mb, items
    info: dict = field(default_factory=dict)
    log: str = ""

    @property
    def ok(self):
        return not self.problems

    def add(self, error):
        self.problems.append(Problem(error.category, error.message))
        if error.log:
            self.log = error.log


def input_kind_of(inputs):
    """ "text" for a list of strings, "record" for a list of JSON objects."""
    if inputs and all(isinstance(item, str) for item in inputs):
        return "text"
    if inputs and all(isinstance(item, dict) for item in inputs):
        return "record"
    raise ValueError("public inputs must be a non-empty list of strings or of dicts")


def check_agent(
    agent_dir,
    public_inputs,
    benchmark_labels,
    *,
    backend="local",
    limits=Limits(),
    trusted=False,
    mapping=None,
    **backend_options,
):
    public_inputs = list(public_inputs)
    expected_kind = input_kind_of(public_inputs)
    report = CheckReport()
    agent_dir = Path(agent_dir)
    if not agent_dir.is_dir():
        report.add(InvalidSubmission(f"The agent folder {agent_dir} does not exist."))
        return report
    if find_agent_file(str(agent_dir)) is None:
        report.add(InvalidSubmission(NO_AGENT_FILE))
        return report
    try:
        client = start_sandbox(
            agent_dir, backend=backend, limits=limits, trusted=trusted, **backend_options
        )
    except SandboxError as error:
        report.add(error)
        return report
    with client:
        info = client.hello()
        report.info.update(
            labels=info.labels,
            input_kind=info.input_kind,
            startup_seconds=client.stats["startup_seconds"],
        )
        try:
            client.use_labels(benchmark_labels, mapping)
        except InvalidSubmission as error:
            report.add(error)
            client.use_labels(info.labels)  # still check the output, in the model's own order
        if info.input_kind != expected_kind:
            report.add(
                InvalidSubmission(
                    f"The model declares input_kind {info.input_kind!r} but this benchmark's items "
                    f"are {expected_kind!r} inputs; set `input_kind = {expected_kind!r}` in "
                    "agent.py and accept that kind of input in predict()."
                )
            )
        else:
            _run_inputs(client, public_inputs, limits, report)
        report.log = report.log or client.log_tail()
    report.info["peak_memory_mb"] = client.stats["peak_memory_mb"]
    return report


def _run_inputs(client, public_inputs, limits, report):
    try:
        preflight(client, public_inputs[:PREFLIGHT_ITEMS])
        timed = public_inputs[: limits.batch_size]
        before = client.stats
        client.predict_proba(timed)
        after = client.stats
    except SandboxError as error:
        report.add(error)
        return
    seconds = after["seconds"] - before["seconds"]
    report.info.update(
        items=len(timed),
        latency_ms_per_item=round(1000 * seconds / len(timed), 3),
    )
