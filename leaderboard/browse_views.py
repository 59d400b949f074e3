"""The pages for reading leaderboards: a version's board and its exports, the benchmark's
dataset card, the snapshot history, the comparison of two entries, permalinks and badges."""

import functools

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET

from benchmarks.models import Benchmark, Item
from leaderboard import badges, board_page, board_query, charts, queries
from leaderboard.compare import compare as compare_entries
from leaderboard.models import Evaluation
from leaderboard.score_weights import as_query, requested_score_weights
from leaderboard.snapshots import load_replicates
from leaderboard.visibility import visible_entries, visible_evaluations

SNAPSHOTS_PER_PAGE = 50
COMPARE_CACHE_SECONDS = 24 * 3600
# How stale a badge may be: shields.io keeps its copy as long, and image proxies (GitHub's,
# Hugging Face's) longer still.
BADGE_CACHE_SECONDS = 300


def briefly_cached(view):
    """Serve the view's responses from the cache for settings.PAGE_CACHE_SECONDS (Django's
    cache_page: per URL and query, and per cookie once a response varies on it, so no reader
    gets another's page)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.PAGE_CACHE_SECONDS:
            return view(request, *args, **kwargs)
        return cache_page(settings.PAGE_CACHE_SECONDS)(view)(request, *args, **kwargs)

    return wrapped


def version_or_404(slug, number):
    version = queries.get_version(slug, number)
    if version is None:
        raise Http404(f"no benchmark {slug} v{number}")
    return version


@require_GET
@briefly_cached
def leaderboard(request, slug, number):
    """The version's leaderboard under the query's weights, filters and sort (see
    leaderboard.board_query); ?snapshot=<id> shows a past snapshot."""
    version = version_or_404(slug, number)
    latest_id = queries.latest_snapshot_id(version)
    html, status = board_page.rendered_board(version, request.GET, request.path,
                                             latest_id=latest_id, user=request.user)
    asked = request.GET.get("snapshot")
    context = {
        "version": version,
        "board_html": mark_safe(html),
        "unranked": queries.unranked_evaluations(version),
        "versions": version.benchmark.versions.order_by("-number"),
        "past_snapshot": asked if asked and str(asked) != str(latest_id) else None,
    }
    return render(request, "leaderboard/leaderboard.html", context, status=status)


def _shown_or_error(request, version):
    """(shown board, None) or (None, a 400 response naming what is wrong)."""
    try:
        snapshot = board_page.requested_snapshot(version, request.GET)
    except board_page.SnapshotNotFound as error:
        return None, HttpResponse(str(error), status=400, content_type="text/plain")
    shown = board_page.shown_board(version, request.GET, snapshot, user=request.user)
    if shown["errors"]:
        return None, HttpResponse("\n".join(shown["errors"]) + "\n", status=400,
                                  content_type="text/plain; charset=utf-8")
    return shown, None


def _export(request, slug, number, extension, content_type, disposition, render):
    """The rows the page shows for the same query, rendered by render(request, shown)."""
    version = version_or_404(slug, number)
    shown, error = _shown_or_error(request, version)
    if error:
        return error
    response = HttpResponse(render(request, shown), content_type=content_type)
    snapshot = shown["snapshot"]
    name = f"{slug}-v{number}" + (f"-snapshot-{snapshot.pk}" if snapshot else "")
    response["Content-Disposition"] = f'{disposition}; filename="{name}.{extension}"'
    return response


def _csv(request, shown):
    def entry_url(entry):
        return request.build_absolute_uri(reverse("evaluation", args=[entry["evaluation_id"]]))

    return board_query.csv_text(shown["sections"], shown["components"], shown["metrics"],
                                entry_url)


@require_GET
def leaderboard_csv(request, slug, number):
    """The rows the page shows for the same query, as CSV."""
    return _export(request, slug, number, "csv", "text/csv; charset=utf-8", "attachment", _csv)


@require_GET
def leaderboard_svg(request, slug, number):
    """The score intervals of the rows shown, one per row on one axis, as a standalone SVG."""
    return _export(request, slug, number, "svg", "image/svg+xml; charset=utf-8", "inline",
                   lambda request, shown: charts.interval_plot(board_page.plot_rows(shown)))


@require_GET
def benchmark(request, slug):
    """The dataset card: provenance, licence, sizes, labels, suites and every version."""
    bench = get_object_or_404(Benchmark, slug=slug)
    versions = list(bench.versions.order_by("-number"))
    label_counts = {}
    for row in (Item.objects.filter(version__benchmark=bench).order_by()
                .values("version_id", "split", "label").annotate(n=Count("id"))):
        label_counts.setdefault(row["version_id"], {}).setdefault(row["split"], {})[row["label"]] = row["n"]
    cards = []
    for version in versions:
        counts = label_counts.get(version.pk, {})
        cards.append({
            "version": version,
            "labels": [{"name": name,
                        "public": counts.get("public", {}).get(index, 0),
                        "evaluation": counts.get("evaluation", {}).get(index, 0)}
                       for index, name in enumerate(version.labels)],
            "entries": Evaluation.objects.filter(benchmark_version=version, status="finished",
                                                 submission__public=True)
                       .values("submission").distinct().count(),
        })
    return render(request, "leaderboard/benchmark.html",
                  {"benchmark": bench, "cards": cards, "latest": versions[0] if versions else None})


@require_GET
def snapshots(request, slug, number):
    """Every snapshot of the version, newest first, each viewable and downloadable."""
    version = version_or_404(slug, number)
    paginator = Paginator(queries.snapshots_of(version), SNAPSHOTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))  # any odd page number: the nearest page
    latest_id = queries.latest_snapshot_id(version)
    return render(request, "leaderboard/snapshots.html",
                  {"version": version, "page": page, "latest_id": latest_id})


@require_GET
def compare(request, slug, number):
    """Two entries of one snapshot: ?a=<evaluation id>&b=<evaluation id> (with the board's
    w_<component> weights and snapshot= when given)."""
    version = version_or_404(slug, number)
    context = {"version": version, "errors": []}
    try:
        snapshot = board_page.requested_snapshot(version, request.GET)
    except board_page.SnapshotNotFound as error:
        snapshot, context["errors"] = None, [str(error)]
    context["snapshot"] = snapshot
    if snapshot is None:
        if not context["errors"]:
            context["errors"] = ["there is no leaderboard snapshot to compare entries in yet"]
        return render(request, "leaderboard/compare.html", context, status=400)
    shown = visible_entries(snapshot.entries, request.user)
    entries = {str(entry["evaluation_id"]): entry for entry in shown}
    context["choices"] = sorted(shown, key=lambda e: e["name"].casefold())
    picked = {side: request.GET.get(side, "") for side in ("a", "b")}
    context["picked"] = picked
    for side, value in picked.items():
        if value not in entries:
            context["errors"].append(
                f"pick entry {side.upper()}: " + (f"evaluation {value!r} is not on snapshot "
                                                 f"{snapshot.pk} of {version}" if value else
                                                 "none was given"))
    if not context["errors"] and picked["a"] == picked["b"]:
        context["errors"].append("A and B are the same entry; pick two different ones")
    try:
        weights = requested_score_weights(request.GET, snapshot.score_weights) or dict(
            snapshot.score_weights)
    except ValueError as error:
        weights = dict(snapshot.score_weights)
        context["errors"].append(str(error))
    context["weights"] = weights
    if context["errors"]:
        status = 200 if not any(picked.values()) else 400
        return render(request, "leaderboard/compare.html", context, status=status)
    a, b = entries[picked["a"]], entries[picked["b"]]
    try:
        result = cached_comparison(snapshot, a, b, weights)
    except ValueError as error:
        context["errors"].append(str(error))
        return render(request, "leaderboard/compare.html", context, status=400)
    context.update(a=a, b=b, result=result, plot=mark_safe(difference_plot(result)),
                   custom=weights != dict(snapshot.score_weights))
    return render(request, "leaderboard/compare.html", context)


def cached_comparison(snapshot, a, b, weights):
    key = f"compare:{snapshot.pk}:{a['evaluation_id']}:{b['evaluation_id']}:{as_query(weights)}"
    result = cache.get(key)
    if result is None:
        result = compare_entries(load_replicates(snapshot), a["column"], b["column"], weights,
                                 snapshot.confidence_level)
        cache.set(key, result, COMPARE_CACHE_SECONDS)
    return result


def difference_plot(result):
    rows = [{"label": "score", "estimate": result["score"]}]
    rows += [{"label": name, "estimate": diff} for name, diff in result["components"].items()]
    return charts.interval_plot(rows, reference=0.0, width=640, label_width=140)


@require_GET
def entry_permalink(request, slug, number, submission_id):
    """A submission's entry on one benchmark version: its newest evaluation there
    (a permalink for a model card, stable across re-evaluations on the same version)."""
    version = version_or_404(slug, number)
    evaluation = (visible_evaluations(request.user)
                  .filter(benchmark_version=version, submission_id=submission_id)
                  .order_by("-queued_at", "-pk").first())
    if evaluation is None:
        raise Http404(f"submission {submission_id} has no evaluation on {version} that you "
                      "may see")
    return redirect("evaluation", evaluation.pk)


def badge_state(slug, submission_id, evaluations=None):
    """What the badge of a submission on a benchmark says (badges.describe), with the version
    it speaks of; None when the submission has no evaluation there among `evaluations`
    (default: the public ones)."""
    if evaluations is None:
        evaluations = Evaluation.objects.filter(submission__public=True)
    evaluation = (evaluations.filter(submission_id=submission_id,
                                     benchmark_version__benchmark__slug=slug)
                  .select_related("benchmark_version__benchmark")
                  .order_by("-benchmark_version__number", "-queued_at", "-pk").first())
    if evaluation is None:
        return None
    version = evaluation.benchmark_version
    latest = version.benchmark.versions.order_by("-number").values_list("number", flat=True)[0]
    snapshot_id = queries.latest_snapshot_id(version)
    entry = None
    if snapshot_id is not None:
        entry = queries.entries_by(snapshot_id)["submission"].get(int(submission_id))
    return {
        "version": version.number,
        "badge": badges.describe({
            "benchmark": slug, "version": version.number, "latest_version": latest,
            "evaluation_status": "finished" if entry else evaluation.status,
            "failure_category": evaluation.failure_category, "entry": entry,
        }),
    }


def cached_badge_state(slug, submission_id):
    key = f"badge:{slug}:{submission_id}"
    state = cache.get(key)
    if state is None:
        state = badge_state(slug, submission_id) or {}
        cache.set(key, state, BADGE_CACHE_SECONDS)
    return state or None


def viewers_badge(request, slug, submission_id):
    """(badge state, whether anyone may see it): a public submission's from the shared cache;
    a private one's, freshly, for its owner and staff only; else a 404."""
    state = cached_badge_state(slug, submission_id)
    if state is not None:
        return state, True
    if request.user.is_authenticated:
        state = badge_state(slug, submission_id, visible_evaluations(request.user))
        if state is not None:
            return state, False
    raise Http404("no evaluation of this submission on this benchmark that you may see")


def _badge_response(response, public):
    if public:
        response["Cache-Control"] = f"public, max-age={BADGE_CACHE_SECONDS}"
        response["Access-Control-Allow-Origin"] = "*"
    else:  # a private submission's badge must stay out of shared caches and other sites
        response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def badge_svg(request, slug, submission_id):
    """The badge as SVG; ?label= replaces the left-hand text."""
    state, public = viewers_badge(request, slug, submission_id)
    badge = state["badge"]
    label = badges.clean_text(request.GET.get("label") or badge["label"], badges.LABEL_LIMIT)
    svg = badges.badge_svg(label, badge["message"], badge["colour"])
    return _badge_response(HttpResponse(svg, content_type="image/svg+xml; charset=utf-8"),
                           public)


@require_GET
def badge_json(request, slug, submission_id):
    """The shields.io endpoint JSON: img.shields.io/endpoint?url=<this URL>."""
    state, public = viewers_badge(request, slug, submission_id)
    return _badge_response(JsonResponse(badges.shields_endpoint(state["badge"])), public)
