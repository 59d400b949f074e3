"""Builders of the tweet-sentiment baselines (three classes), each from the public split only.

- vader, textblob: the published lexicon rules (VADER's +-0.05 thresholds; TextBlob's sign of
  the polarity), with per-class slopes fitted by maximum likelihood so the probabilities are
  calibrated while the argmax stays the rule;
- tfidf_lr: TF-IDF word 1-2 grams + multinomial logistic regression, re-implemented in numpy by
  the agent and checked against scikit-learn;
- minilm_lr: all-MiniLM-L6-v2 embeddings + multinomial logistic regression, fitted on a seeded
  sample of TRAIN_SAMPLE public tweets (embedding all 34,197 would take a quarter of an hour on
  two cores for a head of 384 x 3 weights; the sample is drawn by the split's own hash order).
"""

import numpy as np
from scipy.optimize import minimize

from benchmarks.baselines.build import fit_tfidf_lr, load_agent, write_json, write_npz
from benchmarks.datasets import splits, tweet_sentiment

TRAIN_SAMPLE = 12000
MAX_SLOPE = 50.0


def texts_and_classes(items):
    return [item.text for item in items], np.array(
        [tweet_sentiment.LABELS.index(item.label) for item in items]
    )


def fit_rule_slopes(agent, scores, classes):
    """Maximum-likelihood per-class slopes (>= 0) of the agent's rule-preserving probabilities."""
    distances = np.array([agent.distances(value) for value in scores])
    steps = np.zeros_like(distances)
    steps[np.arange(len(scores)), [agent.rule(value) for value in scores]] = agent.STEP

    def negative_log_likelihood(slopes):
        logits = distances * slopes + steps
        top = logits.max(axis=1, keepdims=True)
        log_normaliser = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
        return float(np.sum(log_normaliser - logits[np.arange(len(classes)), classes]))

    fitted = minimize(negative_log_likelihood, x0=np.ones(3), method="L-BFGS-B",
                      bounds=[(0.0, MAX_SLOPE)] * 3)
    return [float(slope) for slope in fitted.x]


def build_lexicon(folder, dataset):
    agent = load_agent(folder)
    texts, classes = texts_and_classes(dataset.split("public"))
    scores = [agent.score(text) for text in texts]
    slopes = fit_rule_slopes(agent, scores, classes)
    write_json(folder / "calibration.json", {"slopes": slopes})
    return {"slopes": slopes, "step": agent.STEP}


def build_tfidf_lr(folder, dataset):
    return fit_tfidf_lr(folder, *texts_and_classes(dataset.split("public")), binary=False)


def build_minilm_lr(folder, dataset):
    from sklearn.linear_model import LogisticRegression

    agent = load_agent(folder)
    public = dataset.split("public")
    seed = dataset.provenance["split_seed"]
    sample = sorted(public, key=lambda item: splits.split_key(seed, item.text))[:TRAIN_SAMPLE]
    texts, classes = texts_and_classes(sample)
    embeddings = agent.embed(texts).astype(np.float64)
    classifier = LogisticRegression(C=1.0, max_iter=1000).fit(embeddings, classes)
    write_npz(folder / "head.npz", coef=classifier.coef_.astype(np.float64),
              intercept=classifier.intercept_.astype(np.float64))
    return {"encoder": agent.ENCODER_PACKAGE, "max_tokens": agent.MAX_TOKENS, "C": 1.0,
            "n_train": len(sample),
            "sample": f"the first {TRAIN_SAMPLE} public tweets by sha256(f'{{split_seed}}:{{text}}')"}


BASELINES = {
    "vader": build_lexicon,
    "textblob": build_lexicon,
    "tfidf_lr": build_tfidf_lr,
    "minilm_lr": build_minilm_lr,
}
