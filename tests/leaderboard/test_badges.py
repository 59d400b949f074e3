"""Badges: an SVG sized to its text and escaped, the shields.io endpoint JSON with exactly its
keys, and the Markdown and model-index snippets a model card takes."""

import json

import pytest

from leaderboard import badges
from leaderboard.models import Evaluation
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import PRIOR_AGENT

ENTRY = {"score": {"value": 0.8234, "low": 0.7912, "high": 0.8501}, "rank_label": "2–4",
         "provisional": False}


def state(**changes):
    return {"benchmark": "rt-sentiment", "version": 1, "latest_version": 1,
            "evaluation_status": "finished", "failure_category": "", "entry": ENTRY, **changes}


def test_text_width_adds_up_verdana_advances_and_rounds_up():
    assert badges.text_width("") == 0
    assert badges.text_width("1") == 7
    assert badges.text_width("ab") == 14  # 6.6 + 6.9 = 13.5 → 14
    assert badges.text_width("漢") == 11  # a character not in the table counts as a wide one


def test_svg_badge_is_exactly_two_halves_sized_to_their_text():
    assert badges.badge_svg("a", "b", "green") == (
        '<svg xmlns="http://www.w3.org/2000/svg" width="34" height="20" role="img" '
        'aria-label="a: b"><title>a: b</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        '<clipPath id="r"><rect width="34" height="20" rx="3" fill="#fff"/></clipPath>'
        '<g clip-path="url(#r)"><rect width="17" height="20" fill="#555"/>'
        '<rect x="17" width="17" height="20" fill="#97ca00"/>'
        '<rect width="34" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="11">'
        '<text x="8.5" y="15" fill="#010101" fill-opacity=".3">a</text>'
        '<text x="8.5" y="14">a</text>'
        '<text x="25.5" y="15" fill="#010101" fill-opacity=".3">b</text>'
        '<text x="25.5" y="14">b</text></g></svg>'
    )


def test_svg_badge_escapes_markup_and_drops_control_characters():
    svg = badges.badge_svg('<script>"x"</script>\x01', "a & b", "#123456")
    assert "<script>" not in svg and "\x01" not in svg
    assert "&lt;script&gt;&quot;x&quot;&lt;/script&gt;" in svg
    assert "a &amp; b" in svg
    assert 'fill="#123456"' in svg


@pytest.mark.parametrize(("score", "colour"), [
    (0.95, "brightgreen"), (0.9, "brightgreen"), (0.85, "green"), (0.75, "yellowgreen"),
    (0.65, "yellow"), (0.55, "orange"), (0.2, "red"), (None, "lightgrey"),
    (float("nan"), "lightgrey"),
])
def test_colour_follows_the_score(score, colour):
    assert badges.score_colour(score) == colour


def test_shields_endpoint_for_a_ranked_entry_is_exactly_the_schema():
    assert badges.shields_endpoint(badges.describe(state())) == {
        "schemaVersion": 1,
        "label": "SafetyGym rt-sentiment v1",
        "message": "0.82 [0.79, 0.85] · rank 2–4",
        "color": "green",
        "isError": False,
        "cacheSeconds": 300,
    }


def test_a_failed_evaluation_is_an_error_badge_naming_the_category():
    badge = badges.shields_endpoint(badges.describe(
        state(evaluation_status="failed", failure_category="agent_error", entry=None)))
    assert (badge["message"], badge["color"], badge["isError"]) == (
        "failed (agent_error)", "red", True)


def test_an_entry_not_on_the_latest_version_is_an_error_badge_that_says_so():
    badge = badges.shields_endpoint(badges.describe(state(latest_version=2)))
    assert badge["isError"] is True
    assert badge["message"] == "0.82 [0.79, 0.85] · rank 2–4 · superseded by v2"


def test_missing_values_keep_the_message_a_string():
    entry = {"score": {"value": None, "low": None, "high": None}, "rank_label": None}
    badge = badges.shields_endpoint(badges.describe(state(entry=entry)))
    assert badge["message"] == "— [—, —] · rank —"
    assert badge["color"] == "lightgrey"
    for status, message in (("running", "evaluating"), ("queued", "evaluating"),
                            ("finished", "not ranked yet")):
        badge = badges.shields_endpoint(badges.describe(state(evaluation_status=status,
                                                               entry=None)))
        assert (badge["message"], badge["isError"]) == (message, False)


def test_a_narrow_interval_gets_a_third_decimal():
    entry = {"score": {"value": 0.8374, "low": 0.8351, "high": 0.8398}, "rank_label": "1"}
    assert badges.badge_message(entry) == "0.837 [0.835, 0.840] · rank 1"


def test_a_provisional_entry_says_so_instead_of_a_rank():
    badge = badges.describe(state(entry={**ENTRY, "provisional": True}))
    assert badge["message"] == "0.82 [0.79, 0.85] · provisional"


def test_markdown_snippet_links_the_badge_to_the_permalink():
    assert badges.markdown_snippet("SafetyGym [x] v1", "https://h/b.svg", "https://h/e/") == (
        "[![SafetyGym (x) v1](https://h/b.svg)](https://h/e/)")


def test_model_index_yaml_quotes_every_string():
    yaml = badges.model_index_yaml(
        'My "model"\n: x', {"name": "Rotten Tomatoes", "slug": "rt", "version": 2,
                            "split": "evaluation"},
        [{"type": "accuracy", "name": "Accuracy", "value": 0.81234},
         {"type": "f1", "name": "Macro F1", "value": None}],
        "https://h/e/")
    assert yaml == (
        "model-index:\n"
        '- name: "My \\"model\\" : x"\n'
        "  results:\n"
        "  - task:\n"
        "      type: text-classification\n"
        "      name: Text Classification\n"
        "    dataset:\n"
        '      name: "Rotten Tomatoes"\n'
        '      type: "safetygym/rt"\n'
        '      split: "evaluation"\n'
        '      revision: "v2"\n'
        "    metrics:\n"
        '    - type: "accuracy"\n'
        '      name: "Accuracy"\n'
        "      value: 0.8123\n"
        "      verified: false\n"
        "    source:\n"
        "      name: SafetyGym\n"
        '      url: "https://h/e/"\n'
    )


@pytest.fixture
def ranked_pair(queued_evaluation):
    evaluations = [queued_evaluation(source, name=name) for source, name in
                   ((KEYWORD_AGENT, "keywords"), (PRIOR_AGENT, "prior"))]
    for evaluation in evaluations:
        run_evaluation(evaluation.pk)
    return evaluations


@pytest.mark.django_db
def test_badge_endpoints_serve_the_submission_s_entry(client, ranked_pair):
    keywords = Evaluation.objects.get(pk=ranked_pair[0].pk)
    url = f"/badges/tiny/{keywords.submission_id}"
    body = client.get(url + ".json")
    svg = client.get(url + ".svg")

    assert body["Content-Type"] == "application/json"
    assert body["Cache-Control"] == "public, max-age=300"
    shields = body.json()
    assert list(shields) == ["schemaVersion", "label", "message", "color", "isError",
                             "cacheSeconds"]
    assert shields["label"] == "SafetyGym tiny v1"
    assert shields["message"].endswith("· rank 1–2") or shields["message"].endswith("· rank 2")
    assert shields["isError"] is False
    assert svg["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert shields["message"] in svg.content.decode()


@pytest.mark.django_db
def test_badge_label_can_be_replaced_and_is_escaped(client, ranked_pair):
    submission = ranked_pair[0].submission_id
    svg = client.get(f"/badges/tiny/{submission}.svg?label=<b>mine</b>").content.decode()
    assert "&lt;b&gt;mine&lt;/b&gt;" in svg and "<b>" not in svg


@pytest.mark.django_db
def test_failed_and_private_submissions(client, queued_evaluation):
    failed = queued_evaluation('labels = ["negative", "positive"]\ndef predict(x): return 5\n')
    run_evaluation(failed.pk)
    body = client.get(f"/badges/tiny/{failed.submission_id}.json").json()
    assert (body["message"], body["isError"], body["color"]) == (
        "failed (bad_output)", True, "red")

    private = queued_evaluation(KEYWORD_AGENT)
    private.submission.public = False
    private.submission.save()
    assert client.get(f"/badges/tiny/{private.submission_id}.svg").status_code == 404
    assert client.get("/badges/tiny/999999.json").status_code == 404
    assert client.get(f"/badges/other/{failed.submission_id}.json").status_code == 404


@pytest.mark.django_db
def test_shields_json_is_one_json_string_per_field_whatever_the_name(client, queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT, name='evil "name" </script>')
    run_evaluation(evaluation.pk)
    text = client.get(f"/badges/tiny/{evaluation.submission_id}.json").content.decode()
    assert isinstance(json.loads(text)["message"], str)
