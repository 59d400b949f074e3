"""/api/v1/submissions/: a caller's own submissions, and new ones made with an API token
(`Authorization: Token <key>`, from /accounts/tokens/) as a multipart upload of an agent
archive, or a Hugging Face model ID. Both go through leaderboard.uploads.submit_from, the same
checks and quota as the web form."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from leaderboard import queries
from leaderboard.models import Submission
from leaderboard.submissions import NAME_MAX
from leaderboard.forms import exactly_one_of
from leaderboard.uploads import UploadRefused, cap_uploads, submit_from
from leaderboard.visibility import visible_submissions


class SubmissionEvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    benchmark = serializers.CharField(source="benchmark_version.benchmark.slug")
    version = serializers.IntegerField(source="benchmark_version.number")
    status = serializers.CharField()
    failure_category = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, evaluation) -> str:
        return reverse("api-evaluation", args=[evaluation.pk])


class SubmissionSerializer(serializers.ModelSerializer):
    evaluations = SubmissionEvaluationSerializer(many=True, read_only=True)
    withdrawn = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = ["id", "name", "description", "kind", "public", "withdrawn", "agent_sha256",
                  "model_id", "model_revision", "model_sha", "label_mapping", "created_at",
                  "evaluations"]

    def get_withdrawn(self, submission) -> bool:
        return submission.withdrawn_at is not None


@extend_schema_field(OpenApiTypes.BINARY)
class ArchiveField(serializers.FileField):
    """An uploaded file, described in the schema as the bytes of a multipart part."""


class NewSubmissionSerializer(serializers.Serializer):
    archive = ArchiveField(required=False,
                           help_text="an agent: a .zip or .tar.gz of the folder holding agent.py")
    model_id = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=300,
        help_text="or a Hugging Face model: org/name or its URL")
    revision = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200,
        help_text="the model's branch, tag or commit (default main), pinned to its commit")
    name = serializers.CharField(required=False, allow_blank=True, default="",
                                 max_length=NAME_MAX,
                                 help_text="the leaderboard name (needed for an agent)")
    description = serializers.CharField(required=False, allow_blank=True, default="",
                                        max_length=5000)
    benchmarks = serializers.ListField(
        child=serializers.SlugField(), min_length=1,
        help_text="benchmark slugs (repeat the field); each is evaluated on its latest version")
    public = serializers.BooleanField(required=False, default=True)
    label_mapping = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text="YOUR_LABEL=BENCHMARK_LABEL pairs, comma-separated, where names differ")

    def validate(self, data):
        problem = exactly_one_of(data.get("archive"), data.get("model_id", "").strip())
        if problem:
            raise ValidationError({"archive": [problem]})
        return data

    def validate_benchmarks(self, slugs):
        versions = []
        for slug in dict.fromkeys(slugs):
            version = queries.get_version(slug)
            if version is None:
                known = ", ".join(v.benchmark.slug for v in queries.latest_versions())
                raise ValidationError(f"no benchmark {slug!r}; the benchmarks are {known}")
            versions.append(version)
        return versions


class SubmissionCreateThrottle(ScopedRateThrottle):
    """The `submissions` rate applies to creating one, not to reading the list."""

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)


class Submissions(generics.ListCreateAPIView):
    """The caller's own submissions, newest first (GET); a new agent submission (POST,
    multipart), queued on each benchmark's latest version once its archive passed the checks.
    """

    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "submissions"

    def initial(self, request, *args, **kwargs):
        cap_uploads(request._request)  # before authentication or parsing reads the body
        super().initial(request, *args, **kwargs)

    def get_throttles(self):
        return [*super().get_throttles(), SubmissionCreateThrottle()]

    def get_serializer_class(self):
        return NewSubmissionSerializer if self.request.method == "POST" else SubmissionSerializer

    def get_queryset(self):
        return (self.request.user.submissions.order_by("-created_at", "-pk")
                .prefetch_related("evaluations__benchmark_version__benchmark"))

    @extend_schema(request=NewSubmissionSerializer, responses={201: SubmissionSerializer})
    def post(self, request, *args, **kwargs):
        incoming = NewSubmissionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            submission, _ = submit_from(data, request.user, data["benchmarks"])
        except UploadRefused as error:
            raise ValidationError({error.field or "non_field_errors": [str(error)]}) from None
        submission = self.get_queryset().get(pk=submission.pk)
        return Response(SubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)


class SubmissionDetail(generics.RetrieveAPIView):
    """One submission: public ones to anyone, private ones to their owner and staff."""

    serializer_class = SubmissionSerializer

    def get_queryset(self):
        return visible_submissions(self.request.user).prefetch_related(
            "evaluations__benchmark_version__benchmark")
