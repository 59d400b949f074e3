"""Integrity checks: whether an agent knows the held-out evaluation split by heart."""
