"""The snapshot's replicate matrices download as npz, with what is needed to recompute every
rank: the few lines of numpy in docs/methodology.md give the leaderboard's rank intervals."""

import io

import numpy as np
import pytest

from leaderboard.models import LeaderboardSnapshot
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import ALWAYS_RIGHT_ON_TINY, PRIOR_AGENT

pytestmark = pytest.mark.django_db

URL = "/api/v1/benchmarks/tiny/v1/replicates.npz"


@pytest.fixture
def three_agents(queued_evaluation):
    evaluations = [queued_evaluation(source, name=name) for source, name in
                   ((KEYWORD_AGENT, "keywords"), (PRIOR_AGENT, "prior"),
                    (ALWAYS_RIGHT_ON_TINY, "lookup"))]
    for evaluation in evaluations:
        run_evaluation(evaluation.pk)
    return evaluations


def download(client):
    response = client.get(URL)
    assert response.status_code == 200
    return response, np.load(io.BytesIO(response.content))


def test_archive_names_the_models_and_how_the_bootstrap_ran(client, three_agents):
    response, archive = download(client)
    snapshot = LeaderboardSnapshot.objects.latest()

    assert response["Content-Disposition"] == (
        f'attachment; filename="tiny-v1-snapshot-{snapshot.pk}-replicates.npz"')
    assert archive["scores"].shape == (2000, 3)
    assert archive["scores"].dtype == np.float32
    assert sorted(archive["names"].tolist()) == ["keywords", "lookup", "prior"]
    assert sorted(archive["evaluation_ids"].tolist()) == sorted(e.pk for e in three_agents)
    assert archive["provisional"].tolist() == [False, False, False]
    assert (int(archive["replicates"]), int(archive["seed"])) == (2000, 7)
    assert str(archive["method"]) == snapshot.method
    assert (int(archive["n_items"]), int(archive["n_clusters"])) == (10, 10)
    assert archive["component_names"].tolist() == ["accuracy", "calibration"]
    assert archive["score_weights"].tolist() == [1.0, 1.0]
    assert (str(archive["benchmark"]), int(archive["version"])) == ("tiny", 1)
    lookup = archive["names"].tolist().index("lookup")
    assert archive["point_accuracy"][lookup] == 1.0
    assert archive["point_score"][lookup] == pytest.approx((1 + 0.95) / 2)


def test_documented_numpy_lines_recompute_the_leaderboard_s_ranks(client, three_agents):
    _, archive = download(client)

    # As in docs/methodology.md, "Recomputing the ranks".
    ranked = ~archive["provisional"]
    scores = archive["scores"][:, ranked].astype(np.float64)
    beaten = np.quantile(scores[:, None, :] - scores[:, :, None], 0.025, axis=0) > 0
    rank_low = 1 + beaten.sum(axis=1)
    rank_high = len(beaten) - beaten.sum(axis=0)

    entries = {e["evaluation_id"]: e for e in LeaderboardSnapshot.objects.latest().entries}
    recomputed = {int(evaluation_id): (int(low), int(high)) for evaluation_id, low, high
                  in zip(archive["evaluation_ids"][ranked], rank_low, rank_high)}
    assert recomputed == {pk: (e["rank_low"], e["rank_high"]) for pk, e in entries.items()}
    assert len(set(recomputed.values())) > 1  # some models are told apart


def test_documented_numpy_lines_recompute_a_reweighted_score(client, three_agents):
    _, archive = download(client)
    weights = {"accuracy": 2.0, "calibration": 1.0}

    names = [str(name) for name in archive["component_names"]]
    scores = sum(weights[name] * archive[f"component_{name}"].astype(np.float64)
                 for name in names) / sum(weights.values())

    body = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/?w_accuracy=2").json()
    varying = [e for e in body["entries"] if np.ptp(scores[:, e["column"]]) > 0]
    assert len(varying) == 2  # lookup is right on every item: its score never moves
    for entry in varying:
        low, high = np.quantile(scores[:, entry["column"]], [0.025, 0.975])
        assert (entry["score"]["low"], entry["score"]["high"]) == pytest.approx((low, high),
                                                                                abs=1e-6)


def test_the_page_and_the_api_link_the_download_of_the_snapshot_they_show(client, three_agents):
    page = client.get("/benchmarks/tiny/v1/").content.decode()
    body = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/").json()
    snapshot_url = f"/api/v1/snapshots/{LeaderboardSnapshot.objects.latest().pk}/replicates.npz"

    assert f'href="{snapshot_url}"' in page
    assert body["snapshot"]["replicates_npz"] == f"http://testserver{snapshot_url}"
    assert client.get(snapshot_url).content == client.get(URL).content


def test_no_snapshot_no_download(client, tiny_version):
    assert client.get(URL).status_code == 404
    assert client.get("/api/v1/benchmarks/tiny/v9/replicates.npz").status_code == 404
