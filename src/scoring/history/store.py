"""The history store, read: each record's snapshots year by year, initiatives, unit aliases.

History follows stable ids: a person who moves between units keeps their id, so their chain
follows them; a unit renamed or merged follows the alias table. Where several units merged, a
year counts for the merged unit only if it counts for every one of them (a title held by all).

These are plain values: `scoring.history.load` reads a folder into them, and
`scoring.history.values` evaluates the rule language's history functions on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from scoring.language import expr
from scoring.rulesets.schema import Kind

__all__ = ["EMPTY", "Alias", "History", "PastInitiative", "Snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """One record in one year as the store knows it: the titles it held, the values it had."""

    kind: Kind
    id: str  # the stable id (aliases followed)
    year: int
    name: str
    parent: str  # an individual's unit (aliases followed), a unit's cluster
    titles: frozenset[str]
    score: Decimal | None
    values: Mapping[str, expr.Value]  # inputs, computed fields, points, aggregates, rating
    source: str
    declared_id: str = ""  # the id as that year wrote it, when a rename changed it

    def scope(self, title_ids: Iterable[str]) -> dict[str, expr.Value]:
        """The values a condition reads on this year: fields, score, titles as booleans."""
        scope: dict[str, expr.Value] = {"id": self.id, "name": self.name,
                                        "unit_id" if self.kind == "individual" else "cluster":
                                        self.parent, **self.values}
        if self.score is not None:
            scope["score"] = self.score
        scope.update({t: t in self.titles for t in (*title_ids, *self.titles)})
        return scope


@dataclass(frozen=True)
class PastInitiative:
    person: str
    year: int
    scope: str  # one of SCOPES
    decision: str
    title: str
    used_for: str
    source: str


@dataclass(frozen=True)
class Alias:
    old: str
    new: str
    from_year: int
    name: str
    source: str


@dataclass(frozen=True)
class History:
    """The store, read: snapshots per (kind, stable id) and year, initiatives per person and year.

    A year holds a tuple of snapshots: one, or several when units merged into one id.
    """

    records: Mapping[tuple[Kind, str], Mapping[int, tuple[Snapshot, ...]]] = field(
        default_factory=dict)
    initiatives: Mapping[tuple[str, int], tuple[PastInitiative, ...]] = field(
        default_factory=dict)
    aliases: tuple[Alias, ...] = ()
    files: tuple[tuple[str, str, int], ...] = ()  # path, sha256, bytes
    warnings: tuple[str, ...] = ()

    def years(self) -> tuple[int, ...]:
        """Every year the store holds a record or an initiative for."""
        out = {y for by_year in self.records.values() for y in by_year}
        out |= {y for _, y in self.initiatives}
        return tuple(sorted(out))

    def of(self, kind: Kind, rid: str) -> Mapping[int, tuple[Snapshot, ...]]:
        return self.records.get((kind, rid), {})

    def stable_id(self, kind: Kind, rid: str, year: int) -> str:
        """The id under which `rid`, as written in `year`, is kept (aliases followed)."""
        return _follow(rid, year, self.aliases) if kind == "unit" else rid

    def between(self, first: int, last: int) -> History:
        """The store restricted to the years first..last."""
        return replace(self, records={k: {y: s for y, s in v.items() if first <= y <= last}
                                      for k, v in self.records.items()},
                       initiatives={k: v for k, v in self.initiatives.items()
                                    if first <= k[1] <= last})


EMPTY = History()


def _follow(rid: str, year: int, aliases: Sequence[Alias]) -> str:
    """Follow renames: an id written in `year` before an alias took effect becomes the new id."""
    seen = {rid}
    changed = True
    while changed:
        changed = False
        for a in aliases:
            if a.old == rid and year < a.from_year:
                rid = a.new
                changed = rid not in seen
                seen.add(rid)
                break
    return rid
