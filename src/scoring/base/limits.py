"""How much one run may read: file sizes, rows, cells, unpacked workbook bytes, rule file size.

Submissions and rule files come from many hands, and a file can be huge by mistake (a whole
year's log pasted into a sheet) or by design (a small .xlsx whose sheet unpacks to gigabytes).
Each limit is checked before the work it bounds, so an oversized input is refused with a message
naming the file and the limit instead of exhausting memory. The defaults are far above a
province's data (a few thousand people in a few hundred units) and far below what exhausts a
laptop; each can be changed through its environment variable, read at every check, so tests can
set small limits and a ministry can raise them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from scoring.base.errors import UsageError
from scoring.base.i18n import _

__all__ = ["ENVIRONMENT", "Limits", "current"]

# Field of `Limits` → the environment variable that overrides it.
ENVIRONMENT = {
    "file_bytes": "SCORING_MAX_FILE_BYTES",
    "rows": "SCORING_MAX_ROWS",
    "cells": "SCORING_MAX_CELLS",
    "unzipped_bytes": "SCORING_MAX_UNZIPPED_BYTES",
    "rule_file_bytes": "SCORING_MAX_RULE_FILE_BYTES",
}


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run (see the module docstring for why each exists)."""

    file_bytes: int = 200_000_000  # one input file as stored on disk
    rows: int = 5_000_000  # rows of one CSV file, sheet or JSON list
    cells: int = 10_000_000  # cells of one table, counting the empty ones it spans
    unzipped_bytes: int = 1_000_000_000  # all members of one .xlsx, uncompressed
    rule_file_bytes: int = 1_000_000  # one YAML rule file
    # A workbook member compressed more than this many times over is a zip bomb: real sheets,
    # even 200,000 identical rows, compress about 5 to 20 times. Only checked on members over
    # BOMB_MIN_BYTES, so that tiny, very regular XML parts are never suspected.
    bomb_ratio: int = 100
    bomb_min_bytes: int = 10_000_000


def current() -> Limits:
    """The limits in force: the defaults, with any `SCORING_MAX_*` environment variable applied.

    A variable that is not a positive whole number is a usage error naming it, never ignored:
    a limit someone meant to set must not silently fall back to the default.
    """
    values: dict[str, int] = {}
    for name, variable in ENVIRONMENT.items():
        raw = os.environ.get(variable)
        if raw is None or not raw.strip():
            continue
        text = raw.strip().replace("_", "")
        if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) <= 0:
            raise UsageError.one(variable, _("expected a positive whole number, found {value!r}")
                                 .format(value=raw))
        values[name] = int(text)
    return Limits(**values)
