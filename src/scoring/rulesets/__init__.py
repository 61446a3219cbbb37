"""Rule sets: safe YAML, the rule-file schema, extends, compiling, a new year."""
