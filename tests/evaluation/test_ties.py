"""How ties were broken (`evaluation.ties`): the first key on which neighbours with the same lead
value differ, from both sides, in words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring.evaluation.ranking import ranked
from scoring.evaluation.ties import sentence, tie_breaks

D = Decimal


def _scopes(*rows: tuple[str, str, int, int]) -> list[dict[str, object]]:
    return [{"id": i, "name": n, "score": D(s), "noi_dung": D(c)} for i, n, s, c in rows]


@pytest.mark.parametrize(("rows", "keys", "want"), [
    # tied at 942: u2 ahead on nội dung 900 > 880
    ((("u1", "Một", 942, 880), ("u2", "Hai", 942, 900)), ["-score", "-noi_dung"],
     {"u2": ["tied at 942 with u1 (Một); ahead on Nội dung, 900 > 880"],
      "u1": ["tied at 942 with u2 (Hai); behind on Nội dung, 880 < 900"]}),
    # equal on every key: the id decides
    ((("u1", "A", 10, 5), ("u2", "A", 10, 5)), ["-score", "-noi_dung"],
     {"u1": ["tied at 10 with u2 (A); ahead on id, u1 before u2"],
      "u2": ["tied at 10 with u1 (A); behind on id, u2 after u1"]}),
    # no tie on the score: nothing to say, whatever the later keys
    ((("u1", "A", 11, 5), ("u2", "B", 10, 9)), ["-score", "-noi_dung"], {}),
    # three tied: the middle one is behind the first and ahead of the last
    ((("a", "A", 7, 3), ("b", "B", 7, 2), ("c", "C", 7, 1)), ["-score", "-noi_dung"],
     {"a": ["tied at 7 with b (B); ahead on Nội dung, 3 > 2"],
      "b": ["tied at 7 with a (A); behind on Nội dung, 2 < 3",
            "tied at 7 with c (C); ahead on Nội dung, 2 > 1"],
      "c": ["tied at 7 with b (B); behind on Nội dung, 1 < 2"]}),
])
def test_tie_breaks(rows: tuple[tuple[str, str, int, int], ...], keys: list[str],
                    want: dict[str, list[str]]) -> None:
    scopes = _scopes(*rows)
    order = ranked(range(len(scopes)), keys, scopes)  # type: ignore[arg-type]
    found = tie_breaks(order, keys, scopes)  # type: ignore[arg-type]
    got = {str(scopes[i]["id"]): [sentence(t, {"noi_dung": "Nội dung"}) for t in ts]
           for i, ts in found.items()}
    assert got == want
