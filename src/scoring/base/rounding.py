"""Decimals rounded so that every reader shows the same number.

Exact decimals can carry 28 significant digits (a share of 2/3), and a spreadsheet or a JSON
float holds about 15; an unrounded value would show a different number in every reader. The
terminal table, CSV, XLSX and the JSON ledger all round through `safe_number`, so it sits at
the base, below the explanations that build the ledger and the outputs that write it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal

__all__ = ["safe_number"]

_FLOAT_DIGITS = 15  # significant decimal digits that every IEEE double round-trips
_PLACES = Decimal("0.000001")
# Enough precision for quantize() never to fail on a number that reaches a renderer.
_WIDE = Context(prec=80, rounding=ROUND_HALF_UP)
_FLOAT = Context(prec=_FLOAT_DIGITS, rounding=ROUND_HALF_UP)


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
