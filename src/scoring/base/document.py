"""Reading a results document of `scoring score --format json`, whichever format wrote it.

Format 1 (files without a "format" key) lists every record with its whole ledger inline.
Format 2 (`"format": 2`) writes four tables in pandas' "split" orientation (`columns`,
`data`): the individuals and the units, one row per record, and the hits and decisions every
record shares, each stored once; a record's "hits" and "decisions" are row numbers in those
tables, and a record's `points`, `inputs` and `computed` may be spread over columns named
`points.<id>` and so on (docs/json-format.md). Every reader in the project (the history
folder, `report --previous`, `verify`) goes through `read_results`, which gives back format 1's
shape, so that files written before format 2 stay readable and no reader knows the layout. It
sits in the first stage because `history`, before the writer's stage, reads these files too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from scoring.base.errors import InputError, Problem
from scoring.base.i18n import _

__all__ = ["DECISION_COLUMNS", "FORMAT", "HIT_COLUMNS", "read_results"]

FORMAT = 2  # the format this version writes
HIT_COLUMNS = ("rule", "section", "item", "label", "condition", "reads", "points", "raw",
               "cap", "note", "computed", "rounds")
DECISION_COLUMNS = ("title", "label", "awarded", "eligible", "prerequisites", "gated_by",
                    "quota")
_KINDS = (("individuals", "individual"), ("units", "unit"))
MAX_PROBLEMS = 20  # a damaged file can break every row: the first few say enough


def read_results(data: bytes | str | Mapping[str, Any], where: str = "") -> dict[str, Any]:
    """A results document (its bytes, its text, or already parsed) in format 1's shape.

    Gives `{"manifest", "ruleset", "rewards", "warnings", "individuals", "units"}`, each
    record a dict with its "kind" and its hits and
    decisions inline: records share those dicts, so change a copy. A format-1 document is
    given back as it is. A format-2 document that does not hold together (a row number that is
    not in its table, a row of the wrong length) or of an unknown format is an `InputError`
    naming `where` (exit 2)."""
    if isinstance(data, bytes | str):
        try:
            text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
            data = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise InputError.one(where, _("not a JSON file: {reason}").format(reason=e)) from None
    if not isinstance(data, Mapping):
        raise InputError.one(where, _("not a results file of `scoring score --format json` "
                                      "(no 'individuals' or 'units' list)"))
    if "format" not in data:
        return dict(data)
    version = data["format"]
    if _whole(version) != FORMAT:
        raise InputError.one(where, _("a results file of format {format}, which this version "
                                      "of scoring does not read (it reads 1 and {known}): "
                                      "update scoring").format(format=version, known=FORMAT))
    problems: list[Problem] = []
    hits = _rows(data, "hits", HIT_COLUMNS, where, problems)
    decisions = _rows(data, "decisions", DECISION_COLUMNS, where, problems)
    out = {k: v for k, v in data.items() if k not in ("format", "hits", "decisions")}
    for table, kind in _KINDS:
        out[table] = _records(data, table, kind, {"hits": hits, "decisions": decisions},
                              where, problems)
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    return out


def _whole(value: object) -> int | None:
    """A JSON whole number (an int, or a Decimal when parsed with `parse_int=Decimal`)."""
    if type(value) is int:
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def _table(data: Mapping[str, Any], name: str, where: str, problems: list[Problem]
           ) -> tuple[list[str], list[Any]] | None:
    table = data.get(name)
    columns = table.get("columns") if isinstance(table, Mapping) else None
    rows = table.get("data") if isinstance(table, Mapping) else None
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns) \
            or not isinstance(rows, list):
        problems.append(Problem(where, _("'{table}' must be a table: an object with 'columns' "
                                         "(a list of names) and 'data' (a list of rows)")
                                .format(table=name)))
        return None
    return columns, rows


def _shaped(name: str, n: int, row: object, width: int, where: str,
            problems: list[Problem]) -> bool:
    if isinstance(row, list) and len(row) == width:
        return True
    got = len(row) if isinstance(row, list) else 1
    problems.append(Problem(where, _("'{table}' row {row} has {count} values for {columns} "
                                     "columns").format(table=name, row=n, count=got,
                                                       columns=width)))
    return False


def _rows(data: Mapping[str, Any], name: str, expected: Sequence[str], where: str,
          problems: list[Problem]) -> list[dict[str, Any]]:
    """The hits or the decisions, each row as its dict."""
    found = _table(data, name, where, problems)
    if found is None:
        return []
    columns, rows = found
    if columns != list(expected):
        problems.append(Problem(where, _("'{table}' must have the columns {columns}").format(
            table=name, columns=", ".join(expected))))
        return []
    width = len(columns)
    return [dict(zip(columns, row, strict=True)) if _shaped(name, n, row, width, where, problems)
            else {} for n, row in enumerate(rows)]


def _records(data: Mapping[str, Any], name: str, kind: str,
             shared: Mapping[str, list[dict[str, Any]]], where: str,
             problems: list[Problem]) -> list[dict[str, Any]]:
    """A table of records in format 1's shape: "kind" after "name", dotted columns gathered
    into their object where the first of them stood, row numbers replaced by their rows."""
    found = _table(data, name, where, problems)
    if found is None:
        return []
    columns, rows = found
    plan: list[tuple[str, Any]] = []  # (field, column index | [(key, index)] for an object)
    groups: dict[str, list[tuple[str, int]]] = {}
    for i, column in enumerate(columns):
        field, dot, key = column.partition(".")
        if not dot:
            plan.append((field, i))
            if field == "name":
                plan.append(("kind", None))
        elif field in groups:
            groups[field].append((key, i))
        else:
            plan.append((field, groups.setdefault(field, [(key, i)])))
    if "name" not in columns:
        plan.append(("kind", None))
    width = len(columns)
    out = []
    for n, row in enumerate(rows):
        if not _shaped(name, n, row, width, where, problems):
            continue
        record: dict[str, Any] = {}
        for field, at in plan:
            if at is None:
                record[field] = kind
            elif type(at) is int:
                value = row[at]
                table = shared.get(field)
                record[field] = value if table is None else _resolved(
                    value, table, name, n, field, where, problems)
            else:
                record[field] = {key: row[i] for key, i in at}
        out.append(record)
    return out


def _resolved(value: object, table: list[dict[str, Any]], name: str, n: int, field: str,
              where: str, problems: list[Problem]) -> list[dict[str, Any]]:
    """Row numbers of the hits or decisions table, as their rows."""
    numbers = [_whole(v) for v in value] if isinstance(value, list) else [None]
    bad = [v for v, k in zip(value if isinstance(value, list) else [value], numbers,
                             strict=True) if k is None or not 0 <= k < len(table)]
    if bad:
        problems.append(Problem(where, _("'{table}' row {row}, '{column}': {value} is not a "
                                         "row number of '{target}', which has {count} rows")
                                .format(table=name, row=n, column=field, value=bad[0],
                                        target=field, count=len(table))))
        return []
    return [table[k] for k in numbers if k is not None]
