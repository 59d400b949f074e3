"""Suites: `run(client, items, config, progress) -> SuiteOutcome`, one module each.

Adding a suite is one module and one entry in SUITES.
"""

from benchmarks.suites import adversarial, fairness, quality
from benchmarks.suites.base import ResamplingUnits, SuiteOutcome

SUITES = {
    "quality": quality.run,
    "adversarial": adversarial.run,
    "fairness": fairness.run,
}

__all__ = ["SUITES", "ResamplingUnits", "SuiteOutcome"]
