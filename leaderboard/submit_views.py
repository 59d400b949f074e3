"""The pages that change things: submitting an agent, one's own submissions, withdrawing or
deleting one, and the staff's re-evaluation of a benchmark's entries on a new version. Each
needs a login and Django's CSRF token (a POST)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from leaderboard import lifecycle, queries
from leaderboard.forms import SubmissionForm
from leaderboard.quota import charged_evaluations
from leaderboard.uploads import UploadRefused, cap_uploads, submit_from
from sandbox.errors import InvalidSubmission


def quota_context(user):
    return {"quota_used": charged_evaluations(user).count(),
            "quota_limit": settings.EVALUATIONS_PER_DAY}


@csrf_exempt  # checked just below, once the upload handlers are in place (Django's pattern)
@login_required
@require_http_methods(["GET", "POST"])
def submit(request):
    cap_uploads(request)
    return _submit(request)


@csrf_protect
def _submit(request):
    form = SubmissionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            submission, evaluations = submit_from(form.cleaned_data, request.user,
                                                  form.versions())
        except UploadRefused as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, f"{submission.name} is queued on "
                             f"{len(evaluations)} benchmark{'s' if len(evaluations) > 1 else ''}.")
            return redirect("evaluation", evaluations[0].pk)
    return render(request, "leaderboard/submit.html",
                  {"form": form, **quota_context(request.user)},
                  status=400 if form.errors else 200)


@login_required
def my_submissions(request):
    submissions = (request.user.submissions.prefetch_related("evaluations__benchmark_version__benchmark")
                   .order_by("-created_at"))
    return render(request, "leaderboard/my_submissions.html",
                  {"submissions": submissions, **quota_context(request.user)})


def owned_submission(request, pk):
    """The user's own submission, or a 404 (someone else's is not theirs to change)."""
    return get_object_or_404(request.user.submissions, pk=pk)


@login_required
@require_POST
def withdraw(request, pk):
    submission = owned_submission(request, pk)
    lifecycle.withdraw(submission)
    messages.success(request, f"{submission.name} is off the leaderboards; only you see it now.")
    return redirect("my-submissions")


@login_required
@require_POST
def restore(request, pk):
    submission = owned_submission(request, pk)
    if submission.withdrawn_at is None:
        raise Http404("this submission was not withdrawn")
    lifecycle.restore(submission)
    messages.success(request, f"{submission.name} is back on the leaderboards.")
    return redirect("my-submissions")


@login_required
@require_POST
def delete(request, pk):
    submission = owned_submission(request, pk)
    try:
        lifecycle.delete(submission)
    except InvalidSubmission as error:
        messages.error(request, f"{submission.name} was not deleted: {error}.")
    else:
        messages.success(request, f"{submission.name} and its results were deleted.")
    return redirect("my-submissions")


@staff_member_required
@require_POST
def reevaluate(request, slug, number):
    """Queue the public entries of the benchmark's older versions on this version."""
    version = queries.get_version(slug, number)
    if version is None:
        raise Http404(f"no benchmark {slug} v{number}")
    queued = lifecycle.reevaluate_public_entries(version)
    messages.success(request, f"{len(queued)} public entr{'y' if len(queued) == 1 else 'ies'} "
                     f"of older versions queued on {version}.")
    return redirect("leaderboard", slug, number)
