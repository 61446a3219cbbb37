"""Cell values that spreadsheets and JSON readers cannot misread.

Three hazards, one module, because CSV, XLSX, JSON and the terminal share them:

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
- Exact decimals can carry 28 significant digits (a share of 2/3), and a spreadsheet or a JSON
  float holds about 15; an unrounded value would show a different number in every reader.
"""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_UP, Context, Decimal

__all__ = ["neutral", "safe_number", "safe_text"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FLOAT_DIGITS = 15  # significant decimal digits that every IEEE double round-trips
_PLACES = Decimal("0.000001")
# Enough precision for quantize() never to fail on a number that reaches a renderer.
_WIDE = Context(prec=80, rounding=ROUND_HALF_UP)
_FLOAT = Context(prec=_FLOAT_DIGITS, rounding=ROUND_HALF_UP)


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


def _digits(d: Decimal) -> int:
    return len(d.normalize(_WIDE).as_tuple().digits)


def safe_number(d: Decimal) -> Decimal:
    """Return `d` unchanged if a float holds it exactly enough, else rounded for display.

    Integers and decimals of up to 15 significant digits (every score and point in a rule set)
    pass unchanged. Longer values, which only divisions produce, are rounded to 6 decimal
    places, and to 15 significant digits if still longer, so that all outputs show the same
    number.
    """
    if not d.is_finite():
        raise ValueError(f"cannot render the non-finite number {d}")
    if d == d.to_integral_value() or _digits(d) <= _FLOAT_DIGITS:
        return d
    rounded = d.quantize(_PLACES, context=_WIDE)
    return rounded if _digits(rounded) <= _FLOAT_DIGITS else _FLOAT.plus(rounded)
