"""The JSON API under /api/v1/: the same data the pages show."""

from django.http import Http404, HttpResponse
from django.urls import path, reverse
from rest_framework import generics, serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from benchmarks.models import Benchmark, BenchmarkVersion
from leaderboard import queries
from leaderboard.models import Evaluation, SuiteResult


class VersionSerializer(serializers.ModelSerializer):
    leaderboard = serializers.SerializerMethodField()
    sizes = serializers.SerializerMethodField()

    class Meta:
        model = BenchmarkVersion
        fields = ["number", "labels", "input_kind", "suites", "bootstrap_seed", "data_sha256",
                  "provenance", "sizes", "created_at", "leaderboard"]

    def get_leaderboard(self, version):
        return reverse("api-leaderboard", args=[version.benchmark.slug, version.number])

    def get_sizes(self, version):
        return version.provenance.get("sizes", {})


class BenchmarkSerializer(serializers.ModelSerializer):
    versions = VersionSerializer(many=True, read_only=True)

    class Meta:
        model = Benchmark
        fields = ["slug", "name", "description", "licence", "versions"]


class SuiteResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = SuiteResult
        fields = ["suite", "metrics", "examples", "seconds"]


class EvaluationSerializer(serializers.ModelSerializer):
    submission = serializers.SerializerMethodField()
    benchmark = serializers.CharField(source="benchmark_version.benchmark.slug")
    version = serializers.IntegerField(source="benchmark_version.number")
    progress_fraction = serializers.FloatField()
    suites = SuiteResultSerializer(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "submission", "benchmark", "version", "status", "failure_category",
                  "failure_message", "current_suite", "progress", "progress_fraction", "backend",
                  "stats", "provenance", "queued_at", "started_at", "finished_at", "suites"]

    def get_submission(self, evaluation):
        submission = evaluation.submission
        return {"id": submission.pk, "name": submission.name, "kind": submission.kind,
                "trusted": submission.trusted}


public_evaluations = Evaluation.objects.filter(submission__public=True).select_related(
    "submission", "benchmark_version__benchmark"
).prefetch_related("suites")


class BenchmarkList(generics.ListAPIView):
    queryset = Benchmark.objects.prefetch_related("versions")
    serializer_class = BenchmarkSerializer


class BenchmarkDetail(generics.RetrieveAPIView):
    queryset = Benchmark.objects.prefetch_related("versions")
    serializer_class = BenchmarkSerializer
    lookup_field = "slug"


class EvaluationList(generics.ListAPIView):
    queryset = public_evaluations
    serializer_class = EvaluationSerializer


class EvaluationDetail(generics.RetrieveAPIView):
    queryset = public_evaluations
    serializer_class = EvaluationSerializer


@api_view(["GET"])
def evaluation_results(request, pk):
    """Per-item outcomes of every finished suite, in the evaluation split's item order."""
    evaluation = public_evaluations.filter(pk=pk).first()
    if evaluation is None:
        raise Http404
    return Response({
        "evaluation": evaluation.pk,
        "suites": {r.suite: {"metrics": r.metrics, "per_item": r.per_item}
                   for r in evaluation.suites.all()},
    })


def snapshot_payload(version, board, request):
    snapshot = board["snapshot"]
    return {
        "benchmark": version.benchmark.slug,
        "version": version.number,
        "labels": version.labels,
        "snapshot": None if snapshot is None else {
            "id": snapshot.pk,
            "created_at": snapshot.created_at,
            "replicates": snapshot.replicates,
            "seed": snapshot.seed,
            "method": snapshot.method,
            "n_items": snapshot.n_items,
            "n_clusters": snapshot.n_clusters,
            "confidence_level": snapshot.confidence_level,
            "default_score_weights": snapshot.score_weights,
            "replicates_npz": request.build_absolute_uri(
                reverse("api-replicates", args=[version.benchmark.slug, version.number])
            ),
        },
        "score_weights": board["weights"],
        "custom_score_weights": board["custom"],
        # Ranked entries first, then provisional ones (suites still running), ranked apart.
        "entries": board["ranked"] + board["provisional"],
    }


@api_view(["GET"])
def leaderboard(request, slug, number=None):
    """The latest snapshot; ?w_<component>=<weight> re-weights the score (400 when invalid)."""
    version = queries.get_version(slug, number)
    if version is None:
        raise Http404
    board = queries.board(version, request.query_params)
    if board["error"]:
        return Response({"detail": board["error"]}, status=400)
    return Response(snapshot_payload(version, board, request))


def replicates_npz(request, slug, number):
    """The latest snapshot's replicate archive (see leaderboard.snapshots.pack_replicates)."""
    version = queries.get_version(slug, number)
    snapshot = None if version is None else queries.latest_snapshot(version)
    if snapshot is None:
        raise Http404("no leaderboard snapshot for this benchmark version")
    response = HttpResponse(bytes(snapshot.replicates_npz), content_type="application/octet-stream")
    filename = f"{slug}-v{number}-snapshot-{snapshot.pk}-replicates.npz"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@api_view(["GET"])
def api_root(request):
    """What the API offers, with absolute links."""
    link = request.build_absolute_uri
    return Response({
        "benchmarks": link(reverse("api-benchmarks")),
        "evaluations": link(reverse("api-evaluations")),
        "leaderboard": link("/api/v1/benchmarks/<slug>/v<number>/leaderboard/"),
        "latest_leaderboard": link("/api/v1/benchmarks/<slug>/leaderboard/"),
        "replicates_npz": link("/api/v1/benchmarks/<slug>/v<number>/replicates.npz"),
        "evaluation_results": link("/api/v1/evaluations/<id>/results/"),
    })


urlpatterns = [
    path("", api_root, name="api-root"),
    path("benchmarks/", BenchmarkList.as_view(), name="api-benchmarks"),
    path("benchmarks/<slug:slug>/", BenchmarkDetail.as_view(), name="api-benchmark"),
    path("benchmarks/<slug:slug>/leaderboard/", leaderboard, name="api-latest-leaderboard"),
    path("benchmarks/<slug:slug>/v<int:number>/leaderboard/", leaderboard, name="api-leaderboard"),
    path("benchmarks/<slug:slug>/v<int:number>/replicates.npz", replicates_npz,
         name="api-replicates"),
    path("evaluations/", EvaluationList.as_view(), name="api-evaluations"),
    path("evaluations/<int:pk>/", EvaluationDetail.as_view(), name="api-evaluation"),
    path("evaluations/<int:pk>/results/", evaluation_results, name="api-evaluation-results"),
]
