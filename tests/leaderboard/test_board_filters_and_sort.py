"""Filters and sort of a leaderboard: the page, its CSV and JSON exports and the API show the
same rows in the same order; missing values sort last either way, ties keep the board's order,
and a parameter that cannot be used says why."""

import csv
import io
import math

import pytest

from leaderboard import board_query
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import ALWAYS_RIGHT_ON_TINY, PRIOR_AGENT


def entry(evaluation_id, name, score, accuracy, provisional=False, kind="agent", trusted=False,
          flags=None):
    return {"evaluation_id": evaluation_id, "submission_id": evaluation_id, "name": name,
            "kind": kind, "trusted": trusted, "provisional": provisional,
            "score": {"value": score, "low": None if score is None else score - 0.1,
                      "high": None if score is None else score + 0.1},
            "rank_low": None if score is None else 1, "rank_high": None if score is None else 2,
            "components": {"accuracy": {"value": accuracy, "low": None, "high": None}},
            "metrics": {"macro_f1": accuracy}, **({"integrity_flags": flags} if flags else {})}


# In leaderboard order: by score, then name.
ENTRIES = [
    entry(1, "Alpha", 0.9, 0.7),
    entry(2, "beta", 0.8, math.nan),
    entry(3, "Gamma", 0.8, 0.9, kind="huggingface", flags=[{"code": "memorised",
                                                           "message": "archive holds texts"}]),
    entry(4, "delta", 0.7, 0.7, trusted=True),
    entry(5, "failed one", None, None),
]
KEYS = [column.key for column in board_query.columns(["accuracy"], ["macro_f1"])]


def names(query):
    parsed = board_query.parse(query, KEYS)
    assert parsed.errors == ()
    return [e["name"] for e in board_query.apply(parsed, ENTRIES)]


def test_default_order_is_the_leaderboard_s():
    assert names({}) == ["Alpha", "beta", "Gamma", "delta", "failed one"]


def test_missing_values_sort_last_in_both_directions():
    assert names({"sort": "accuracy"}) == ["Alpha", "delta", "Gamma", "beta", "failed one"]
    assert names({"sort": "-accuracy"}) == ["Gamma", "Alpha", "delta", "beta", "failed one"]
    assert names({"sort": "-score"})[-1] == "failed one"
    assert names({"sort": "score"})[-1] == "failed one"
    assert names({"sort": "rank"})[-1] == "failed one"


def test_ties_keep_the_leaderboard_order_in_both_directions():
    # Alpha and delta tie on accuracy 0.7; beta and Gamma tie on score 0.8.
    ascending, descending = names({"sort": "accuracy"}), names({"sort": "-accuracy"})
    assert ascending.index("Alpha") < ascending.index("delta")
    assert descending.index("Alpha") < descending.index("delta")
    assert names({"sort": "-score"})[1:3] == ["beta", "Gamma"]
    assert names({"sort": "score"})[1:3] == ["beta", "Gamma"]


def test_names_sort_without_regard_to_case():
    assert names({"sort": "name"}) == ["Alpha", "beta", "delta", "failed one", "Gamma"]
    assert names({"sort": "-name"}) == ["Gamma", "failed one", "delta", "beta", "Alpha"]


def test_filters_combine():
    assert names({"q": "  ALPHA "}) == ["Alpha"]
    assert names({"kind": "huggingface"}) == ["Gamma"]
    assert names({"flagged": "yes"}) == ["Gamma"]
    assert names({"flagged": "no", "baseline": "no", "q": "a"}) == ["Alpha", "beta", "failed one"]
    assert names({"baseline": "yes"}) == ["delta"]
    assert names({"provisional": "yes"}) == []


@pytest.mark.parametrize(("query", "error"), [
    ({"kind": "robot"}, "kind must be one of agent, huggingface, got 'robot'"),
    ({"flagged": "maybe"}, "flagged must be one of yes, no, got 'maybe'"),
    ({"sort": "-colour"}, "sort must be one of rank, name, kind, score, score_low, score_high, "
                          "accuracy, macro_f1 (with - in front for descending), got '-colour'"),
    ({"q": "x" * 201}, "q is at most 200 characters"),
])
def test_a_bad_value_is_named_and_left_out(query, error):
    parsed = board_query.parse(query, KEYS)
    assert parsed.errors == (error,)
    assert board_query.apply(parsed, ENTRIES) == ENTRIES


def test_strict_parsing_names_unknown_parameters():
    parsed = board_query.parse({"page": "-1", "w_accuracy": "2", "format": "json"}, KEYS,
                               strict=True)
    assert parsed.errors == ("unknown parameter page; the leaderboard takes q, kind, provisional, "
                             "flagged, baseline, sort, snapshot and w_<component> weights",)


def test_csv_cells_that_look_like_formulas_are_quoted():
    rows = [entry(9, "=HYPERLINK(\"x\")", 0.5, 0.5)]
    text = board_query.csv_text([("ranked", rows)], ["accuracy"], ["macro_f1"], lambda e: "u")
    assert "'=HYPERLINK" in text


@pytest.fixture
def board(queued_evaluation):
    for source, name in ((KEYWORD_AGENT, "keywords"), (PRIOR_AGENT, "prior"),
                         (ALWAYS_RIGHT_ON_TINY, "lookup <b>")):
        run_evaluation(queued_evaluation(source, name=name).pk)


@pytest.mark.django_db
def test_page_csv_and_api_show_the_same_rows_for_a_query(client, board):
    query = "sort=-accuracy&q=o&w_calibration=0"
    page = client.get(f"/benchmarks/tiny/v1/?{query}").content.decode()
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/benchmarks/tiny/v1/leaderboard.csv?{query}").content.decode())))
    api = client.get(f"/api/v1/benchmarks/tiny/v1/leaderboard/?{query}").json()

    assert [row["name"] for row in rows] == ["lookup <b>", "keywords", "prior"]
    assert [e["name"] for e in api["entries"]] == [row["name"] for row in rows]
    assert page.index("lookup &lt;b&gt;") < page.index("keywords") < page.index(">prior<")
    assert api["query"] == {"q": "o", "sort": "-accuracy"}
    assert api["score_weights"] == {"accuracy": 1.0, "calibration": 0.0}
    assert float(rows[0]["score"]) == pytest.approx(1.0)  # re-weighted: accuracy alone
    assert rows[0]["accuracy_low"] and rows[0]["url"].startswith("http://testserver/evaluations/")
    assert 'href="/benchmarks/tiny/v1/leaderboard.csv?q=o&amp;sort=-accuracy&amp;w_calibration=0"' in page


@pytest.mark.django_db
def test_sort_links_flip_the_direction_of_the_sorted_column(client, board):
    page = client.get("/benchmarks/tiny/v1/?sort=-score").content.decode()
    assert 'href="/benchmarks/tiny/v1/?sort=score"' in page  # score sorted descending: flip
    assert 'href="/benchmarks/tiny/v1/?sort=name"' in page  # names start ascending
    assert 'aria-sort="descending"' in page


@pytest.mark.django_db
def test_the_page_ignores_unknown_parameters_and_the_api_refuses_them(client, board):
    assert client.get("/benchmarks/tiny/v1/?utm_source=x").status_code == 200
    response = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/?page=abc")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("unknown parameter page")


@pytest.mark.django_db
def test_a_bad_filter_is_a_400_that_says_why_on_page_exports_and_api(client, board):
    page = client.get("/benchmarks/tiny/v1/?kind=robot")
    assert page.status_code == 400 and "kind must be one of" in page.content.decode()
    for url in ("/benchmarks/tiny/v1/leaderboard.csv?kind=robot",
                "/benchmarks/tiny/v1/leaderboard.svg?kind=robot"):
        response = client.get(url)
        assert response.status_code == 400 and b"kind must be one of" in response.content
    api = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/?kind=robot")
    assert api.status_code == 400 and "kind must be one of" in api.json()["detail"]


@pytest.mark.django_db
def test_the_interval_plot_export_draws_the_rows_shown(client, board):
    svg = client.get("/benchmarks/tiny/v1/leaderboard.svg?q=o").content.decode()
    assert svg.count("<circle") == 3 and "lookup &lt;b&gt;" in svg


@pytest.mark.django_db
def test_the_rendered_board_is_served_from_the_cache_until_a_new_snapshot(client, board,
                                                                          queued_evaluation,
                                                                          django_assert_max_num_queries):
    client.get("/benchmarks/tiny/v1/")
    with django_assert_max_num_queries(6):
        again = client.get("/benchmarks/tiny/v1/").content.decode()
    assert "newcomer" not in again
    run_evaluation(queued_evaluation(KEYWORD_AGENT, name="newcomer").pk)
    assert "newcomer" in client.get("/benchmarks/tiny/v1/").content.decode()


@pytest.mark.django_db
def test_integrity_flags_are_shown_and_can_be_filtered(client, board):
    from leaderboard.models import LeaderboardSnapshot

    snapshot = LeaderboardSnapshot.objects.latest()
    entries = snapshot.entries
    lookup = next(e for e in entries if e["name"] == "lookup <b>")
    lookup["integrity_flags"] = [{"code": "archive_holds_evaluation_texts",
                                  "message": "the archive holds 100% of the <evaluation> texts"}]
    LeaderboardSnapshot.objects.filter(pk=snapshot.pk).update(entries=entries)

    page = client.get("/benchmarks/tiny/v1/").content.decode()
    assert 'class="flagged"' in page
    assert "flagged: the archive holds 100% of the &lt;evaluation&gt; texts" in page
    flagged = client.get("/api/v1/benchmarks/tiny/v1/leaderboard/?flagged=yes").json()
    assert [e["name"] for e in flagged["entries"]] == ["lookup <b>"]
    csv_text = client.get("/benchmarks/tiny/v1/leaderboard.csv?flagged=no").content.decode()
    assert "lookup" not in csv_text and "keywords" in csv_text
