"""The ledger as JSON data: what a `Result` becomes for a council or an auditor to read.

Every field of every record, hit, decision, rating and reward, as plain dicts and lists in a
fixed key order (never `sort_keys`: the order reads top-down like the explanation, identity
first, ledger last), with records in the Result's order. Decimals become JSON numbers whose
text is the decimal's own (12.5, not 12.5000000001); see `json_number`. The explanation builds
on this data (`explain --format json`); `to_json_data` is format 1 of the JSON output and the
reference for format 2, which `scoring.outputs.jsonout` writes from the same pieces (a record
as a row, its hits and decisions as tables) and `scoring.base.document` reads back into this
shape. Kept apart from the writer so that the explanation does not reach up into the outputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from scoring.base.rounding import safe_number
from scoring.evaluation import conditions
from scoring.evaluation.budget import Budget, reward_budget
from scoring.evaluation.result import (
    AggregateValue,
    Hit,
    Prerequisite,
    QuotaDecision,
    RatingDecision,
    RecordResult,
    Result,
    TieBreak,
    TitleDecision,
    UnpaidReward,
)
from scoring.language.expr import Value
from scoring.language.show import format_number

__all__ = [
    "json_number", "json_value", "plain_json", "record_json", "rewards_data", "tie_json",
    "to_json_data",
]

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
        "rounds": _rounds(h),
    }


def _rounds(h: Hit) -> list[dict[str, Any]]:
    return [{"round": v.round, "label": v.label, "points": json_number(v.points),
             "who": v.who, "reason": v.reason,
             "source": {"file": v.origin.file, "sheet": v.origin.sheet, "row": v.origin.row}}
            for v in h.rounds]


def _prerequisite(p: Prerequisite) -> dict[str, Any]:
    return {"condition": p.condition, "met": p.met, "detail": p.detail,
            # in the rule set's language, so that the output is the same whatever --lang
            "label": conditions.said(p, "vi") if p.sentence is not None else ""}


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
        "ties": [tie_json(t) for t in q.ties],
    }


def tie_json(t: TieBreak) -> dict[str, Any]:
    """A tie with a neighbour in a ranking (`scoring.evaluation.ties`), as the ledger writes it."""
    return {"with": t.other, "at": json_value(t.at), "lead": t.lead, "broken_by": t.key,
            "value": json_value(t.mine), "their_value": json_value(t.theirs), "ahead": t.ahead}


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
            "quota": _quota(d.quota), "moved_to": d.moved_to, "warning": d.warning or None,
            "outside_cap": d.outside_cap}


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
        "unit": r.parent if individual else None,
        "cluster": None if individual else r.parent,
        "source": {"file": r.origin.file, "sheet": r.origin.sheet, "row": r.origin.row},
        "score": json_number(r.score),
        "rank": r.rank,
        "rank_scope": r.rank_scope,
        "rank_of": r.rank_of,
        "ties": [tie_json(t) for t in r.ties],
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
        "rewards_not_paid": [_unpaid(u) for u in r.not_paid],
        "history": [{"name": v.name, "value": json_number(v.value), "years": list(v.years)}
                    for v in r.history],
    }


def _unpaid(u: UnpaidReward) -> dict[str, Any]:
    return {"title": u.title, "amount": json_number(u.amount), "paid_instead": u.paid,
            "achievement": u.achievement, "achievement_label": u.label}


def _shared(memo: dict[int, Any], obj: Any, build: Any) -> Any:
    """One JSON object per ledger object: records share their `Hit`s and `TitleDecision`s
    (see `scorer._Shared`), so their JSON is built once and written once per record. The memo
    lives for one rendering, while the Result keeps every object (and so its id) alive."""
    found = memo.get(id(obj))
    if found is None:
        found = memo[id(obj)] = build(obj)
    return found


def rewards_data(result: Result, budget: Budget | None = None) -> dict[str, Any] | None:
    """The document's "rewards" object; `budget` defaults to `reward_budget(result)`.

    Of the Result it reads only `base_salary` and `reward_rule` when given a budget, so a
    streaming writer that totals the budget as records go by can build the head without the
    records (see `jsonout.head_pieces`)."""
    if result.base_salary is None:
        return None
    if budget is None:
        budget = reward_budget(result)
    return {"base_salary": json_number(result.base_salary), "rule": result.reward_rule,
            "decision_date": result.decision_date or None,
            "same_achievement": [{"id": i, "label": label, "titles": list(titles)}
                                 for i, label, titles in result.achievements],
            "per_title": {t: json_number(a) for t, a in budget.per_title.items()},
            "per_unit": {u: json_number(a) for u, a in budget.per_unit.items()},
            "per_cluster": {c: json_number(a) for c, a in budget.per_cluster.items()},
            "total": json_number(budget.total),
            "not_paid_per_title": {t: json_number(a) for t, a in budget.not_paid.items()},
            "not_paid_total": json_number(sum(budget.not_paid.values(), Decimal(0)))}


def to_json_data(result: Result, manifest: Mapping[str, object],
                 memo: dict[int, Any] | None = None) -> dict[str, Any]:
    """Return the result as JSON data (dicts, lists, numbers, text) in output key order.

    With `memo`, records that share a ledger object share its JSON object too: for writing
    only, since changing one would change them all."""
    return {
        "manifest": plain_json(manifest),
        "ruleset": {"id": result.ruleset, "year": result.year, "name": result.name,
                    "hash": result.hash},
        "rewards": rewards_data(result),
        "warnings": list(result.warnings),
        "individuals": [_record(r, memo) for r in result.individuals],
        "units": [_record(r, memo) for r in result.units],
    }
