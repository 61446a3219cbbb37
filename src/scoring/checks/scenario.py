"""Worked examples that are scenarios: several records, review rounds, history, and a shared base.

A single-subject example (`individual:`/`unit:` with `members:`) tests one record; a quota, a
cap or a tie-break needs several records scored together. A scenario gives

- `units:` and `people:`: records, each with its `id` (a person's `unit_id` may be left out when
  there is one unit) and the inputs a submission would hold (`name`, a unit's `cluster`);
- `rounds:`: review-round values by record id and judged or overridden item, a number or a list
  of numbers in the order of the rule set's rounds (`{p1: {task: [30, 35]}}`);
- `history:`: past years by record id (a year, or -1 for the year before the rule set's, -2…,
  which keep their meaning in a set carried by `scoring new-year`), each year the titles then
  held, or a mapping of `titles:`, values and a person's `initiatives:` (their scopes: co_so,
  tinh, toan_quoc) (`{p1: {-1: [CSTDCS], -2: {titles: [CSTDCS], task_rating: tot,
  initiatives: [tinh]}}}`);
- `expect:` keyed by record id, each with the keys of a single example (`score`, `titles`, …)
  and `rank` (the place in its ranking), `cut` (the titles, or the rating field, whose quota
  cut the record: `[]` for none) and `tie` (`{with: u1, by: noi_dung}`: the record was tied
  with `u1`, in its ranking or a quota's, and the key `noi_dung` broke the tie; `by: id` when
  only the ids did; not `on:`, which YAML reads as yes).

`base:` names another example: this one starts from its records (the base's `individual`,
`unit`, `members`, `units`, `people`, `rounds`, `history`), its own values winning key by key
for a record of the same id (or the same subject), so a plain unit or a cluster is written once.
YAML anchors stay refused (see `scoring.rulesets.safeyaml`): `base:` is the plain way to share.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from scoring.base.i18n import _
from scoring.checks.expectations import (
    EXPECT_KEYS,
    check_record_expect,
    compare_record,
    number,
    read_record,
)
from scoring.evaluation.result import RecordResult, Result, TieBreak
from scoring.history import store as hist
from scoring.inputs.records import Origin, Record
from scoring.inputs.rounds import RoundData, RoundValue
from scoring.language.expr import Value
from scoring.language.history import SCOPES
from scoring.rulesets.compile import Compiled
from scoring.rulesets.schema import Example, Kind

SCENARIO_KEYS = ("rank", "cut", "tie")
CLUSTER = "EXK"


def is_scenario(ex: Example) -> bool:
    return bool(ex.units or ex.people or ex.rounds or ex.history)


def resolve_bases(examples: Sequence[Example]) -> tuple[list[Example], dict[str, list[str]]]:
    """Each example with its `base:` merged in (bases of bases first); problems by example
    name (an unknown base, a cycle)."""
    by_name = {ex.name: ex for ex in examples}
    problems: dict[str, list[str]] = {}
    done: dict[str, Example] = {}

    def resolve(ex: Example, seen: tuple[str, ...]) -> Example:
        if ex.base is None:
            return ex
        if ex.name in done:
            return done[ex.name]
        base = by_name.get(ex.base)
        if base is None:
            close = difflib.get_close_matches(ex.base, list(by_name), n=1)
            hint = _(" (did you mean {name!r}?)").format(name=close[0]) if close else ""
            problems.setdefault(ex.name, []).append(
                _("base: no example is named {name!r}{hint}").format(name=ex.base, hint=hint))
            return ex
        if base.name in seen:
            problems.setdefault(ex.name, []).append(_("base: {names} name each other").format(
                names=" → ".join(repr(n) for n in (*seen, base.name))))
            return ex
        merged = merge(resolve(base, (*seen, base.name)), ex)
        done[ex.name] = merged
        return merged

    return [resolve(ex, (ex.name,)) for ex in examples], problems


def merge(base: Example, ex: Example) -> Example:
    """`ex` over `base`: records merged key by key (by `id` in lists), `expect` its own."""
    def record(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None
               ) -> dict[str, Any] | None:
        if a is None and b is None:
            return None
        return {**(a or {}), **(b or {})}

    def records(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]
                ) -> tuple[dict[str, Any], ...]:
        out = {str(r.get("id", i)): dict(r) for i, r in enumerate(a)}
        for i, r in enumerate(b):
            key = str(r.get("id", len(a) + i))
            out[key] = {**out.get(key, {}), **r}
        return tuple(out.values())

    def nested(a: Mapping[str, Mapping[Any, Any]], b: Mapping[str, Mapping[Any, Any]]
               ) -> dict[str, dict[Any, Any]]:
        out = {k: dict(v) for k, v in a.items()}
        for k, v in b.items():
            out[k] = {**out.get(k, {}), **v}
        return out

    return ex.model_copy(update={
        "base": None,
        "individual": record(base.individual, ex.individual),
        "unit": record(base.unit, ex.unit),
        "members": ex.members or base.members,
        "units": records(base.units, ex.units),
        "people": records(base.people, ex.people),
        "rounds": nested(base.rounds, ex.rounds),
        "history": nested(base.history, ex.history),
    })


# ---------------------------------------------------------------------------------- records


def build(ex: Example, compiled: Compiled, problems: list[str]
          ) -> tuple[list[Record], list[Record]]:
    """The scenario's people and units as validated records (problems named by position)."""

    units: list[Record] = []
    people: list[Record] = []
    ids: set[str] = set()
    unit_ids = [str(u.get("id", "")) for u in ex.units]
    for i, given in enumerate(ex.units, start=1):
        values = dict(given)
        rid = _id(values, f"units[{i}]", ids, problems)
        identity = {"id": rid, "name": str(values.get("name", rid)),
                    "cluster": str(values.get("cluster", CLUSTER))}
        units.append(read_record(compiled, "unit", values, ex, f"units[{i}]", identity, problems))
    for i, given in enumerate(ex.people, start=1):
        values = dict(given)
        rid = _id(values, f"people[{i}]", ids, problems)
        unit = values.pop("unit_id", None)
        if unit is None and len(unit_ids) == 1:
            unit = unit_ids[0]
        if unit is None:
            problems.append(_("people[{n}]: give its unit_id (one of {units})").format(
                n=i, units=", ".join(unit_ids) or _("no unit given")))
        elif str(unit) not in unit_ids:
            problems.append(_("people[{n}].unit_id: {unit!r} is not one of the units "
                              "({units})").format(n=i, unit=unit, units=", ".join(unit_ids)))
        identity = {"id": rid, "name": str(values.get("name", rid)), "unit_id": str(unit)}
        people.append(read_record(compiled, "individual", values, ex, f"people[{i}]", identity,
                              problems))
    return people, units


def _id(values: dict[str, Any], label: str, seen: set[str], problems: list[str]) -> str:
    rid = values.pop("id", None)
    if rid is None or str(rid) == "":
        problems.append(_("{record}: give its id").format(record=label))
        return label
    if str(rid) in seen:
        problems.append(_("{record}: id {id!r} is given twice").format(record=label, id=rid))
    seen.add(str(rid))
    return str(rid)


def rounds(ex: Example, compiled: Compiled, kinds: Mapping[str, Kind],
           problems: list[str]) -> RoundData:
    """The scenario's review-round values, in the order of the rule set's rounds."""

    declared = compiled.ruleset.rounds
    origin = _origin(ex)
    data = RoundData()
    for rid, items in ex.rounds.items():
        kind = kinds.get(str(rid))
        if kind is None:
            problems.append(_("rounds: {id!r} is not a record of the example").format(id=rid))
            continue
        for item, given in items.items():
            values = given if isinstance(given, list | tuple) else [given]
            got: list[RoundValue] = []
            for k, v in enumerate(values):
                n = number(v)
                if n is None:
                    problems.append(_("rounds.{id}.{item}: {value!r} is not a number").format(
                        id=rid, item=item, value=v))
                    continue
                rnd = declared[k] if k < len(declared) else None
                got.append(RoundValue(rnd.id if rnd else f"round{k + 1}",
                                      rnd.label if rnd else f"round {k + 1}", n, "",
                                      _("worked example"), origin))
            data.values[(kind, str(rid), str(item))] = got
    return data


def history(ex: Example, compiled: Compiled, kinds: Mapping[str, Kind],
            groups: Mapping[str, str], problems: list[str]) -> hist.History:
    """A history store holding the scenario's past years."""
    records: dict[tuple[Kind, str], dict[int, tuple[hist.Snapshot, ...]]] = {}
    initiatives: dict[tuple[str, int], list[hist.PastInitiative]] = {}
    year_now = compiled.ruleset.year
    for rid, years in ex.history.items():
        kind = kinds.get(str(rid))
        if kind is None:
            problems.append(_("history: {id!r} is not a record of the example").format(id=rid))
            continue
        by_year: dict[int, tuple[hist.Snapshot, ...]] = {}
        for written, held in years.items():
            # -1 is the year before the rule set's: an example carried to a new year keeps
            # its meaning (`scoring new-year`)
            text = str(written)
            year = year_now + int(text) if re.fullmatch(r"-[1-9]\d{0,2}", text) else int(
                text) if text.isdigit() else year_now
            if year >= year_now:
                problems.append(_("history.{id}: {year!r} is not a year before {now} (nor -1, "
                                  "-2, … for the years before it)").format(
                    id=rid, year=written, now=year_now))
                continue
            fields: dict[str, Any] = dict(held) if isinstance(held, Mapping) else {
                "titles": held}
            titles = fields.pop("titles", []) or []
            if not isinstance(titles, list | tuple):
                titles = [titles]
            scopes = fields.pop("initiatives", []) or []
            for scope in scopes if isinstance(scopes, list | tuple) else [scopes]:
                if str(scope) not in SCOPES or kind != "individual":
                    problems.append(_("history.{id}.{year}.initiatives: {value!r} is not one of "
                                      "{scopes} (a person's initiatives only)").format(
                        id=rid, year=written, value=scope, scopes=", ".join(SCOPES)))
                    continue
                initiatives.setdefault((str(rid), year), []).append(hist.PastInitiative(
                    str(rid), year, str(scope), "", "", "", ex.source))
            values: dict[str, Value] = {k: _value(v) for k, v in fields.items()}
            by_year[year] = (hist.Snapshot(kind, str(rid), year, str(rid),
                                                groups.get(str(rid), ""),
                                                frozenset(map(str, titles)), None, values,
                                                ex.source),)
        records[(kind, str(rid))] = by_year
    return hist.History(records=records,
                        initiatives={k: tuple(v) for k, v in initiatives.items()})


def _value(v: Any) -> Value:
    if isinstance(v, bool | str | Decimal) or v is None:
        return v
    if isinstance(v, int):
        return Decimal(v)
    return str(v)


def _origin(ex: Example) -> Origin:
    file, _sep, line = ex.source.rpartition(":")
    return Origin(file or ex.source, int(line) if line.isdigit() else 0)


# ------------------------------------------------------------------------------ expectations


def check_expect(ex: Example, compiled: Compiled, kinds: Mapping[str, Kind]) -> list[str]:
    """What is wrong with a scenario's `expect:` (ids, keys, value types)."""

    problems: list[str] = []
    for rid, want in ex.expect.items():
        kind = kinds.get(str(rid))
        if kind is None:
            close = difflib.get_close_matches(str(rid), list(kinds), n=1)
            hint = _(" (did you mean {name!r}?)").format(name=close[0]) if close else ""
            problems.append(_("expect: {id!r} is not a record of the example{hint}").format(
                id=rid, hint=hint))
            continue
        if not isinstance(want, Mapping):
            problems.append(_("expect.{id}: expected a mapping of expectations").format(id=rid))
            continue
        plain = {k: v for k, v in want.items() if k not in SCENARIO_KEYS}
        fake = ex.model_copy(update={"expect": plain, "individual": {} if kind == "individual"
                                     else None, "unit": {} if kind == "unit" else None})
        problems += [f"expect.{rid}.{p.removeprefix('expect.')}"
                     if p.startswith("expect.") else f"expect.{rid}: {p.removeprefix('expect: ')}"
                     for p in check_record_expect(fake, compiled)
                     if not p.startswith("expect: unknown key")]
        for key in want:
            if key not in (*EXPECT_KEYS, *SCENARIO_KEYS):
                keys = (*EXPECT_KEYS, *SCENARIO_KEYS)
                close = difflib.get_close_matches(str(key), keys, n=1)
                hint = _(" (did you mean {name!r}?)").format(name=close[0]) if close else ""
                problems.append(_("expect.{id}: unknown key {key!r}{hint}; keys: {keys}").format(
                    id=rid, key=key, hint=hint, keys=", ".join(keys)))
        if "rank" in want and (isinstance(want["rank"], bool)
                               or not isinstance(want["rank"], int)):
            problems.append(_("expect.{id}.rank: {value!r} is not a whole number").format(
                id=rid, value=want["rank"]))
        if "cut" in want and (not isinstance(want["cut"], list | tuple)
                              or not all(isinstance(t, str) for t in want["cut"])):
            problems.append(_("expect.{id}.cut: expected a list of title ids (or the rating "
                              "field)").format(id=rid))
        tie = want.get("tie")
        if "tie" in want and (not isinstance(tie, Mapping) or set(tie) - {"with", "by"}
                              or "with" not in tie):
            problems.append(_("expect.{id}.tie: expected {{with: <id>, by: <key>}}").format(
                id=rid))
    return problems


def compare(ex: Example, result: Result) -> list[str]:
    """One line per expectation of the scenario that the result does not meet."""

    found = {r.id: r for r in (*result.individuals, *result.units)}
    out: list[str] = []
    for rid, want in ex.expect.items():
        rec = found[str(rid)]
        plain = {k: v for k, v in want.items() if k not in SCENARIO_KEYS}
        out += [f"{rid}: {line}" for line in (*compare_record(plain, rec), *_extra(want, rec))]
    return out


def cuts(rec: RecordResult) -> list[str]:
    """The titles (and the rating field) whose quota cut this record."""
    out = [d.title for d in rec.decisions if d.quota is not None and d.quota.cut]
    if rec.rating is not None and rec.rating.quota is not None and rec.rating.quota.cut:
        out.append(rec.rating.field)
    return out


def all_ties(rec: RecordResult) -> list[TieBreak]:
    """The record's ties in its ranking, then in each quota's ranking (title, rating cap)."""
    out = list(rec.ties)
    out += [t for d in rec.decisions if d.quota is not None for t in d.quota.ties]
    if rec.rating is not None and rec.rating.quota is not None:
        out += rec.rating.quota.ties
    return out


def _extra(want: Mapping[str, Any], rec: RecordResult) -> list[str]:
    out: list[str] = []
    if "rank" in want and want["rank"] != rec.rank:
        out.append(_("rank: expected {want}, got {got} of {count} in {scope}").format(
            want=want["rank"], got=rec.rank, count=rec.rank_of, scope=rec.rank_scope))
    if "cut" in want and sorted(want["cut"]) != sorted(cuts(rec)):
        out.append(_("cut: expected {want}, got {got}").format(
            want="[" + ", ".join(want["cut"]) + "]", got="[" + ", ".join(cuts(rec)) + "]"))
    if "tie" in want:
        tie = want["tie"]
        other, by = str(tie["with"]), tie.get("by")
        every = all_ties(rec)
        ties = [t for t in every if t.other == other]
        if not ties:
            out.append(_("tie: expected a tie with {other}, found {found}").format(
                other=other, found=", ".join(dict.fromkeys(t.other for t in every))
                or _("none")))
        elif by is not None and str(by) not in {t.key for t in ties}:
            out.append(_("tie with {other}: expected to be broken by {want}, got {got}").format(
                other=other, want=by, got=", ".join(dict.fromkeys(t.key for t in ties))))
    return out
