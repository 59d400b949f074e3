"""Train every benchmark's baselines on its public split and write their weights next to agent.py.

    python -m benchmarks.baselines.build [--benchmark SLUG] [--only NAME]

Every baseline is trained from the public split only, deterministically (no randomness is
involved: closed-form lexicons, lbfgs fits, a fixed encoder), and its weights are written as
JSON or .npz files (never pickles) into the agent's folder. Each agent is then loaded from its
file path, exactly as the sandbox loads it, and scored on the held-out evaluation split.
"""

import argparse
import importlib.util
import io
import json
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
from scipy.optimize import minimize_scalar

from benchmarks.datasets import rt_sentiment
from benchmarks.suites import quality

BASELINES_DIR = Path(__file__).parent
FRESH = rt_sentiment.LABELS.index("fresh")


def load_agent(folder):
    """Import folder/agent.py as a fresh module, the way the sandbox runner does."""
    path = Path(folder) / "agent.py"
    spec = importlib.util.spec_from_file_location(f"baseline_agent_{Path(folder).name}", path)
    module = importlib.util.module_from_spec(spec)
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ inside the agent folders
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


def write_npz(path, **arrays):
    """An .npz without pickles and with fixed timestamps, so a rebuild gives identical bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def write_json(path, value, indent=None):
    Path(path).write_text(
        json.dumps(value, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8"
    )


def texts_and_targets(items):
    return [item.text for item in items], np.array(
        [item.label == "fresh" for item in items], dtype=int
    )


def fit_lexicon_slope(agent, scores, fresh):
    """Maximum-likelihood slope of the agent's monotone score -> P(fresh) map (slope >= 0)."""
    step = np.where(scores >= 0, agent.STEP, -agent.STEP)

    def negative_log_likelihood(slope):
        log_odds = slope * scores + step
        return float(np.sum(np.logaddexp(0.0, log_odds) - fresh * log_odds))

    return float(
        minimize_scalar(
            negative_log_likelihood, bounds=(0.0, 50.0), method="bounded", options={"xatol": 1e-10}
        ).x
    )


def build_lexicon(folder, public):
    """VADER and TextBlob: the published `score >= 0 -> fresh` rule, with a calibrated slope."""
    agent = load_agent(folder)
    texts, fresh = texts_and_targets(public)
    scores = np.array([agent.score(text) for text in texts])
    slope = fit_lexicon_slope(agent, scores, fresh)
    write_json(folder / "calibration.json", {"slope": slope})
    return {"slope": slope, "step": agent.STEP}


def check_lexicon_rule(agent, texts, probabilities):
    """The argmax must be exactly the published rule: `agent.rule(score)` where the agent has
    one (three classes), else score >= 0 -> fresh."""
    rule = getattr(agent, "rule", lambda score: int(score >= 0))
    expected = np.array([rule(agent.score(text)) for text in texts])
    if not np.array_equal(np.argmax(probabilities, axis=1), expected):
        raise AssertionError(f"{agent.__name__}: argmax differs from the published rule")


def fit_tfidf_lr(folder, texts, targets, binary):
    """TF-IDF (word 1-2 grams) + logistic regression on texts, written as the agent's
    vocabulary.json and weights.npz; binary: one coefficient vector (P of the second label),
    else one row per class. Returns the build's parameters."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2),
        LogisticRegression(C=1.0, max_iter=1000),
    )
    pipeline.fit(texts, targets)
    vectorizer, classifier = pipeline
    terms = [None] * len(vectorizer.vocabulary_)
    for term, column in vectorizer.vocabulary_.items():
        terms[column] = term
    write_json(folder / "vocabulary.json", terms, indent=0)
    coef, intercept = classifier.coef_.astype(np.float64), classifier.intercept_.astype(np.float64)
    write_npz(
        folder / "weights.npz",
        idf=vectorizer.idf_.astype(np.float64),
        coef=coef[0] if binary else coef,
        intercept=np.float64(intercept[0]) if binary else intercept,
    )
    # The agent re-implements the transform in numpy: it must give scikit-learn's numbers.
    agent = load_agent(folder)
    difference = np.max(np.abs(np.asarray(agent.predict(texts)) - pipeline.predict_proba(texts)))
    if difference > 1e-12:
        raise AssertionError(f"tfidf_lr agent differs from scikit-learn by {difference:.2e}")
    return {
        "ngram_range": [1, 2],
        "min_df": 2,
        "C": 1.0,
        "vocabulary_size": len(terms),
        "max_difference_from_sklearn_on_public": float(difference),
    }


def build_tfidf_lr(folder, public):
    return fit_tfidf_lr(folder, *texts_and_targets(public), binary=True)


def build_minilm_lr(folder, public):
    from sklearn.linear_model import LogisticRegression

    agent = load_agent(folder)
    texts, fresh = texts_and_targets(public)
    embeddings = agent.embed(texts).astype(np.float64)
    classifier = LogisticRegression(C=1.0, max_iter=1000).fit(embeddings, fresh)
    write_npz(
        folder / "head.npz",
        coef=classifier.coef_[0].astype(np.float64),
        intercept=np.float64(classifier.intercept_[0]),
    )
    return {"encoder": agent.ENCODER_PACKAGE, "max_tokens": agent.MAX_TOKENS, "C": 1.0}


BASELINES = {
    "vader": build_lexicon,
    "textblob": build_lexicon,
    "tfidf_lr": build_tfidf_lr,
    "minilm_lr": build_minilm_lr,
}


def benchmark_baselines():
    """benchmark slug -> (dataset loader, {baseline name: builder(folder, dataset)})."""
    from benchmarks.baselines import adult_income, tweet_sentiment
    from benchmarks.datasets import DATASETS

    def on_public(builder):
        return lambda folder, dataset: builder(folder, dataset.split("public"))

    return {
        "rt-sentiment": (DATASETS["rt-sentiment"],
                         {name: on_public(builder) for name, builder in BASELINES.items()}),
        "tweet-sentiment": (DATASETS["tweet-sentiment"], tweet_sentiment.BASELINES),
        "adult-income": (DATASETS["adult-income"], adult_income.BASELINES),
    }


class InProcessClient:
    """The client interface the suites expect, over an agent module imported in this process."""

    def __init__(self, agent):
        self.agent = agent

    def predict_proba(self, inputs, progress=None):
        probabilities = np.asarray(self.agent.predict(inputs), dtype=np.float64)
        if progress is not None:
            progress(len(inputs), len(inputs))
        return probabilities


def evaluate(folder, items, labels=rt_sentiment.LABELS):
    """(quality outcome, seconds to predict) of the agent in folder on dataset items."""
    agent = load_agent(folder)
    inputs = [item.record if item.record is not None else item.text for item in items]
    started = time.perf_counter()
    outcome = quality.run(InProcessClient(agent),
                          [{"input": given, "label": item.label} for given, item in zip(inputs, items)],
                          {"labels": labels})
    seconds = time.perf_counter() - started
    if hasattr(agent, "score"):
        check_lexicon_rule(agent, inputs, np.array(outcome.per_item["probabilities"]))
    return outcome, seconds


def build(benchmark, name, dataset, builder):
    folder = BASELINES_DIR / benchmark / name
    started = time.perf_counter()
    parameters = builder(folder, dataset)
    build_seconds = time.perf_counter() - started
    write_json(
        folder / "training.json",
        {
            "baseline": name,
            "trained_on": "public",
            "n_train": parameters.pop("n_train", len(dataset.split("public"))),
            "dataset": {
                key: dataset.provenance[key]
                for key in ("package", "version", "file", "sha256", "split_seed")
            },
            "parameters": parameters,
        },
        indent=1,
    )
    outcome, predict_seconds = evaluate(folder, dataset.split("evaluation"), dataset.labels)
    return build_seconds, predict_seconds, outcome.metrics


def main(argv=None):
    registry = benchmark_baselines()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", choices=sorted(registry), action="append",
                        help="build only this benchmark's baselines (repeatable)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="build only the baseline of this name (repeatable)")
    arguments = parser.parse_args(argv)
    for benchmark in arguments.benchmark or list(registry):
        load, builders = registry[benchmark]
        names = [name for name in builders if not arguments.only or name in arguments.only]
        if not names:
            continue
        dataset = load()
        for name in names:
            build_seconds, predict_seconds, metrics = build(benchmark, name, dataset,
                                                            builders[name])
            folder = BASELINES_DIR / benchmark / name
            sizes = {path.name: path.stat().st_size for path in sorted(folder.iterdir())
                     if path.is_file()}
            print(
                f"{benchmark}/{name:19s} accuracy {metrics['accuracy']:.4f}  "
                f"macro_f1 {metrics['macro_f1']:.4f}  ece {metrics['ece']:.4f}  on "
                f"{metrics['n_items']} evaluation items; build {build_seconds:.1f} s, "
                f"predict {predict_seconds:.1f} s; files {sizes}",
                flush=True,
            )


if __name__ == "__main__":
    main()
