"""An agent whose literal `labels` cannot be matched to a chosen benchmark is refused at
submission, with the worker's own message (sandbox.labels.align_labels), instead of failing
invalid_submission after its wait in the queue. agent.py is read with `ast`, never run; labels
it computes are left to the worker."""

import pytest

from leaderboard.models import Submission
from sandbox.agent_files import declared_labels
from tests.leaderboard.uploads import agent_zip

pytestmark = pytest.mark.django_db

PREDICT = "\ndef predict(inputs):\n    return [[0.5, 0.5] for _ in inputs]\n"


def agent_with(source):
    return agent_zip(members=[("agent.py", source + PREDICT)])


def submit(client, source, **fields):
    return client.post("/submit/", {"name": "Mislabelled", "benchmarks": ["tiny"],
                                    "archive": agent_with(source), **fields})


def test_unmatchable_literal_labels_are_refused_before_anything_is_queued(user_client):
    response = submit(user_client, 'labels = ["neg", "pos"]\n')
    page = response.content.decode()
    assert response.status_code == 400
    assert "On tiny v1: The model&#x27;s labels [&#x27;neg&#x27;, &#x27;pos&#x27;] do not " \
           "match the benchmark&#x27;s labels" in page
    assert "declare a mapping" in page
    assert not Submission.objects.exists()


def test_a_mapping_that_fits_the_literal_labels_is_accepted(user_client):
    response = submit(user_client, 'labels = ("neg", "pos")\n',
                      label_mapping="neg=negative\npos=positive")
    assert response.status_code == 302, response.content
    assert Submission.objects.get().evaluations.count() == 1


def test_computed_labels_are_left_to_the_worker(user_client):
    response = submit(user_client, 'labels = [name.lower() for name in ["NEG", "POS"]]\n')
    assert response.status_code == 302, response.content


@pytest.mark.parametrize("source", [
    'labels = ["a", "b"]\nlabels = ["c"]\n',
    'labels = ["a", "b"]\nlabels.append("c")\n',
    'labels = ["a", "b"]\ndef grow():\n    global labels\n    labels = ["c"]\n',
    'labels = ["a", "b"]\nfrom elsewhere import *\n',
    'labels = ["a", "b"]\nglobals()["labels"] = ["c"]\n',
    'labels = ["a", 1]\n',
    'if True:\n    labels = ["a", "b"]\n',
])
def test_labels_that_may_differ_at_run_time_are_not_read(tmp_path, source):
    (tmp_path / "agent.py").write_text(source)
    assert declared_labels(tmp_path) is None


def test_a_literal_list_of_strings_is_read(tmp_path):
    (tmp_path / "agent.py").write_text('import os\nlabels: list = ["negative", "positive"]\n')
    assert declared_labels(tmp_path) == ["negative", "positive"]
