"""check-agent: every problem found in one report, plus the figures a submitter needs."""

import pytest

from sandbox.check import CheckReport, Problem, check_agent
from sandbox.limits import Limits

from .conftest import BENCHMARK_LABELS, COUNTING_AGENT, QUICK, assert_no_process_left
from .test_preflight import RANDOM_AGENT

PUBLIC = ["good film", "bad film", "good good", "bad", "a film", "good bad good", "", "bad bad"]


def check(folder, limits=QUICK, **options):
    return check_agent(
        folder, PUBLIC, BENCHMARK_LABELS, backend="local", limits=limits, trusted=True, **options
    )


def test_a_good_agent_has_no_problems_and_its_figures(write_agent):
    folder = write_agent(COUNTING_AGENT)
    report = check(folder)
    assert report.ok and report.problems == []
    info = report.info
    assert info["labels"] == ["fresh", "rotten"] and info["input_kind"] == "text"
    assert info["items"] == len(PUBLIC)
    assert 0 < info["latency_ms_per_item"] < 100
    assert 5 < info["peak_memory_mb"] < 256
    assert 0 < info["startup_seconds"] < 10
    assert_no_process_left(folder)


def test_a_missing_agent_py(tmp_path):
    (tmp_path / "README.md").write_text("my model\n")
    report = check(tmp_path)
    assert [p.category for p in report.problems] == ["invalid_submission"]
    assert report.problems[0].message.startswith("No agent.py found")


def test_unmappable_labels_and_unstable_output_are_both_reported(write_agent):
    folder = write_agent(RANDOM_AGENT.replace('["rotten", "fresh"]', '["negative", "positive"]'))
    report = check(folder)
    assert [p.category for p in report.problems] == ["invalid_submission", "bad_output"]
    assert "do not match the benchmark's labels ['rotten', 'fresh']" in report.problems[0].message
    assert "on a repeat" in report.problems[1].message
    assert report.info["labels"] == ["negative", "positive"]
    assert_no_process_left(folder)


def test_a_declared_mapping_resolves_the_labels(write_agent):
    folder = write_agent(COUNTING_AGENT.replace('["fresh", "rotten"]', '["POS", "NEG"]'))
    assert check(folder, mapping={"POS": "fresh", "NEG": "rotten"}).ok


def test_an_input_kind_mismatch_and_unmappable_labels(write_agent):
    folder = write_agent(
        """
        labels = ["denied", "approved"]
        input_kind = "record"

        def predict(inputs):
            return [[0.5, 0.5] for _ in inputs]
        """
    )
    report = check(folder)
    assert [p.category for p in report.problems] == ["invalid_submission", "invalid_submission"]
    assert "do not match" in report.problems[0].message
    assert report.problems[1].message.startswith(
        "The model declares input_kind 'record' but this benchmark's items are 'text' inputs"
    )


def test_a_crash_at_import_is_reported_with_its_log(write_agent):
    folder = write_agent("labels = ['rotten', 'fresh']\nimport tensorflow\n")
    report = check(folder)
    assert report.problems == [
        Problem(
            "agent_error",
            "Loading agent.py raised ModuleNotFoundError: No module named 'tensorflow' "
            "(agent.py must import without errors; the sandbox has no network and provides "
            "only numpy, scipy, scikit-learn, torch, transformers, vaderSentiment and textblob "
            "(docs/runner-image.md): ship other pure-Python code inside your agent's folder).",
        )
    ]
    assert "import tensorflow" in report.log
    assert_no_process_left(folder)


def test_a_slow_agent_is_a_timeout(write_agent):
    folder = write_agent(
        COUNTING_AGENT.replace("rows = []", "import time; time.sleep(5); rows = []")
    )
    report = check(folder, limits=Limits(request_timeout_s=0.3))
    assert [p.category for p in report.problems] == ["timeout"]
    assert "request_timeout_s limit is 0.3 s" in report.problems[0].message
    assert report.info["labels"] == ["fresh", "rotten"]
    assert_no_process_left(folder)


def test_the_local_backend_refuses_an_untrusted_agent(write_agent):
    report = check_agent(
        write_agent(COUNTING_AGENT),
        PUBLIC,
        BENCHMARK_LABELS,
        backend="local",
        limits=QUICK,
        trusted=False,
    )
    assert [p.category for p in report.problems] == ["platform_error"]
    assert isinstance(report, CheckReport) and not report.ok


def test_public_inputs_must_be_texts_or_records(write_agent):
    with pytest.raises(ValueError, match="non-empty list of strings or of dicts"):
        check_agent(
            write_agent(COUNTING_AGENT),
            [],
            BENCHMARK_LABELS,
            backend="local",
            limits=QUICK,
            trusted=True,
        )
