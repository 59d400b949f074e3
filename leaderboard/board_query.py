"""What a reader asks of a leaderboard beyond its weights: filters and a sort order.

The page, its CSV and JSON exports and the API read the same parameters through parse() and
show the same rows through apply(), so an export holds exactly what the page showed.

Parameters: q (text in the model's name, any case), kind (agent | huggingface), provisional,
flagged, baseline (yes | no each), sort (a column key, `-key` for descending; default: the
leaderboard's own order), and snapshot (a past snapshot's id, read by leaderboard.board_page). Entries without a value in the sorted column (a failed or missing
statistic) come last in either direction, and equal values keep the leaderboard's order (score,
then name, then age), so every sort is stable and repeatable.
"""

import csv
import io
import math
from dataclasses import dataclass, field

from leaderboard.plain_text import defused
from leaderboard.score_weights import PREFIX as WEIGHT_PREFIX

KINDS = ("agent", "huggingface")
YES_NO = {"yes": True, "no": False}
SEARCH_LIMIT = 200
FILTERS = ("q", "kind", "provisional", "flagged", "baseline")
PARAMETERS = (*FILTERS, "sort", "snapshot")  # snapshot: leaderboard.board_page reads it

LABELS = {
    "rank": "Rank", "name": "Model", "kind": "Kind", "score": "Score",
    "score_low": "Score, 95% low", "score_high": "Score, 95% high",
    "accuracy": "Accuracy", "calibration": "Calibration", "robust_accuracy": "Robust accuracy",
    "fairness": "Fairness", "macro_f1": "Macro-F1", "ece": "ECE",
    "n_items": "Items", "n_variants": "Counterfactual variants",
    "counterfactual_consistency": "Counterfactual consistency",
    "demographic_parity_difference": "Demographic parity difference",
    "equalized_odds_difference": "Equalized odds difference",
    "attack_success_rate": "Attack success rate", "mean_queries": "Mean queries",
    "mean_perturbed_word_share": "Mean perturbed-word share",
    "accuracy_on_sample": "Accuracy on the attacked sample",
    "queries_asked": "Queries asked (TextAttack)", "model_queries": "Model queries (distinct texts)",
}


def label_of(key):
    """How a stored metric or component key reads on a page: macro_f1 → "Macro-F1"."""
    key = str(key)
    return LABELS.get(key) or key.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    group: str  # "rank", "name", "kind", "score", "component" or "metric"


@dataclass(frozen=True)
class BoardQuery:
    search: str = ""
    kind: str | None = None
    provisional: bool | None = None
    flagged: bool | None = None
    baseline: bool | None = None
    sort: str = ""
    descending: bool = False
    errors: tuple = field(default=(), compare=False)

    def as_params(self):
        """The non-default parameters, in a fixed order (cache keys, export links)."""
        params = {}
        if self.search:
            params["q"] = self.search
        if self.kind:
            params["kind"] = self.kind
        for name in ("provisional", "flagged", "baseline"):
            value = getattr(self, name)
            if value is not None:
                params[name] = "yes" if value else "no"
        if self.sort:
            params["sort"] = ("-" if self.descending else "") + self.sort
        return params

    @property
    def filtered(self):
        return any(getattr(self, name) is not None for name in ("kind", "provisional", "flagged",
                                                                 "baseline")) or bool(self.search)


def integrity_flags(entry):
    """The integrity flags the snapshot recorded for an entry (empty when none)."""
    return list(entry.get("integrity_flags") or [])


def flag_text(flag):
    """A flag as a person reads it: its message, else its code."""
    if isinstance(flag, dict):
        return str(flag.get("message") or flag.get("code") or flag)
    return str(flag)


def columns(components, metrics):
    """Every sortable column, in the page's order."""
    return [
        Column("rank", LABELS["rank"], "rank"),
        Column("name", LABELS["name"], "name"),
        Column("kind", LABELS["kind"], "kind"),
        Column("score", LABELS["score"], "score"),
        Column("score_low", LABELS["score_low"], "score"),
        Column("score_high", LABELS["score_high"], "score"),
        *(Column(name, label_of(name), "component") for name in components),
        *(Column(name, label_of(name), "metric") for name in metrics),
    ]


def metric_names(entries):
    names = []
    for entry in entries:
        names += [name for name in entry.get("metrics", {}) if name not in names]
    return names


def parse(query, sort_keys, strict=False):
    """The BoardQuery a query string asks for, and what was wrong with it.

    query: a mapping (request.GET); sort_keys: the columns that exist. A bad value is left out
    and named in `errors`; strict (the API) also names parameters nobody knows, so a typo in a
    filter is not silently ignored.
    """
    errors = []
    values = {}

    def choice(name, allowed):
        text = query.get(name)
        if text in (None, ""):
            return None
        if text not in allowed:
            errors.append(f"{name} must be one of {', '.join(allowed)}, got {text!r}")
            return None
        return text

    search = " ".join(str(query.get("q") or "").split())
    if len(search) > SEARCH_LIMIT:
        errors.append(f"q is at most {SEARCH_LIMIT} characters")
        search = ""
    values["search"] = search
    values["kind"] = choice("kind", KINDS)
    for name in ("provisional", "flagged", "baseline"):
        text = choice(name, tuple(YES_NO))
        values[name] = None if text is None else YES_NO[text]
    sort = str(query.get("sort") or "")
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    if key and key not in sort_keys:
        errors.append(f"sort must be one of {', '.join(sort_keys)} (with - in front for "
                      f"descending), got {sort!r}")
        key, descending = "", False
    values["sort"], values["descending"] = key, descending and bool(key)
    if strict:
        unknown = sorted(name for name in query if name not in PARAMETERS
                         and not name.startswith(WEIGHT_PREFIX) and name != "format")
        if unknown:
            errors.append(f"unknown parameter {', '.join(unknown)}; the leaderboard takes "
                          f"{', '.join(PARAMETERS)} and {WEIGHT_PREFIX}<component> weights")
    return BoardQuery(**values, errors=tuple(errors))


def entry_kind(entry):
    return entry.get("kind") or "agent"


def keeps(board_query, entry):
    """Whether an entry passes the query's filters."""
    if board_query.search and board_query.search.casefold() not in entry["name"].casefold():
        return False
    if board_query.kind and entry_kind(entry) != board_query.kind:
        return False
    if board_query.provisional is not None and bool(entry.get("provisional")) != board_query.provisional:
        return False
    if board_query.flagged is not None and bool(integrity_flags(entry)) != board_query.flagged:
        return False
    if board_query.baseline is not None and bool(entry.get("trusted")) != board_query.baseline:
        return False
    return True


def sort_value(entry, key):
    """The value an entry is sorted by in column `key`; None when it has none."""
    score = entry.get("score") or {}
    if key == "rank":
        if entry.get("rank_low") is None:
            return None
        return (entry["rank_low"], entry["rank_high"])
    if key == "name":
        return entry["name"].casefold()
    if key == "kind":
        return entry_kind(entry)
    if key in ("score", "score_low", "score_high"):
        value = score.get({"score": "value", "score_low": "low", "score_high": "high"}[key])
    elif key in entry.get("components", {}):
        value = entry["components"][key].get("value")
    else:
        value = entry.get("metrics", {}).get(key)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def ordered(entries, board_query):
    """entries (in leaderboard order) sorted as the query asks: stable, missing values last."""
    if not board_query.sort:
        return list(entries)
    present = [e for e in entries if sort_value(e, board_query.sort) is not None]
    missing = [e for e in entries if sort_value(e, board_query.sort) is None]
    present.sort(key=lambda e: sort_value(e, board_query.sort), reverse=board_query.descending)
    return present + missing


def apply(board_query, entries):
    """The entries the query shows, in the order it shows them."""
    return ordered([entry for entry in entries if keeps(board_query, entry)], board_query)


def csv_text(sections, components, metrics, entry_url):
    """The rows shown, as CSV: sections is [(name, entries)], entry_url(entry) -> its URL."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["section", "rank_low", "rank_high", "rank", "tied_for_first", "name", "kind",
              "baseline", "integrity_flags", "score", "score_low", "score_high"]
    for name in components:
        header += [name, f"{name}_low", f"{name}_high"]
    header += [*metrics, "evaluation_id", "url"]
    writer.writerow(header)

    def number(value):
        return "" if value is None else repr(float(value))

    for section, entries in sections:
        for entry in entries:
            score = entry.get("score") or {}
            row = [section, entry.get("rank_low") or "", entry.get("rank_high") or "",
                   entry.get("rank_label") or "", "yes" if entry.get("tied_for_first") else "no",
                   safe_cell(entry["name"]), entry_kind(entry),
                   "yes" if entry.get("trusted") else "no",
                   safe_cell("; ".join(flag_text(flag) for flag in integrity_flags(entry))),
                   number(score.get("value")), number(score.get("low")), number(score.get("high"))]
            for name in components:
                component = entry.get("components", {}).get(name) or {}
                row += [number(component.get("value")), number(component.get("low")),
                        number(component.get("high"))]
            row += [number(entry.get("metrics", {}).get(name)) for name in metrics]
            row += [entry["evaluation_id"], entry_url(entry)]
            writer.writerow(row)
    return buffer.getvalue()


def safe_cell(text):
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading quote;
    terminal escapes (a name stored before names refused them) are written visibly."""
    text = defused(str(text), keep="")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
