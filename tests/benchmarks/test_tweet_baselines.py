"""The tweet-sentiment baselines give three calibrated probabilities whose argmax is the
published rule (lexicons) or the trained model's."""

from pathlib import Path

import numpy as np
import pytest

from benchmarks.baselines.build import load_agent
from benchmarks.datasets import tweet_sentiment

FOLDER = Path(tweet_sentiment.__file__).parents[1] / "baselines" / "tweet-sentiment"
INPUTS = ["I love this airline, best flight ever!", "Worst delay ever, I hate this.",
          "Flight 101 leaves at noon.", "", "ok"]


@pytest.mark.parametrize("name", ["vader", "textblob"])
def test_lexicon_argmax_is_the_published_three_class_rule(name):
    agent = load_agent(FOLDER / name)
    rows = np.asarray(agent.predict(INPUTS))
    assert agent.labels == ["negative", "neutral", "positive"]
    assert np.allclose(rows.sum(axis=1), 1.0) and np.all((rows > 0) & (rows < 1))
    rules = [agent.rule(agent.score(text)) for text in INPUTS]
    assert rows.argmax(axis=1).tolist() == rules
    assert rules[:3] == [2, 0, 1]


def test_vader_thresholds_are_vader_s_own():
    agent = load_agent(FOLDER / "vader")
    assert [agent.rule(value) for value in (-0.05, -0.049, 0.0, 0.049, 0.05)] == [0, 1, 1, 1, 2]


def test_tfidf_accuracy_on_the_evaluation_split():
    agent = load_agent(FOLDER / "tfidf_lr")
    evaluation = tweet_sentiment.load().split("evaluation")
    probabilities = np.asarray(agent.predict([item.text for item in evaluation]))
    gold = np.array([tweet_sentiment.LABELS.index(item.label) for item in evaluation])
    assert float(np.mean(probabilities.argmax(axis=1) == gold)) == pytest.approx(0.7587, abs=1e-4)


@pytest.mark.slow
def test_minilm_gives_three_probabilities():
    rows = np.asarray(load_agent(FOLDER / "minilm_lr").predict(INPUTS))
    assert rows.shape == (len(INPUTS), 3) and np.allclose(rows.sum(axis=1), 1.0)
    assert rows[0].argmax() == 2 and rows[1].argmax() == 0
