""""Did you mean": the closest known words, best first, within the cutoff and the count."""

from __future__ import annotations

import pytest

from scoring.base.suggest import CUTOFF, suggest

KNOWN = ["task_rating", "task_count", "discipline", "initiatives"]


@pytest.mark.parametrize(("word", "count", "cutoff", "expected"), [
    ("task_ratting", 1, CUTOFF, ["task_rating"]),
    ("dicsipline", 1, CUTOFF, ["discipline"]),
    ("task_", 1, CUTOFF, ["task_count"]),
    ("task_", 2, CUTOFF, ["task_count", "task_rating"]),
    ("zzz", 1, CUTOFF, []),
    ("initiative", 1, 0.99, []),
])
def test_suggest(word: str, count: int, cutoff: float, expected: list[str]) -> None:
    assert suggest(word, KNOWN, count=count, cutoff=cutoff) == expected


def test_suggest_reads_any_iterable_of_words() -> None:
    assert suggest("unit_idd", {"unit_id": 1, "name": 2}) == ["unit_id"]
