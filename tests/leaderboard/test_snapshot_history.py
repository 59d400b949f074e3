"""Every snapshot of a version is listed with how it was computed, and each can be viewed,
exported and downloaded as it was."""

import pytest

from leaderboard.models import LeaderboardSnapshot
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import PRIOR_AGENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_snapshots(queued_evaluation):
    run_evaluation(queued_evaluation(KEYWORD_AGENT, name="first").pk)
    run_evaluation(queued_evaluation(PRIOR_AGENT, name="second").pk)
    return list(LeaderboardSnapshot.objects.order_by("created_at", "id"))


def test_history_lists_each_snapshot_with_b_seed_method_and_downloads(client, two_snapshots):
    old, new = two_snapshots
    page = client.get("/benchmarks/tiny/v1/snapshots/").content.decode()
    assert page.index(f">{new.pk}</a>") < page.index(f">{old.pk}</a>")  # newest first
    assert ">2,000<" in page and ">7<" in page and old.method in page
    assert f"/api/v1/snapshots/{old.pk}/replicates.npz" in page
    assert f"/benchmarks/tiny/v1/?snapshot={old.pk}" in page
    assert client.get("/benchmarks/tiny/v1/snapshots/?page=-1").status_code == 200
    assert client.get("/benchmarks/tiny/v1/snapshots/?page=abc").status_code == 200


def test_a_past_snapshot_shows_the_board_as_it_was(client, two_snapshots):
    old, _ = two_snapshots
    page = client.get(f"/benchmarks/tiny/v1/?snapshot={old.pk}").content.decode()
    assert "past snapshot" in page and "first" in page and "second" not in page
    csv = client.get(f"/benchmarks/tiny/v1/leaderboard.csv?snapshot={old.pk}").content.decode()
    assert "first" in csv and "second" not in csv
    api = client.get(f"/api/v1/benchmarks/tiny/v1/leaderboard/?snapshot={old.pk}").json()
    assert api["snapshot"]["id"] == old.pk and [e["name"] for e in api["entries"]] == ["first"]


@pytest.mark.parametrize("value", ["abc", "999999", "-1"])
def test_a_snapshot_the_version_does_not_have_is_a_400(client, two_snapshots, value):
    page = client.get(f"/benchmarks/tiny/v1/?snapshot={value}")
    assert page.status_code == 400 and "snapshot must be the id" in page.content.decode()
    api = client.get(f"/api/v1/benchmarks/tiny/v1/leaderboard/?snapshot={value}")
    assert api.status_code == 400 and "snapshot must be the id" in api.json()["detail"]


def test_snapshot_api_lists_and_serves_each_snapshot(client, two_snapshots):
    old, new = two_snapshots
    listing = client.get("/api/v1/benchmarks/tiny/v1/snapshots/").json()
    assert [s["id"] for s in listing["results"]] == [new.pk, old.pk]
    assert listing["results"][0]["replicates"] == 2000 and "entries" not in listing["results"][0]
    detail = client.get(f"/api/v1/snapshots/{old.pk}/").json()
    assert [e["name"] for e in detail["entries"]] == ["first"]
    download = client.get(detail["replicates_npz"])
    assert download.status_code == 200 and download.content == bytes(old.replicates_npz)
    assert client.get("/api/v1/snapshots/999999/").status_code == 404
    assert client.get("/api/v1/snapshots/999999/replicates.npz").status_code == 404
