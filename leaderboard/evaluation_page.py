"""The results part of the evaluation page (templates/leaderboard/_evaluation_results.html):
the entry's components, the confusion matrix, the reliability diagram, adversarial examples,
per-group fairness rates, cost, provenance, the reproduce command, badges and comparisons."""

from urllib.parse import quote

from django.urls import reverse
from django.utils.safestring import mark_safe

from leaderboard import badges, charts, evaluation_results, queries
from leaderboard.integrity_checks import FLAG_CODES
from leaderboard.visibility import shown_integrity

COMPARE_CHOICES = 200


def results_context(request, evaluation, entry):
    version = evaluation.benchmark_version
    suites = {result.suite: result for result in evaluation.suites.all()}
    context = {
        "quality": quality_figures(version, suites.get("quality")),
        "adversarial": adversarial_examples(suites.get("adversarial"), version.labels),
        "fairness": fairness_groups(suites.get("fairness"), version.labels),
        "integrity": integrity_checks(evaluation, request.user),
        "seeds": seeds_of(version),
        "newer": newer_evaluation(evaluation),
    }
    snapshot = queries.latest_snapshot(version)
    context["snapshot"] = snapshot
    if entry is not None:
        context.update(component_figures(entry))
    if entry is not None and snapshot is not None:
        context["compare_choices"] = sorted(
            (e for e in snapshot.entries if e["evaluation_id"] != evaluation.pk),
            key=lambda e: e["name"].casefold())[:COMPARE_CHOICES]
    if evaluation.submission.public:
        context["badge"] = badge_snippets(request, evaluation, entry)
    return context


def component_figures(entry):
    """The entry's score components and reported metrics with their intervals, each drawn on
    one shared axis."""
    rows = [{"name": name, "estimate": estimate, "in_score": True}
            for name, estimate in entry["components"].items()]
    rows += [{"name": name, "estimate": estimate, "in_score": False}
             for name, estimate in entry.get("metric_intervals", {}).items()]
    domain = charts.axis_domain([row["estimate"] for row in rows])
    for row in rows:
        row["plot"] = mark_safe(charts.interval_cell(row["estimate"], domain))
    return {"component_rows": rows, "component_axis": mark_safe(charts.axis_cell(domain)),
            "component_grid": mark_safe(charts.grid_background(domain))}


INTEGRITY_TITLES = {
    "archive_texts": "Evaluation texts in the agent's files",
    "perturbation_gap": "Exact texts against trivially perturbed copies",
    "reproducibility": "The same files, the same answers",
    "duplicate": "The same files under another submission",
}


def integrity_checks(evaluation, user):
    """The integrity checks that ran, each with its evidence as `user` may see it, or None
    before any ran."""
    stored, _ = shown_integrity(evaluation, user)
    checks = [{"name": name, "title": title, "code": FLAG_CODES[name],
               "flagged": bool(stored[name].get("flagged")), "evidence": stored[name]}
              for name, title in INTEGRITY_TITLES.items() if name in stored]
    for check in checks:
        if check["name"] == "archive_texts" and check["evidence"].get("examples"):
            # The evidence keeps positions; the texts are the version's own.
            check["held_texts"] = list(
                evaluation.benchmark_version.items_of("evaluation")
                .filter(position__in=check["evidence"]["examples"])
                .values_list("text", flat=True))
    return {"checks": checks} if checks else None


def quality_figures(version, result):
    """Confusion matrix rows and the reliability diagram from the quality suite's per-item
    outcomes, or None when the suite has not finished."""
    if result is None or not result.per_item.get("predicted"):
        return None
    labels = list(version.items_of("evaluation").values_list("label", flat=True))
    predicted = result.per_item["predicted"]
    if len(labels) != len(predicted):
        return None  # items changed under a stored result: show nothing rather than wrong cells
    matrix = evaluation_results.confusion_matrix(labels, predicted, len(version.labels))
    bins = evaluation_results.reliability_bins(result.per_item["correct"],
                                               result.per_item["confidence"],
                                               int(version.suites.get("quality", {})
                                                   .get("calibration_bins", 10)))
    return {
        "confusion": evaluation_results.confusion_rows(matrix, version.labels),
        "labels": version.labels,
        "bins": bins,
        "diagram": mark_safe(charts.reliability_diagram(bins)),
    }


def adversarial_examples(result, label_names):
    """The adversarial suite's examples with the changed words marked, or None.

    The suite marks the words TextAttack changed (original_marked / perturbed_marked, lists of
    [text, changed]); an example without marks gets them from a word diff of the two texts.
    """
    if result is None:
        return None
    examples = []
    for example in result.examples:
        original, perturbed = example.get("text", ""), example.get("perturbed_text", "")
        before, after = example.get("original_marked"), example.get("perturbed_marked")
        if before is None or after is None:
            before, after = evaluation_results.marked_changes(original, perturbed)
        examples.append({
            **example,
            "original_segments": before,
            "perturbed_segments": after,
            "label_name": example.get("label_name") or _label(label_names, example.get("label")),
            "before_name": example.get("predicted_before_name")
            or _label(label_names, example.get("predicted_before")),
            "after_name": example.get("predicted_after_name")
            or _label(label_names, example.get("predicted_after")),
        })
    return {"examples": examples}


RECORD_RATES = ("accuracy", "selection_rate", "true_positive_rate", "false_positive_rate")


def fairness_groups(result, label_names):
    """The fairness suite's per-group rates as bar charts, or None.

    Text benchmarks: per identity category, the rate of each label among each group's
    counterfactual variants. Record benchmarks: per sensitive attribute, each group's
    accuracy, selection rate and true- and false-positive rates.
    """
    if result is None:
        return None
    charts_shown = []
    for category, entry in (result.metrics.get("categories") or {}).items():
        groups = [{"label": group, "values": [rates.get(label) for label in label_names]}
                  for group, rates in entry.get("label_rates", {}).items()]
        charts_shown.append({
            "title": f"{category}: rate of each label by group",
            "note": f"{entry.get('variants', 0)} variants of {entry.get('items', 0)} items",
            "chart": mark_safe(charts.group_bars(groups, label_names)),
        })
    for attribute, entry in (result.metrics.get("attributes") or {}).items():
        groups = [{"label": group, "values": [rates.get(rate) for rate in RECORD_RATES],
                   "count": int(rates["count"]) if "count" in rates else None}
                  for group, rates in entry.get("groups", {}).items()]
        charts_shown.append({
            "title": f"by {attribute}",
            "note": "people per group in brackets",
            "chart": mark_safe(charts.group_bars(
                groups, [rate.replace("_", " ") for rate in RECORD_RATES])),
        })
    return {"charts": charts_shown}


def _label(names, index):
    if isinstance(index, int) and 0 <= index < len(names):
        return names[index]
    return index


def seeds_of(version):
    """Every seed that fixes this version's numbers: split, bootstrap, and each suite's."""
    seeds = {"split": version.provenance.get("split_seed"), "bootstrap": version.bootstrap_seed}
    for suite, config in version.suites.items():
        for key, value in config.items():
            if "seed" in key:
                seeds[f"{suite} {key.replace('_', ' ')}"] = value
    return {name: value for name, value in seeds.items() if value is not None}


def newer_evaluation(evaluation):
    """(latest version, this submission's newest evaluation there or None) when the
    benchmark has a version newer than this evaluation's; else None."""
    latest = evaluation.benchmark_version.benchmark.latest_version()
    if latest is None or latest.number == evaluation.benchmark_version.number:
        return None
    there = (latest.evaluations.filter(submission=evaluation.submission)
             .order_by("-queued_at").first())
    return {"version": latest, "evaluation": there}


def badge_snippets(request, evaluation, entry):
    """The badge URLs and the snippets a model card needs."""
    version = evaluation.benchmark_version
    slug, submission = version.benchmark.slug, evaluation.submission
    absolute = request.build_absolute_uri
    svg_url = absolute(reverse("badge-svg", args=[slug, submission.pk]))
    json_url = absolute(reverse("badge-json", args=[slug, submission.pk]))
    permalink = absolute(reverse("entry", args=[slug, version.number, submission.pk]))
    metrics = []
    if entry is not None:
        metrics.append({"type": "safetygym-reliability-score", "name": "Reliability score",
                        "value": entry["score"]["value"]})
        metrics += [{"type": name, "name": name.replace("_", " ").capitalize(),
                     "value": component["value"]}
                    for name, component in entry["components"].items()]
        if "macro_f1" in entry.get("metrics", {}):
            metrics.append({"type": "f1", "name": "Macro F1", "value": entry["metrics"]["macro_f1"]})
    model_index = badges.model_index_yaml(
        submission.name,
        {"name": version.benchmark.name, "slug": slug, "version": version.number,
         "split": "evaluation"},
        metrics, permalink)
    return {
        "svg_url": svg_url,
        "json_url": json_url,
        "shields_url": "https://img.shields.io/endpoint?url=" + quote(json_url, safe=""),
        "permalink": permalink,
        "markdown": badges.markdown_snippet(f"SafetyGym {slug} v{version.number}", svg_url,
                                            permalink),
        "model_index": model_index,
        "model_index_lines": model_index.count("\n") + 1,
    }

