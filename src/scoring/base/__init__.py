"""Text, errors, messages and limits: what every stage below uses."""
