"""The server-rendered pages: the leaderboard at / and the evaluation page."""

import pytest

from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db


def test_index_shows_each_benchmark_leaderboard_with_intervals(client, queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT, name="Keyword <b>model</b>")
    run_evaluation(evaluation.pk)
    page = client.get("/").content.decode()
    assert "Tiny sentiment" in page
    assert "Keyword &lt;b&gt;model&lt;/b&gt;" in page
    assert "0.725" in page
    assert "tied for #1" not in page  # a lone model is simply first
    assert "B = 2,000" in page


def test_index_without_benchmarks_says_how_to_load_one(client, db):
    assert "load-benchmark rt-sentiment" in client.get("/").content.decode()


def test_failed_evaluation_page_names_category_message_and_log(client, admin_client,
                                                              queued_evaluation):
    evaluation = queued_evaluation(
        """
        import sys
        labels = ["negative", "positive"]
        def predict(inputs):
            print("loading weights from /tmp/w.bin", file=sys.stderr)
            raise FileNotFoundError("w.bin")
        """
    )
    run_evaluation(evaluation.pk)
    page = client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "agent_error" in page
    assert "FileNotFoundError" in page
    # The log is the owner's; an operator's own (ownerless) agent's, the staff's.
    assert "loading weights from /tmp/w.bin" not in page
    staff_page = admin_client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "loading weights from /tmp/w.bin" in staff_page
    index = client.get("/").content.decode()
    assert "failed" in index and "agent_error" in index


def test_queued_evaluation_page_shows_queue_position_and_polls(client, queued_evaluation):
    first = queued_evaluation(KEYWORD_AGENT)
    second = queued_evaluation(KEYWORD_AGENT)
    page = client.get(f"/evaluations/{second.pk}/").content.decode()
    assert "position 2 in the queue" in page
    assert f"/evaluations/{second.pk}/status/" in page
    assert first.status == "queued"


def test_leaderboard_page_shows_dataset_provenance(client, tiny_version):
    page = client.get("/benchmarks/tiny/v1/").content.decode()
    assert "held out, not secret" in page
    assert client.get("/benchmarks/tiny/v9/").status_code == 404


def test_private_evaluation_page_is_not_found(client, queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT)
    evaluation.submission.public = False
    evaluation.submission.save()
    assert client.get(f"/evaluations/{evaluation.pk}/").status_code == 404
