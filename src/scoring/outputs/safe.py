"""Cell values that spreadsheets and JSON readers cannot misread.

Two hazards, one module, because CSV, XLSX, JSON and the terminal share them (the third,
decimals too long for a float, is `scoring.base.rounding`'s):

- Text that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
  spreadsheets skip before looking for those) is run as a formula when a CSV file is opened in
  Excel or LibreOffice. Names, units and unknown columns come from submissions typed by many
  hands, so a cell like `=HYPERLINK("http://…")` must reach the council as text. The OWASP
  remedy is a leading apostrophe: it shows, but nothing executes.
- Invisible characters in a name: control characters (ESC starts the terminal's escape
  codes), bidirectional controls (U+202A–U+202E, U+2066–U+2069, which reorder what is shown:
  "Trojan Source"), and every other format character (Unicode category Cf: zero-width spaces
  and joiners, soft hyphens, BOMs), line and paragraph separators. `neutral` shows each as
  U+FFFD, the replacement character, so nothing moves the cursor, reorders the text or hides
  between two letters; terminal tables, CSV and XLSX cells (through `safe_text`), messages.
"""

from __future__ import annotations

import unicodedata

__all__ = ["neutral", "safe_text"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})
REPLACEMENT = "\ufffd"


def neutral(s: str, keep: str = "") -> str:
    """`s` with every control, format (bidi controls included) and line or paragraph separator
    character shown as U+FFFD, except those in `keep` (a cell's tab and line breaks).

    Idempotent, and free for text without such characters (nearly all of it)."""
    if s.isprintable():
        return s
    return "".join(REPLACEMENT if c not in keep and unicodedata.category(c) in _INVISIBLE
                   else c for c in s)


def safe_text(s: str) -> str:
    """Return `s`, with a leading apostrophe when a spreadsheet would run it as a formula, and
    its invisible characters neutralised (see `neutral`; tabs and line breaks are kept).

    Idempotent: the apostrophe is not itself a trigger, so text never gains two.
    """
    s = neutral(s, "\t\n\r")
    return "'" + s if s.startswith(_FORMULA_START) else s

