"""durable-rules 2.0.28, vendored: the C rule engine and its Python `Ruleset` (README.md)."""
