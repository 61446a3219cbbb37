"""Evaluation: the rule engine and the reference evaluator, points, ratings, titles, ranks."""
