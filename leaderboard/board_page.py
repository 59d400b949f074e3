"""A leaderboard as the page draws it: the board under the reader's weights, filters and sort,
with its header links, interval cells on one shared axis and export links; rendered once per
snapshot and query, then served from the cache.

A snapshot never changes, so its rendered board can be kept as long as the cache keeps it;
a new evaluation makes a new snapshot, which has a new id and so a new key.
"""

import hashlib
from urllib.parse import urlencode

from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from leaderboard import board_query, charts, queries
from leaderboard.ranking import RELIABILITY_SCORE_VERSION
from leaderboard.score_weights import PREFIX as WEIGHT_PREFIX
from leaderboard.visibility import hidden_evaluation_ids

BOARD_CACHE_SECONDS = 24 * 3600
CACHE_FORMAT = 3  # bump when the rendered board changes shape
ASCENDING_FIRST = {"rank", "name", "kind"}


class SnapshotNotFound(ValueError):
    """The query names a snapshot this version does not have."""


def leaderboard_path(version):
    return reverse("leaderboard", args=[version.benchmark.slug, version.number])


def known_params(query):
    """The parameters a board depends on, in a fixed order: a cache key and export links
    carry these and nothing else (a tracking parameter changes nothing)."""
    return sorted((name, str(query.get(name))) for name in query
                  if name in board_query.PARAMETERS or name.startswith(WEIGHT_PREFIX))


def requested_snapshot(version, query):
    """The snapshot the query names (?snapshot=<id>), the latest one when it names none;
    SnapshotNotFound when it names one this version does not have."""
    text = query.get("snapshot")
    if text in (None, ""):
        return queries.latest_snapshot(version)
    snapshot = queries.get_snapshot(version, int(text)) if str(text).isdigit() else None
    if snapshot is None:
        raise SnapshotNotFound(f"snapshot must be the id of one of {version}'s snapshots "
                               f"(see its snapshot history), got {text!r}")
    return snapshot


def shown_board(version, query, snapshot, strict=False, user=None):
    """The board a query shows: queries.board() under its weights, filtered and sorted.

    A dict: snapshot, weights, custom, components, metrics, columns, query (a BoardQuery),
    errors (every problem with the query, in words), sections ([(name, entries)]), total
    (entries before filtering). Only entries `user` may see now are shown.
    """
    board = queries.board(version, query, snapshot=snapshot, user=user)
    entries = board["ranked"] + board["provisional"]
    components = list(board["weights"])
    metrics = board_query.metric_names(entries)
    columns = board_query.columns(components, metrics)
    parsed = board_query.parse(query, [column.key for column in columns], strict=strict)
    errors = ([board["error"]] if board["error"] else []) + list(parsed.errors)
    sections = [(name, board_query.apply(parsed, board[name])) for name in ("ranked", "provisional")]
    return {"snapshot": board["snapshot"], "weights": board["weights"], "custom": board["custom"],
            "components": components, "metrics": metrics, "columns": columns, "query": parsed,
            "errors": errors, "weights_error": board["error"], "query_errors": list(parsed.errors),
            "sections": sections, "total": len(entries)}


def rendered_board(version, query, path, limit=None, latest_id=None, user=None):
    """(html, status) of the board fragment for this query, from the cache when it is there.

    limit: show only the first rows of each section (the front page's short boards);
    latest_id: the version's latest snapshot id when the caller has looked it up already;
    user: the reader, who sees only the entries they may see now.
    """
    params = known_params(query)
    snapshot_id = query.get("snapshot") or latest_id or queries.latest_snapshot_id(version)
    # A snapshot never changes, but who may see its entries does: the entries hidden from this
    # reader are part of the key, so a withdrawal is not served from an older rendering.
    hidden = (hidden_evaluation_ids(
        queries.entries_by(int(snapshot_id))["evaluation"].values(), user)
        if str(snapshot_id).isdigit() else [])
    digest = hashlib.sha256(urlencode(params + [("hidden", hidden)]).encode()).hexdigest()[:32]
    key = f"board:{CACHE_FORMAT}:{version.pk}:{snapshot_id}:{limit}:{path}:{digest}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        snapshot = requested_snapshot(version, query)
    except SnapshotNotFound as error:
        return render_to_string("leaderboard/_board.html", {"errors": [str(error)],
                                                            "version": version}), 400
    shown = shown_board(version, query, snapshot, user=user)
    context = board_context(version, shown, dict(params), path, limit)
    result = (render_to_string("leaderboard/_board.html", context),
              400 if shown["errors"] else 200)
    if snapshot is not None:
        cache.set(key, result, BOARD_CACHE_SECONDS)
    return result


def exported_params(params, shown):
    """The parameters the export links carry: those the board used. A value the page refused
    (and named in its errors) is left out, so an export shows what the page shows instead of
    the API's 400 for the same mistake."""
    exported = dict(shown["query"].as_params())
    if params.get("snapshot"):
        exported["snapshot"] = params["snapshot"]
    if not shown["weights_error"]:
        exported.update({name: value for name, value in params.items()
                         if name.startswith(WEIGHT_PREFIX)})
    return exported


def board_context(version, shown, params, path, limit=None):
    """What _board.html needs: rows with their interval cells, sort links and export links."""
    slug, number = version.benchmark.slug, version.number
    parsed = shown["query"]
    every_estimate = [entry.get("score") or {} for _, entries in shown["sections"]
                      for entry in entries]
    domain = charts.axis_domain(every_estimate)

    def link(**changes):
        merged = {**params, **changes}
        merged = {name: value for name, value in merged.items() if value not in (None, "")}
        return f"{path}?{urlencode(sorted(merged.items()))}" if merged else path

    headers = []
    for column in shown["columns"]:
        current = None
        if parsed.sort == column.key:
            current = "desc" if parsed.descending else "asc"
        first_descending = column.key not in ASCENDING_FIRST
        descending = (current != "desc") if current else first_descending
        headers.append({"column": column, "current": current,
                        "url": link(sort=("-" if descending else "") + column.key)})
    headers = {header["column"].key: header for header in headers}

    sections = []
    for name, entries in shown["sections"]:
        rows = [row_context(entry, shown, domain) for entry in entries]
        sections.append({"name": name, "rows": rows[:limit] if limit else rows,
                         "hidden": max(0, len(rows) - limit) if limit else 0})
    query_string = urlencode(sorted(exported_params(params, shown).items()))
    suffix = f"?{query_string}" if query_string else ""

    def kept(keep):
        """The parameters a form must carry along unchanged, as hidden inputs."""
        return sorted((name, value) for name, value in params.items() if keep(name))
    return {
        "version": version,
        "snapshot": shown["snapshot"],
        "shown": shown,
        "errors": shown["errors"],
        "weights_error": shown["weights_error"],
        "query_errors": shown["query_errors"],
        "parsed": parsed,
        "sections": sections,
        "shown_count": sum(len(entries) for _, entries in shown["sections"]),
        "headers": headers,
        "component_headers": [headers[name] for name in shown["components"]],
        "metric_headers": [headers[name] for name in shown["metrics"]],
        "components": shown["components"],
        "metrics": shown["metrics"],
        "axis": mark_safe(charts.axis_cell(domain)),
        "grid": mark_safe(charts.grid_background(domain)),
        "weights": shown["weights"],
        "custom": shown["custom"],
        "score_version": RELIABILITY_SCORE_VERSION,
        "limit": limit,
        "filter_hidden": kept(lambda name: name.startswith(WEIGHT_PREFIX)
                              or name in ("sort", "snapshot")),
        "weight_hidden": kept(lambda name: not name.startswith(WEIGHT_PREFIX)),
        "compare_hidden": kept(lambda name: name.startswith(WEIGHT_PREFIX) or name == "snapshot"),
        "kinds": board_query.KINDS,
        "csv_url": reverse("leaderboard-csv", args=[slug, number]) + suffix,
        "json_url": reverse("api-leaderboard", args=[slug, number]) + suffix,
        "svg_url": reverse("leaderboard-svg", args=[slug, number]) + suffix,
        "default_url": link(**{name: None for name in params if name.startswith(WEIGHT_PREFIX)}),
        "clear_filters_url": link(**dict.fromkeys(board_query.FILTERS)),
        "compare_url": reverse("compare", args=[slug, number]),
    }


def row_context(entry, shown, domain):
    return {
        "entry": entry,
        "plot": mark_safe(charts.interval_cell(entry.get("score") or {}, domain,
                                               provisional=bool(entry.get("provisional")))),
        "components": [entry.get("components", {}).get(name) or {} for name in shown["components"]],
        "metrics": [entry.get("metrics", {}).get(name) for name in shown["metrics"]],
        "flags": [board_query.flag_text(flag) for flag in board_query.integrity_flags(entry)],
        "kind": board_query.entry_kind(entry),
    }


def plot_rows(shown):
    """The rows of the standalone interval plot: every entry shown, in the order shown."""
    return [{"label": entry["name"] + (" (provisional)" if entry.get("provisional") else ""),
             "estimate": entry.get("score") or {}, "provisional": bool(entry.get("provisional"))}
            for _, entries in shown["sections"] for entry in entries]
