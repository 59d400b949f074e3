"""Who may see a submission: everyone when it is public; its owner and staff when it is
private (or withdrawn), in past leaderboard snapshots too. Every page, badge and API answer about one submission asks here, and a
submission someone may not see answers as if it did not exist (404), so a private id leaks
nothing."""

from django.db.models import Q

from leaderboard import integrity_checks
from leaderboard.models import Evaluation, Submission


def visible_to(user, prefix=""):
    """A filter on submissions (or, with prefix="submission__", on what points at one): the
    ones `user` may see."""
    if user is None or not user.is_authenticated:
        return Q(**{f"{prefix}public": True})
    if user.is_staff:
        return Q()
    return Q(**{f"{prefix}public": True}) | Q(**{f"{prefix}owner": user})


def visible_submissions(user):
    return Submission.objects.filter(visible_to(user))


def visible_evaluations(user):
    return Evaluation.objects.filter(visible_to(user, "submission__"))


def is_owner(user, submission):
    return user is not None and user.is_authenticated and submission.owner_id == user.pk


def sees_log(user, submission):
    """The sandbox's log is its owner's alone (it can hold what the agent printed about its
    own files), even on a public submission; staff see it only for the operator's own
    submissions, which have no owner (the baselines)."""
    if submission.owner_id is None:
        return bool(user is not None and user.is_staff)
    return is_owner(user, submission)


def visible_entries(entries, user):
    """The snapshot entries whose submission `user` may see now. A snapshot keeps what it
    computed then, but a submission withdrawn, made private or deleted since leaves every
    board, past ones included: its row is left out (the others keep the ranks computed then)."""
    ids = {entry["submission_id"] for entry in entries}
    visible = set(visible_submissions(user).filter(pk__in=ids).values_list("pk", flat=True))
    return [{**entry,
             "integrity_flags": integrity_checks.neutral_flags(entry.get("integrity_flags"))}
            for entry in entries if entry["submission_id"] in visible]


def hidden_evaluation_ids(entries, user):
    """The evaluation ids of the snapshot entries `user` may not see now (see visible_entries):
    what a replicate archive or a cached board must leave out for them."""
    shown = {entry["evaluation_id"] for entry in visible_entries(entries, user)}
    return sorted(entry["evaluation_id"] for entry in entries
                  if entry["evaluation_id"] not in shown)


def shown_integrity(evaluation, user):
    """(checks, flags) of an evaluation as `user` sees them: a duplicate flag names the earlier
    submission only while `user` may still see it (integrity_checks.shown)."""
    referenced = integrity_checks.referenced_submission_ids(evaluation.integrity_checks)
    visible = set(visible_submissions(user).filter(pk__in=referenced)
                  .values_list("pk", flat=True)) if referenced else set()
    return integrity_checks.shown(evaluation.integrity_checks, visible)
