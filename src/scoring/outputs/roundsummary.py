"""Self-score versus final: what the review rounds changed, for the council's discussion.

Councils argue about the differences between what a unit gave itself (tự chấm) and what was
finally decided, so each unit gets its changed items sorted by the size of the change, and the
whole result gets the items changed most often: that is where the scoring guidance is unclear.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from scoring.evaluation.result import Hit, RecordResult, Result


@dataclass(frozen=True)
class Change:
    record: str
    name: str
    item: str
    label: str
    self_points: Decimal | None  # the first round's value, else what the rules computed
    final: Decimal
    rounds: int  # how many rounds gave a value

    @property
    def difference(self) -> Decimal:
        return self.final - (self.self_points if self.self_points is not None else Decimal(0))


def _self(h: Hit, first_round: str | None) -> Decimal | None:
    if h.rounds and h.rounds[0].round == first_round:
        return h.rounds[0].points
    return h.computed


def changes(record: RecordResult, first_round: str | None) -> list[Change]:
    """The record's items whose final value differs from its self-score, largest first."""
    out = []
    for h in record.hits:
        if not h.rounds or h.points is None:
            continue
        final = h.points
        own = _self(h, first_round)
        if own != final:
            out.append(Change(record.id, record.name, h.item, h.label, own, final,
                              len(h.rounds)))
    return sorted(out, key=lambda c: (-abs(c.difference), c.item))


def self_vs_final(result: Result, first_round: str | None) -> dict[str, list[Change]]:
    """Per unit id: its changed items (units only: they score themselves)."""
    return {u.id: changes(u, first_round) for u in result.units}


def most_changed(result: Result, first_round: str | None) -> list[tuple[str, str, int]]:
    """(item, label, how many units had it changed), most often first."""
    counts: Counter[tuple[str, str]] = Counter()
    for u in result.units:
        for c in changes(u, first_round):
            counts[(c.item, c.label)] += 1
    return [(item, label, n) for (item, label), n in
            sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))]
