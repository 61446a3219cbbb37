"""Third-party code kept inside the project, each package with its licence and its changes.

Nothing here is the project's own code: it is excluded from ruff and mypy (pyproject.toml).
"""
