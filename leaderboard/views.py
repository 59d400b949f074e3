from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from leaderboard import board_page, provenance, queries
from leaderboard.browse_views import briefly_cached
from leaderboard.evaluation_page import results_context
from leaderboard.live_status import live_status
from leaderboard.visibility import is_owner, visible_evaluations

FRONT_PAGE_ROWS = 10


@briefly_cached
def index(request):
    boards = []
    for version in queries.latest_versions():
        html, _ = board_page.rendered_board(
            version, {}, board_page.leaderboard_path(version), limit=FRONT_PAGE_ROWS,
            user=request.user)
        boards.append({"version": version, "board_html": mark_safe(html),
                       "unranked": queries.unranked_evaluations(version)[:20]})
    return render(request, "leaderboard/index.html", {"boards": boards})


def visible_evaluation_or_404(request, pk):
    """The evaluation, if the user may see its submission (else a 404, as if none existed)."""
    return get_object_or_404(
        visible_evaluations(request.user).select_related(
            "submission__owner", "benchmark_version__benchmark"),
        pk=pk,
    )


def status_context(request, evaluation):
    return {"evaluation": evaluation, "live": live_status(evaluation, request.user),
            "sandbox": provenance.sandbox_summary(evaluation),
            "is_owner": is_owner(request.user, evaluation.submission)}


@require_GET
def evaluation_detail(request, pk):
    evaluation = visible_evaluation_or_404(request, pk)
    context = {
        **status_context(request, evaluation),
        "entry": queries.leaderboard_entry(evaluation),
        "reproduce": queries.reproduce_command(evaluation),
        "suites": evaluation.suites.order_by("created_at"),
    }
    context.update(results_context(request, evaluation, context["entry"]))
    return render(request, "leaderboard/evaluation.html", context)


@require_GET
def evaluation_status(request, pk):
    """The status part of the evaluation page, which the page fetches every few seconds while
    the evaluation is active (templates/leaderboard/evaluation.html)."""
    evaluation = visible_evaluation_or_404(request, pk)
    response = render(request, "leaderboard/_evaluation_status.html",
                      status_context(request, evaluation))
    response["Cache-Control"] = "no-store"
    return response
