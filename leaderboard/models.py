from django.conf import settings
from django.db import models
from django.utils import timezone

from benchmarks.models import BenchmarkVersion

FAILURE_CATEGORIES = [
    ("agent_error", "the agent raised an error"),
    ("timeout", "the agent took too long"),
    ("out_of_memory", "the agent ran out of memory"),
    ("bad_output", "the agent's output broke the protocol"),
    ("invalid_submission", "the submission cannot be run"),
    ("platform_error", "SafetyGym failed, not the submission"),
]


class Submission(models.Model):
    KINDS = [("agent", "agent"), ("huggingface", "Hugging Face model")]

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=KINDS, default="agent")
    agent_path = models.CharField(max_length=500, blank=True,
                                  help_text="Folder holding agent.py (agents only).")
    agent_sha256 = models.CharField(max_length=64, blank=True)
    model_id = models.CharField(max_length=96, blank=True,
                                help_text="Hugging Face model ID, org/name (models only).")
    model_revision = models.CharField(max_length=255, blank=True,
                                      help_text="The revision as submitted: branch, tag, PR, SHA.")
    model_sha = models.CharField(max_length=40, blank=True,
                                 help_text="The commit the revision resolved to: what is run.")
    label_mapping = models.JSONField(default=dict, blank=True)
    trusted = models.BooleanField(
        default=False, help_text="Operator-owned code (the repository's baselines)."
    )
    public = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="submissions",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When its owner took it off the leaderboards (it is then private, not gone).",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="submission_owner_recent")]

    def __str__(self):
        return self.name


class Evaluation(models.Model):
    STATUSES = [
        ("queued", "queued"),
        ("preparing", "preparing"),
        ("running", "running"),
        ("scoring", "scoring"),
        ("finished", "finished"),
        ("failed", "failed"),
    ]
    ACTIVE = ("queued", "preparing", "running", "scoring")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="evaluations")
    benchmark_version = models.ForeignKey(
        BenchmarkVersion, on_delete=models.CASCADE, related_name="evaluations"
    )
    status = models.CharField(max_length=12, choices=STATUSES, default="queued", db_index=True)
    failure_category = models.CharField(max_length=20, choices=FAILURE_CATEGORIES, blank=True)
    failure_message = models.TextField(blank=True)
    log = models.TextField(blank=True, help_text="The end of the sandbox's stderr.")
    current_suite = models.CharField(max_length=40, blank=True)
    progress = models.JSONField(default=dict, blank=True, help_text="suite -> {done, total}")
    backend = models.CharField(max_length=20, blank=True)
    provenance = models.JSONField(default=dict, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    integrity_checks = models.JSONField(
        default=dict, blank=True,
        help_text=(
            "Integrity check name -> its evidence (benchmarks.integrity), flagged or not."
        ),
    )
    integrity_flags = models.JSONField(
        default=list, blank=True,
        help_text="[{code, message}] of the checks that flagged this evaluation.",
    )
    task_id = models.CharField(max_length=64, blank=True)
    charged = models.BooleanField(
        default=True,
        help_text="Counted in the owner's daily quota (not when staff started it).")
    runs = models.PositiveSmallIntegerField(
        default=0, help_text="How often a worker started it (a dead worker's run is repeated)."
    )
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="When its worker last renewed its lease."
    )
    lease_owner = models.CharField(
        max_length=255, blank=True,
        help_text="The worker (host:pid) that holds the evaluation while it runs; empty otherwise.",
    )
    interruptions = models.JSONField(
        default=list, blank=True,
        help_text="Each run the platform lost: {run, worker, at, reason} (never the submission's fault).",
    )

    class Meta:
        ordering = ["-queued_at"]

    def __str__(self):
        return f"{self.submission} on {self.benchmark_version} ({self.status})"

    @property
    def is_active(self):
        return self.status in self.ACTIVE

    @property
    def charged_to_submitter(self):
        """Whether this evaluation, once ended, counts against its submitter (leaderboard.quota
        counts the same way): a platform failure never does, nor a run staff started."""
        return self.charged and (self.status == "finished" or (
            self.status == "failed" and self.failure_category != "platform_error"
        ))

    def progress_fraction(self):
        """Share of all suites' work done, from 0 to 1."""
        if self.status == "finished":
            return 1.0
        suites = list(self.benchmark_version.suites)
        if not suites:
            return 0.0
        done = 0.0
        for suite in suites:
            step = self.progress.get(suite) or {}
            if step.get("total"):
                done += step["done"] / step["total"]
        return done / len(suites)


class SuiteResult(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="suites")
    suite = models.CharField(max_length=40)
    metrics = models.JSONField(default=dict)
    per_item = models.JSONField(default=dict, help_text="Equal-length arrays, in item order.")
    examples = models.JSONField(default=list)
    units = models.JSONField(
        default=dict, blank=True,
        help_text="Resampling units: per-row cluster and stratum keys; empty: each row alone.",
    )
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "suite"], name="unique_suite_result")
        ]


class LeaderboardSnapshot(models.Model):
    """The ranked leaderboard of a benchmark version at one moment, with how it was computed.

    replicates_npz holds the replicate matrices (see leaderboard.snapshots.pack_replicates) in
    the row itself rather than in a file: the archive is written in the same transaction as its
    entries, needs no storage shared between web and worker, is backed up with the database,
    and a BinaryField is bytea on PostgreSQL and a BLOB on SQLite alike. Pages that list
    snapshots defer it.
    """

    benchmark_version = models.ForeignKey(
        BenchmarkVersion, on_delete=models.CASCADE, related_name="snapshots"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    replicates = models.PositiveIntegerField()
    seed = models.BigIntegerField()
    method = models.CharField(max_length=200)
    n_items = models.PositiveIntegerField()
    n_clusters = models.PositiveIntegerField(help_text="Resampling units: items drawn as a whole.")
    confidence_level = models.FloatField(default=0.95)
    score_weights = models.JSONField(
        default=dict, help_text="The default weight of each score component."
    )
    entries = models.JSONField(default=list, help_text="One dict per ranked evaluation.")
    replicates_npz = models.BinaryField(
        help_text="npz: per-replicate score and component matrices, names, B, seed, method."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]
