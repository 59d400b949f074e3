"""After a submission: its owner withdraws it (off every board, private, and back again) or
deletes it with its files; staff re-evaluate a benchmark's public entries on a new version,
and the old version's board stays as it was."""

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from benchmarks.models import BenchmarkVersion, Item
from leaderboard.models import Evaluation, Submission
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import PRIOR_AGENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned_entry(user_client, queued_evaluation, settings):
    """Ada's keyword agent (uploaded, so stored in the upload folder), finished and on the tiny
    board, beside the operator's prior agent."""
    settings.SANDBOX_ALLOW_UNTRUSTED_LOCAL = True
    run_evaluation(queued_evaluation(PRIOR_AGENT, name="Prior").pk)
    evaluation = queued_evaluation(KEYWORD_AGENT, name="Ada's keyword model", trusted=False)
    Submission.objects.filter(pk=evaluation.submission_id).update(owner=user_client.user)
    run_evaluation(evaluation.pk)
    evaluation = Evaluation.objects.select_related("submission").get(pk=evaluation.pk)
    assert evaluation.status == "finished", evaluation.failure_message
    return evaluation


def board_names(client):
    return [entry["name"] for entry in
            client.get("/api/v1/benchmarks/tiny/v1/leaderboard/").json()["entries"]]


def test_withdrawing_takes_it_off_the_board_and_leaves_it_to_its_owner(user_client, client,
                                                                       owned_entry):
    submission = owned_entry.submission
    assert client.get(f"/badges/tiny/{submission.pk}.json").status_code == 200
    assert user_client.post(f"/submissions/{submission.pk}/withdraw/").status_code == 302
    submission.refresh_from_db()
    assert (submission.public, submission.withdrawn_at is not None) == (False, True)
    assert "withdrawn" in user_client.get("/submissions/").content.decode()
    assert user_client.get(f"/evaluations/{owned_entry.pk}/").status_code == 200
    anonymous = type(client)()
    assert board_names(anonymous) == ["Prior"]
    assert anonymous.get(f"/evaluations/{owned_entry.pk}/").status_code == 404
    assert anonymous.get(f"/badges/tiny/{submission.pk}.json").status_code == 404
    assert user_client.post(f"/submissions/{submission.pk}/restore/").status_code == 302
    assert sorted(board_names(anonymous)) == ["Ada's keyword model", "Prior"]


def test_withdrawing_the_only_entry_empties_the_board(user_client, queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT, name="alone")
    Submission.objects.filter(pk=evaluation.submission_id).update(owner=user_client.user)
    run_evaluation(evaluation.pk)
    user_client.post(f"/submissions/{evaluation.submission_id}/withdraw/")
    assert board_names(user_client) == []
    assert "alone" not in type(user_client)().get("/benchmarks/tiny/v1/").content.decode()


def test_deleting_removes_the_evaluations_the_files_and_the_entry(user_client, owned_entry):
    submission = owned_entry.submission
    stored = Path(submission.agent_path)
    assert stored.is_dir()
    assert user_client.post(f"/submissions/{submission.pk}/delete/").status_code == 302
    assert not Submission.objects.filter(pk=submission.pk).exists()
    assert not Evaluation.objects.filter(pk=owned_entry.pk).exists()
    assert not stored.exists()
    assert board_names(user_client) == ["Prior"]


def test_a_running_evaluation_is_not_deleted_under_the_worker(user_client, owned_entry):
    Evaluation.objects.filter(pk=owned_entry.pk).update(status="running")
    user_client.post(f"/submissions/{owned_entry.submission_id}/delete/")
    assert Submission.objects.filter(pk=owned_entry.submission_id).exists()
    page = user_client.get("/submissions/").content.decode()
    assert "an evaluation of this submission is running; withdraw it now" in page


def test_only_the_owner_may_withdraw_or_delete_and_only_by_post(client, owned_entry):
    submission = owned_entry.submission
    client.force_login(User.objects.create_user("eve", password="another long passphrase"))
    assert client.post(f"/submissions/{submission.pk}/withdraw/").status_code == 404
    assert client.post(f"/submissions/{submission.pk}/delete/").status_code == 404
    client.force_login(submission.owner)
    assert client.get(f"/submissions/{submission.pk}/delete/").status_code == 405
    assert Submission.objects.get(pk=submission.pk).public


def new_version(tiny_version):
    version = BenchmarkVersion.objects.create(
        benchmark=tiny_version.benchmark, number=2, labels=tiny_version.labels,
        input_kind="text", provenance=tiny_version.provenance, suites={"quality": {}},
        bootstrap_seed=8, data_sha256="1" * 64)
    for item in Item.objects.filter(version=tiny_version):
        Item.objects.create(version=version, split=item.split, position=item.position,
                            text=item.text, label=item.label)
    return version


def test_staff_reevaluate_public_entries_on_a_new_version_and_v1_stays(admin_client, client,
                                                                       owned_entry, tiny_version):
    version = new_version(tiny_version)
    private = Submission.objects.create(name="private one", agent_path="/nowhere", public=False)
    Evaluation.objects.create(submission=private, benchmark_version=tiny_version,
                              status="finished")
    page = admin_client.get("/benchmarks/tiny/v2/").content.decode()
    assert "Re-evaluate the public entries of older versions on v2" in page
    assert admin_client.post("/benchmarks/tiny/v2/reevaluate/").status_code == 302
    queued = Evaluation.objects.filter(benchmark_version=version)
    assert sorted(e.submission.name for e in queued) == ["Ada's keyword model", "Prior"]
    assert all(e.status == "queued" for e in queued)
    admin_client.post("/benchmarks/tiny/v2/reevaluate/")  # twice: nothing queued twice
    assert queued.count() == 2
    for evaluation in queued:
        run_evaluation(evaluation.pk)
    v2 = client.get("/api/v1/benchmarks/tiny/v2/leaderboard/").json()
    assert sorted(e["name"] for e in v2["entries"]) == ["Ada's keyword model", "Prior"]
    assert sorted(board_names(client)) == ["Ada's keyword model", "Prior"]  # v1 unchanged


def test_reevaluating_is_staff_only(user_client, tiny_version):
    new_version(tiny_version)
    response = user_client.post("/benchmarks/tiny/v2/reevaluate/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Evaluation.objects.exists()


def test_a_re_evaluation_is_not_charged_to_the_owner(admin_client, owned_entry, tiny_version):
    new_version(tiny_version)
    admin_client.post("/benchmarks/tiny/v2/reevaluate/")
    queued = Evaluation.objects.get(benchmark_version__number=2,
                                    submission=owned_entry.submission)
    assert queued.charged is False


def test_the_reevaluate_command_queues_the_same_entries(owned_entry, tiny_version):
    new_version(tiny_version)
    out = io.StringIO()
    call_command("reevaluate", "--benchmark", "tiny", stdout=out)
    assert "2 public entries of older versions queued on tiny v2." in out.getvalue()
    call_command("reevaluate", "--benchmark", "tiny", stdout=out)
    assert "0 public entries of older versions queued on tiny v2." in out.getvalue()
