"""The rule language: expressions parsed, type-checked, evaluated and shown."""
