"""History values take a fast path for records the store knows nothing of (every record of a
run without --history): the past parts are 0 and this year's parts are read from the record
itself, not from a snapshot. Each case scores generated records (boundary values included)
and checks every record's values against the general path, `history_values`, and the
scorer's `past.` fields against `evaluate`."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

import gen
from scoring.evaluation.scorer import score
from scoring.history.load import load_history, title_kinds
from scoring.history.store import EMPTY, History, PastInitiative, Snapshot
from scoring.history.values import (
    attach_records,
    evaluate,
    history_fields_for,
    history_values,
)
from scoring.rulesets.schema import Kind
from scoring.run.app import compile_folder


def _snap(rid: str, year: int, titles: tuple[str, ...], kind: Kind = "individual",
          **values: Any) -> Snapshot:
    return Snapshot(kind, rid, year, rid, "U1", frozenset(titles), D(50), values, "test")


def _store(*snaps: Snapshot, initiatives: tuple[PastInitiative, ...] = ()) -> History:
    records: dict[Any, dict[int, tuple[Snapshot, ...]]] = {}
    for s in snaps:
        records.setdefault((s.kind, s.id), {})[s.year] = (s,)
    return History(records, {(i.person, i.year): (i,) for i in initiatives})


def _fixture() -> History:
    compiled = compile_folder("rules/2024")
    return load_history(Path("fixtures/history"), title_kinds(compiled.ruleset),
                        compiled.ruleset.ruleset)


# name: (rules, year, store): without a store every record takes the fast path; a store that
# knows some records sends those (and, with initiatives listed, every record) the general way
STORES: dict[str, tuple[str, int, Any]] = {
    "2026 without a store": ("rules/2026", 2026, lambda: EMPTY),
    "2024 without a store": ("rules/2024", 2025, lambda: EMPTY),
    "2021 without a store": ("rules/2021", 2023, lambda: EMPTY),
    "2026, some people known": ("rules/2026", 2026, lambda: _store(
        _snap("P000001", 2025, ("CSTDCS",)), _snap("P000002", 2024, ("CSTDCS", "CSTD_TINH")),
        _snap("P000002", 2025, ("CSTDCS",), task_rating="xuat_sac"),
        _snap("U000001", 2025, ("BANG_KHEN_TT",), kind="unit", task_rating="xuat_sac"))),
    "2026, an initiative listed": ("rules/2026", 2026, lambda: _store(initiatives=(
        PastInitiative("P000003", 2025, "tinh", "QĐ 1", "", "", "test"),))),
    "2024, the fixture store": ("rules/2024", 2025, _fixture),
}


@pytest.mark.parametrize("case", list(STORES))
def test_history_values_equal_the_general_path(case: str) -> None:
    rules, year, make = STORES[case]
    compiled = compile_folder(rules)
    store = make()
    people, units = gen.batch(compiled, 300, 12, seed=7)
    past = history_fields_for(compiled, store, year, people, units)
    for kind, records in (("individual", people), ("unit", units)):
        titles = tuple(t.id for t in compiled.ruleset.titles if t.of == kind)
        for r in records:
            rid = store.stable_id(kind, r.id, year)
            assert past[(kind, r.id)] == {
                q.field: evaluate(q, store, rid, year - 1, year, titles)[0]
                for q in compiled.history if q.kind == kind}, r.id
    result = score(people, units, compiled, history=past)
    for records in (result.individuals, result.units):
        attached = attach_records(records, compiled, store, year)
        general = tuple(replace(r, history=history_values(r, compiled, store, year, {}))
                        for r in records)
        assert attached == general
        assert {v for r in attached for v in r.history}, case  # the rules read history
