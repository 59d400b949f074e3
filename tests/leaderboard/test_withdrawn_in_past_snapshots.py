"""A submission withdrawn or deleted since a snapshot was taken is left out of that snapshot
wherever it is shown to anyone but its owner; the others keep the ranks computed then."""

import io

import numpy as np
import pytest

from leaderboard.models import LeaderboardSnapshot, Submission
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import PRIOR_AGENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def past_snapshot(user_client, queued_evaluation):
    """Ada keyword model and the operator's prior agent on snapshot `past`; then Ada withdraws
    hers, which makes a newer snapshot without it."""
    prior = queued_evaluation(PRIOR_AGENT, name="Prior")
    run_evaluation(prior.pk)
    ada = queued_evaluation(KEYWORD_AGENT, name="Ada keyword model")
    Submission.objects.filter(pk=ada.submission_id).update(owner=user_client.user)
    run_evaluation(ada.pk)
    past = LeaderboardSnapshot.objects.latest("created_at", "id")
    assert {entry["evaluation_id"] for entry in past.entries} == {prior.pk, ada.pk}
    return {"snapshot": past, "ada": ada, "prior": prior}


def withdraw(user_client, evaluation):
    response = user_client.post(f"/submissions/{evaluation.submission_id}/withdraw/")
    assert response.status_code == 302


def npz_names(response):
    with np.load(io.BytesIO(response.content)) as archive:
        return list(archive["names"]), list(archive["evaluation_ids"]), archive["scores"].shape[1]


@pytest.mark.parametrize("how", ["withdrawn", "deleted"])
def test_a_withdrawn_or_deleted_entry_leaves_every_view_of_a_past_snapshot(
        client, user_client, past_snapshot, how):
    past, ada, prior = past_snapshot["snapshot"], past_snapshot["ada"], past_snapshot["prior"]
    assert "Ada keyword model" in client.get(f"/api/v1/snapshots/{past.pk}/").content.decode()
    if how == "withdrawn":
        withdraw(user_client, ada)
    else:
        assert user_client.post(f"/submissions/{ada.submission_id}/delete/").status_code == 302
    anonymous = type(client)()
    detail = anonymous.get(f"/api/v1/snapshots/{past.pk}/").json()
    assert [entry["evaluation_id"] for entry in detail["entries"]] == [prior.pk]
    for url in (f"/benchmarks/tiny/v1/?snapshot={past.pk}",
                f"/benchmarks/tiny/v1/leaderboard.csv?snapshot={past.pk}",
                f"/benchmarks/tiny/v1/leaderboard.svg?snapshot={past.pk}",
                f"/api/v1/benchmarks/tiny/v1/leaderboard/?snapshot={past.pk}"):
        response = anonymous.get(url)
        assert response.status_code == 200, url
        assert "Prior" in response.content.decode(), url
        assert "Ada keyword model" not in response.content.decode(), url
    names, ids, columns = npz_names(anonymous.get(f"/api/v1/snapshots/{past.pk}/replicates.npz"))
    assert (names, ids, columns) == (["Prior"], [prior.pk], 1)
    pair = f"a={ada.pk}&b={prior.pk}&snapshot={past.pk}"
    assert anonymous.get(f"/benchmarks/tiny/v1/compare/?{pair}").status_code == 400
    assert anonymous.get(f"/api/v1/benchmarks/tiny/v1/compare/?{pair}").status_code == 400


def test_the_owner_still_sees_their_withdrawn_entry_in_the_past_snapshot(
        user_client, past_snapshot):
    past, ada, prior = past_snapshot["snapshot"], past_snapshot["ada"], past_snapshot["prior"]
    withdraw(user_client, ada)
    detail = user_client.get(f"/api/v1/snapshots/{past.pk}/").json()
    assert sorted(entry["evaluation_id"] for entry in detail["entries"]) == sorted(
        [prior.pk, ada.pk])
    assert "Ada keyword model" in user_client.get(
        f"/benchmarks/tiny/v1/?snapshot={past.pk}").content.decode()
    _, _, columns = npz_names(user_client.get(f"/api/v1/snapshots/{past.pk}/replicates.npz"))
    assert columns == 2
    pair = f"a={ada.pk}&b={prior.pk}&snapshot={past.pk}"
    assert user_client.get(f"/api/v1/benchmarks/tiny/v1/compare/?{pair}").status_code == 200


def test_a_board_rendered_before_the_withdrawal_is_not_served_after_it(
        client, user_client, past_snapshot, settings):
    settings.PAGE_CACHE_SECONDS = 0
    past = past_snapshot["snapshot"]
    url = f"/benchmarks/tiny/v1/?snapshot={past.pk}"
    anonymous = type(client)()
    assert "Ada keyword model" in anonymous.get(url).content.decode()
    withdraw(user_client, past_snapshot["ada"])
    assert "Ada keyword model" not in anonymous.get(url).content.decode()
