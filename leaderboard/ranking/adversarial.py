"""The adversarial suite's statistics as functions of weighted sums, for M models at once.

The suite attacks a sample of the benchmark's items, so its rows are the sampled items and each
takes its item's weight (Statistic.item_of_row): a replicate that draws an item twice counts its
attack twice, and the denominators are the replicate's weight of the sample, not of every item.

- robust accuracy (a score component): the weighted share of sampled items the model gets right
  and no recipe flips;
- attack success rate (reported): the weighted share of the correctly classified sampled items
  that some recipe flips.
"""

from __future__ import annotations

import numpy as np

from leaderboard.ranking.statistics import Statistic, _ratio


def adversarial_statistics(
    robust: np.ndarray, correct: np.ndarray, sample_items: np.ndarray,
) -> tuple[dict[str, Statistic], dict[str, Statistic]]:
    """(score components, reported metrics) of M models' outcomes (M, S) on S sampled items,
    sample_items (S,) being each row's position among the benchmark's items."""
    robust = np.atleast_2d(np.asarray(robust, dtype=np.float64))
    correct = np.atleast_2d(np.asarray(correct, dtype=np.float64))
    if robust.shape != correct.shape:
        raise ValueError(f"robust {robust.shape} and correct {correct.shape} differ")
    for name, values in (("robust", robust), ("correct", correct)):
        if not np.all((values == 0) | (values == 1)):
            raise ValueError(f"{name} must hold only 0 and 1")
    if np.any(robust > correct):
        raise ValueError("an item can only be robust where it is classified correctly")
    items = np.asarray(sample_items, dtype=np.intp)
    n_models = robust.shape[0]
    robust_accuracy = Statistic(robust, lambda sums, totals: sums / totals, items, proportion=True)

    def success_rate(sums, totals):
        # No correctly classified item in a replicate: nothing was attacked, nothing flipped.
        return _ratio(sums[:, :n_models], sums[:, n_models:], empty=0.0)

    flipped = correct - robust
    attack_success_rate = Statistic(np.concatenate([flipped, correct]), success_rate, items)
    return {"robust_accuracy": robust_accuracy}, {"attack_success_rate": attack_success_rate}
