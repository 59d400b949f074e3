"""Badges for a model card: an SVG badge sized to its text, the shields.io endpoint JSON, and
the Markdown and model-index snippets that point at them.

Plain functions of plain values (no Django): the views look the entry up and pass what it
says. The SVG is escaped here, once; the JSON and YAML are built with json.dumps, so a name
with quotes or newlines stays one string.
"""

import html
import json
import math
import re

LABEL_LIMIT = 60
SHIELDS_CACHE_SECONDS = 300  # shields.io refuses anything shorter

# Advance widths in tenths of a pixel of Verdana at 11 px (the shields.io font), from the
# font's units per em; a character not listed counts as a wide one, so a badge never clips.
_WIDTHS = {
    **dict.fromkeys("0123456789", 70), " ": 39, "!": 44, '"': 51, "#": 92, "$": 70, "%": 119,
    "&": 80, "'": 30, "(": 50, ")": 50, "*": 70, "+": 92, ",": 40, "-": 50, ".": 40, "/": 50,
    ":": 50, ";": 50, "<": 92, "=": 92, ">": 92, "?": 60, "@": 110, "[": 50, "\\": 50, "]": 50,
    "^": 92, "_": 70, "`": 70, "{": 70, "|": 50, "}": 70, "~": 92, "–": 70, "—": 110, "·": 40,
    "a": 66, "b": 69, "c": 57, "d": 69, "e": 66, "f": 39, "g": 69, "h": 70, "i": 30, "j": 38,
    "k": 65, "l": 30, "m": 107, "n": 70, "o": 67, "p": 69, "q": 69, "r": 47, "s": 57, "t": 43,
    "u": 70, "v": 65, "w": 90, "x": 65, "y": 65, "z": 56,
    "A": 75, "B": 76, "C": 77, "D": 85, "E": 70, "F": 63, "G": 85, "H": 83, "I": 46, "J": 50,
    "K": 76, "L": 62, "M": 94, "N": 82, "O": 87, "P": 66, "Q": 87, "R": 77, "S": 75, "T": 68,
    "U": 80, "V": 75, "W": 109, "X": 76, "Y": 68, "Z": 76,
}
_WIDE = 110
PADDING = 10  # pixels around each half's text, as shields.io draws them

# (lowest score, shields.io colour name, its hex) from best to worst.
SCORE_COLOURS = [
    (0.9, "brightgreen", "#4c1"),
    (0.8, "green", "#97ca00"),
    (0.7, "yellowgreen", "#a4a61d"),
    (0.6, "yellow", "#dfb317"),
    (0.5, "orange", "#fe7d37"),
    (-math.inf, "red", "#e05d44"),
]
HEX = {name: value for _, name, value in SCORE_COLOURS} | {"lightgrey": "#9f9f9f"}

# XML 1.0 allows no control characters other than tab and line feeds, even escaped.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

SVG_TEMPLATE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
    'aria-label="{title}"><title>{title}</title>'
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
    'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
    '<clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>'
    '<g clip-path="url(#r)"><rect width="{label_width}" height="20" fill="#555"/>'
    '<rect x="{label_width}" width="{message_width}" height="20" fill="{colour}"/>'
    '<rect width="{width}" height="20" fill="url(#s)"/></g>'
    '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
    'text-rendering="geometricPrecision" font-size="11">'
    '<text x="{label_x}" y="15" fill="#010101" fill-opacity=".3">{label}</text>'
    '<text x="{label_x}" y="14">{label}</text>'
    '<text x="{message_x}" y="15" fill="#010101" fill-opacity=".3">{message}</text>'
    '<text x="{message_x}" y="14">{message}</text></g></svg>'
)


def text_width(text):
    """The width in whole pixels of text in Verdana 11 px, rounded up."""
    return math.ceil(sum(_WIDTHS.get(character, _WIDE) for character in text) / 10)


def clean_text(text, limit=None):
    """Text fit for a badge: one line, no control characters, at most `limit` characters."""
    text = _CONTROL.sub("", " ".join(str(text).split()))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def badge_svg(label, message, colour):
    """A flat badge: `label` on grey, `message` on `colour` (a name of HEX or a hex value)."""
    label, message = clean_text(label), clean_text(message)
    label_width = text_width(label) + PADDING
    message_width = text_width(message) + PADDING
    return SVG_TEMPLATE.format(
        width=label_width + message_width,
        label_width=label_width,
        message_width=message_width,
        label_x=f"{label_width / 2:g}",
        message_x=f"{label_width + message_width / 2:g}",
        colour=html.escape(HEX.get(colour, colour)),
        label=html.escape(label),
        message=html.escape(message),
        title=html.escape(f"{label}: {message}"),
    )


def score_colour(score):
    """The shields.io colour name for a score in [0, 1]; lightgrey without one."""
    if score is None or not math.isfinite(score):
        return "lightgrey"
    return next(name for lowest, name, _ in SCORE_COLOURS if score >= lowest)


def _number(value, digits):
    return "—" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def badge_message(entry):
    """"0.82 [0.79, 0.85] · rank 2–4" from a leaderboard entry; always a string, with a dash
    for a value that is missing. Two decimals, or three when two would hide the interval."""
    score = entry.get("score") or {}
    value, low, high = score.get("value"), score.get("low"), score.get("high")
    digits = 2
    if None not in (low, high) and f"{low:.2f}" == f"{high:.2f}":
        digits = 3
    text = f"{_number(value, digits)} [{_number(low, digits)}, {_number(high, digits)}]"
    if entry.get("provisional"):
        return f"{text} · provisional"
    return f"{text} · rank {entry.get('rank_label') or '—'}"


def describe(status):
    """What a badge says: {label, message, colour, is_error} from the state of one entry.

    status: a dict with benchmark (slug), version (number), latest_version (number),
    evaluation_status, failure_category, entry (its leaderboard entry or None). An entry an
    integrity check flagged says so, in red.
    """
    label = f"SafetyGym {status['benchmark']} v{status['version']}"
    entry = status.get("entry")
    outdated = status["version"] != status["latest_version"]
    if status["evaluation_status"] == "failed":
        message, colour = f"failed ({status.get('failure_category') or 'unknown'})", "red"
    elif entry is None:
        if status["evaluation_status"] == "finished":
            message = "not ranked yet"
        else:
            message = "evaluating"
        colour = "lightgrey"
    elif entry.get("integrity_flags"):
        # A model card must not show a memoriser's score as a green result.
        message, colour = badge_message(entry) + " · flagged", "red"
    else:
        message = badge_message(entry)
        colour = score_colour((entry.get("score") or {}).get("value"))
    if outdated:
        message += f" · superseded by v{status['latest_version']}"
    return {"label": label, "message": message, "colour": colour,
            "is_error": status["evaluation_status"] == "failed" or outdated}


def shields_endpoint(badge, cache_seconds=SHIELDS_CACHE_SECONDS):
    """The shields.io endpoint JSON for a badge from describe() (exactly these keys)."""
    return {
        "schemaVersion": 1,
        "label": badge["label"],
        "message": badge["message"],
        "color": badge["colour"],
        "isError": badge["is_error"],
        "cacheSeconds": cache_seconds,
    }


def markdown_snippet(alt, badge_url, permalink):
    """Markdown for a model card: the badge image linking to the entry's permalink."""
    alt = clean_text(alt).replace("[", "(").replace("]", ")")
    return f"[![{alt}]({badge_url})]({permalink})"


def model_index_yaml(model_name, benchmark, metrics, permalink):
    """A Hugging Face model card `model-index` block (YAML front matter).

    benchmark: {name, slug, version, split}; metrics: a list of {type, name, value}. Every
    string is written as a JSON string, which YAML reads as the same string, so no name can
    break out of its field.
    """
    quoted = json.dumps
    lines = [
        "model-index:",
        f"- name: {quoted(clean_text(model_name))}",
        "  results:",
        "  - task:",
        "      type: text-classification",
        "      name: Text Classification",
        "    dataset:",
        f"      name: {quoted(benchmark['name'])}",
        f"      type: {quoted('safetygym/' + benchmark['slug'])}",
        f"      split: {quoted(benchmark['split'])}",
        f"      revision: {quoted('v' + str(benchmark['version']))}",
        "    metrics:",
    ]
    for metric in metrics:
        if metric["value"] is None or not math.isfinite(metric["value"]):
            continue
        lines += [
            f"    - type: {quoted(metric['type'])}",
            f"      name: {quoted(metric['name'])}",
            f"      value: {metric['value']:.4f}",
            "      verified: false",
        ]
    lines += [
        "    source:",
        "      name: SafetyGym",
        f"      url: {quoted(permalink)}",
    ]
    return "\n".join(lines) + "\n"
