"""Review rounds: judged points and overrides given by people, merged into the records.

In a cluster the unit scores itself (tự chấm), the cluster leader re-scores (thẩm định) and the
council decides; the board may deduct on its own. A round file has one row per record,
criterion and round: points, who and why. The latest declared round that gives a value decides
it; every earlier value stays in the ledger so the council can see who changed what and why.

A round may give a *judged* item (declared `judged:` in the rule set) or override a *computed*
criterion, the latter only with a reason: the ledger then keeps the computed value beside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from decimal import Decimal

from scoring.base.errors import InputError, Problem, input_location
from scoring.base.i18n import _
from scoring.base.suggest import suggest
from scoring.base.text import match_key, nfc
from scoring.inputs.records import Origin, RawTable, blank, parser_for
from scoring.rulesets.compile import Compiled
from scoring.rulesets.schema import KINDS, InputSpec, Kind

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "Mã", "Mã đơn vị", "Mã cá nhân", "Mã số"),
    "criterion": ("criterion", "Tiêu chí", "Mã tiêu chí", "item"),
    "round": ("round", "Vòng", "Vòng chấm", "Cấp chấm"),
    "points": ("points", "Điểm", "Điểm chấm"),
    "who": ("who", "Người chấm", "Người thẩm định", "Cán bộ chấm"),
    "reason": ("reason", "Lý do", "Ghi chú", "Lý do điều chỉnh"),
}
REQUIRED = ("id", "criterion", "round", "points")
_NUMBER = parser_for(InputSpec(type="number", label="Điểm"))


@dataclass(frozen=True)
class RoundValue:
    round: str
    label: str
    points: Decimal
    who: str
    reason: str
    origin: Origin


@dataclass
class RoundData:
    """Values per (kind, record id, item), in round order."""

    values: dict[tuple[Kind, str, str], list[RoundValue]] = field(default_factory=dict)

    def history(self, kind: Kind, rid: str, item: str) -> tuple[RoundValue, ...]:
        return tuple(self.values.get((kind, rid, item), ()))

    def final(self, kind: Kind, rid: str, item: str) -> RoundValue | None:
        values = self.values.get((kind, rid, item))
        return values[-1] if values else None


def _columns(table: RawTable) -> tuple[dict[str, int], list[Problem]]:
    known = {match_key(a): name for name, aliases in COLUMNS.items() for a in aliases}
    found: dict[str, int] = {}
    problems: list[Problem] = []
    for i, head in enumerate(table.header):
        name = known.get(match_key(str(head)))
        if name is not None and name not in found:
            found[name] = i
    for name in REQUIRED:
        if name not in found:
            problems.append(Problem(input_location(table.file, 1, sheet=table.sheet),
                                    _("round file: required column {name!r} is missing "
                                      "(e.g. {example!r})").format(name=name,
                                                                   example=COLUMNS[name][1])))
    return found, problems


def parse_rounds(tables: Iterable[RawTable], compiled: Compiled,
                 ids: Mapping[Kind, AbstractSet[str]]) -> RoundData:
    """Validate round tables against the rule set and the records; all problems at once."""
    rounds = {r.id: r for r in compiled.ruleset.rounds}
    order = {r.id: i for i, r in enumerate(compiled.ruleset.rounds)}
    items: dict[Kind, dict[str, tuple[Decimal | None, Decimal | None, bool]]] = {}
    for kind in KINDS:
        kr = compiled.ruleset.kind(kind)
        entry: dict[str, tuple[Decimal | None, Decimal | None, bool]] = {}
        for c in kr.criteria:
            entry[c.id] = (c.max, c.judged.step if c.judged else None, c.judged is not None)
        for a in (*kr.bonus, *kr.deductions):
            entry[a.id] = (a.max, a.judged.step if a.judged else None, a.judged is not None)
        items[kind] = entry
    problems: list[Problem] = []
    data = RoundData()
    seen: dict[tuple[Kind, str, str, str], Origin] = {}
    for table in tables:
        cols, col_problems = _columns(table)
        if col_problems:
            problems.extend(col_problems)
            continue
        for offset, row in enumerate(table.rows):
            if all(blank(v) for v in row):
                continue
            origin = Origin(table.file, table.first_row + offset, table.sheet)

            def cell(name: str, row: tuple[object, ...] = row,
                     cols: dict[str, int] = cols) -> str:
                i = cols.get(name)
                v = row[i] if i is not None and i < len(row) else None
                return "" if blank(v) else nfc(str(v))

            def where(name: str, origin: Origin = origin, cols: dict[str, int] = cols,
                      header: tuple[str, ...] = table.header) -> str:
                return input_location(origin.file, origin.row,
                                      str(header[cols[name]]) if name in cols else name,
                                      origin.sheet)

            rid, item, rnd = cell("id"), cell("criterion"), cell("round")
            kinds = [k for k in KINDS if rid in ids.get(k, set())]
            if not kinds:
                problems.append(Problem(where("id"), _("no unit or individual has id {id!r}")
                                        .format(id=rid)))
                continue
            if len(kinds) > 1:
                problems.append(Problem(where("id"), _("id {id!r} is both a unit and a person")
                                        .format(id=rid)))
                continue
            kind = kinds[0]
            if rnd not in rounds:
                close = suggest(rnd, list(rounds))
                hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
                problems.append(Problem(where("round"), _("unknown round {value!r}{hint}; "
                                                          "rounds: {rounds}").format(
                    value=rnd, hint=hint, rounds=", ".join(rounds) or _("none declared"))))
                continue
            if item not in items[kind]:
                close = suggest(item, list(items[kind]))
                hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
                message = (_("unknown unit criterion {value!r}{hint}") if kind == "unit" else
                           _("unknown individual criterion {value!r}{hint}"))
                problems.append(Problem(where("criterion"), message.format(value=item,
                                                                           hint=hint)))
                continue
            try:
                value = _NUMBER(cell("points"))
            except ValueError as e:
                problems.append(Problem(where("points"), _("{reason} (found {value!r})")
                                        .format(reason=e, value=cell("points"))))
                continue
            assert isinstance(value, Decimal)
            cap, step, judged = items[kind][item]
            reason = cell("reason")
            if value < 0 or (cap is not None and value > cap):
                problems.append(Problem(where("points"), _("{value} is outside 0..{cap} for "
                                                           "{item!r}").format(value=value, cap=cap,
                                                                              item=item)))
                continue
            if step is not None and (value / step) != (value / step).to_integral_value():
                problems.append(Problem(where("points"), _("{value} is not a multiple of the "
                                                           "step {step} for {item!r}")
                                        .format(value=value, step=step, item=item)))
                continue
            if not judged and not reason:
                problems.append(Problem(where("reason") if "reason" in cols else str(origin),
                                        _("{item!r} is computed by the rules: a round may "
                                          "override it only with a reason").format(item=item)))
                continue
            key = (kind, rid, item, rnd)
            if key in seen:
                problems.append(Problem(str(origin), _("a second value for {id}, {item!r}, round "
                                                       "{round!r} (first at {first})")
                                        .format(id=rid, item=item, round=rnd, first=seen[key])))
                continue
            seen[key] = origin
            data.values.setdefault((kind, rid, item), []).append(
                RoundValue(rnd, rounds[rnd].label, value, cell("who"), reason, origin))
    if problems:
        raise InputError(problems)
    for values in data.values.values():
        values.sort(key=lambda v: order[v.round])
    return data


def missing_judged(compiled: Compiled, ids: Mapping[Kind, Iterable[str]],
                   data: RoundData) -> dict[tuple[Kind, str], list[str]]:
    """Judged criteria with no value in any round, per record (judged adjustments may be
    absent: the board deducts only where it decides to)."""
    out: dict[tuple[Kind, str], list[str]] = defaultdict(list)
    for kind in KINDS:
        judged = [c.id for c in compiled.ruleset.kind(kind).criteria if c.judged is not None]
        for rid in sorted(ids.get(kind, ())):
            for cid in judged:
                if data.final(kind, rid, cid) is None:
                    out[(kind, rid)].append(cid)
    return dict(out)
