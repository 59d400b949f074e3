"""POST /api/v1/submissions/ with an API token: a multipart upload through the same checks
and quota as the form; GET lists the caller's own submissions; both are in the schema, and
creating is throttled."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from leaderboard.models import Evaluation, Submission
from tests.conftest import KEYWORD_AGENT
from tests.hf_models import cached_classifier
from tests.leaderboard.uploads import agent_zip, zip_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_client(tiny_version):
    user = User.objects.create_user("ada", "ada@example.org", "a long passphrase")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    client.user = user
    return client


def create(client, **fields):
    data = {"archive": agent_zip(), "name": "Keyword model", "benchmarks": ["tiny"], **fields}
    return client.post("/api/v1/submissions/", data, format="multipart")


def test_a_token_creates_a_submission_and_queues_its_evaluation(token_client):
    short_labels = KEYWORD_AGENT.replace('labels = ["negative", "positive"]',
                                         'labels = ["neg", "pos"]')
    response = create(token_client, description="looks for good words",
                      archive=agent_zip(members=[("agent.py", short_labels)]),
                      label_mapping="neg=negative, pos=positive", public="false")
    assert response.status_code == 201, response.content
    body = response.json()
    submission = Submission.objects.get()
    assert body["id"] == submission.pk and body["name"] == "Keyword model"
    assert body["public"] is False and body["withdrawn"] is False
    assert body["label_mapping"] == {"neg": "negative", "pos": "positive"}
    [evaluation] = body["evaluations"]
    assert (evaluation["benchmark"], evaluation["version"], evaluation["status"]) == (
        "tiny", 1, "queued")
    assert evaluation["url"] == f"/api/v1/evaluations/{evaluation['id']}/"
    assert submission.owner == token_client.user
    detail = token_client.get(evaluation["url"])
    assert detail.status_code == 200 and detail.json()["queue_position"] == 1


def test_without_a_token_nothing_is_created(tiny_version):
    assert create(APIClient()).status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-key")
    assert create(bad).status_code == 401
    assert not Submission.objects.exists()


def test_a_refused_archive_is_a_400_naming_the_field(token_client):
    response = create(token_client, archive=SimpleUploadedFile(
        "agent.zip", zip_bytes([("../agent.py", "labels = []")])))
    assert response.status_code == 400
    assert "climbs out of its folder" in response.json()["archive"][0]
    response = create(token_client, benchmarks=["nope"])
    assert response.status_code == 400
    assert "no benchmark 'nope'; the benchmarks are tiny" in response.json()["benchmarks"][0]
    response = create(token_client, label_mapping="neg=rotten")
    assert "rotten is not a label of tiny v1" in response.json()["label_mapping"][0]
    assert not Evaluation.objects.exists()


def test_over_the_quota_is_a_400_that_says_so(token_client, settings):
    settings.EVALUATIONS_PER_DAY = 1
    assert create(token_client).status_code == 201
    response = create(token_client)
    assert response.status_code == 400
    assert "you may start 1 evaluations" in response.json()["non_field_errors"][0]


def test_the_list_holds_only_the_callers_own(token_client):
    create(token_client, name="mine")
    Submission.objects.create(name="someone else's", agent_path="/nowhere")
    listing = token_client.get("/api/v1/submissions/").json()
    assert [s["name"] for s in listing["results"]] == ["mine"]
    assert APIClient().get("/api/v1/submissions/").status_code == 401


def test_creating_is_throttled_per_user(token_client, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES",
                        {**SimpleRateThrottle.THROTTLE_RATES, "submissions": "2/hour"})
    assert [create(token_client).status_code for _ in range(3)] == [201, 201, 429]
    assert token_client.get("/api/v1/submissions/").status_code == 200  # reading is not


def test_the_schema_describes_the_upload_and_the_token(client, tiny_version):
    schema = client.get("/api/v1/schema/?format=json").json()
    post = schema["paths"]["/api/v1/submissions/"]["post"]
    fields = post["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert fields["$ref"].endswith("/NewSubmission")
    new = schema["components"]["schemas"]["NewSubmission"]
    assert new["properties"]["archive"]["format"] == "binary"
    assert new["required"] == ["benchmarks"]
    assert {"archive", "model_id", "revision", "label_mapping"} <= set(new["properties"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]
    assert "get" in schema["paths"]["/api/v1/submissions/"]


def test_a_token_submits_a_hugging_face_model(token_client, hf_cache):
    sha = cached_classifier(hf_cache, "org/tiny", id2label={0: "negative", 1: "positive"})
    response = token_client.post("/api/v1/submissions/", {
        "model_id": "org/tiny", "revision": "main", "benchmarks": ["tiny"]}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "huggingface"
    assert Submission.objects.get().model_sha == sha
    refused = token_client.post("/api/v1/submissions/", {
        "model_id": "org/missing", "benchmarks": ["tiny"]}, format="multipart")
    assert refused.status_code == 400 and "org/missing" in refused.json()["model_id"][0]
