"""JSON files: `{"units": [...], "individuals": [...]}`, lists of flat objects, read exactly.

What JSON allows but would lose data here is refused, naming the file: NaN and Infinity, a key
repeated in one object, a cell that is a list or an object. Numbers with a fraction are read as
exact decimals.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from scoring.base.errors import InputError, Problem, input_location
from scoring.base.i18n import _
from scoring.inputs.names import is_initiatives, is_rounds, kind_of
from scoring.inputs.sizes import _MEMORY_PER_BYTE, _MEMORY_PER_CELL, _cells_in, _check_memory
from scoring.inputs.tables import _check_legacy, _place, _Read


class _JsonRefused(ValueError):
    """What JSON allows but a submission must not hold (see `_json`)."""


def _refuse_constant(name: str) -> object:
    raise _JsonRefused(_("{name} is not a number a submission can hold").format(name=name))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise _JsonRefused(_("the key {key!r} appears twice in one object; the second "
                                 "would silently replace the first").format(key=key))
        doc[key] = value
    return doc


def _json(data: bytes, shown: str, read: _Read) -> None:
    """A JSON file `{"units": [...], "individuals": [...]}`: lists of flat objects.

    Python's json module accepts NaN and Infinity and lets a repeated key replace the earlier
    one; both would lose data silently here (NaN reads as a blank cell, a second "individuals"
    list replaces the first), so both are refused. Cells must be single values.
    """
    _check_memory(shown, len(data), len(data) * _MEMORY_PER_BYTE
                  + _cells_in(data, (b":",)) * _MEMORY_PER_CELL * 2)  # a dict entry per cell
    try:
        # Numbers with a fraction or an exponent are read as exact decimals, never as floats.
        doc = json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant,
                         parse_float=Decimal, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise InputError.one(shown, _("invalid JSON: nested too deeply")) from None
    except (UnicodeDecodeError, ValueError) as e:  # JSONDecodeError, digit limits, _JsonRefused
        raise InputError.one(shown, _("invalid JSON: {reason}").format(
            reason=str(e)[:200])) from None
    if not isinstance(doc, dict):
        raise InputError.one(shown, _('expected {{"units": [...], "individuals": [...]}}')
                             .format())
    found = False
    for key, rows in doc.items():
        if kind_of(key) is None and not is_initiatives(key) and not is_rounds(key):
            continue
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InputError.one(f"{shown}, {key}", _("expected a list of objects"))
        header: list[str] = []
        problems: list[Problem] = []
        for i, r in enumerate(rows):
            header.extend(k for k in r if k not in header)
            problems.extend(Problem(input_location(f"{shown}#{key}", i + 2, k),
                                    _("expected a single value, found {kind} {value}").format(
                                        kind=type(v).__name__,
                                        value=json.dumps(v, ensure_ascii=False,
                                                         default=str)[:60]))
                            for k, v in r.items() if isinstance(v, dict | list))
        if problems:
            raise InputError(problems)
        texts = [v for r in rows for v in r.values() if isinstance(v, str)]
        _check_legacy(texts, f"{shown}#{key}")
        table = [tuple(header), *(tuple(r.get(h) for h in header) for r in rows)]
        found = _place(key, f"{shown}#{key}", table, read, text="\n".join(texts)) or found
    if not found:
        raise InputError.one(shown, _('no "units" or "individuals" list in this JSON file'))
