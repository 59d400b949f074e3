import pytest

from sandbox.errors import BadOutput
from sandbox.preflight import preflight

from .conftest import BENCHMARK_LABELS, COUNTING_AGENT

RANDOM_AGENT = """
import random
labels = ["rotten", "fresh"]

def predict(inputs):
    rows = []
    for _ in inputs:
        fresh = random.random()
        rows.append([1 - fresh, fresh])
    return rows
"""


def test_a_deterministic_agent_passes(start):
    client = start(COUNTING_AGENT)
    client.use_labels(BENCHMARK_LABELS)
    preflight(client, ["good film", "bad film", "good"])
    assert client.stats["items"] == 6


def test_an_agent_that_answers_differently_on_a_repeat_fails(start):
    client = start(RANDOM_AGENT)
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(
        BadOutput,
        match=r"different probabilities for the same input on a repeat \(item \d: .*fix random seeds",
    ):
        preflight(client, ["good film", "bad film", "good"])


def test_bad_output_fails_the_preflight(start):
    client = start(
        COUNTING_AGENT.replace("rows.append([fresh, 1 - fresh])", "rows.append([fresh, fresh])")
    )
    client.use_labels(BENCHMARK_LABELS)
    with pytest.raises(BadOutput, match="Row 0 of predict\\(\\)'s output sums to 1.33333, not 1"):
        preflight(client, ["good film"])
