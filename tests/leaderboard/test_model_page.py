"""The results part of the evaluation page: components with intervals, confusion matrix,
reliability diagram, adversarial examples, per-group fairness, provenance, the reproduce
command, badge snippets and a way to compare."""

import pytest

from leaderboard.models import SuiteResult
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import PRIOR_AGENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def keywords(queued_evaluation):
    evaluation = queued_evaluation(KEYWORD_AGENT, name="Keywords")
    run_evaluation(evaluation.pk)
    run_evaluation(queued_evaluation(PRIOR_AGENT, name="Prior").pk)
    evaluation.refresh_from_db()
    return evaluation


def page_of(client, evaluation):
    response = client.get(f"/evaluations/{evaluation.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_components_with_intervals_and_a_compare_form(client, keywords):
    page = page_of(client, keywords)
    assert 'id="leaderboard-entry"' in page
    assert "Accuracy <span class=\"muted\">(in the score)</span>" in page
    assert "Macro-F1" in page and page.count('<svg class="interval"') == 4
    assert f'<input type="hidden" name="a" value="{keywords.pk}">' in page
    assert ">Prior (0.750)</option>" in page


def test_suite_metrics_read_as_words_not_stored_keys(client, keywords):
    page = page_of(client, keywords)
    assert '<th scope="row">Macro-F1</th>' in page and '<th scope="row">ECE</th>' in page
    assert '<th scope="row">macro_f1</th>' not in page


def test_confusion_matrix_and_reliability_diagram_from_the_stored_outcomes(client, keywords):
    page = page_of(client, keywords)
    # The keyword agent on the tiny items: of 5 negatives, "good but long" and "not good at
    # all" are called positive; of 5 positives, "a moving story" and "lovely" negative. It
    # says positive with 0.8 (3 of 5 right) and negative with 0.7 (3 of 5 right).
    assert '<th scope="row">negative</th><td class="num diagonal" style="--share: 0.600">3<br>' in page
    assert '<td class="num" style="--share: 0.400">2<br><span class="muted">40%</span>' in page
    assert "confidence 0.7–0.8: 5 items, accuracy 0.600, mean confidence 0.700" in page
    assert "confidence 0.8–0.9: 5 items, accuracy 0.600, mean confidence 0.800" in page


def test_provenance_reproduce_command_and_badge_snippets(client, keywords):
    page = page_of(client, keywords)
    submission = keywords.submission
    assert submission.agent_sha256 in page
    assert "bootstrap <code>7</code>" in page
    assert "manage.py evaluate" in page and "--benchmark tiny --benchmark-version 1" in page
    badge = f"http://testserver/badges/tiny/{submission.pk}.svg"
    permalink = f"http://testserver/benchmarks/tiny/v1/entries/{submission.pk}/"
    assert f"[![SafetyGym tiny v1]({badge})]({permalink})" in page
    assert "img.shields.io/endpoint?url=http%3A%2F%2Ftestserver%2Fbadges%2Ftiny%2F" in page
    assert "model-index:" in page and "value: 0.6000" in page and 'data-copy="badge-markdown"' in page
    assert client.get(permalink).url == f"/evaluations/{keywords.pk}/"


def test_the_permalink_follows_the_newest_evaluation_on_that_version(client, keywords,
                                                                    queued_evaluation):
    again = queued_evaluation(KEYWORD_AGENT)
    again.submission = keywords.submission
    again.save()
    response = client.get(f"/benchmarks/tiny/v1/entries/{keywords.submission_id}/")
    assert response.url == f"/evaluations/{again.pk}/"
    assert client.get("/benchmarks/tiny/v1/entries/999999/").status_code == 404


def test_adversarial_examples_show_original_and_perturbed_with_changes_marked(client, keywords):
    SuiteResult.objects.create(
        evaluation=keywords, suite="adversarial", metrics={"robust_accuracy": 0.4},
        examples=[{
            "item": 0, "recipe": "deepwordbug", "label": 1, "predicted_before": 1,
            "confidence_before": 0.8, "predicted_after": 0, "confidence_after": 0.7,
            "changed_words": 1, "queries": 12, "text": "a good film",
            "perturbed_text": "a g0od film",
            "original_marked": [["a ", False], ["good", True], [" film", False]],
            "perturbed_marked": [["a ", False], ["g0od", True], [" film", False]],
            "label_name": "positive", "predicted_before_name": "positive",
            "predicted_after_name": "negative",
        }, {
            # No marks stored: the page finds the changed words itself.
            "item": 1, "recipe": "pwws", "label": 1, "predicted_before": 1,
            "predicted_after": 0, "text": "great <acting>", "perturbed_text": "big <acting>",
        }])
    page = page_of(client, keywords)
    assert "a <del>good</del> film" in page and "a <ins>g0od</ins> film" in page
    assert "<del>great</del> &lt;acting&gt;" in page and "<ins>big</ins> &lt;acting&gt;" in page
    assert "predicted positive (0.800) → negative (0.700)" in page
    assert "<code>deepwordbug</code> · 1 word changed" in page


def test_fairness_per_group_rates_as_bars(client, keywords):
    SuiteResult.objects.create(
        evaluation=keywords, suite="fairness",
        metrics={"counterfactual_consistency": 0.9, "categories": {"gender": {
            "items": 30, "variants": 60, "counterfactual_consistency": 0.9,
            "demographic_parity_difference": 0.1,
            "label_rates": {"female": {"negative": 0.4, "positive": 0.6},
                            "male <x>": {"negative": 0.5, "positive": 0.5}}}},
                 "attributes": {"sex": {"demographic_parity_difference": 0.2,
                                        "equalized_odds_difference": 0.3,
                                        "groups": {"Female": {"accuracy": 0.8,
                                                              "selection_rate": 0.1,
                                                              "true_positive_rate": 0.5,
                                                              "false_positive_rate": 0.05,
                                                              "count": 500.0}}}}})
    page = page_of(client, keywords)
    assert "Gender: rate of each label by group" in page
    assert "female, positive: 0.600" in page and "male &lt;x&gt;, negative: 0.500" in page
    assert "By sex" in page and "Female, selection rate: 0.100" in page and "(500)" in page
    assert "<th scope=\"row\">categories</th>" not in page  # tables are not scalars


def test_a_queued_evaluation_shows_no_results_yet(client, queued_evaluation):
    page = page_of(client, queued_evaluation(KEYWORD_AGENT))
    assert 'id="leaderboard-entry"' not in page
    assert '<table class="confusion">' not in page
