"""What a person chooses among on the command line: formats, languages and shown counts.

`scoring --help` lists these before any command runs, and the modules that act on them load
pydantic and the data model, which `--help` and `check` never need. So they are named here,
where nothing is imported, and those modules read them from here.
"""

SCORE_FORMATS = ("table", "csv", "json", "xlsx", "html")  # scoring.outputs.render
BINARY_FORMATS = frozenset({"xlsx"})  # never written to a terminal
REVIEW_FORMATS = ("table", "xlsx", "html")  # scoring.outputs.review
EXPLAIN_FORMATS = ("text", "json", "markdown")  # scoring.explanations.render
REPORT_LANGS = ("vi", "en")  # the HTML report's own words (scoring.outputs.report.labels)

TERMINAL_ROWS = 5  # holders of a title per cluster on a terminal, unless --full
# Each proposal costs one scoring of the whole batch (about 0.1 s for a department of 350
# people), so ten keep `explain` near a second and are more than a secretary reads.
MAX_CHANGES = 10  # near misses `explain` proposes (scoring.explanations.nearmiss)
