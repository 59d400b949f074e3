"""The pre-flight: a few public items through the model before the costly run.

ModelClient already refuses output of the wrong shape, non-finite values, values outside [0, 1]
and rows that do not sum to 1; the pre-flight adds that a repeat gives the same answer.
"""

import numpy as np

from sandbox.errors import BadOutput

REPEAT_TOLERANCE = 1e-6


def preflight(client, inputs):
    """Run `inputs` twice; raises BadOutput (or the run's failure) naming the problem."""
    inputs = list(inputs)
    first = client.predict_proba(inputs)
    second = client.predict_proba(inputs)
    difference = np.abs(first - second)
    if difference.size and difference.max() > REPEAT_TOLERANCE:
        item = int(np.argmax(difference.max(axis=1)))
        raise BadOutput(
            f"predict() gives different probabilities for the same input on a repeat (item {item}: "
            f"{first[item].round(6).tolist()} then {second[item].round(6).tolist()}). Make it "
            "deterministic: fix random seeds, put the model in evaluation mode (no dropout), and "
            "keep no state between calls.",
            client.log_tail(),
        )
