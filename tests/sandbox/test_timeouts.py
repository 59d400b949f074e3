"""Wall-clock limits: the process is killed and the error names the limit that ran out."""

import time

import pytest

from sandbox.backends import start_sandbox
from sandbox.errors import SandboxTimeout
from sandbox.limits import Limits

from .conftest import BENCHMARK_LABELS, assert_no_process_left

SLEEPY_PREDICT = """
import sys, time
labels = ["rotten", "fresh"]

def predict(inputs):
    print("thinking", file=sys.stderr, flush=True)
    time.sleep({seconds})
    return [[0.5, 0.5] for _ in inputs]
"""


def test_hanging_at_import_hits_the_start_limit(write_agent):
    folder = write_agent(
        """
        import sys, time
        print("downloading weights", file=sys.stderr, flush=True)
        time.sleep(60)
        """
    )
    began = time.monotonic()
    with pytest.raises(SandboxTimeout) as caught:
        start_sandbox(folder, limits=Limits(start_timeout_s=0.5), trusted=True)
    assert time.monotonic() - began < 5
    error = caught.value
    assert (error.category, error.limit, error.seconds) == ("timeout", "start_timeout_s", 0.5)
    assert str(error) == (
        "The model did not answer in time while starting (importing agent.py): the "
        "start_timeout_s limit is 0.5 s; importing agent.py and loading its weights must finish "
        "within it."
    )
    assert error.log == "downloading weights\n"
    assert_no_process_left(folder)


def test_hanging_in_predict_hits_the_request_limit(write_agent):
    folder = write_agent(SLEEPY_PREDICT.format(seconds=60))
    client = start_sandbox(folder, limits=Limits(request_timeout_s=0.5, batch_size=3), trusted=True)
    client.use_labels(BENCHMARK_LABELS)
    began = time.monotonic()
    with pytest.raises(SandboxTimeout) as caught:
        client.predict_proba(["a", "b"])
    assert time.monotonic() - began < 5
    error = caught.value
    assert (error.limit, error.seconds) == ("request_timeout_s", 0.5)
    assert (
        "while answering a predict request of 2 inputs: the request_timeout_s limit is 0.5 s"
        in str(error)
    )
    assert "predict() must answer a batch of 2 inputs within it" in str(error)
    assert error.log == "thinking\n"
    assert_no_process_left(folder)
    with pytest.raises(SandboxTimeout):
        client.predict_proba(["a"])  # the run stays failed
    client.close()


def test_many_slow_batches_hit_the_whole_run_limit(write_agent):
    folder = write_agent(SLEEPY_PREDICT.format(seconds=0.3))
    limits = Limits(request_timeout_s=5, total_timeout_s=2, batch_size=1)
    client = start_sandbox(folder, limits=limits, trusted=True)
    client.use_labels(BENCHMARK_LABELS)
    done = []
    with pytest.raises(SandboxTimeout) as caught:
        client.predict_proba(["a"] * 20, progress=lambda n, total: done.append(n))
    assert (caught.value.limit, caught.value.seconds) == ("total_timeout_s", 2)
    assert "the total_timeout_s limit is 2 s; the whole evaluation must finish within it" in str(
        caught.value
    )
    assert 1 <= len(done) <= 6  # about 0.3 s a batch
    assert_no_process_left(folder)
    client.close()


def test_the_whole_run_limit_covers_the_start_too(write_agent):
    folder = write_agent("import time\ntime.sleep(60)\n")
    with pytest.raises(SandboxTimeout) as caught:
        start_sandbox(folder, limits=Limits(start_timeout_s=30, total_timeout_s=0.5), trusted=True)
    assert caught.value.limit == "total_timeout_s"
    assert_no_process_left(folder)
