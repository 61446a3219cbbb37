"""The history functions' values: the rule language's queries evaluated against the store.

A query (`scoring.language.history.Query`) has a past part, a number per record computed here
from the store (`history_fields_for`, the `past.` fields the scorer reads like inputs), and
this year's part, read from the record itself. The engine still decides: only numbers are
precomputed, never a decision. With no store every past part is 0. What counted is kept per record
(`RecordResult.history`, by `attach`): the value and the years, for `explain`
(`explain_lines`). `check_people` refuses a store about other people under the same ids.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Protocol

from scoring.base.errors import InputError, Problem
from scoring.base.i18n import N_, _
from scoring.base.text import match_key
from scoring.evaluation.result import HistoryValue, RecordResult, Result
from scoring.history.store import History, PastInitiative, Snapshot
from scoring.inputs.records import Record
from scoring.language import expr, normal, show
from scoring.language.evaluate import Undefined, holds
from scoring.language.history import INITIATIVE_INPUTS, Query
from scoring.rulesets.compile import Compiled
from scoring.rulesets.schema import REVIEW_PARAMS, Kind

__all__ = [
    "REVIEW_PARAMS",
    "attach",
    "attach_records",
    "check_people",
    "evaluate",
    "explain_lines",
    "history_fields_for",
    "history_fields_of",
    "history_values",
    "snapshot_of",
]

_ZERO = Decimal(0)

# ----------------------------------------------------------------------------- evaluating


def _held(snaps: Sequence[Snapshot], title: str) -> bool:
    return bool(snaps) and all(title in s.titles for s in snaps)


def _holds(cond: normal.Cond, snaps: Sequence[Snapshot], titles: Sequence[str],
           call: str = "") -> bool:
    return bool(snaps) and all(_holds_on(cond, s, s.scope(titles), call) for s in snaps)


def _holds_on(cond: normal.Cond, snap: Snapshot, scope: Mapping[str, expr.Value],
              call: str = "") -> bool:
    """`holds` on one year's record; a division by zero the rule does not declare is an
    error naming that record and year (see `Undefined`)."""
    try:
        return holds(cond, scope)
    except Undefined as e:
        e.index, e.scope = None, None
        raise InputError([Problem(snap.source, _("{id} ({name}) in {year}: {reason}")
                                  .format(id=snap.id, name=snap.name, year=snap.year,
                                          reason=e.at(0, scope).describe()),
                                  call or None)]) from None


def _count(snaps: Sequence[Snapshot], listed: Sequence[PastInitiative],
           q: Query) -> Decimal:
    """A year's initiatives at the query's scopes: from the list if it has the year, else from
    the year's counts."""
    if listed:
        return Decimal(sum(1 for i in listed if i.scope in q.scopes
                           and not (q.unused_for and i.used_for == q.unused_for)))
    return _initiatives_in(snaps[0].values, q) if snaps else _ZERO


def _initiatives_in(values: Mapping[str, object], q: Query) -> Decimal:
    """A year's initiatives at the query's scopes, from that year's counts."""
    total = _ZERO
    for scope in q.scopes:
        for name in INITIATIVE_INPUTS[scope]:
            v = values.get(name)
            total += v if isinstance(v, Decimal) else _ZERO
    return total


def evaluate(q: Query, h: History, rid: str, last_year: int, since_before: int,
             titles: Sequence[str] = ()) -> tuple[Decimal, tuple[int, ...]]:
    """The query's value over the store's years up to `last_year`, and the years that counted.

    The window is the `q.last - 1` years up to `last_year` (every known year without `last`),
    and with `since=T` only the years after the last year before `since_before` holding T.
    `titles` are the kind's title ids, read as false on years that do not hold them.
    """
    by_year = h.of(q.kind, rid)
    if not by_year and not h.initiatives:
        return _ZERO, ()  # nothing is known of this record before (every run without --history)
    floor = max((y for y, s in by_year.items() if y < since_before and q.since
                 and _held(s, q.since)), default=0)
    if q.fn == "consecutive_years":
        assert q.title is not None
        chain, y = [], last_year
        while y > floor and _held(by_year.get(y, ()), q.title):
            chain.append(y)
            y -= 1
        return Decimal(len(chain)), tuple(reversed(chain))
    known = set(by_year) | {y for p, y in h.initiatives if p == rid}
    first = last_year - q.last + 2 if q.last is not None else min(known, default=last_year + 1)
    window = [y for y in range(max(first, floor + 1), last_year + 1)]
    if q.fn == "years_with":
        assert q.cond is not None
        years = [y for y in window if _holds(q.cond, by_year.get(y, ()), titles, q.call)]
        return Decimal(len(years)), tuple(years)
    counts = {y: _count(by_year.get(y, ()), h.initiatives.get((rid, y), ()), q) for y in window}
    return sum(counts.values(), _ZERO), tuple(y for y, c in counts.items() if c)


def _title_ids(compiled: Compiled, kind: Kind) -> tuple[str, ...]:
    return tuple(t.id for t in compiled.ruleset.titles if t.of == kind)


def history_fields_for(compiled: Compiled, h: History, year: int, individuals: Sequence[Record],
                units: Sequence[Record]) -> dict[tuple[Kind, str], dict[str, expr.Value]]:
    """Each record's `past.` fields for the scorer: the history values before `year`.

    Records the store knows nothing of (every record of a run without --history) share one
    dict of zeros: read only, never changed."""
    out: dict[tuple[Kind, str], dict[str, expr.Value]] = {}
    if not compiled.history:
        return out
    batch: tuple[tuple[Kind, Sequence[Record]], ...] = (("individual", individuals),
                                                        ("unit", units))
    for kind, records in batch:
        queries = [q for q in compiled.history if q.kind == kind]
        titles = _title_ids(compiled, kind)
        nothing: dict[str, expr.Value] = {q.field: _ZERO for q in queries}
        for r in records:
            rid = h.stable_id(kind, r.id, year)
            out[(kind, r.id)] = (nothing if _unknown(h, kind, rid) else
                                 {q.field: evaluate(q, h, rid, year - 1, year, titles)[0]
                                  for q in queries})
    return out


def _unknown(h: History, kind: Kind, rid: str) -> bool:
    """Nothing is known of this record before: every past part is 0 (see `evaluate`)."""
    return not h.initiatives and not h.of(kind, rid)


def snapshot_of(r: RecordResult, year: int) -> Snapshot:
    """This year's record as a snapshot: what the current part of a query reads."""
    values: dict[str, expr.Value] = {**dict(r.inputs), **dict(r.computed), **dict(r.points)}
    values.update({a.name: a.value for a in r.aggregates})
    if r.rating is not None and r.rating.final is not None:
        values[r.rating.field] = r.rating.final
    return Snapshot(r.kind, r.id, year, r.name, r.parent, frozenset(r.titles), r.score, values,
                    str(r.origin))


def _value(q: Query, h: History, rid: str, year: int, current: Snapshot,
           titles: Sequence[str], scope: Callable[[], dict[str, expr.Value]],
           memo: dict[tuple[object, ...], HistoryValue]) -> HistoryValue:
    """The query's value for this year's record: its past part from the store, its current
    part from `current` (`scope` gives current's scope, built once per record). The value is
    a function of those parts, so records with equal parts share one object in `memo`."""
    past, past_years = evaluate(q, h, rid, year - 1, year, titles)
    if q.fn == "consecutive_years":
        now: object = q.title in current.titles
    elif q.fn == "years_with":
        assert q.cond is not None
        now = _holds_on(q.cond, current, scope(), q.call)
    else:
        now = _count((current,), (), q)
    return _combined(q, past, past_years, now, year, memo)


def _combined(q: Query, past: Decimal, past_years: tuple[int, ...], now: object, year: int,
              memo: dict[tuple[object, ...], HistoryValue]) -> HistoryValue:
    """The value of the query from its past part and this year's (whether the title is held,
    whether the condition holds, this year's count)."""
    key = (id(q), str(past), past_years, str(now))  # digits too: 1.0 is not 1
    found = memo.get(key)
    if found is not None:
        return found
    if q.fn == "consecutive_years":
        value, years = (past + 1, (*past_years, year)) if now else (_ZERO, ())
    elif q.fn == "years_with":
        value, years = past + (1 if now else 0), (*past_years, *((year,) if now else ()))
    else:
        assert isinstance(now, Decimal)
        value, years = past + now, (*past_years, *((year,) if now else ()))
    found = memo[key] = HistoryValue(q.call, value, tuple(years), q.field, past, past_years)
    return found


def attach(result: Result, compiled: Compiled, h: History, year: int) -> Result:
    """The result with each record's history values (the call, its value, the years counted)."""
    if not compiled.history:
        return result
    return replace(result, individuals=attach_records(result.individuals, compiled, h, year),
                   units=attach_records(result.units, compiled, h, year))


def attach_records(records: Sequence[RecordResult], compiled: Compiled, h: History, year: int
                   ) -> tuple[RecordResult, ...]:
    """`attach` for some records (each record's values depend on it alone).

    A record the store knows nothing of (every record without --history) has every past part
    0, so only this year's parts are read, from the record itself (`_Now`); the others go
    through the general path (`history_values`). Equal values share one object."""
    if not compiled.history:
        return tuple(records)
    memo: dict[tuple[object, ...], HistoryValue] = {}  # the queries live as long as it
    nows = {kind: _Now(compiled, kind) for kind in REVIEW_PARAMS}
    out = []
    for r in records:
        rid = h.stable_id(r.kind, r.id, year)
        values = (nows[r.kind].values(r, year, memo) if _unknown(h, r.kind, rid)
                  else history_values(r, compiled, h, year, memo))
        out.append(_with_history(r, values))
    return tuple(out)


def _with_history(r: RecordResult, values: tuple[HistoryValue, ...]) -> RecordResult:
    """`replace(r, history=values)` without running the frozen class's __init__ field by field
    (a tenth of the time): a copy of the record's fields, with its history."""
    new = object.__new__(type(r))
    new.__dict__.update(r.__dict__)
    new.__dict__["history"] = values
    return new


def history_values(r: RecordResult, compiled: Compiled, h: History, year: int,
                   memo: dict[tuple[object, ...], HistoryValue]) -> tuple[HistoryValue, ...]:
    """A record's history values, each query evaluated on the store and on this year's
    record as a snapshot: the general path, which `attach_records` takes for a record the
    store knows."""
    titles = _title_ids(compiled, r.kind)
    rid = h.stable_id(r.kind, r.id, year)
    current = snapshot_of(r, year)
    built: list[dict[str, expr.Value]] = []

    def scope() -> dict[str, expr.Value]:
        if not built:
            built.append(current.scope(titles))
        return built[0]
    return tuple(_value(q, h, rid, year, current, titles, scope, memo)
                 for q in compiled.history if q.kind == r.kind)


_ABSENT = object()


class _Now:
    """This year's parts of a kind's queries, read from the record without a snapshot: whether
    it holds the title (`consecutive_years`), whether the condition holds on its scope
    (`years_with`, decided once per distinct reading of the condition's names, on the
    snapshot's scope of the first record with that reading) and its count
    (`count_initiatives`, from its values). `Snapshot.scope` gives titles over the score over
    values over id, name and parent; values are inputs, computed fields, points, aggregates
    and the final rating, later ones first."""

    def __init__(self, compiled: Compiled, kind: Kind) -> None:
        self.queries = [q for q in compiled.history if q.kind == kind]
        self.title_ids = _title_ids(compiled, kind)
        self.titles = frozenset(self.title_ids)
        self.names = {id(q): tuple(sorted(normal.cond_names(q.cond))) for q in self.queries
                      if q.cond is not None}
        self.parent = "unit_id" if kind == "individual" else "cluster"
        self.held: dict[tuple[object, ...], bool] = {}
        self.known: list[dict[object, HistoryValue]] = [{} for _ in self.queries]

    def values(self, r: RecordResult, year: int, memo: dict[tuple[object, ...], HistoryValue]
               ) -> tuple[HistoryValue, ...]:
        """The record's history values, with nothing before this year."""
        values: dict[str, object] = dict(r.inputs)
        values.update(r.computed)
        values.update(r.points)
        values.update((a.name, a.value) for a in r.aggregates)
        if r.rating is not None and r.rating.final is not None:
            values[r.rating.field] = r.rating.final
        out = []
        for q, known in zip(self.queries, self.known, strict=True):
            now = (q.title in r.titles if q.fn == "consecutive_years"
                   else self._holds(q, r, values, year) if q.fn == "years_with"
                   else _initiatives_in(values, q))
            key = str(now) if now.__class__ is Decimal else now  # digits too: 1.0 is not 1
            found = known.get(key)
            if found is None:
                found = known[key] = _combined(q, _ZERO, (), now, year, memo)
            out.append(found)
        return tuple(out)

    def _holds(self, q: Query, r: RecordResult, values: Mapping[str, object], year: int
               ) -> bool:
        assert q.cond is not None
        read = [(n in r.titles) if n in self.titles or n in r.titles
                else r.score if n == "score" and r.score is not None
                else values[n] if n in values
                else {"id": r.id, "name": r.name, self.parent: r.parent}.get(n, _ABSENT)
                for n in self.names[id(q)]]
        key = (id(q), *[(v, str(v)) if v.__class__ is Decimal else v for v in read])
        found = self.held.get(key)
        if found is None:
            current = snapshot_of(r, year)
            found = self.held[key] = _holds_on(q.cond, current, current.scope(self.title_ids),
                                               q.call)
        return found


class _Person(Protocol):
    kind: Kind
    id: str
    name: str
    parent: str


_SAME_NAME = 0.85  # folded names this alike, with one given name, are one person typed twice
_EXAMPLES = 3
_MOVED_AT_LEAST = 4  # people in another unit, and more than half of those shared: other people


def check_people(h: History, records: Iterable[_Person], year: int) -> list[str]:
    """Refuse (InputError, exit 2) each history file that is about other people under the
    same ids: one whose people, where they share an id with this year's, are named as someone
    else, or whose ids are another kind of record here (a person's id on a unit). History
    follows ids, so such
    a file would lend one person's titles to another; the alias file cannot excuse it. Each
    refusal counts what does not match, with examples. Names are compared ignoring case,
    diacritics and spacing. Returns the warnings: a name spelt a letter or two differently
    with the same given name (one person typed twice), named in both spellings."""
    now: dict[tuple[Kind, str], _Person] = {}
    for r in records:
        now[(r.kind, h.stable_id(r.kind, r.id, year))] = r
    other_kind: dict[tuple[Kind, str], Kind] = {
        ("unit" if k == "individual" else "individual", rid): k for k, rid in now}
    per_file: dict[str, dict[str, list[str]]] = {}
    warnings: list[str] = []
    for (kind, rid), by_year in h.records.items():
        for snaps in by_year.values():
            for snap in snaps:
                file = snap.source.split(", ")[0]
                seen = per_file.setdefault(file, {"shared": [], "names": [], "kinds": [],
                                                  "units": []})
                here = now.get((kind, rid))
                if here is None:
                    if (kind, rid) in other_kind:
                        seen["kinds"].append(
                            (_("{id} is a unit there, a person here") if kind == "unit" else
                             _("{id} is a person there, a unit here"))
                            .format(id=snap.declared_id or rid))
                    continue
                if kind == "individual":
                    seen["shared"].append(rid)
                # People keep their names; units are renamed under the same id (and the alias
                # file renames ids), so a unit's name tells nothing here.
                if kind == "individual" and snap.name and here.name \
                        and match_key(snap.name) != match_key(here.name):
                    pair = _("{id} {there!r} there, {here!r} here").format(
                        id=rid, there=snap.name, here=here.name)
                    if _same_person(snap.name, here.name):
                        warnings.append(_("{where}: the name differs from this year's "
                                          "({pair}); taken as the same person")
                                        .format(where=snap.source, pair=pair))
                    else:
                        seen["names"].append(pair)
                if kind == "individual" and snap.parent and here.parent \
                        and snap.parent != here.parent:
                    seen["units"].append(_("{id} in {there} there, {here} here")
                                         .format(id=rid, there=snap.parent, here=here.parent))
    problems = []
    for file, seen in sorted(per_file.items()):
        moved = len(seen["units"]) >= _MOVED_AT_LEAST and len(seen["units"]) * 2 > len(
            seen["shared"])  # most people in another unit: not moves, other people
        if not seen["names"] and not seen["kinds"] and not moved:
            continue
        parts = []
        if seen["names"]:
            parts.append(_("{count} of the {shared} people whose ids it shares with this "
                           "year's records are someone else there ({examples})")
                         .format(count=len(seen["names"]), shared=len(seen["shared"]),
                                 examples=_some(seen["names"])))
        if seen["kinds"]:
            parts.append(_("{count} ids are another kind of record ({examples})")
                         .format(count=len(seen["kinds"]), examples=_some(seen["kinds"])))
        if seen["units"]:
            parts.append(_("{count} of the {shared} people are in another unit ({examples})")
                         .format(count=len(seen["units"]), shared=len(seen["shared"]),
                                 examples=_some(seen["units"])))
        problems.append(Problem(file, _("about other people under the same ids: {parts}. "
                                        "History follows ids, so their titles would count for "
                                        "the wrong people (the unit alias file changes nothing "
                                        "here): remove the file from the history folder, or "
                                        "correct its ids").format(parts="; ".join(parts))))
    if problems:
        raise InputError(problems)
    return warnings


def _same_person(a: str, b: str) -> bool:
    """Two spellings of one person's name: the same given name (the last word: "An" and "Anh"
    are two people) and the rest alike, a letter or two apart ("Nguyễn Vn An")."""
    fa, fb = match_key(a), match_key(b)
    if fa.split()[-1:] != fb.split()[-1:]:
        return False
    return difflib.SequenceMatcher(None, fa, fb).ratio() >= _SAME_NAME


def _some(items: Sequence[str]) -> str:
    more = len(items) - _EXAMPLES
    return "; ".join(items[:_EXAMPLES]) + (_("; and {more} more").format(more=more)
                                           if more > 0 else "")


def history_fields_of(result: Result) -> dict[tuple[Kind, str], dict[str, expr.Value]]:
    """The `past.` fields each record of `result` was scored with (to score its batch again,
    or to rebuild the scope its rules read)."""
    return {(r.kind, r.id): {v.field: v.past for v in r.history}
            for r in (*result.individuals, *result.units) if r.history}


def explain_lines(record: RecordResult, compiled: Compiled) -> list[str]:
    """What each history function counted for the record, in words, for `explain`:
    `consecutive_years(CSTDCS) = 3: CSTDCS in 2023, 2024, 2025 (3 consecutive)`."""
    queries = {q.field: q for q in compiled.history if q.kind == record.kind}
    return [f"{v.name} = {show.format_number(v.value)}: {_words(queries[v.field], v)}"
            for v in record.history if v.field in queries]


# The scopes as `explain` names them: English keeps the rule language's names.
_SCOPE_WORDS = {"co_so": N_("co_so"), "tinh": N_("tinh"), "toan_quoc": N_("toan_quoc")}


def _words(q: Query, v: HistoryValue) -> str:
    def years(ys: Sequence[int]) -> str:
        return ", ".join(map(str, ys))

    n = show.format_number(v.value)
    if q.fn == "consecutive_years":
        text = (_("{title} in {years} ({n} consecutive)").format(title=q.title,
                                                                 years=years(v.years), n=n)
                if v.value else
                _("not {title} this year").format(title=q.title)
                + (_("; before it {title} in {years}").format(title=q.title,
                                                              years=years(v.past_years))
                   if v.past_years else ""))
    elif q.fn == "years_with":
        assert q.cond is not None
        window = (_("the last {last} years").format(last=q.last) if q.last else
                  _("the years known"))
        text = _("{condition} in {years}: {n} of {window}").format(
            condition=show.render_cond(q.cond), years=years(v.years) or _("none"), n=n,
            window=window)
    else:
        text = (_("{n} initiative(s) or science project(s) at {scopes} level")
                .format(n=n, scopes="/".join(_(_SCOPE_WORDS.get(s, s)) for s in q.scopes))
                + (_(" in {years}").format(years=years(v.years)) if v.years else "")
                + (_(" (last {last} years)").format(last=q.last) if q.last else ""))
        if q.unused_for:
            text += _(", not counting those used for {title}").format(title=q.unused_for)
    if q.since:
        text += _("; only years after the last {title}").format(title=q.since)
    return text
