"""ModelClient: talks protocol v1 to one running model, under the run's time limits.

Every failure comes out as one SandboxError subclass. A failure of the stream itself (a timeout,
a dead process, an unreadable reply) stops the process for good; an error the model reports
(its code raised) leaves it running until close().

Everything the sandboxed process sends is under the agent's control (the runner shares its
process), so no reply can make a failure the platform's: that category is never charged and is
requeued, which a forged reply must not be able to claim.
"""

import reprlib
import signal
import time

import numpy as np

from sandbox.errors import (
    AgentError,
    BadOutput,
    InvalidSubmission,
    OutOfMemory,
    PlatformError,
    SandboxTimeout,
)
from sandbox.labels import align_labels
from sandbox.limits import Limits
from sandbox.protocol import (
    AgentInfo,
    decode_line,
    encode_line,
    validate_hello,
    validate_probabilities,
)
from sandbox.transport import MAX_UNREAD_LINES, Flooded, StreamClosed, Timeout

__all__ = ["AgentInfo", "ModelClient"]

LOG_TAIL_BYTES = 20_000
CRASH_LINES_IN_MESSAGE = 10


class ModelClient:
    def __init__(self, transport, *, limits=Limits(), backend="local"):
        self.transport = transport
        self.limits = limits
        self.backend = backend
        self._info = None
        self._alignment = None
        self._benchmark_labels = None
        self._failure = None  # the error that stopped the process, raised again on any later use
        self._startup_seconds = None
        self._items = 0
        self._seconds = 0.0
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def hello(self):
        """The model's declared labels and input kind (asked once, at start)."""
        if self._info is None:
            deadline, limit = self._deadline(
                self.limits.start_timeout_s, "start_timeout_s", self.transport.started_at
            )
            reply = self._exchange({"op": "hello"}, "hello", deadline, limit)
            self._info = validate_hello(reply)
            self._startup_seconds = round(time.monotonic() - self.transport.started_at, 3)
        return self._info

    def use_labels(self, benchmark_labels, mapping=None):
        """Align the model's columns to the benchmark's labels (InvalidSubmission if impossible)."""
        alignment = align_labels(self.hello().labels, benchmark_labels, mapping)
        self._alignment = alignment
        self._benchmark_labels = list(benchmark_labels)
        return alignment

    def predict_proba(self, inputs, progress=None):
        """Probabilities, shape (len(inputs), n benchmark labels), in benchmark label order."""
        if self._alignment is None:
            raise PlatformError("use_labels() must be called before predict_proba().")
        info = self.hello()
        inputs = list(inputs)
        total = len(inputs)
        probabilities = np.empty((total, len(self._alignment)), dtype=np.float64)
        for start in range(0, total, self.limits.batch_size):
            batch = inputs[start : start + self.limits.batch_size]
            began = time.monotonic()
            deadline, limit = self._deadline(
                self.limits.request_timeout_s, "request_timeout_s", began
            )
            reply = self._exchange(
                {"op": "predict", "inputs": batch}, "predict", deadline, limit, len(batch)
            )
            self._seconds += time.monotonic() - began
            try:
                rows = validate_probabilities(reply.get("probabilities"), len(batch), info.labels)
            except BadOutput as error:
                error.log = self.log_tail()
                raise
            probabilities[start : start + len(batch)] = rows[:, self._alignment]
            self._items += len(batch)
            if progress is not None:
                progress(start + len(batch), total)
        return probabilities

    @property
    def stats(self):
        return {
            "items": self._items,
            "seconds": round(self._seconds, 6),
            "latency_ms_per_item": round(1000 * self._seconds / self._items, 3)
            if self._items
            else None,
            "peak_memory_mb": self.transport.peak_memory_mb(),
            "startup_seconds": self._startup_seconds,
        }

    @property
    def sandbox_info(self):
        """Which backend ran the model, and on what (e.g. the image digest), for provenance."""
        return getattr(self.transport, "describe", lambda: {"backend": self.backend})()

    def log_tail(self):
        """The last lines the model wrote to its error output (print() lands there too)."""
        return self.transport.stderr_tail(LOG_TAIL_BYTES)

    def close(self):
        if not self._closed:
            self._closed = True
            self.transport.close()

    # -- one request, one reply --------------------------------------------------------------

    def _deadline(self, seconds, limit, since):
        """The earlier of this step's own limit and the whole run's: (deadline, limit name)."""
        own = since + seconds
        whole_run = self.transport.started_at + self.limits.total_timeout_s
        return (own, limit) if own <= whole_run else (whole_run, "total_timeout_s")

    def _exchange(self, request, op, deadline, limit, batch_size=None):
        if self._failure is not None:
            raise self._failure
        if self._closed:
            raise PlatformError("The sandbox was already closed.")
        doing = _doing(op, batch_size)
        try:
            self.transport.write_line(encode_line(request), deadline)
            line = self.transport.read_line(deadline)
        except Timeout:
            raise self._stop(self._timeout_error(limit, doing, batch_size), doing) from None
        except Flooded:
            raise self._stop(self._flooded_error(doing), doing) from None
        except StreamClosed:
            line = None
        if line is None:
            raise self._stop(self._ended_error(doing), doing)
        try:
            reply = decode_line(line, self.limits.max_line_bytes)
        except BadOutput as error:
            raise self._stop(error, doing) from None
        if reply.get("ok") is not True:
            raise self._reported_error(reply, op, doing)
        return reply

    def _stop(self, error, doing):
        """Kill the process (its stream is no use any more) and remember why."""
        self.transport.close()
        self._closed = True
        if self.transport.memory_exceeded() and not isinstance(error, OutOfMemory):
            error = self._memory_error(doing, ", and was stopped")
        if not error.log:
            error.log = self.log_tail()
        self._failure = error
        return error

    def _memory_error(self, doing, detail="", log=None):
        return OutOfMemory(
            f"The model used more than {self.limits.memory_mb} MB of memory (the memory_mb limit) "
            f"while {doing}{detail}. Use a smaller model or smaller internal batches, or free "
            "what you no longer need.",
            self.log_tail() if log is None else log,
        )

    def _timeout_error(self, limit, doing, batch_size):
        seconds = getattr(self.limits, limit)
        advice = {
            "start_timeout_s": "importing agent.py and loading its weights must finish within it",
            "request_timeout_s": (
                f"predict() must answer a batch of {_inputs(batch_size)} within it; make it "
                "faster or make sure it cannot hang"
            ),
            "total_timeout_s": "the whole evaluation must finish within it; make predict() faster",
        }[limit]
        return SandboxTimeout(
            f"The model did not answer in time while {doing}: the {limit} limit is {seconds:g} s; "
            f"{advice}.",
            limit=limit,
            seconds=seconds,
        )

    def _flooded_error(self, doing):
        return BadOutput(
            f"The model's process wrote more than {MAX_UNREAD_LINES} lines to the protocol stream "
            f"while {doing}, where the runner writes one reply per request. Leave the protocol "
            "stream to the runner (print() output goes to the log)."
        )

    def _ended_error(self, doing):
        code = self.transport.wait_exit(timeout=2.0)
        if self.transport.memory_exceeded():
            return self._memory_error(doing, ", and was stopped")
        # The backend may know that the process was ended from outside (the engine went away or
        # stopped it): the platform's fault, not the model's.
        outside = getattr(self.transport, "outside_cause", lambda: None)()
        if outside:
            return PlatformError(
                f"The sandbox was lost while {doing}: {outside}. This is not the submission's "
                "fault; the evaluation is run again.", self.log_tail()
            )
        if code is None:
            cause = "closed its output stream"
        elif code < 0:
            cause = f"was killed by signal {-code} ({_signal_name(-code)})"
            if -code == signal.SIGKILL:
                cause += "; the system may have run out of memory"
        else:
            cause = f"exited with code {code}"
        tail = self.log_tail()
        lines = "\n".join(tail.strip().splitlines()[-CRASH_LINES_IN_MESSAGE:])
        message = f"The model's process {cause} while {doing}."
        if lines:
            message += f" The last lines of its error output:\n{lines}"
        else:
            message += " It wrote nothing to its error output."
        return AgentError(message, tail)

    def _reported_error(self, reply, op, doing):
        error = reply.get("error")
        if not isinstance(error, dict):
            return BadOutput(
                f"The model's reply while {doing} is neither an answer nor an error report: "
                f"{reprlib.repr(reply)}. Leave the protocol stream to the runner (print() output "
                "goes to the log).",
                self.log_tail(),
            )
        kind = error.get("kind")
        error_type = _text(error.get("type")) or "Error"
        text = _text(error.get("message"))
        trace = _text(error.get("traceback"))
        log = "\n".join(part for part in (self.log_tail().rstrip(), trace.rstrip()) if part)
        where = "Loading agent.py" if op == "hello" else "predict()"
        raised = f"{error_type}: {text}" if text else error_type
        if kind == "agent_error":
            advice = (
                "agent.py must import without errors"
                if op == "hello"
                else "the traceback is in the log"
            )
            if error_type == "ModuleNotFoundError":
                advice += (
                    "; the sandbox has no network and provides only numpy, scipy, scikit-learn, "
                    "torch, transformers, vaderSentiment and textblob (docs/runner-image.md): "
                    "ship other pure-Python code inside your agent's folder"
                )
            return AgentError(f"{where} raised {raised} ({advice}).", log)
        if kind == "out_of_memory":
            return self._memory_error(doing, f" ({raised})", log)
        sentence = text if text.endswith(".") else f"{text}."
        if kind == "bad_output":
            return BadOutput(sentence, log)
        if kind == "invalid_submission":
            return InvalidSubmission(sentence, log)
        return BadOutput(
            f"The model's process reported a failure of kind {_text(kind)[:40]!r} while {doing} "
            f"({raised}). Replies from inside the sandbox cannot declare the platform at fault, "
            "so the run counts as the submission's; leave the protocol stream to the runner "
            "(print() output goes to the log).",
            log,
        )


def _text(value):
    """A field of an error reply as text, whatever JSON the process put there (reprlib: short,
    and safe however deep it is nested)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else reprlib.repr(value)


def _doing(op, batch_size):
    if op == "hello":
        return "starting (importing agent.py)"
    if op == "predict":
        return f"answering a predict request of {_inputs(batch_size)}"
    return f"answering {op!r}"


def _inputs(count):
    return f"{count} input" if count == 1 else f"{count} inputs"


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"
