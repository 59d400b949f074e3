"""Readers re-weight the score's components (?w_accuracy=2&w_calibration=1); intervals and
ranks are recomputed from the snapshot's stored replicates, and bad weights say what is wrong."""

import io

import numpy as np
import pytest

from leaderboard.models import LeaderboardSnapshot
from leaderboard.ranking import rank, reliability_score, score_models
from leaderboard.snapshots import reweighted_entries
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import PRIOR_AGENT
from tests.leaderboard.outcomes import outcomes


def test_reweighting_stored_replicates_equals_ranking_with_those_weights():
    rng = np.random.default_rng(1)
    labels = np.arange(300) % 2
    models = [outcomes(f"m{i}", labels, np.flatnonzero(rng.random(300) < 0.2 + 0.04 * i),
                       rng.uniform(0.5, 1, 300)) for i in range(5)]
    weights = {"accuracy": 3.0, "calibration": 0.5}

    default = rank(models, labels, 2, seed=4)
    direct = rank(models, labels, 2, seed=4, score_weights=weights)
    reweighted = score_models(default.component_points, default.component_replicates,
                              default.names, score_weights=weights, n_units=default.n_clusters)

    assert np.array_equal(reweighted.replicates, direct.replicate_scores)
    by_name = {entry["name"]: entry for entry in reweighted.entries}
    for model in direct.models:
        entry = by_name[model.name]
        assert (entry["point"], entry["low"], entry["high"]) == (
            model.score.point, model.score.low, model.score.high)
        assert (entry["rank_low"], entry["rank_high"]) == (model.rank_low, model.rank_high)


@pytest.mark.parametrize("huge, tiny", [(1e308, 1e308), (1.7e308, 1.7e308), (5e-324, 0.0)])
def test_extreme_weights_give_the_scores_of_their_ratio(huge, tiny):
    components = {"accuracy": np.array([[0.6, 0.5]]), "calibration": np.array([[0.8, 0.9]])}
    ratio = {"accuracy": 1.0, "calibration": tiny / huge}

    scores = reliability_score(components, {"accuracy": huge, "calibration": tiny})

    np.testing.assert_allclose(scores, reliability_score(components, ratio), rtol=1e-15)
    assert np.isfinite(scores).all()


@pytest.fixture
def two_agents(queued_evaluation):
    for source, name in ((KEYWORD_AGENT, "keywords"), (PRIOR_AGENT, "prior")):
        run_evaluation(queued_evaluation(source, name=name).pk)
    return LeaderboardSnapshot.objects.latest()


@pytest.mark.django_db
def test_default_weights_asked_for_give_the_stored_entries(two_agents):
    assert reweighted_entries(two_agents, {"accuracy": 1.0, "calibration": 1.0}) == (
        two_agents.entries)


@pytest.mark.django_db
def test_api_reweights_scores_and_reorders(client, two_agents):
    default = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/").json()
    accuracy_only = client.get(
        "/api/v1/benchmarks/tiny/v1/leaderboard/?w_accuracy=1&w_calibration=0").json()

    assert [e["name"] for e in default["entries"]] == ["prior", "keywords"]
    assert default["custom_score_weights"] is False
    assert default["score_weights"] == {"accuracy": 1.0, "calibration": 1.0}
    assert [e["name"] for e in accuracy_only["entries"]] == ["keywords", "prior"]
    assert accuracy_only["custom_score_weights"] is True
    assert accuracy_only["score_weights"] == {"accuracy": 1.0, "calibration": 0.0}
    keywords, prior = accuracy_only["entries"]
    assert keywords["score"]["value"] == pytest.approx(0.6)
    assert prior["score"]["value"] == pytest.approx(0.5)
    # Components are what they were; only the score and the ranks change.
    assert keywords["components"] == next(
        e for e in default["entries"] if e["name"] == "keywords")["components"]
    assert keywords["score"]["low"] == pytest.approx(keywords["components"]["accuracy"]["low"])


@pytest.mark.django_db
def test_a_component_left_out_of_the_query_keeps_its_default_weight(client, two_agents):
    body = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/?w_accuracy=3").json()

    assert body["score_weights"] == {"accuracy": 3.0, "calibration": 1.0}
    prior = next(e for e in body["entries"] if e["name"] == "prior")
    assert prior["score"]["value"] == pytest.approx((3 * 0.5 + 1) / 4)


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "message"), [
    ("w_accuracy=abc", "w_accuracy must be a non-negative number, got 'abc'"),
    ("w_accuracy=-1", "w_accuracy must be a non-negative number, got '-1'"),
    ("w_accuracy=nan", "w_accuracy must be a non-negative number, got 'nan'"),
    ("w_accuracy=inf", "w_accuracy must be a non-negative number, got 'inf'"),
    ("w_speed=1", "unknown score component w_speed; the components are w_accuracy, w_calibration"),
    ("w_accuracy=0&w_calibration=0", "at least one of w_accuracy, w_calibration must be above 0"),
])
def test_bad_weights_are_refused_with_the_reason(client, two_agents, query, message):
    response = client.get(f"/api/v1/benchmarks/tiny/v1/leaderboard/?{query}")
    page = client.get(f"/benchmarks/tiny/v1/?{query}")

    assert response.status_code == 400
    assert response.json() == {"detail": message}
    assert page.status_code == 400
    assert "These score weights cannot be used" in page.content.decode()


@pytest.mark.django_db
def test_page_says_the_weights_are_custom_and_links_back_to_the_default(client, two_agents):
    page = client.get("/benchmarks/tiny/v1/?w_accuracy=1&w_calibration=0").content.decode()
    default = client.get("/benchmarks/tiny/v1/").content.decode()

    assert "custom weights" in page
    assert "accuracy × 1, calibration × 0" in page
    assert '<a href="/benchmarks/tiny/v1/">Back to the default weights</a>' in page
    assert page.index("keywords") < page.index("prior")
    assert "custom weights" not in default
    assert default.index("prior") < default.index("keywords")
    assert 'name="w_accuracy" value="1"' in default  # the form to choose them


@pytest.mark.django_db
def test_a_snapshot_without_stored_components_cannot_be_reweighted(client, two_agents):
    # Snapshots made before re-weighting kept only the score matrix.
    buffer = io.BytesIO()
    np.savez_compressed(buffer, replicate_scores=np.zeros((2000, 2), np.float32))
    LeaderboardSnapshot.objects.filter(pk=two_agents.pk).update(replicates_npz=buffer.getvalue())

    response = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/?w_accuracy=2")

    assert response.status_code == 400
    assert "computed before scores could be re-weighted" in response.json()["detail"]


@pytest.mark.django_db
def test_export_links_leave_out_weights_the_page_refused(client, two_agents):
    refused = client.get("/benchmarks/tiny/v1/?w_accuracy=abc&sort=name").content.decode()
    used = client.get("/benchmarks/tiny/v1/?w_accuracy=2&sort=name").content.decode()

    assert 'href="/benchmarks/tiny/v1/leaderboard.csv?sort=name"' in refused
    assert "leaderboard.csv?sort=name&amp;w_accuracy=abc" not in refused
    assert 'href="/api/v1/benchmarks/tiny/v1/leaderboard/?sort=name"' in refused
    assert 'href="/benchmarks/tiny/v1/leaderboard.csv?sort=name&amp;w_accuracy=2"' in used
    assert client.get("/benchmarks/tiny/v1/leaderboard.csv?sort=name").status_code == 200
