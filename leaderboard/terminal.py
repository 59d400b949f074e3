"""The leaderboard as a plain-text table, for the terminal."""

from leaderboard.plain_text import defused


def _interval(stat):
    return f"[{stat['low']:.3f}, {stat['high']:.3f}]"


def format_leaderboard(version, snapshot):
    lines = [f"{version.benchmark.name} ({version})"]
    if snapshot is None or not snapshot.entries:
        lines.append("  no finished evaluation yet")
        return "\n".join(lines)
    components = list(snapshot.entries[0]["components"])
    header = ["rank", "model", "score", "95% interval", *components]
    rows = []
    for entry in snapshot.entries:
        rank = entry["rank_label"] + (" (tied for #1)" if entry["tied_for_first"] else "")
        rank += " (provisional)" if entry.get("provisional") else ""
        rows.append([
            rank, defused(entry["name"], keep=""), f"{entry['score']['value']:.3f}", _interval(entry["score"]),
            *(f"{entry['components'][c]['value']:.3f} {_interval(entry['components'][c])}"
              for c in components),
        ])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  " + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))
    for entry in snapshot.entries:
        for flag in entry.get("integrity_flags") or []:
            lines.append(defused(f"  flagged: {entry['name']}: {flag['message']}", keep=""))
    lines.append(
        f"  {snapshot.method}, B={snapshot.replicates}, seed={snapshot.seed}, "
        f"{snapshot.n_items} items"
    )
    return "\n".join(lines)
