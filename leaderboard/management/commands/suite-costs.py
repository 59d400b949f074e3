"""What each suite cost each model, and what it bought: the figures of docs/benchmarks.md.

    python manage.py suite-costs [--benchmark SLUG ...] [--markdown]

Reads the finished evaluations already in the database (run `make demo` first): per benchmark
version, suite and model, the suite's wall time, the model queries it made, and the width of the
95% interval of the score component it feeds (accuracy for quality, fairness for fairness), with
the machine's load average, so that figures taken on a busy machine say so. The adversarial
suite's queries are the distinct texts the model was sent (what TextAttack asked, repeats
included, is in the suite's metrics as queries_asked).
"""

import os

from django.core.management.base import BaseCommand

from leaderboard import queries
from leaderboard.models import Evaluation

# The score component each suite feeds.
COMPONENT_OF_SUITE = {"quality": "accuracy", "fairness": "fairness", "adversarial": "robust_accuracy"}


def queries_made(result, config):
    """Inputs the suite sent the model: the adversarial suite counts them itself (each distinct
    text once); otherwise one per stored row, plus the quality suite's re-check."""
    if "model_queries" in result.metrics:
        return int(result.metrics["model_queries"])
    rows = len(result.per_item.get("predicted", []))
    if result.suite == "quality":
        rows += min(int(config.get("recheck_items", 0)), rows)
    return rows


def cost_rows(version):
    entries = {}
    snapshot = queries.latest_snapshot(version)
    if snapshot is not None:
        entries = {entry["evaluation_id"]: entry for entry in snapshot.entries}
    finished = (Evaluation.objects.filter(benchmark_version=version, status="finished")
                .select_related("submission").prefetch_related("suites").order_by("pk"))
    rows = []
    for evaluation in finished:
        for result in sorted(evaluation.suites.all(), key=lambda r: list(version.suites).index(r.suite)
                             if r.suite in version.suites else 99):
            component = (entries.get(evaluation.pk, {}).get("components", {})
                         .get(COMPONENT_OF_SUITE.get(result.suite, ""), {}))
            width = (component["high"] - component["low"]) if component.get("low") is not None else None
            rows.append({
                "version": str(version), "suite": result.suite, "model": evaluation.submission.name,
                "seconds": result.seconds,
                "queries": queries_made(result, version.suites.get(result.suite, {})),
                "component": COMPONENT_OF_SUITE.get(result.suite, "—"),
                "value": component.get("value"), "width": width,
            })
    return rows


class Command(BaseCommand):
    help = "Per suite and model: wall time, model queries and the interval width it bought."

    def add_arguments(self, parser):
        parser.add_argument("--benchmark", action="append", help="benchmark slug (repeatable)")
        parser.add_argument("--markdown", action="store_true", help="a Markdown table")

    def handle(self, benchmark=None, markdown=False, **options):
        versions = [v for v in queries.latest_versions()
                    if not benchmark or v.benchmark.slug in benchmark]
        header = ["version", "suite", "model", "wall s", "queries", "queries/s", "component",
                  "value", "95% width"]
        lines = []
        total = 0.0
        for version in versions:
            for row in cost_rows(version):
                total += row["seconds"]
                speed = row["queries"] / row["seconds"] if row["seconds"] else float("nan")
                lines.append([row["version"], row["suite"], row["model"], f"{row['seconds']:.1f}",
                              str(row["queries"]), f"{speed:.0f}", row["component"],
                              "—" if row["value"] is None else f"{row['value']:.3f}",
                              "—" if row["width"] is None else f"{row['width']:.3f}"])
        if markdown:
            self.stdout.write("| " + " | ".join(header) + " |")
            self.stdout.write("|" + "---|" * len(header))
            for line in lines:
                self.stdout.write("| " + " | ".join(line) + " |")
        else:
            widths = [max(len(cell) for cell in column) for column in zip(header, *lines)]
            for line in [header, *lines]:
                self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths)))
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        self.stdout.write(f"\nsuites' wall time in all: {total:.0f} s; load average now: {load} "
                          f"on {os.cpu_count()} cores")
