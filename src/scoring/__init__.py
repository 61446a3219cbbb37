"""scoring: a rules-based evaluation and scoring engine for emulation and commendation councils.

The library does all the work and touches no files: `load` a rule set, `compile_ruleset` it,
validate records, then `score` them into a `Result`. The `scoring` command is a thin layer on top.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("scoring")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+source"
