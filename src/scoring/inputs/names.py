"""What a file's, sheet's or JSON list's name announces it holds: units, individuals, a list of
initiatives or review rounds.

Which kind of record a file holds is decided by its name (`units*.csv`, `individuals*.csv`, or
the Vietnamese `don_vi`, `ca_nhan`) or a workbook's sheet names ("Đơn vị", "Cá nhân"), because
columns alone cannot tell a unit from a person reliably.
"""

from __future__ import annotations

import re

from scoring.base.text import match_key
from scoring.rulesets.schema import Kind

__all__ = ["is_initiatives", "is_rounds", "kind_of"]

_KIND_WORDS: dict[str, Kind] = {
    "units": "unit", "unit": "unit", "don vi": "unit", "donvi": "unit", "tap the": "unit",
    "individuals": "individual", "individual": "individual", "ca nhan": "individual",
    "canhan": "individual", "members": "individual", "people": "individual",
}
_INITIATIVE_WORDS = ("sang kien", "sangkien", "initiatives", "initiative")
_ROUND_WORDS = ("rounds", "round", "vong cham", "vongcham", "cham diem")
# Sheets that explain rather than hold data, whatever else their name says.
_NOT_DATA = ("huong dan", "instructions", "readme", "danh muc")


def _announces(name: str) -> str | None:
    """The word of a file or sheet name that announces what it holds, earliest first.

    Words count at word starts anywhere in the name, so "Danh sách cá nhân", "DS đơn vị" and
    "2021_units.csv" are recognised; "Sáng kiến của cá nhân" is an initiatives list. A name
    starting with "Hướng dẫn", "Danh mục" (or instructions, readme) announces nothing.
    """
    f = match_key(name)
    if f.startswith(_NOT_DATA):
        return None
    found: list[tuple[int, int, str]] = []
    for word in (*_KIND_WORDS, *_INITIATIVE_WORDS, *_ROUND_WORDS):
        m = re.search(rf"(?<![a-z0-9]){re.escape(word)}", f)
        if m is not None:
            found.append((m.start(), -len(word), word))
    return min(found)[2] if found else None


def kind_of(name: str) -> Kind | None:
    """The record kind a file or sheet name announces ("Cá nhân", units.csv), or None."""
    word = _announces(name)
    return _KIND_WORDS.get(word) if word is not None else None


def is_rounds(name: str) -> bool:
    """True when a file or sheet name announces review rounds ("Vòng chấm", rounds.csv)."""
    return _announces(name) in _ROUND_WORDS


def is_initiatives(name: str) -> bool:
    """True when a file or sheet name announces an initiatives list ("Sáng kiến")."""
    return _announces(name) in _INITIATIVE_WORDS
