"""Score weights a reader chooses in the query string: ?w_accuracy=2&w_calibration=1.

A component not named keeps its default weight; the result must give some component a weight
above 0. Every problem is a ValueError whose message says what to change.
"""

import math
from urllib.parse import urlencode

PREFIX = "w_"


def requested_score_weights(query, defaults):
    """The weights the query asks for (component -> float), or None when it names none.

    query: a mapping of parameter -> value (request.GET); defaults: component -> weight.
    """
    given = {key[len(PREFIX):]: value for key, value in query.items() if key.startswith(PREFIX)}
    if not given:
        return None
    if not defaults:
        raise ValueError("this leaderboard snapshot has no score components to re-weight")
    known = ", ".join(PREFIX + name for name in defaults)
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(f"unknown score component {', '.join(PREFIX + n for n in unknown)}; "
                         f"the components are {known}")
    weights = dict(defaults)
    for name, text in given.items():
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{PREFIX}{name} must be a non-negative number, got {text!r}")
        weights[name] = value
    if sum(weights.values()) == 0:
        raise ValueError(f"at least one of {known} must be above 0")
    return weights


def as_query(weights):
    """The query string that asks for these weights."""
    return urlencode({PREFIX + name: f"{value:g}" for name, value in weights.items()})
