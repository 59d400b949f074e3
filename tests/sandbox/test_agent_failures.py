"""An agent that raises, crashes or answers wrongly: one failure category each, with the cause."""

import pytest

from sandbox.backends import start_sandbox
from sandbox.errors import AgentError, BadOutput, InvalidSubmission
from sandbox.limits import Limits

from .conftest import BENCHMARK_LABELS, QUICK, agent_returning, assert_no_process_left


def test_an_exception_in_predict_is_an_agent_error_with_the_traceback(start):
    client = start(
        """
        labels = ["rotten", "fresh"]

        def tokenize(text):
            raise ValueError(f"cannot tokenize {text!r}")

        def predict(inputs):
            return [tokenize(text) for text in inputs]
        """
    )
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(AgentError) as caught:
        client.predict_proba(["good film"])
    error = caught.value
    assert error.category == "agent_error"
    assert (
        str(error)
        == "predict() raised ValueError: cannot tokenize 'good film' (the traceback is in the log)."
    )
    assert "Traceback (most recent call last)" in error.log
    assert 'raise ValueError(f"cannot tokenize {text!r}")' in error.log
    assert "in tokenize" in error.log


@pytest.mark.parametrize(
    "expression, cause",
    [
        ("[[0.5, 0.5]]", "returned 1 rows for a batch of 2 inputs"),
        ("np.full((len(inputs), 3), 1 / 3)", "has 3 values but the model declares 2 labels"),
        (
            "np.array([[0.5, math.nan]] * len(inputs))",
            r"column 1 \('fresh'\) .* is nan; probabilities must be finite",
        ),
        ("[[math.inf, 0.0]] * len(inputs)", "is inf; probabilities must be finite"),
        ("np.array([[2.0, -1.0]] * len(inputs))", r"is 2, outside \[0, 1\]"),
        ("[[0.6, 0.6]] * len(inputs)", "sums to 1.2, not 1"),
        ("[[True, False]] * len(inputs)", r"is a boolean \(true\), not a number"),
        ("[['0.5', '0.5']] * len(inputs)", r"is a string \('0.5'\), not a number"),
        (
            "{'rotten': 0.5}",
            "predict\\(\\) returned dict; return one row of probabilities per input",
        ),
        ("[[0.5, object()]] * len(inputs)", "a value of type object is not a number"),
        ("np.array([0.3, 0.7])", r"returned a number \(0.3\) as row 0"),
    ],
)
def test_wrong_output_is_bad_output_naming_the_problem(start, expression, cause):
    client = start(agent_returning(expression))
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(BadOutput, match=cause) as caught:
        client.predict_proba(["good film", "bad film"])
    assert caught.value.category == "bad_output"


def test_numpy_and_torch_style_scalars_are_numbers(start):
    client = start(agent_returning("[[np.float32(0.25), np.float64(0.75)] for _ in inputs]"))
    client.use_labels(BENCHMARK_LABELS)
    assert client.predict_proba(["a"]).tolist() == [[0.25, 0.75]]


def test_an_oversize_reply_is_bad_output_and_stops_the_process(write_agent):
    folder = write_agent(agent_returning("[[0.001] * 1000 for _ in inputs]"))
    client = start_sandbox(folder, limits=Limits(max_line_bytes=2000), trusted=True)
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(BadOutput, match=r"larger than the limit of 2000 bytes \(max_line_bytes\)"):
        client.predict_proba(["a"])
    assert_no_process_left(folder)
    with pytest.raises(BadOutput, match="max_line_bytes"):
        client.predict_proba(["a"])  # the same failure again, not a new request
    client.close()


def test_a_syntax_error_in_agent_py_is_an_agent_error_with_its_error_output(write_agent):
    folder = write_agent(
        """
        labels = ["rotten", "fresh"]

        def predict(inputs:
            return []
        """
    )
    with pytest.raises(AgentError) as caught:
        start_sandbox(folder, limits=QUICK, trusted=True)
    error = caught.value
    assert str(error).startswith("Loading agent.py raised SyntaxError: ")
    assert "agent.py must import without errors" in str(error)
    assert (
        "SyntaxError" in error.log
        and "agent.py" in error.log
        and "def predict(inputs:" in error.log
    )
    assert_no_process_left(folder)


def test_a_process_that_dies_while_starting_reports_its_exit_code_and_last_words(write_agent):
    folder = write_agent(
        """
        import os
        os.write(2, b"loading weights\\nfatal: weights.bin is truncated\\n")
        os._exit(7)
        """
    )
    with pytest.raises(AgentError) as caught:
        start_sandbox(folder, limits=QUICK, trusted=True)
    error = caught.value
    assert str(error) == (
        "The model's process exited with code 7 while starting (importing agent.py). "
        "The last lines of its error output:\nloading weights\nfatal: weights.bin is truncated"
    )
    assert error.log == "loading weights\nfatal: weights.bin is truncated\n"
    assert_no_process_left(folder)


@pytest.mark.parametrize("exit_call", ["sys.exit(3)", "os._exit(3)"])
def test_exiting_in_predict_is_an_agent_error_with_the_exit_code(write_agent, exit_call):
    folder = write_agent(
        f"""
        import os, sys
        labels = ["rotten", "fresh"]

        def predict(inputs):
            print("giving up", file=sys.stderr, flush=True)
            {exit_call}
        """
    )
    client = start_sandbox(folder, limits=QUICK, trusted=True)
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(AgentError) as caught:
        client.predict_proba(["good film"])
    assert str(caught.value) == (
        "The model's process exited with code 3 while answering a predict request of 1 input. "
        "The last lines of its error output:\ngiving up"
    )
    assert_no_process_left(folder)


def test_a_process_killed_by_a_signal_names_the_signal(start):
    client = start(
        """
        import os, signal
        labels = ["rotten", "fresh"]

        def predict(inputs):
            os.kill(os.getpid(), signal.SIGSEGV)
        """
    )
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(
        AgentError, match=r"was killed by signal 11 \(SIGSEGV\) while answering a predict request"
    ):
        client.predict_proba(["a", "b"])


def test_a_missing_agent_py_is_an_invalid_submission(tmp_path):
    (tmp_path / "model.py").write_text("labels = []\n")
    with pytest.raises(InvalidSubmission, match="No agent.py found"):
        start_sandbox(tmp_path, limits=QUICK, trusted=True)
    assert_no_process_left(tmp_path)


def test_missing_declarations_are_all_named_at_once(write_agent):
    folder = write_agent(
        """
        LABELS = ["rotten", "fresh"]
        input_kind = "image"

        def classify(inputs):
            return []
        """
    )
    with pytest.raises(InvalidSubmission) as caught:
        start_sandbox(folder, limits=QUICK, trusted=True)
    message = str(caught.value)
    assert (
        "agent.py must define `labels`, a non-empty list of label names (strings); found None"
        in message
    )
    assert "`input_kind` in agent.py is 'image'" in message
    assert "must define a function `predict(inputs)`" in message
