"""Checks: the rule check, rule tests, diffs between rule sets, verifying a sealed folder."""
