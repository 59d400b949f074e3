"""The submission form: a logged-in user uploads an agent archive; it is checked before
anything is queued, and every refusal shows beside its field in plain words."""

import random

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from leaderboard import uploads
from leaderboard.models import Evaluation, Submission
from tests.hf_models import cached_classifier
from tests.leaderboard.uploads import agent_zip, zip_bytes
from tests.sandbox.test_agent_archives import zip_symlink

pytestmark = pytest.mark.django_db


def post(client, archive, **fields):
    data = {"name": "Keyword model", "description": "looks for good words",
            "benchmarks": ["tiny"], "public": "on", "archive": archive, **fields}
    return client.post("/submit/", data)


def test_an_agent_archive_is_stored_and_queued_and_the_page_follows_it(user_client):
    response = post(user_client, agent_zip())
    evaluation = Evaluation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/evaluations/{evaluation.pk}/"
    submission = evaluation.submission
    assert (submission.name, submission.owner, submission.public) == (
        "Keyword model", user_client.user, True)
    assert (evaluation.status, evaluation.benchmark_version.benchmark.slug) == ("queued", "tiny")
    assert len(submission.agent_sha256) == 64
    page = user_client.get(response["Location"]).content.decode()
    assert "queued" in page and "position 1 in the queue" in page


def test_macos_litter_is_ignored_and_a_label_mapping_is_kept(user_client):
    archive = agent_zip(members=[
        ("my_agent/agent.py", 'labels = ["neg", "pos"]\ndef predict(x): return [[.5, .5]] * len(x)\n'),
        ("__MACOSX/my_agent/._agent.py", b"\x00\x05\x16\x07"),
    ])
    response = post(user_client, archive, label_mapping="neg=negative\npos=positive")
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.label_mapping == {"neg": "negative", "pos": "positive"}


@pytest.mark.parametrize("members, words", [
    ([("../evil.py", "x = 1"), ("agent.py", "labels = []")],
     "a path that climbs out of its folder"),
    ([("/etc/agent.py", "labels = []")], "an absolute path"),
    ([zip_symlink("agent.py", "/etc/passwd")], "link"),
    ([("weights.bin", "0" * 10)], "no agent.py found"),
])
def test_an_unsafe_or_incomplete_archive_is_refused_beside_the_archive_field(
        user_client, members, words):
    response = post(user_client, SimpleUploadedFile("agent.zip", zip_bytes(members)))
    assert response.status_code == 400
    field = response.content.decode().split('id="field-archive"')[1].split("</p>")[0]
    assert words in field
    assert not Submission.objects.exists() and not Evaluation.objects.exists()


def test_an_archive_over_the_size_limit_is_refused_before_it_is_opened(user_client, settings):
    settings.SUBMISSION_MAX_ARCHIVE_MB = 1
    weights = random.Random(1).randbytes(3 * 2**20)  # incompressible: a 3 MB archive
    big = agent_zip(members=[("agent.py", "labels = []"), ("w.bin", weights)])
    response = post(user_client, big)
    assert "the archive is 3.0 MB; the limit is 1 MB" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_file_that_is_not_an_archive_is_named_and_refused(user_client):
    response = post(user_client, SimpleUploadedFile("agent.py", b"labels = []"))
    assert "agent.py is not a .zip or .tar.gz archive" in response.content.decode()


def test_a_label_mapping_to_a_label_the_benchmark_lacks_says_which_labels_it_has(user_client):
    response = post(user_client, agent_zip(), label_mapping="neg=rotten")
    page = response.content.decode()
    assert "rotten is not a label of tiny v1; its labels are negative, positive" in page
    assert post(user_client, agent_zip(), label_mapping="neg").status_code == 400
    assert not Submission.objects.exists()


def test_no_benchmark_and_no_name_are_each_said_beside_their_field(user_client):
    response = post(user_client, agent_zip(), benchmarks=[], name="")
    page = response.content.decode()
    assert "pick at least one benchmark" in page.split('id="field-benchmarks"')[1]
    assert "an agent needs a name for the leaderboard" in page.split('id="field-name"')[1]


def test_a_private_submission_stays_private(user_client):
    data = {"name": "Secret", "benchmarks": ["tiny"], "archive": agent_zip()}
    assert user_client.post("/submit/", data).status_code == 302
    assert Submission.objects.get().public is False


def test_the_form_needs_a_login(client, tiny_version):
    response = client.get("/submit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/submit/", {"archive": agent_zip()}).status_code == 302
    assert not Submission.objects.exists()


def test_a_hugging_face_model_is_pinned_and_queued_with_its_label_mapping(user_client,
                                                                          hf_cache):
    sha = cached_classifier(hf_cache, "org/tiny", id2label={0: "neg", 1: "pos"})
    response = user_client.post("/submit/", {
        "model_id": "https://huggingface.co/org/tiny", "benchmarks": ["tiny"], "public": "on",
        "label_mapping": "neg=negative\npos=positive"})
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert (submission.kind, submission.name, submission.model_sha) == (
        "huggingface", "org/tiny", sha)
    assert submission.owner == user_client.user
    assert submission.label_mapping == {"neg": "negative", "pos": "positive"}
    assert Evaluation.objects.get().status == "queued"


def test_a_model_that_cannot_be_evaluated_is_said_beside_the_model_id(user_client, hf_cache):
    cached_classifier(hf_cache, "org/tiny", id2label={0: "neg", 1: "pos"}, refs=("main",))
    page = user_client.post("/submit/", {"model_id": "org/tiny", "revision": "v9",
                                         "benchmarks": ["tiny"]}).content.decode()
    assert "The revision &#x27;v9&#x27; of org/tiny" in page.split('id="field-model_id"')[1]
    page = user_client.post("/submit/", {"model_id": "not a model id!",
                                         "benchmarks": ["tiny"]}).content.decode()
    assert 'id="field-model_id"' in page and "errorlist" in page.split('id="field-model_id"')[1]
    assert not Submission.objects.exists()


def test_an_archive_and_a_model_id_together_or_neither_are_refused(user_client):
    both = post(user_client, agent_zip(), model_id="org/tiny").content.decode()
    assert "an agent archive or a Hugging Face model ID, not both" in both
    neither = user_client.post("/submit/", {"name": "x", "benchmarks": ["tiny"]})
    assert "give an agent archive or a Hugging Face model ID" in neither.content.decode()
    assert not Submission.objects.exists()


def test_no_more_than_the_limit_of_an_oversized_upload_is_written_to_disk(user_client, settings,
                                                                          monkeypatch):
    settings.SUBMISSION_MAX_ARCHIVE_MB = 1
    written = {}
    original = uploads.check_size

    def spy(uploaded):
        written["bytes"] = len(uploaded.read())
        uploaded.seek(0)
        return original(uploaded)

    monkeypatch.setattr(uploads, "check_size", spy)
    weights = random.Random(2).randbytes(3 * 2**20)
    page = post(user_client, agent_zip(members=[("agent.py", "x"), ("w.bin", weights)]))
    assert "the limit is 1 MB" in page.content.decode()
    assert written["bytes"] == 2**20 + 1


def test_the_form_checks_the_csrf_token(tiny_version):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.create_user("bob", password="a long passphrase"))
    response = browser.post("/submit/", {"name": "x", "benchmarks": ["tiny"],
                                         "archive": agent_zip()})
    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_an_agent_py_that_does_not_compile_is_refused_before_it_is_queued(user_client):
    archive = agent_zip(members=[("agent.py", "labels = [\n\ndef predict(x):\n")])
    page = post(user_client, archive).content.decode()
    assert "agent.py does not compile: " in page.split('id="field-archive"')[1]
    assert not Evaluation.objects.exists()
