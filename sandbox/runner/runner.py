"""Serves one agent over protocol v1: JSON lines on stdin/stdout.

Run as `python -I runner.py [--memory-mb N] [--huggingface] AGENT_DIR`. This file is what runs
inside the sandbox, so it imports the standard library only; the agent's module may import
whatever the image provides (numpy, torch, ...).

With --huggingface, AGENT_DIR is a Hugging Face model snapshot (config.json, safetensors
weights, tokenizer files) instead: it is served with a transformers text-classification
pipeline, its labels are config.json's id2label in column order, softmax probabilities, inputs
truncated to the model's limit. Only safetensors weights are loaded, never a repository's code.

The agent is `agent.py`, at the root of AGENT_DIR or inside its one top-level folder, defining
`labels` (list of str), optionally `input_kind` ("text", the default, or "record"), and
`predict(inputs)` returning one row of probabilities per input, one column per label in the
order of `labels` (a list of lists or anything with `.tolist()`, such as a numpy array).

Requests and replies:
  {"op": "hello"}                 -> {"ok": true, "protocol": 1, "labels": [...],
                                      "input_kind": "text"}
  {"op": "predict", "inputs": []} -> {"ok": true, "probabilities": [[...], ...]}
  {"op": "bye"}                   -> {"ok": true}, then exit 0
  a failure -> {"ok": false, "error": {"kind", "type", "message", "traceback"}}, where kind is
  agent_error, out_of_memory, bad_output, invalid_submission or platform_error.

--memory-mb sets RLIMIT_DATA for backends without a memory cgroup (local, bwrap).

The protocol's stdout is kept private: file descriptor 1 is pointed at stderr and stdin at
/dev/null before the agent is imported, so nothing the agent prints or reads touches the protocol.
"""

import importlib.util
import json
import os
import sys
import traceback

PROTOCOL_VERSION = 1
INPUT_KINDS = ("text", "record")
IGNORED_NAMES = ("__MACOSX", "__pycache__", ".DS_Store")
# Allocation failures that native code reports as something other than MemoryError.
OUT_OF_MEMORY_MARKERS = ("cannot allocate memory", "can't allocate memory", "bad_alloc")
NO_AGENT_FILE = (
    "No agent.py found: put agent.py (defining `labels` and `predict(inputs)`) at the root of "
    "the submission or inside its one top-level folder."
)


class Failure(Exception):
    """A failure to report as an error reply."""

    def __init__(self, kind, message, error_type="", trace=""):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.error_type = error_type
        self.trace = trace

    def reply(self):
        return {
            "ok": False,
            "error": {
                "kind": self.kind,
                "type": self.error_type,
                "message": self.message,
                "traceback": self.trace,
            },
        }


def find_agent_file(agent_dir):
    """agent.py at the root of agent_dir, or inside its one top-level folder; None if neither."""
    candidate = os.path.join(agent_dir, "agent.py")
    if os.path.isfile(candidate):
        return candidate
    try:
        names = [
            name
            for name in os.listdir(agent_dir)
            if name not in IGNORED_NAMES and not name.startswith("._")
        ]
    except OSError:
        return None
    if len(names) == 1:
        nested = os.path.join(agent_dir, names[0], "agent.py")
        if os.path.isfile(nested):
            return nested
    return None


def failure_from_exception(error):
    """The agent's own code raised: an agent error, or out of memory when it was an allocation."""
    text = f"{type(error).__name__}: {error}".lower()
    out_of_memory = isinstance(error, MemoryError) or any(m in text for m in OUT_OF_MEMORY_MARKERS)
    return Failure(
        "out_of_memory" if out_of_memory else "agent_error",
        str(error),
        type(error).__name__,
        traceback.format_exc(),
    )


def load_agent(agent_dir):
    """Import agent.py; returns (module, hello reply). Raises Failure."""
    path = find_agent_file(agent_dir)
    if path is None:
        raise Failure("invalid_submission", NO_AGENT_FILE)
    # The agent's own modules and data files sit beside agent.py.
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location("agent", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["agent"] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise failure_from_exception(error) from error
    return module, describe_agent(module)


def describe_agent(module):
    """The hello reply for a loaded agent; every problem with its declarations at once."""
    problems = []
    labels = getattr(module, "labels", None)
    if isinstance(labels, tuple):
        labels = list(labels)
    if (
        not isinstance(labels, list)
        or not labels
        or not all(isinstance(label, str) and label for label in labels)
    ):
        problems.append(
            f"agent.py must define `labels`, a non-empty list of label names (strings); "
            f"found {labels!r}"
        )
    input_kind = getattr(module, "input_kind", "text")
    if input_kind not in INPUT_KINDS:
        problems.append(
            f'`input_kind` in agent.py is {input_kind!r}; use "text" (the default) or "record"'
        )
    if not callable(getattr(module, "predict", None)):
        problems.append(
            "agent.py must define a function `predict(inputs)` returning one row of "
            "probabilities per input"
        )
    if problems:
        raise Failure("invalid_submission", "; ".join(problems))
    return {"ok": True, "protocol": PROTOCOL_VERSION, "labels": labels, "input_kind": input_kind}


def to_rows(result):
    """predict()'s return value -> a list of lists; the values are checked by the caller."""
    if hasattr(result, "tolist"):
        result = result.tolist()
    if not isinstance(result, (list, tuple)):
        raise Failure(
            "bad_output",
            f"predict() returned {type(result).__name__}; return one row of probabilities per "
            "input (a list of lists or a 2-D numpy array)",
        )
    rows = []
    for row in result:
        if hasattr(row, "tolist"):
            row = row.tolist()
        rows.append(list(row) if isinstance(row, tuple) else row)
    return rows


def plain_number(value):
    """json.dumps fallback: numpy and torch scalars become Python numbers."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"a value of type {type(value).__name__} is not a number")


def encode(reply):
    try:
        text = json.dumps(reply, separators=(",", ":"), default=plain_number)
    except (TypeError, ValueError) as error:
        text = json.dumps(
            Failure(
                "bad_output", f"predict() returned {error}; return probabilities as floats"
            ).reply()
        )
    return text.encode("utf-8") + b"\n"


class HuggingFaceModel:
    """A model snapshot served like an agent: `labels`, `input_kind`, `predict`."""

    input_kind = "text"
    # One input at a time: batched, each input is padded to the longest of its batch, which
    # moves its probabilities by ~1e-6 (float32), so the same text would score differently
    # beside other texts and fail the consistency re-check. On CPU a batch saves little.
    BATCH_SIZE = 1

    def __init__(self, model_dir):
        # Imported here: agents that never use transformers do not pay its start-up.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import (
            AutoModelForSequenceClassification,
            AutoTokenizer,
            TextClassificationPipeline,
        )

        options = {"local_files_only": True, "trust_remote_code": False}
        tokenizer = AutoTokenizer.from_pretrained(model_dir, **options)
        model = AutoModelForSequenceClassification.from_pretrained(
            model_dir, use_safetensors=True, **options
        )
        model.eval()
        config = model.config
        self.labels = [config.id2label[index] for index in range(config.num_labels)]
        # A tokenizer without a limit of its own says 1e30: the position embeddings are the
        # real one, and a longer input would crash the model instead of being cut.
        positions = getattr(config, "max_position_embeddings", None)
        limit = tokenizer.model_max_length
        if positions and (not limit or limit > positions):
            limit = positions
        tokenizer.model_max_length = limit
        self.max_length = limit
        self.pipeline = TextClassificationPipeline(model=model, tokenizer=tokenizer, device=-1)

    def predict(self, inputs):
        if not inputs:
            return []
        results = self.pipeline(
            list(inputs), top_k=None, function_to_apply="softmax", truncation=True,
            max_length=self.max_length, batch_size=self.BATCH_SIZE,
        )
        position = {label: column for column, label in enumerate(self.labels)}
        rows = []
        for scores in results:
            row = [0.0] * len(self.labels)
            for score in scores:
                row[position[score["label"]]] = float(score["score"])
            rows.append(row)
        return rows


def load_huggingface(model_dir):
    """Load a model snapshot; returns (model, hello reply). Raises Failure."""
    if not os.path.isfile(os.path.join(model_dir, "config.json")):
        raise Failure("invalid_submission", f"No config.json in the model snapshot {model_dir}.")
    try:
        model = HuggingFaceModel(model_dir)
    except Exception as error:
        failure = failure_from_exception(error)
        if failure.kind == "agent_error":
            failure.kind = "invalid_submission"
            failure.message = f"transformers could not load the model: {failure.message}"
        raise failure from error
    return model, describe_agent(model)


def predict(module, inputs):
    try:
        result = module.predict(inputs)
    except Exception as error:
        raise failure_from_exception(error) from error
    return {"ok": True, "probabilities": to_rows(result)}


def serve(agent_dir, requests, replies, huggingface=False):
    try:
        module, hello = (load_huggingface if huggingface else load_agent)(agent_dir)
        load_failure = None
    except Failure as failure:
        module, hello, load_failure = None, None, failure

    def send(reply):
        replies.write(encode(reply))
        replies.flush()

    for line in requests:
        try:
            request = json.loads(line)
            op = request["op"]
        except (ValueError, TypeError, KeyError) as error:
            send(
                Failure(
                    "platform_error", f"unreadable request: {error}", type(error).__name__
                ).reply()
            )
            continue
        if op == "bye":
            send({"ok": True})
            return 0
        try:
            if load_failure is not None:
                raise load_failure
            if op == "hello":
                send(hello)
            elif op == "predict":
                send(predict(module, request.get("inputs", [])))
            else:
                raise Failure("platform_error", f"unknown request {op!r}")
        except Failure as failure:
            send(failure.reply())
    return 0


def limit_memory(memory_mb):
    """Cap the data memory (heap, anonymous mappings) of this process and its children, before
    any agent code runs: an allocation past it fails as MemoryError inside the agent."""
    import resource

    cap = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv):
    arguments = argv[1:]
    memory_mb = None
    if arguments[:1] == ["--memory-mb"] and len(arguments) >= 2 and arguments[1].isdigit():
        memory_mb = int(arguments[1])
        arguments = arguments[2:]
    huggingface = arguments[:1] == ["--huggingface"]
    if huggingface:
        arguments = arguments[1:]
    if len(arguments) != 1:
        sys.stderr.write("usage: python -I runner.py [--memory-mb N] [--huggingface] AGENT_DIR\n")
        return 2
    if memory_mb is not None:
        limit_memory(memory_mb)
    replies = os.fdopen(os.dup(1), "wb")
    requests = os.fdopen(os.dup(0), "rb")
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout = sys.stderr
    sys.stdin = open(os.devnull)
    return serve(arguments[0], requests, replies, huggingface)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
