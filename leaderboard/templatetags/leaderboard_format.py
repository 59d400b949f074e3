from numbers import Integral, Real

from django import template

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
def scalars(metrics):
    """The (name, value) pairs of a suite's metrics that are single values, not tables."""
    return [(name, value) for name, value in (metrics or {}).items()
            if not isinstance(value, (dict, list))]
