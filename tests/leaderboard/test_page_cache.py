"""Leaderboard pages are served from the cache for a few seconds: a burst of readers costs one
render, and a new evaluation shows once that time is over."""

import pytest

from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT
from tests.leaderboard.agents import PRIOR_AGENT

pytestmark = pytest.mark.django_db


def test_a_page_is_served_from_the_cache_until_it_expires(client, settings, queued_evaluation,
                                                          django_assert_num_queries):
    settings.PAGE_CACHE_SECONDS = 5
    run_evaluation(queued_evaluation(KEYWORD_AGENT, name="first").pk)
    page = client.get("/benchmarks/tiny/v1/")
    assert page["Cache-Control"] == "max-age=5"
    run_evaluation(queued_evaluation(PRIOR_AGENT, name="second").pk)

    with django_assert_num_queries(0):
        again = client.get("/benchmarks/tiny/v1/")
    assert b"second" not in again.content
    assert b"second" in client.get("/benchmarks/tiny/v1/?sort=name").content  # another page

    from django.core.cache import cache

    cache.clear()  # as when the five seconds are over
    assert b"second" in client.get("/benchmarks/tiny/v1/").content
    assert b"second" in client.get("/").content
