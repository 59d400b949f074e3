"""agent.py sources for the tiny benchmark (tests/leaderboard/conftest.py), shared by tests."""

# Right on every item of the tiny benchmark, with confidence 0.95: accuracy 1, ECE 0.05.
ALWAYS_RIGHT_ON_TINY = """
labels = ["negative", "positive"]
ANSWERS = {"a good film": 1, "great acting": 1, "a moving story": 1, "great fun": 1, "lovely": 1}

def predict(inputs):
    return [[0.05, 0.95] if ANSWERS.get(text) else [0.95, 0.05] for text in inputs]
"""

# Always [0.5, 0.5]: predicts the first label, right on the 5 negatives of 10, and perfectly
# calibrated: accuracy 0.5, calibration 1, score 0.75. The keyword agent has accuracy 0.6 and
# calibration 0.85, score 0.725: ahead on accuracy alone, behind on the default score.
PRIOR_AGENT = """
labels = ["negative", "positive"]

def predict(inputs):
    return [[0.5, 0.5] for _ in inputs]
"""
