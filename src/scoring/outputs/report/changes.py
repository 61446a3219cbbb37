"""Changes since last year: who gained or lost titles, matched by id.

The previous year is read from the tool's own JSON output (`scoring score --format json`):
{"ruleset": {"year": …}, "individuals": [{"id", "name", "titles", …}], "units": […]}. Only
those fields are used, so an older output whose other fields differ still compares. Ids are
the link between years: a person whose id changed shows as one lost and one new record, which
is what the council must look at anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from scoring.base.document import read_results
from scoring.base.errors import InputError, Problem
from scoring.base.i18n import _
from scoring.base.text import name_sort_key
from scoring.evaluation.result import Result
from scoring.rulesets.schema import KINDS, Kind

__all__ = ["Change", "Previous", "TitleCount", "parse_previous", "title_changes", "title_counts"]

Status = Literal["new", "gone", "changed"]
_LISTS: dict[Kind, str] = {"individual": "individuals", "unit": "units"}


@dataclass(frozen=True)
class Previous:
    """Last year's titles by kind and id (with the name shown then), and its year if stated."""

    year: int | None
    records: Mapping[Kind, Mapping[str, tuple[str, tuple[str, ...]]]]


@dataclass(frozen=True)
class Change:
    kind: Kind
    id: str
    name: str
    status: Status
    gained: tuple[str, ...]
    lost: tuple[str, ...]


@dataclass(frozen=True)
class TitleCount:
    title: str
    kind: Kind
    before: int
    after: int
    kept: int


def _records(data: Mapping[str, Any], kind: Kind, where: str,
             problems: list[Problem]) -> dict[str, tuple[str, tuple[str, ...]]]:
    key = _LISTS[kind]
    items = data.get(key, [])
    if not isinstance(items, list):
        problems.append(Problem(where, _("'{key}' must be a list of records").format(key=key)))
        return {}
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for i, item in enumerate(items):
        at = f"{key}[{i}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            problems.append(Problem(where, _("{at} needs an 'id' (text)").format(at=at)))
            continue
        titles = item.get("titles", [])
        name = item.get("name", "")
        if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
            problems.append(Problem(where, _("{at} ('{id}'): 'titles' must be a list of title "
                                             "ids").format(at=at, id=item["id"])))
            continue
        if item["id"] in out:
            problems.append(Problem(where, _("{at}: the id '{id}' appears twice").format(
                at=at, id=item["id"])))
            continue
        out[item["id"]] = (name if isinstance(name, str) else "", tuple(titles))
    return out


def parse_previous(data: object, where: str = "--previous") -> Previous:
    """Read last year's titles from parsed JSON output; InputError (exit 2) if malformed.

    Every problem in the file is reported at once. Either format of the output is read
    (`read_results`).
    """
    if isinstance(data, Mapping):
        data = read_results(data, where)
    if not isinstance(data, Mapping) or not any(k in data for k in _LISTS.values()):
        raise InputError.one(where, _("not a results file of `scoring score --format "
                                      "json` (no 'individuals' or 'units' list)"))
    problems: list[Problem] = []
    records = {kind: _records(data, kind, where, problems) for kind in KINDS}
    if problems:
        raise InputError(problems)
    ruleset = data.get("ruleset")
    year = ruleset.get("year") if isinstance(ruleset, Mapping) else None
    return Previous(year if isinstance(year, int) else None, records)


def title_changes(result: Result, previous: Previous) -> list[Change]:
    """Records whose titles differ from last year's, by kind, then name, then id.

    A record new this year appears only if it holds a title; one gone since appears only if it
    held one. Title ids are compared as they are, so a renamed title shows as lost and gained.
    """
    out: list[Change] = []
    for kind in KINDS:
        before = previous.records.get(kind, {})
        now = {r.id: r for r in result.records(kind)}
        changes = []
        for rid, r in now.items():
            if rid not in before:
                if r.titles:
                    changes.append(Change(kind, rid, r.name, "new", r.titles, ()))
                continue
            old = before[rid][1]
            gained = tuple(t for t in r.titles if t not in old)
            lost = tuple(t for t in old if t not in r.titles)
            if gained or lost:
                changes.append(Change(kind, rid, r.name, "changed", gained, lost))
        for rid, (name, old) in before.items():
            if rid not in now and old:
                changes.append(Change(kind, rid, name, "gone", (), old))
        out += sorted(changes, key=lambda c: (name_sort_key(c.name), c.id))
    return out


def title_counts(result: Result, previous: Previous) -> list[TitleCount]:
    """Holders of each title last year and this year, and how many kept it (same id)."""
    out = []
    for tid, _label, kind in result.titles:
        before = {rid for rid, (_n, titles) in previous.records.get(kind, {}).items()
                  if tid in titles}
        after = {r.id for r in result.records(kind) if tid in r.titles}
        out.append(TitleCount(tid, kind, len(before), len(after), len(before & after)))
    return out
