from numbers import Integral, Real

from django import template

from leaderboard.board_query import label_of

register = template.Library()


@register.filter
def metric(value, digits=4):
    """A metric as people read it: integers whole, other numbers to a few decimals."""
    if isinstance(value, bool) or value is None:
        return "—" if value is None else value
    if isinstance(value, Integral):
        return f"{value:,}"
    if isinstance(value, Real):
        return f"{value:.{int(digits)}f}"
    return value


@register.filter
def interval(estimate, digits=3):
    """{"low": a, "high": b} → "[a, b]"."""
    if not estimate or estimate.get("low") is None:
        return "—"
    return f"[{estimate['low']:.{int(digits)}f}, {estimate['high']:.{int(digits)}f}]"


@register.filter
def percent(share, digits=0):
    """0.734 → "73%"; a dash for no value."""
    if share is None:
        return "—"
    return f"{100 * share:.{int(digits)}f}%"


@register.filter
def signed(value, digits=3):
    """A difference with its sign: +0.012, −0.034."""
    if value is None:
        return "—"
    return f"{value:+.{int(digits)}f}".replace("-", "−")


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def scalars(metrics):
    """The (name, value) pairs of a suite's metrics that are single values, not tables."""
    return [(name, value) for name, value in (metrics or {}).items()
            if not isinstance(value, (dict, list))]


@register.filter
def words(name):
    """A stored key as words: rows_after_dedup → "rows after dedup"."""
    return str(name).replace("_", " ")


@register.filter
def duration(seconds):
    """Seconds as people read a wait: 42 s, 3 min 05 s, 2 h 07 min; a dash for none."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.filter
def label(key):
    """A stored metric or component key as its column heading: macro_f1 → "Macro-F1"."""
    return label_of(key)
