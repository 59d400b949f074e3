"""The e-mail that tells an owner their evaluation ended: the outcome, the failure's category
and message, and the link to the page; none without an owner or an address, and a mail server
that fails never fails the evaluation."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail

from leaderboard.models import Evaluation
from leaderboard.tasks import run_evaluation
from tests.conftest import KEYWORD_AGENT

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

CRASHING_AGENT = 'labels = ["negative", "positive"]\ndef predict(inputs):\n    raise KeyError("vocab")\n'


def owned(queued_evaluation, user, source):
    evaluation = queued_evaluation(source, name="Ada's model")
    evaluation.submission.owner = user
    evaluation.submission.save()
    return evaluation


def test_a_finished_evaluation_mails_its_owner_the_link(user_client, queued_evaluation,
                                                        settings):
    settings.SITE_URL = "https://gym.example.org"
    evaluation = owned(queued_evaluation, user_client.user, KEYWORD_AGENT)
    run_evaluation(evaluation.pk)
    [message] = mail.outbox
    assert message.to == ["ada@example.org"]
    assert message.subject == "Ada's model finished on tiny v1"
    assert f"https://gym.example.org/evaluations/{evaluation.pk}/" in message.body


def test_a_failed_evaluation_mails_the_category_and_message(user_client, queued_evaluation):
    evaluation = owned(queued_evaluation, user_client.user, CRASHING_AGENT)
    run_evaluation(evaluation.pk)
    [message] = mail.outbox
    assert message.subject == "Ada's model failed on tiny v1 (agent_error)"
    assert "KeyError" in message.body


def test_no_mail_without_an_owner_or_an_address(user_client, queued_evaluation):
    run_evaluation(queued_evaluation(KEYWORD_AGENT).pk)  # the operator's own: no owner
    user_client.user.email = ""
    user_client.user.save()
    run_evaluation(owned(queued_evaluation, user_client.user, KEYWORD_AGENT).pk)
    assert mail.outbox == []


def test_a_mail_server_that_fails_does_not_fail_the_evaluation(user_client, queued_evaluation,
                                                               settings, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("leaderboard.notifications.send_mail", refuse)
    evaluation = owned(queued_evaluation, user_client.user, KEYWORD_AGENT)
    run_evaluation(evaluation.pk)
    assert Evaluation.objects.get(pk=evaluation.pk).status == "finished"


@pytest.mark.parametrize("environment, backend", [
    ({}, "django.core.mail.backends.console.EmailBackend"),
    ({"SAFETYGYM_EMAIL_HOST": "smtp.example.org", "SAFETYGYM_EMAIL_PORT": "2525"},
     "django.core.mail.backends.smtp.EmailBackend smtp.example.org 2525 True"),
])
def test_mail_goes_to_the_console_unless_an_smtp_host_is_set(environment, backend):
    script = ("import django; django.setup(); from django.conf import settings as s; "
              "print(s.EMAIL_BACKEND, *([s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS] "
              "if 'smtp' in s.EMAIL_BACKEND else []))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYGYM_EMAIL")}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "safetygym.settings", **environment})
    assert result.stdout.strip() == backend
