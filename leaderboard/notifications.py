"""The e-mail that tells a submission's owner its evaluation ended (finished or failed).

Sent through settings.EMAIL_BACKEND: the console by default, SMTP when SAFETYGYM_EMAIL_HOST is
set. A mail server that refuses or is down is logged and never fails the evaluation.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

logger = logging.getLogger(__name__)


def evaluation_ended_message(evaluation):
    """(subject, body) of the notice."""
    submission, version = evaluation.submission, evaluation.benchmark_version
    link = settings.SITE_URL + reverse("evaluation", args=[evaluation.pk])
    if evaluation.status == "finished":
        subject = f"{submission.name} finished on {version}"
        outcome = "Its evaluation finished; the results and its place on the leaderboard:"
    else:
        subject = f"{submission.name} failed on {version} ({evaluation.failure_category})"
        outcome = (f"Its evaluation failed ({evaluation.failure_category}): "
                   f"{evaluation.failure_message}\n\nThe sandbox's log and the details:")
        if evaluation.failure_category == "platform_error":
            outcome += ("\n(This was SafetyGym's fault, not your submission's; it is not "
                        "counted against your quota.)")
    body = f"{outcome}\n{link}\n\nYou get this e-mail because you submitted {submission.name} to SafetyGym.\n"
    return subject, body


def notify_evaluation_ended(evaluation):
    """Mail the owner, if the submission has one with an e-mail address. Returns whether a
    mail went out."""
    owner = evaluation.submission.owner
    if owner is None or not owner.email:
        return False
    subject, body = evaluation_ended_message(evaluation)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email])
    except Exception:  # noqa: BLE001 - a mail server's trouble is not the evaluation's
        logger.exception("could not mail %s that evaluation %s ended", owner.email, evaluation.pk)
        return False
    return True
