"""The submissions endpoints fuzzed from the served schema with a valid API token, so that the
generated uploads and fields reach the checks behind the authentication: no 5xx, and every
response conforms to the schema and says its content type."""

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from tests.leaderboard.test_api_fuzz import CHECKS

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def token(tiny_version):
    user = User.objects.create_user("fuzzer", password="a long passphrase")
    return Token.objects.create(user=user).key


@pytest.fixture
def submissions_schema(token, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES",
                        {"anon": None, "user": None, "submissions": None})
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("submissions_schema").include(path_regex="submissions")


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_authenticated_submission_requests_never_get_a_server_error(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
