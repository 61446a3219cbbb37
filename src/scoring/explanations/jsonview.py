"""The explanation as JSON: the record exactly as the JSON output writes it (ledger included),
plus an `explanation` object with what `explain` adds. Built from the `Explanation`'s data, not
from the text's blocks, so its keys stay the same whatever the language of the words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from scoring.evaluation.result import RecordResult, Result
from scoring.explanations.explanation import Explanation, Unfired
from scoring.explanations.ledger import json_number, json_value, to_json_data

__all__ = ["explanation_to_json", "record_to_json"]


def record_to_json(result: Result, record: RecordResult) -> dict[str, Any]:
    """The record exactly as the JSON output writes it (ledger included)."""
    alone = replace(result, individuals=(record,) if record.kind == "individual" else (),
                    units=(record,) if record.kind == "unit" else ())
    data = to_json_data(alone, {})
    key = "individuals" if record.kind == "individual" else "units"
    record_data: dict[str, Any] = data[key][0]
    return record_data


def _people(records: Sequence[RecordResult]) -> list[dict[str, str]]:
    return [{"id": r.id, "name": r.name} for r in records]


def _unfired_json(u: Unfired) -> dict[str, str]:
    return {"rule": u.rule, "section": u.section, "item": u.item, "label": u.label,
            "condition": u.condition, "why": u.why}


def explanation_to_json(ex: Explanation) -> dict[str, Any]:
    """The record's ledger as in the JSON output, plus what `explain` adds to it."""
    data = record_to_json(ex.result, ex.record)
    unit = ex.unit
    data["explanation"] = {
        "unit": None if unit is None else {"id": unit.id, "name": unit.name,
                                           "cluster": unit.parent},
        "criteria": [{"item": c.hit.item, "rule": c.hit.rule, "how": c.how,
                      "not_reached": [_unfired_json(u) for u in c.not_reached]}
                     for c in ex.criteria],
        "not_fired": [_unfired_json(u) for u in ex.unfired],
        "gates_fired": [{"gate": h.item, "blocks": list(blocks)} for h, blocks in ex.gates],
        "total": json_number(ex.total),
        "titles": [{"title": t.decision.title, "outcome": t.outcome, "gates": list(t.gates),
                    "quota": t.quota or None, "basis": t.basis} for t in ex.titles],
        "members": _people(ex.members),
        "aggregates": [{"name": v.value.name, "fn": v.fn, "counted": _people(v.counted),
                        "not_counted": _people(v.not_counted),
                        "why_not_counted": [{"why": why, "members": _people(ms)}
                                            for why, ms in v.reasons]}
                       for v in ex.aggregates],
        "near_misses": [{
            "input": nm.change.input, "from": json_value(nm.change.old),
            "to": json_value(nm.change.new), "goal": nm.change.goal, "leaf": nm.change.leaf,
            "score": json_number(nm.effect.score), "delta": json_number(nm.effect.delta),
            "criteria": [{"item": cid, "from": json_number(a), "to": json_number(b)}
                         for cid, a, b in nm.effect.criteria],
            "gained": list(nm.effect.gained), "lost": list(nm.effect.lost),
            "others": list(nm.effect.others),
        } for nm in ex.near_misses],
        "shortfalls": list(ex.shortfalls),
    }
    return data
