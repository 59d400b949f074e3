"""Whole evaluations of an uploaded agent on each isolating backend: the result is the same as
on the local backend, and the page, the API and the CLI say which sandbox ran it."""

import platform

import pytest
from django.core.management import call_command

from leaderboard import tasks
from leaderboard.tasks import run_evaluation
from sandbox.runtime import venv_runtime
from sandbox.selection import AUTO_ORDER, AVAILABILITY
from tests.conftest import KEYWORD_AGENT, skip_unless_backend_runs

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["docker", "bwrap"])
def isolating_backend(request, settings):
    skip_unless_backend_runs(request.param)
    settings.SANDBOX_BACKEND = request.param
    return request.param


def test_an_upload_is_evaluated_in_the_sandbox_with_the_same_metrics(
    isolating_backend, queued_evaluation, client, settings
):
    evaluation = queued_evaluation(KEYWORD_AGENT, trusted=False)
    run_evaluation(evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.status == "finished", evaluation.failure_message
    assert evaluation.backend == isolating_backend
    quality = evaluation.suites.get(suite="quality")
    assert quality.metrics["accuracy"] == pytest.approx(0.6)
    assert quality.per_item["predicted"] == [1, 1, 1, 0, 0, 0, 1, 1, 0, 0]

    sandbox = evaluation.provenance["sandbox"]
    assert sandbox["backend"] == isolating_backend
    if isolating_backend == "docker":
        assert sandbox["image"] == "safetygym-runner:1"
        assert sandbox["image_id"].startswith("sha256:")
        assert sandbox["runtime"] == "runc"
    # The interpreter and packages the model ran with are the sandbox's, not the worker's.
    assert evaluation.provenance["python"] == venv_runtime(settings.SANDBOX_RUNNER_VENV)["python"]
    assert evaluation.provenance["packages"]["torch"] == "2.13.0+cpu"
    assert evaluation.provenance["worker"]["python"] == platform.python_version()
    page = client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert f"sandbox: <code>{isolating_backend}" in page
    if isolating_backend == "docker":
        assert sandbox["image_id"][:19] in page
    api = client.get(f"/api/v1/evaluations/{evaluation.pk}/").json()
    assert api["backend"] == isolating_backend
    assert api["provenance"]["sandbox"] == sandbox


def test_evaluate_says_which_sandbox_ran_the_agent(isolating_backend, tiny_version, write_agent,
                                                    capsys):
    call_command("evaluate", str(write_agent(KEYWORD_AGENT)), "--benchmark", "tiny")
    assert f"sandbox: {isolating_backend}" in capsys.readouterr().out


def test_check_agent_runs_in_the_chosen_sandbox(isolating_backend, tiny_version, write_agent,
                                                capsys):
    call_command("check-agent", str(write_agent(KEYWORD_AGENT)), "--benchmark", "tiny")
    assert f"sandbox {isolating_backend} (configured)" in capsys.readouterr().out


def test_auto_asks_each_backend_with_the_configured_image_and_venv(settings, tmp_path,
                                                                    monkeypatch):
    asked = {}
    for name in AUTO_ORDER:
        monkeypatch.setitem(AVAILABILITY, name,
                            lambda name=name, **needs: asked.update({name: needs}) or (False, "no"))
    monkeypatch.setattr(tasks, "_resolved_backends", {})
    settings.SANDBOX_BACKEND = "auto"
    settings.SANDBOX_RUNNER_IMAGE = "safetygym-runner:other"
    settings.SANDBOX_RUNNER_VENV = tmp_path / "venv"
    assert tasks.chosen_backend() == ("local", "local (auto; docker: no; bwrap: no)")
    assert asked == {"docker": {"image": "safetygym-runner:other", "runtime": None},
                     "bwrap": {"venv": tmp_path / "venv"}}
