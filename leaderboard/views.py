from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe

from leaderboard import board_page, provenance, queries
from leaderboard.browse_views import briefly_cached
from leaderboard.evaluation_page import results_context
from leaderboard.models import Evaluation

FRONT_PAGE_ROWS = 10


@briefly_cached
def index(request):
    boards = []
    for version in queries.latest_versions():
        html, _ = board_page.rendered_board(
            version, {}, board_page.leaderboard_path(version), limit=FRONT_PAGE_ROWS)
        boards.append({"version": version, "board_html": mark_safe(html),
                       "unranked": queries.unranked_evaluations(version)[:20]})
    return render(request, "leaderboard/index.html", {"boards": boards})


def evaluation_detail(request, pk):
    evaluation = get_object_or_404(
        Evaluation.objects.select_related("submission", "benchmark_version__benchmark"),
        pk=pk,
        submission__public=True,
    )
    context = {
        "evaluation": evaluation,
        "entry": queries.leaderboard_entry(evaluation),
        "reproduce": queries.reproduce_command(evaluation),
        "sandbox": provenance.sandbox_summary(evaluation),
        "suites": evaluation.suites.order_by("created_at"),
        "queue_position": queries.queue_position(evaluation),
        "progress_percent": round(100 * evaluation.progress_fraction()),
    }
    context.update(results_context(request, evaluation, context["entry"]))
    return render(request, "leaderboard/evaluation.html", context)
