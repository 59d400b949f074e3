from django.http import Http404
from django.shortcuts import get_object_or_404, render

from leaderboard import provenance, queries
from leaderboard.models import Evaluation


def index(request):
    boards = [
        {"version": version, "board": queries.board(version),
         "unranked": queries.unranked_evaluations(version)[:20]}
        for version in queries.latest_versions()
    ]
    return render(request, "leaderboard/index.html", {"boards": boards})


def leaderboard(request, slug, number):
    """The version's leaderboard; ?w_<component>=<weight> re-weights the score."""
    version = queries.get_version(slug, number)
    if version is None:
        raise Http404(f"no benchmark {slug} v{number}")
    board = queries.board(version, request.GET)
    context = {
        "version": version,
        "board": board,
        "unranked": queries.unranked_evaluations(version),
        "versions": version.benchmark.versions.order_by("-number"),
    }
    return render(request, "leaderboard/leaderboard.html", context,
                  status=400 if board["error"] else 200)


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
    return render(request, "leaderboard/evaluation.html", context)
