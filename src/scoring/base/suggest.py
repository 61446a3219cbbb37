""""Did you mean": the known words closest to one that was misspelled.

Every message that offers a correction (an unknown key, column, name, title, round, unit…)
finds it here, so that all of them judge closeness the same way. The callers word the hint
themselves: its text belongs to their message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6  # difflib's similarity ratio below which a word is not offered


def suggest(word: str, known: Iterable[str], *, count: int = 1,
            cutoff: float = CUTOFF) -> list[str]:
    """The words of `known` closest to `word`, best first: at most `count`, and only those at
    least `cutoff` alike (0 to 1); empty when none is close enough."""
    return difflib.get_close_matches(word, list(known), n=count, cutoff=cutoff)
