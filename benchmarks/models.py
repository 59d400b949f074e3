from django.db import models


class Benchmark(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    licence = models.TextField(blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug

    def latest_version(self):
        return self.versions.order_by("-number").first()


class BenchmarkVersion(models.Model):
    """One immutable version: its data, split, suites and seeds."""

    INPUT_KINDS = [("text", "text"), ("record", "record")]

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    labels = models.JSONField(help_text="Label names in the benchmark's order (the tie order).")
    input_kind = models.CharField(max_length=10, choices=INPUT_KINDS, default="text")
    provenance = models.JSONField(default=dict)
    suites = models.JSONField(default=dict, help_text="Suite name -> its configuration.")
    bootstrap_seed = models.BigIntegerField()
    data_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["benchmark__slug", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "number"], name="unique_benchmark_version")
        ]

    def __str__(self):
        return f"{self.benchmark.slug} v{self.number}"

    def items_of(self, split):
        return self.items.filter(split=split).order_by("position")


class Item(models.Model):
    SPLITS = [("public", "public dev"), ("evaluation", "held-out evaluation")]

    version = models.ForeignKey(BenchmarkVersion, on_delete=models.CASCADE, related_name="items")
    split = models.CharField(max_length=12, choices=SPLITS)
    position = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    record = models.JSONField(null=True, blank=True)
    label = models.PositiveSmallIntegerField(help_text="Index into the version's labels.")
    source_id = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["version", "split", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "split", "position"], name="unique_item_position"
            )
        ]

    @property
    def input(self):
        return self.record if self.record is not None else self.text
