"""The JSON API under /api/v1/: the same data the pages show, described by an OpenAPI schema
at /api/v1/schema/.

Every list is paginated with ?limit= and ?offset= (leaderboard.pagination), every endpoint is
throttled (settings.REST_FRAMEWORK), and a parameter an endpoint does not know, or a value it
cannot use, is a 400 whose `detail` says which and what it takes; nothing a client sends makes a
500. New endpoints register on `router` (a viewset) or join `urlpatterns`.
"""

from django.http import Http404, HttpResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import generics, routers, serializers
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import APIView

from benchmarks.models import Benchmark, BenchmarkVersion
from leaderboard import (  # noqa: F401 (converters registers <id:>)
    board_page,
    board_query,
    converters,
    queries,
    submission_api,
)
from leaderboard.browse_views import cached_comparison
from leaderboard.models import Evaluation, LeaderboardSnapshot, SuiteResult
from leaderboard.live_status import live_status
from leaderboard.pagination import Pagination
from leaderboard.ranking import RELIABILITY_SCORE_VERSION
from leaderboard.visibility import (hidden_evaluation_ids, shown_integrity, visible_entries,
                                   visible_evaluations)
from leaderboard.score_weights import requested_score_weights
from leaderboard.snapshots import without_columns

PAGINATION_PARAMETERS = ("limit", "offset", "format")


class BadQuery(APIException):
    status_code = 400
    default_code = "bad_query"
    default_detail = "the query cannot be used"


def reject_unknown(request, allowed):
    """A 400 naming every query parameter this endpoint does not take."""
    unknown = sorted(name for name in request.query_params
                     if name not in allowed and name not in PAGINATION_PARAMETERS)
    if unknown:
        takes = ", ".join(sorted({*allowed, "limit", "offset"})) if allowed else "limit, offset"
        raise BadQuery(f"unknown parameter {', '.join(unknown)}; this endpoint takes {takes}")


def integer_parameter(request, name):
    """An optional whole-number parameter; a 400 when it is something else."""
    text = request.query_params.get(name)
    if text in (None, ""):
        return None
    if not text.isdigit() or len(text) > 18:
        raise BadQuery(f"{name} must be a whole number, got {text!r}")
    return int(text)


def version_or_404(slug, number=None):
    version = queries.get_version(slug, number)
    if version is None:
        raise Http404(f"no benchmark {slug}" + (f" v{number}" if number else ""))
    return version


class VersionSerializer(serializers.ModelSerializer):
    benchmark = serializers.CharField(source="benchmark.slug", read_only=True)
    leaderboard = serializers.SerializerMethodField()
    snapshots = serializers.SerializerMethodField()
    sizes = serializers.SerializerMethodField()

    class Meta:
        model = BenchmarkVersion
        fields = ["benchmark", "number", "labels", "input_kind", "suites", "bootstrap_seed",
                  "data_sha256", "provenance", "sizes", "created_at", "leaderboard", "snapshots"]

    def get_leaderboard(self, version) -> str:
        return reverse("api-leaderboard", args=[version.benchmark.slug, version.number])

    def get_snapshots(self, version) -> str:
        return reverse("api-snapshots", args=[version.benchmark.slug, version.number])

    def get_sizes(self, version) -> dict:
        return version.provenance.get("sizes", {})


class BenchmarkSerializer(serializers.ModelSerializer):
    versions = VersionSerializer(many=True, read_only=True)

    class Meta:
        model = Benchmark
        fields = ["slug", "name", "description", "licence", "versions"]


class SuiteResultSerializer(serializers.ModelSerializer):
    per_item = serializers.SerializerMethodField()

    class Meta:
        model = SuiteResult
        fields = ["suite", "metrics", "examples", "seconds", "per_item"]

    def get_per_item(self, result) -> str:
        return reverse("api-suite-items", args=[result.evaluation_id, result.suite])


class EvaluationSerializer(serializers.ModelSerializer):
    submission = serializers.SerializerMethodField()
    benchmark = serializers.CharField(source="benchmark_version.benchmark.slug")
    version = serializers.IntegerField(source="benchmark_version.number")
    progress_fraction = serializers.FloatField()
    queue_position = serializers.SerializerMethodField()
    integrity_flags = serializers.SerializerMethodField()
    integrity_checks = serializers.SerializerMethodField()
    suites = SuiteResultSerializer(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "submission", "benchmark", "version", "status", "failure_category",
                  "failure_message", "current_suite", "progress", "progress_fraction",
                  "queue_position", "backend", "stats", "provenance", "integrity_flags",
                  "integrity_checks", "queued_at", "started_at", "finished_at", "suites"]

    def get_submission(self, evaluation) -> dict:
        submission = evaluation.submission
        described = {"id": submission.pk, "name": submission.name, "kind": submission.kind,
                     "trusted": submission.trusted}
        if submission.kind == "huggingface":
            described.update(model_id=submission.model_id,
                             requested_revision=submission.model_revision,
                             revision=submission.model_sha,
                             label_mapping=submission.label_mapping)
        return described

    def get_queue_position(self, evaluation) -> int | None:
        return queries.queue_position(evaluation)

    def get_integrity_flags(self, evaluation) -> list[dict]:
        """[{code, message}]; a duplicate names the earlier submission only while the reader
        may see it."""
        return shown_integrity(evaluation, self.context["request"].user)[1]

    def get_integrity_checks(self, evaluation) -> dict:
        return shown_integrity(evaluation, self.context["request"].user)[0]


class SnapshotSerializer(serializers.ModelSerializer):
    benchmark = serializers.CharField(source="benchmark_version.benchmark.slug")
    version = serializers.IntegerField(source="benchmark_version.number")
    default_score_weights = serializers.JSONField(source="score_weights")
    replicates_npz = serializers.SerializerMethodField()
    leaderboard = serializers.SerializerMethodField()

    class Meta:
        model = LeaderboardSnapshot
        fields = ["id", "benchmark", "version", "created_at", "replicates", "seed", "method",
                  "n_items", "n_clusters", "confidence_level", "default_score_weights",
                  "replicates_npz", "leaderboard"]

    def get_replicates_npz(self, snapshot) -> str:
        return reverse("api-snapshot-replicates", args=[snapshot.pk])

    def get_leaderboard(self, snapshot) -> str:
        version = snapshot.benchmark_version
        return (reverse("api-leaderboard", args=[version.benchmark.slug, version.number])
                + f"?snapshot={snapshot.pk}")


class SnapshotDetailSerializer(SnapshotSerializer):
    entries = serializers.SerializerMethodField()

    class Meta(SnapshotSerializer.Meta):
        fields = [*SnapshotSerializer.Meta.fields, "entries"]

    def get_entries(self, snapshot) -> list[dict]:
        """The entries as computed then, less those the reader may not see now."""
        return visible_entries(snapshot.entries, self.context["request"].user)


def evaluations_for(user):
    """The evaluations `user` may see (leaderboard.visibility): public ones, and their own."""
    return visible_evaluations(user).select_related(
        "submission", "benchmark_version__benchmark").prefetch_related("suites")


class StrictListAPIView(generics.ListAPIView):
    """A list that refuses parameters it does not know (filters: the ones it does)."""

    filters = ()

    def list(self, request, *args, **kwargs):
        reject_unknown(request, self.filters)
        return super().list(request, *args, **kwargs)


class StrictRetrieveAPIView(generics.RetrieveAPIView):
    def retrieve(self, request, *args, **kwargs):
        reject_unknown(request, ())
        return super().retrieve(request, *args, **kwargs)


class BenchmarkList(StrictListAPIView):
    queryset = Benchmark.objects.prefetch_related("versions__benchmark")
    serializer_class = BenchmarkSerializer


class BenchmarkDetail(StrictRetrieveAPIView):
    queryset = Benchmark.objects.prefetch_related("versions__benchmark")
    serializer_class = BenchmarkSerializer
    lookup_field = "slug"


class VersionList(StrictListAPIView):
    serializer_class = VersionSerializer

    def get_queryset(self):
        return (BenchmarkVersion.objects.filter(benchmark__slug=self.kwargs["slug"])
                .select_related("benchmark").order_by("-number"))

    def list(self, request, *args, **kwargs):
        version_or_404(kwargs["slug"])
        return super().list(request, *args, **kwargs)


class VersionDetail(StrictRetrieveAPIView):
    serializer_class = VersionSerializer

    def get_object(self):
        return version_or_404(self.kwargs["slug"], self.kwargs["number"])


EVALUATION_FILTERS = [
    OpenApiParameter("status", str, enum=[status for status, _ in Evaluation.STATUSES]),
    OpenApiParameter("benchmark", str, description="a benchmark's slug"),
    OpenApiParameter("version", int, description="a version number (with benchmark)"),
    OpenApiParameter("submission", int, description="a submission's id"),
]


@extend_schema(parameters=EVALUATION_FILTERS)
class EvaluationList(StrictListAPIView):
    """Evaluations, newest first, with their status and progress: the public ones, and the
    caller's own private ones."""

    serializer_class = EvaluationSerializer
    filters = ("status", "benchmark", "version", "submission")

    def get_queryset(self):
        evaluations = evaluations_for(self.request.user)
        status = self.request.query_params.get("status")
        if status:
            known = [name for name, _ in Evaluation.STATUSES]
            if status not in known:
                raise BadQuery(f"status must be one of {', '.join(known)}, got {status!r}")
            evaluations = evaluations.filter(status=status)
        if self.request.query_params.get("benchmark"):
            evaluations = evaluations.filter(
                benchmark_version__benchmark__slug=self.request.query_params["benchmark"])
        version = integer_parameter(self.request, "version")
        if version is not None:
            evaluations = evaluations.filter(benchmark_version__number=version)
        submission = integer_parameter(self.request, "submission")
        if submission is not None:
            evaluations = evaluations.filter(submission_id=submission)
        return evaluations.order_by("-queued_at", "-pk")


class EvaluationDetailSerializer(EvaluationSerializer):
    live = serializers.SerializerMethodField()

    class Meta(EvaluationSerializer.Meta):
        fields = [*EvaluationSerializer.Meta.fields, "live"]

    def get_live(self, evaluation) -> dict:
        """What the live page shows: per-suite progress, elapsed_seconds, eta_seconds, and the
        end of the sandbox's log for the owner (null for anyone else)."""
        return live_status(evaluation, self.context["request"].user)


class EvaluationDetail(StrictRetrieveAPIView):
    serializer_class = EvaluationDetailSerializer

    def get_queryset(self):
        return evaluations_for(self.request.user)


def visible_evaluation_or_404(request, pk):
    evaluation = evaluations_for(request.user).filter(pk=pk).first()
    if evaluation is None:
        raise Http404(f"no evaluation {pk} that you may see")
    return evaluation


class EvaluationResults(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        """Metrics and per-item outcomes of every finished suite, in the evaluation split's
        item order."""
        reject_unknown(request, ())
        evaluation = visible_evaluation_or_404(request, pk)
        return Response({
            "evaluation": evaluation.pk,
            "suites": {r.suite: {"metrics": r.metrics, "per_item": r.per_item}
                       for r in evaluation.suites.all()},
        })


def suite_result_or_404(request, pk, suite):
    result = SuiteResult.objects.filter(evaluation=visible_evaluation_or_404(request, pk),
                                        suite=suite).first()
    if result is None:
        raise Http404(f"evaluation {pk} has no finished {suite} suite")
    return result


class SuiteResultDetail(APIView):
    @extend_schema(responses=SuiteResultSerializer, operation_id="evaluations_suite_result")
    def get(self, request, pk, suite):
        """One suite's metrics, examples and time; its per-item outcomes are at per_item."""
        reject_unknown(request, ())
        return Response(SuiteResultSerializer(suite_result_or_404(request, pk, suite)).data)


class SuiteItems(APIView):
    pagination_class = Pagination

    @extend_schema(
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses=inline_serializer("SuiteItemsPage", {
            "count": serializers.IntegerField(),
            "next": serializers.CharField(allow_null=True),
            "previous": serializers.CharField(allow_null=True),
            "results": serializers.ListField(child=serializers.DictField()),
        }),
    )
    def get(self, request, pk, suite):
        """The suite's per-item outcomes, one row per item (position in the evaluation split,
        then each recorded field), a page at a time."""
        reject_unknown(request, ())
        per_item = suite_result_or_404(request, pk, suite).per_item
        fields = list(per_item)
        n_rows = min((len(values) for values in per_item.values()), default=0)
        paginator = Pagination()
        window = paginator.paginate_queryset(range(n_rows), request, view=self)
        rows = [{"position": i, **{name: per_item[name][i] for name in fields}} for i in window]
        return paginator.get_paginated_response(rows)


LEADERBOARD_PARAMETERS = [
    OpenApiParameter("q", str, description="text in the model's name (any case)"),
    OpenApiParameter("kind", str, enum=list(board_query.KINDS)),
    OpenApiParameter("provisional", str, enum=["yes", "no"]),
    OpenApiParameter("flagged", str, enum=["yes", "no"]),
    OpenApiParameter("baseline", str, enum=["yes", "no"]),
    OpenApiParameter("sort", str, description="a column (rank, name, kind, score, score_low, "
                     "score_high, a component or a metric), with - in front for descending"),
    OpenApiParameter("snapshot", int, description="a past snapshot's id (default: the latest)"),
    OpenApiParameter("w_accuracy", float, description="a component's weight in the score; "
                     "every w_<component> of the benchmark is taken"),
    OpenApiParameter("w_calibration", float),
]


def snapshot_summary(snapshot):
    if snapshot is None:
        return None
    return {
        "id": snapshot.pk,
        "created_at": snapshot.created_at,
        "replicates": snapshot.replicates,
        "seed": snapshot.seed,
        "method": snapshot.method,
        "n_items": snapshot.n_items,
        "n_clusters": snapshot.n_clusters,
        "confidence_level": snapshot.confidence_level,
        "default_score_weights": snapshot.score_weights,
        "score": score_definition(snapshot),
    }


def score_definition(snapshot):
    """What the snapshot's score is: reliability score v1, the mean of its components."""
    return {"name": "reliability score", "version": RELIABILITY_SCORE_VERSION,
            "definition": "unweighted mean of the components, each higher-is-better",
            "components": list(snapshot.score_weights)}


def leaderboard_payload(version, shown, request):
    snapshot = shown["snapshot"]
    summary = snapshot_summary(snapshot)
    if summary is not None:
        summary["replicates_npz"] = request.build_absolute_uri(
            reverse("api-snapshot-replicates", args=[snapshot.pk]))
    return {
        "benchmark": version.benchmark.slug,
        "version": version.number,
        "labels": version.labels,
        "snapshot": summary,
        "score_weights": shown["weights"],
        "custom_score_weights": shown["custom"],
        "query": shown["query"].as_params(),
        "total": shown["total"],
        # Ranked entries first, then provisional ones (suites still running), ranked apart;
        # each part filtered and sorted as the query asks.
        "entries": [api_entry(section, entry) for section, entries in shown["sections"]
                    for entry in entries],
    }


def api_entry(section, entry):
    """An entry with its section (as the CSV's `section` column: "ranked" or "provisional");
    a provisional one's rank label says so, as the page's tag does, since its ranks count only
    among the other provisional entries (its #1 is not the board's #1)."""
    entry = {**entry, "section": section}
    if section == "provisional" and entry.get("rank_label"):
        entry["rank_label"] = f"{entry['rank_label']} (provisional)"
    return entry


class Leaderboard(APIView):
    @extend_schema(parameters=LEADERBOARD_PARAMETERS, responses=OpenApiTypes.OBJECT)
    def get(self, request, slug, number=None):
        """A version's leaderboard (the latest version without a number): its latest snapshot,
        or ?snapshot=<id>, under the query's weights, filters and sort, exactly as the page
        shows it.

        Each entry has `section`: "ranked" (every suite finished) or "provisional" (suites still
        running; ranked apart, among the provisional entries only, so its `rank_label` reads
        e.g. "1 (provisional)"), as the CSV's section column."""
        version = version_or_404(slug, number)
        try:
            snapshot = board_page.requested_snapshot(version, request.query_params)
        except board_page.SnapshotNotFound as error:
            raise BadQuery(str(error)) from None
        shown = board_page.shown_board(version, request.query_params, snapshot, strict=True,
                                       user=request.user)
        if shown["errors"]:
            raise BadQuery("; ".join(shown["errors"]))
        return Response(leaderboard_payload(version, shown, request))


class SnapshotList(StrictListAPIView):
    """A version's snapshots, newest first."""

    serializer_class = SnapshotSerializer

    def get_queryset(self):
        version = version_or_404(self.kwargs["slug"], self.kwargs["number"])
        return queries.snapshots_of(version).select_related("benchmark_version__benchmark")


class SnapshotDetail(StrictRetrieveAPIView):
    serializer_class = SnapshotDetailSerializer
    queryset = (LeaderboardSnapshot.objects.defer("replicates_npz")
                .select_related("benchmark_version__benchmark"))


def npz_response(snapshot, user):
    """The snapshot's archive without the columns of entries `user` may not see now."""
    version = snapshot.benchmark_version
    archive = without_columns(snapshot.replicates_npz,
                              hidden_evaluation_ids(snapshot.entries, user))
    response = HttpResponse(archive, content_type="application/octet-stream")
    filename = f"{version.benchmark.slug}-v{version.number}-snapshot-{snapshot.pk}-replicates.npz"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def replicates_npz(request, slug, number):
    """The latest snapshot's replicate archive (see leaderboard.snapshots.pack_replicates)."""
    version = queries.get_version(slug, number)
    snapshot = None if version is None else queries.latest_snapshot(version)
    if snapshot is None:
        raise Http404("no leaderboard snapshot for this benchmark version")
    return npz_response(snapshot, request.user)


def snapshot_replicates_npz(request, pk):
    """One snapshot's replicate archive."""
    snapshot = LeaderboardSnapshot.objects.select_related("benchmark_version__benchmark").filter(
        pk=pk).first()
    if snapshot is None:
        raise Http404(f"no snapshot {pk}")
    return npz_response(snapshot, request.user)


class Compare(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("a", int, required=True, description="an evaluation id"),
                    OpenApiParameter("b", int, required=True, description="an evaluation id"),
                    OpenApiParameter("snapshot", int),
                    *LEADERBOARD_PARAMETERS[-2:]],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, slug, number):
        """The paired difference A - B of each component and of the score, with its interval,
        from one snapshot's replicates (the latest unless ?snapshot=)."""
        version = version_or_404(slug, number)
        params = request.query_params
        unknown = sorted(name for name in params if name not in ("a", "b", "snapshot", "format")
                         and not name.startswith("w_"))
        if unknown:
            raise BadQuery(f"unknown parameter {', '.join(unknown)}; this endpoint takes a, b, "
                           "snapshot and w_<component> weights")
        try:
            snapshot = board_page.requested_snapshot(version, params)
        except board_page.SnapshotNotFound as error:
            raise BadQuery(str(error)) from None
        if snapshot is None:
            raise Http404(f"{version} has no leaderboard snapshot yet")
        entries = {str(entry["evaluation_id"]): entry
                   for entry in visible_entries(snapshot.entries, request.user)}
        a, b = (entries.get(params.get(side, "")) for side in ("a", "b"))
        for side, entry in (("a", a), ("b", b)):
            if entry is None:
                raise BadQuery(f"{side} must be the evaluation id of an entry of snapshot "
                               f"{snapshot.pk}, got {params.get(side)!r}")
        if a is b:
            raise BadQuery("a and b are the same entry")
        try:
            weights = requested_score_weights(params, snapshot.score_weights) or dict(
                snapshot.score_weights)
            result = cached_comparison(snapshot, a, b, weights)
        except ValueError as error:
            raise BadQuery(str(error)) from None
        return Response({
            "benchmark": version.benchmark.slug, "version": version.number,
            "snapshot": snapshot.pk,
            "a": {"evaluation_id": a["evaluation_id"], "name": a["name"]},
            "b": {"evaluation_id": b["evaluation_id"], "name": b["name"]},
            **result,
        })


class ApiRoot(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        """What the API offers, with absolute links."""
        link = request.build_absolute_uri
        return Response({
            "schema": link(reverse("api-schema")),
            "benchmarks": link(reverse("api-benchmarks")),
            "evaluations": link(reverse("api-evaluations")),
            "submissions": link(reverse("api-submissions")),
            "benchmark": link("/api/v1/benchmarks/<slug>/"),
            "versions": link("/api/v1/benchmarks/<slug>/versions/"),
            "version": link("/api/v1/benchmarks/<slug>/v<number>/"),
            "leaderboard": link("/api/v1/benchmarks/<slug>/v<number>/leaderboard/"),
            "latest_leaderboard": link("/api/v1/benchmarks/<slug>/leaderboard/"),
            "snapshots": link("/api/v1/benchmarks/<slug>/v<number>/snapshots/"),
            "snapshot": link("/api/v1/snapshots/<id>/"),
            "replicates_npz": link("/api/v1/benchmarks/<slug>/v<number>/replicates.npz"),
            "compare": link("/api/v1/benchmarks/<slug>/v<number>/compare/?a=<id>&b=<id>"),
            "evaluation_results": link("/api/v1/evaluations/<id>/results/"),
            "suite_items": link("/api/v1/evaluations/<id>/results/<suite>/items/"),
        })


# Viewsets (e.g. submissions) register here and are served under /api/v1/.
router = routers.SimpleRouter()

urlpatterns = [
    path("", ApiRoot.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("benchmarks/", BenchmarkList.as_view(), name="api-benchmarks"),
    path("benchmarks/<slug:slug>/", BenchmarkDetail.as_view(), name="api-benchmark"),
    path("benchmarks/<slug:slug>/versions/", VersionList.as_view(), name="api-versions"),
    path("benchmarks/<slug:slug>/leaderboard/", Leaderboard.as_view(),
         name="api-latest-leaderboard"),
    path("benchmarks/<slug:slug>/v<int:number>/", VersionDetail.as_view(), name="api-version"),
    path("benchmarks/<slug:slug>/v<int:number>/leaderboard/", Leaderboard.as_view(),
         name="api-leaderboard"),
    path("benchmarks/<slug:slug>/v<int:number>/snapshots/", SnapshotList.as_view(),
         name="api-snapshots"),
    path("benchmarks/<slug:slug>/v<int:number>/compare/", Compare.as_view(), name="api-compare"),
    path("benchmarks/<slug:slug>/v<int:number>/replicates.npz", replicates_npz,
         name="api-replicates"),
    path("snapshots/<id:pk>/", SnapshotDetail.as_view(), name="api-snapshot"),
    path("snapshots/<id:pk>/replicates.npz", snapshot_replicates_npz,
         name="api-snapshot-replicates"),
    path("submissions/", submission_api.Submissions.as_view(), name="api-submissions"),
    path("submissions/<id:pk>/", submission_api.SubmissionDetail.as_view(),
         name="api-submission"),
    path("evaluations/", EvaluationList.as_view(), name="api-evaluations"),
    path("evaluations/<id:pk>/", EvaluationDetail.as_view(), name="api-evaluation"),
    path("evaluations/<id:pk>/results/", EvaluationResults.as_view(),
         name="api-evaluation-results"),
    path("evaluations/<id:pk>/results/<slug:suite>/", SuiteResultDetail.as_view(),
         name="api-suite-result"),
    path("evaluations/<id:pk>/results/<slug:suite>/items/", SuiteItems.as_view(),
         name="api-suite-items"),
    *router.urls,
]
