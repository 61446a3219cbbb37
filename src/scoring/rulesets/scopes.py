"""Scopes and reference classes, written the same way in ratings, titles and ranking.

A scope (`per:`) says which records are counted together by a quota or ranked together: one
field (`unit`, `cluster`, `task_group`, `all`) or several (`[unit_id, task_group]`: each unit's
task groups apart). `unit` is short for `unit_id`; a text parameter may hold the field's name
(the council's choice kept with its source). A reference class (`of:`) is one class or several
(`[tot, xuat_sac]`: "tốt and above"). Every step reports a wrong scope with the same message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scoring.base.errors import Problem
from scoring.base.i18n import _
from scoring.language import expr

SPECIAL = ("all", "cluster")


def as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """One name or several, as a tuple (None: none)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def shown(value: str | Sequence[str] | None) -> str:
    """A scope or a class as written in messages: `unit_id, task_group`."""
    return ", ".join(as_tuple(value))


def resolve(per: str | Sequence[str], names: Mapping[str, expr.Type],
            params: Mapping[str, expr.Value], step: str, source: str, rule: str | None,
            problems: list[Problem]) -> tuple[str, ...]:
    """The fields a scope groups by; a problem for each that is not a field of the record.

    `step` names where the scope is written (`ratings quota`, `title LDTT's quota`,
    `ranking`), for the one message every step gives."""
    out: list[str] = []
    for part in as_tuple(per):
        field = part
        if isinstance(params.get(field), str):
            field = str(params[field])  # the council's choice, kept as a parameter
        field = "unit_id" if field == "unit" else field
        if field not in SPECIAL and field not in names:
            problems.append(Problem(source, _(
                "{step}: the scope {per!r} is not a field of the record (write unit, cluster, "
                "all or a field such as task_group; several as a list: [unit_id, task_group])")
                .format(step=step, per=part), rule))
        out.append(field)
    if not out:
        problems.append(Problem(source, _("{step}: the scope is empty (write unit, cluster, "
                                          "all or a list of fields)").format(step=step), rule))
    return tuple(out)


def key(per: Sequence[str], scope: expr.Scope) -> tuple[str, ...]:
    """The values that group a record for a scope of several fields."""
    return tuple(_one(p, scope) for p in per)


def _one(per: str, scope: expr.Scope) -> str:
    if per == "all":
        return "all"
    if per == "cluster" and "unit.cluster" in scope:
        return str(scope["unit.cluster"])
    value = scope.get(per)
    return "" if value is None else str(value)


def text(per: Sequence[str], values: Sequence[str]) -> str:
    """A scope's values in words: `unit_id = u1, task_group = chung`."""
    return ", ".join(f"{p} = {v}" for p, v in zip(per, values, strict=True))


def within_unit(per: Sequence[str]) -> bool:
    """Whether a scope never reaches beyond one unit (it groups by the unit, among others)."""
    return "unit_id" in per
