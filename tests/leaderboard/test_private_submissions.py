"""A private submission's pages, badges and API answers exist only for its owner and staff
(anyone else gets a 404, as for an id that does not exist); user text is escaped on the pages,
in the SVG badge and in the JSON."""

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from leaderboard.models import Submission
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script> & "quotes"'


@pytest.fixture
def private_evaluation(user_client, queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT, name="Ada's private model")
    Submission.objects.filter(pk=evaluation.submission_id).update(
        owner=user_client.user, public=False)
    run_evaluation(evaluation.pk)
    return evaluation


def urls_of(evaluation):
    submission = evaluation.submission_id
    return [
        f"/evaluations/{evaluation.pk}/",
        f"/evaluations/{evaluation.pk}/status/",
        f"/benchmarks/tiny/v1/entries/{submission}/",
        f"/badges/tiny/{submission}.svg",
        f"/badges/tiny/{submission}.json",
        f"/api/v1/evaluations/{evaluation.pk}/",
        f"/api/v1/evaluations/{evaluation.pk}/results/",
        f"/api/v1/evaluations/{evaluation.pk}/results/quality/",
        f"/api/v1/submissions/{submission}/",
    ]


def test_a_stranger_and_anonymous_get_404_everywhere(private_evaluation):
    stranger = Client()
    stranger.force_login(User.objects.create_user("eve", password="another long passphrase"))
    for client in (Client(), stranger):
        for url in urls_of(private_evaluation):
            assert client.get(url).status_code == 404, url
        listing = client.get("/api/v1/evaluations/").json()
        assert listing["results"] == []


def test_the_owner_and_staff_see_every_one(user_client, admin_client, private_evaluation):
    for client in (user_client, admin_client):
        for url in urls_of(private_evaluation):
            response = client.get(url)
            assert response.status_code in (200, 302), url
    badge = user_client.get(f"/badges/tiny/{private_evaluation.submission_id}.svg")
    assert badge["Cache-Control"] == "private, no-store"
    assert "Access-Control-Allow-Origin" not in badge
    page = user_client.get(f"/evaluations/{private_evaluation.pk}/").content.decode()
    assert "Private: only its owner and staff see this submission" in page
    assert [e["id"] for e in user_client.get("/api/v1/evaluations/").json()["results"]] == [
        private_evaluation.pk]


def test_a_private_entry_is_on_no_leaderboard(client, private_evaluation):
    assert "private model" not in client.get("/benchmarks/tiny/v1/").content.decode()
    assert client.get("/api/v1/benchmarks/tiny/v1/leaderboard/").json()["entries"] == []


def test_user_text_is_escaped_on_pages_in_the_svg_and_in_json(client, queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT, name=HOSTILE)
    Submission.objects.filter(pk=evaluation.submission_id).update(description=HOSTILE)
    run_evaluation(evaluation.pk)
    for url in (f"/evaluations/{evaluation.pk}/", "/benchmarks/tiny/v1/", "/",
                f"/benchmarks/tiny/v1/compare/?a={evaluation.pk}"):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in page, url
    svg = client.get(f"/badges/tiny/{evaluation.submission_id}.svg?label={HOSTILE}")
    assert "<script>" not in svg.content.decode()
    assert "&lt;script&gt;" in svg.content.decode()
    api = client.get(f"/api/v1/evaluations/{evaluation.pk}/")
    assert api["Content-Type"] == "application/json"
    assert json.loads(api.content)["submission"]["name"] == HOSTILE
