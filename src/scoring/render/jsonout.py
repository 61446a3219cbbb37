"""The JSON output: the whole result, ledger included, so a score can be audited and verified.

The document is built from plain dicts and lists in a fixed key order (never `sort_keys`: the
order reads top-down like the explanation, identity first, ledger last), with records in the
Result's order, so the bytes are identical across runs and machines. Decimals become JSON
numbers whose text is the decimal's own (12.5, not 12.5000000001); see `json_number`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from scoring.budget import reward_budget
from scoring.expr import Value, format_number
from scoring.render.safe import safe_number
from scoring.result import (
    AggregateValue,
    Hit,
    Prerequisite,
    QuotaDecision,
    RatingDecision,
    RecordResult,
    Result,
    TitleDecision,
)

__all__ = ["json_number", "json_value", "plain_json", "render_json", "to_json_data"]

JsonNumber = int | float


def json_number(d: Decimal) -> JsonNumber:
    """Return an int for integral decimals, else the float whose repr is the decimal's text.

    A float reaches `json.dumps` as its shortest repr, which for a decimal of at most 15
    significant digits is that decimal's own digits; longer ones are rounded by `safe_number`.
    """
    d = safe_number(d)
    if d == d.to_integral_value():
        return int(d)
    return float(format_number(d))


def json_value(value: Value) -> bool | str | JsonNumber | None:
    """Map a rule-language value to JSON: numbers as numbers, bools as bools, missing as null."""
    if isinstance(value, Decimal):
        return json_number(value)
    return value


def _optional_number(d: Decimal | None) -> JsonNumber | None:
    return None if d is None else json_number(d)


def _pairs(pairs: Sequence[tuple[str, Value]]) -> dict[str, Any]:
    return {name: json_value(value) for name, value in pairs}


def plain_json(value: object) -> Any:
    """Copy manifest data into JSON types, keeping the caller's key order.

    The manifest is assembled by the CLI from paths, hashes and counts; anything else is a
    programming error and fails loudly rather than being stringified into the record.
    """
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, PurePath):
        return value.as_posix()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"manifest value of type {type(value).__name__} is not JSON data: {value!r}")


def _hit(h: Hit) -> dict[str, Any]:
    return {
        "rule": h.rule,
        "section": h.section,
        "item": h.item,
        "label": h.label,
        "condition": h.condition,
        "reads": _pairs(h.reads),
        "points": _optional_number(h.points),
        "raw": _optional_number(h.raw),
        "cap": _optional_number(h.cap),
        "note": h.note,
        "computed": _optional_number(h.computed),
        "rounds": [{"round": v.round, "label": v.label, "points": json_number(v.points),
                    "who": v.who, "reason": v.reason,
                    "source": {"file": v.origin.file, "sheet": v.origin.sheet,
                               "row": v.origin.row}} for v in h.rounds],
    }


def _prerequisite(p: Prerequisite) -> dict[str, Any]:
    return {"condition": p.condition, "met": p.met, "detail": p.detail}


def _quota(q: QuotaDecision | None) -> dict[str, Any] | None:
    if q is None:
        return None
    return {
        "scope": q.scope,
        "rank": q.rank,
        "places": q.places,
        "basis_count": q.basis_count,
        "cut": q.cut,
        "rule": q.rule,
    }


def _decision(d: TitleDecision) -> dict[str, Any]:
    return {
        "title": d.title,
        "label": d.label,
        "awarded": d.awarded,
        "eligible": d.eligible,
        "prerequisites": [_prerequisite(p) for p in d.prerequisites],
        "gated_by": list(d.gated_by),
        "quota": _quota(d.quota),
    }


def _aggregate(a: AggregateValue) -> dict[str, Any]:
    return {"name": a.name, "label": a.label, "value": json_value(a.value),
            "members": list(a.members)}


def _rating(d: RatingDecision | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"field": d.field, "final": d.final, "given": d.given,
            "points": _optional_number(d.points), "band": d.band, "band_rule": d.band_rule,
            "override": d.override or None, "override_reason": d.override_reason or None,
            "quota": _quota(d.quota), "moved_to": d.moved_to, "warning": d.warning or None}


def record_json(r: RecordResult) -> dict[str, Any]:
    """One record as the JSON output writes it (also `explain --format json`)."""
    return _record(r)


def _record(r: RecordResult, memo: dict[int, Any] | None = None) -> dict[str, Any]:
    # `group` means the unit for an individual and the cluster for a unit; the output names
    # both fields for every record so that consumers see one shape.
    individual = r.kind == "individual"
    return {
        "id": r.id,
        "name": r.name,
        "kind": r.kind,
        "unit": r.group if individual else None,
        "cluster": None if individual else r.group,
        "source": {"file": r.origin.file, "sheet": r.origin.sheet, "row": r.origin.row},
        "score": json_number(r.score),
        "rank": r.rank,
        "rank_scope": r.rank_scope,
        "rank_of": r.rank_of,
        "titles": list(r.titles),
        "points": {cid: json_number(p) for cid, p in r.points},
        "inputs": _pairs(r.inputs),
        "computed": _pairs(r.computed),
        "aggregates": [_aggregate(a) for a in r.aggregates],
        "hits": [_hit(h) for h in r.hits] if memo is None
        else [_shared(memo, h, _hit) for h in r.hits],
        "decisions": [_decision(d) for d in r.decisions] if memo is None
        else [_shared(memo, d, _decision) for d in r.decisions],
        "gates": list(r.gates),
        "extra": dict(r.extra),
        "warnings": list(r.warnings),
        "provisional": list(r.provisional),
        "rating": _rating(r.rating),
        "rewards": {tid: json_number(a) for tid, a in r.rewards},
        "reward": json_number(r.reward),
        "history": [{"name": v.name, "value": json_number(v.value), "years": list(v.years)}
                    for v in r.history],
    }


def _shared(memo: dict[int, Any], obj: Any, build: Any) -> Any:
    """One JSON object per ledger object: records share their `Hit`s and `TitleDecision`s
    (see `scorer._Shared`), so their JSON is built once and written once per record. The memo
    lives for one rendering, while the Result keeps every object (and so its id) alive."""
    found = memo.get(id(obj))
    if found is None:
        found = memo[id(obj)] = build(obj)
    return found


def _budget(result: Result) -> dict[str, Any] | None:
    """The reward budget: per title, per unit (with its members), per cluster and overall."""
    if result.base_salary is None:
        return None
    budget = reward_budget(result)
    return {"base_salary": json_number(result.base_salary), "rule": result.reward_rule,
            "per_title": {t: json_number(a) for t, a in budget.per_title.items()},
            "per_unit": {u: json_number(a) for u, a in budget.per_unit.items()},
            "per_cluster": {c: json_number(a) for c, a in budget.per_cluster.items()},
            "total": json_number(budget.total)}


def to_json_data(result: Result, manifest: Mapping[str, object],
                 memo: dict[int, Any] | None = None) -> dict[str, Any]:
    """Return the result as JSON data (dicts, lists, numbers, text) in output key order.

    With `memo`, records that share a ledger object share its JSON object too: for writing
    only, since changing one would change them all."""
    return {
        "manifest": plain_json(manifest),
        "ruleset": {"id": result.ruleset, "year": result.year, "name": result.name,
                    "hash": result.hash},
        "rewards": _budget(result),
        "warnings": list(result.warnings),
        "individuals": [_record(r, memo) for r in result.individuals],
        "units": [_record(r, memo) for r in result.units],
    }


def render_json(result: Result, manifest: Mapping[str, object]) -> bytes:
    """Render the result as UTF-8 JSON (readable Vietnamese, two-space indent, final newline)."""
    return (dumps_indented(to_json_data(result, manifest, {})) + "\n").encode("utf-8")


_encode_string = json.encoder.encode_basestring  # C-accelerated where available


def dumps_indented(obj: Any, indent: int = 2) -> str:
    """Exactly `json.dumps(obj, ensure_ascii=False, indent=indent, allow_nan=False)`, faster.

    The standard library encodes indented JSON in pure Python, one generator per container
    (its C encoder serves only `indent=None`); this writes the same bytes by appending pieces
    to one list. `tests/test_render.py` compares the two on the samples.
    """
    parts: list[str] = []
    append = parts.append
    newlines: dict[int, str] = {}

    def newline(level: int) -> str:
        text = newlines.get(level)
        if text is None:
            text = newlines[level] = "\n" + " " * (indent * level)
        return text

    def value(v: Any, level: int) -> None:
        t = type(v)
        if t is str:
            append(_encode_string(v))
        elif t is dict:
            if not v:
                append("{}")
                return
            inner, opening = newline(level + 1), "{"
            for k, item in v.items():
                key = _encode_string(k) if type(k) is str else json.dumps({k: 0})[1:-4]
                append(opening + inner + key + ": ")
                opening = ","
                value(item, level + 1)
            append(newline(level) + "}")
        elif t is list or t is tuple:
            if not v:
                append("[]")
                return
            inner, opening = newline(level + 1), "["
            for item in v:
                append(opening + inner)
                opening = ","
                value(item, level + 1)
            append(newline(level) + "]")
        elif v is None:
            append("null")
        elif v is True:
            append("true")
        elif v is False:
            append("false")
        elif t is int:
            append(int.__repr__(v))
        elif t is float:
            if v != v or v in (float("inf"), float("-inf")):
                raise ValueError(f"Out of range float values are not JSON compliant: {v!r}")
            append(float.__repr__(v))
        else:  # a subclass or another type: the standard library's own rules and errors
            text = json.dumps(v, ensure_ascii=False, indent=indent, allow_nan=False)
            append(text.replace("\n", newline(level)))

    value(obj, 0)
    return "".join(parts)
