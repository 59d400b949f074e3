"""Parallel submissions by one user cannot pass the daily quota: the count and the new
evaluations are in one transaction that first locks the user's row (leaderboard.quota
.reserve_quota), so the second submission counts the first one's evaluations."""

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from leaderboard.models import Evaluation, Submission
from leaderboard.quota import reserve_quota
from leaderboard.uploads import UploadRefused, submit_upload
from tests.conftest import require_service
from tests.leaderboard.uploads import agent_zip

RACERS = 8


def race_submissions(user, version):
    """RACERS threads submit at once; returns what each got: 'queued' or the refusal."""
    start = threading.Barrier(RACERS)
    outcomes = []

    def submit(number):
        try:
            start.wait()
            submit_upload(agent_zip(), owner=user, versions=[version], name=f"racer {number}")
            outcomes.append("queued")
        except UploadRefused as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(number,)) for number in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def one_used_of_four(settings, version):
    settings.EVALUATIONS_PER_DAY = 4
    user = User.objects.create_user("ada", "ada@example.org", "a long passphrase")
    earlier = Submission.objects.create(name="earlier", agent_path="/nowhere", owner=user)
    Evaluation.objects.create(submission=earlier, benchmark_version=version)
    return user


def assert_three_queued(user, outcomes):
    assert outcomes.count("queued") == 3
    refusals = [outcome for outcome in outcomes if outcome != "queued"]
    assert len(refusals) == RACERS - 3
    assert all("you may start 4 evaluations in any 24 hours and have started 4" in refusal
               for refusal in refusals)
    assert Evaluation.objects.filter(submission__owner=user).count() == 4


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_start_no_more_than_the_quota_allows(settings, tiny_version):
    user = one_used_of_four(settings, tiny_version)
    assert_three_queued(user, race_submissions(user, tiny_version))


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_are_serialised_on_postgresql(settings, tiny_version):
    require_service("postgresql")
    user = one_used_of_four(settings, tiny_version)
    assert_three_queued(user, race_submissions(user, tiny_version))


@pytest.mark.django_db
def test_the_quota_is_counted_after_the_users_row_is_locked(tiny_version):
    user = User.objects.create_user("ada", "ada@example.org", "a long passphrase")
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        reserve_quota(user, 1)
    statements = [query["sql"].upper() for query in queries.captured_queries]
    lock = next(n for n, sql in enumerate(statements)
                if sql.startswith("UPDATE") and "AUTH_USER" in sql)
    count = next(n for n, sql in enumerate(statements) if "COUNT(" in sql)
    assert lock < count


@pytest.mark.django_db(transaction=True)
def test_reserving_quota_outside_a_transaction_is_refused(tiny_version):
    user = User.objects.create_user("ada", "ada@example.org", "a long passphrase")
    with pytest.raises(RuntimeError, match="inside the transaction"):
        reserve_quota(user, 1)
