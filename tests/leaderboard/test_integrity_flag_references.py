"""Integrity evidence names other submissions only while the reader may see them: the
irreproducible check compares only with public evaluations (or the owner's own), and a
duplicate flag names the earlier submission at display time, not after it is withdrawn."""

import pytest
from django.contrib.auth.models import User

from leaderboard import lifecycle
from leaderboard.submissions import create_agent_submission
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.conftest import evaluate_now

pytestmark = pytest.mark.django_db


def test_answers_are_not_compared_with_a_stranger_s_private_evaluation(tiny_version,
                                                                     write_agent):
    folder = write_agent(KEYWORD_AGENT)
    stranger = User.objects.create_user("bob")
    secret = create_agent_submission(folder, name="Secret", public=False)
    secret.owner = stranger
    secret.save()
    hidden = evaluate_now(secret, tiny_version)
    later = evaluate_now(create_agent_submission(folder, name="Public"), tiny_version)
    evidence = later.integrity_checks["reproducibility"]
    assert evidence["applies"] is False
    assert str(hidden.pk) not in str(evidence)


def test_answers_are_compared_with_the_owner_s_own_private_evaluation(tiny_version,
                                                                     write_agent):
    folder = write_agent(KEYWORD_AGENT)
    ada = User.objects.create_user("ada")
    drafts = []
    for name, public in (("Draft", False), ("Final", True)):
        submission = create_agent_submission(folder, name=name, public=public)
        submission.owner = ada
        submission.save()
        drafts.append(evaluate_now(submission, tiny_version))
    compared = drafts[1].integrity_checks["reproducibility"]["compared"]
    assert list(compared) == [str(drafts[0].pk)]


def test_a_duplicate_names_the_earlier_submission_only_while_it_is_public(
        client, tiny_version, write_agent):
    folder = write_agent(KEYWORD_AGENT)
    first = evaluate_now(create_agent_submission(folder, name="Original keywords"),
                         tiny_version)
    copy = evaluate_now(create_agent_submission(folder, name="Copied keywords"), tiny_version)
    named = f"as “Original keywords”, evaluated earlier (evaluation #{first.pk})"

    def api_flags():
        return client.get(f"/api/v1/evaluations/{copy.pk}/").json()["integrity_flags"]

    assert named in api_flags()[0]["message"]
    assert named in client.get(f"/evaluations/{copy.pk}/").content.decode()
    lifecycle.withdraw(first.submission)
    assert [flag["code"] for flag in api_flags()] == ["duplicate_submission"]
    assert api_flags()[0]["message"].endswith("as another submission, evaluated earlier on "
                                             "this version")
    detail = client.get(f"/api/v1/evaluations/{copy.pk}/").content.decode()
    page = client.get(f"/evaluations/{copy.pk}/").content.decode()
    board = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/").content.decode()
    for shown in (detail, page, board):
        assert "Original keywords" not in shown
        assert f"#{first.pk})" not in shown
