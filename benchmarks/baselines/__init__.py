"""Baseline agents shipped with SafetyGym, one folder per benchmark and baseline.

Each folder is a complete agent in the public agent format (agent.py defining `labels`,
`input_kind` and `predict`, plus its weight files); `python -m benchmarks.baselines.build`
trains the weights from the public split.
"""
