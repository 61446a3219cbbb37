"""Explanations: every rule that fired or did not for one record, and near misses."""
