"""The operator's view of submissions and evaluations (private ones included)."""

from django.contrib import admin

from leaderboard.models import Evaluation, Submission


class EvaluationInline(admin.TabularInline):
    model = Evaluation
    fields = ["benchmark_version", "status", "failure_category", "queued_at", "finished_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "kind", "public", "withdrawn_at", "trusted", "created_at"]
    list_filter = ["kind", "public", "trusted"]
    search_fields = ["name", "owner__username", "model_id", "agent_sha256"]
    readonly_fields = ["agent_path", "agent_sha256", "created_at"]
    inlines = [EvaluationInline]


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ["pk", "submission", "benchmark_version", "status", "failure_category",
                    "backend", "queued_at", "finished_at"]
    list_filter = ["status", "failure_category", "backend"]
    search_fields = ["submission__name", "failure_message"]
    list_select_related = ["submission", "benchmark_version__benchmark"]
    readonly_fields = [field.name for field in Evaluation._meta.fields]
