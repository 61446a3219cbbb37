"""How ties were broken: for neighbours in a ranking that share the leading value, the first of
the stated keys on which they differ, with both values.

A ranking (`ranking.ranked`) orders by the score (or a rating quota's first key), then the rule
set's declared keys, then the record id; two records next to each other with the same leading
value were separated by the first later key whose values differ. `tie_breaks` names that key
for each such pair, from both sides, so that `explain`, the JSON ledger and the report can say
"tied at 942 with u1; ahead on nội dung, 900 > 880".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from scoring.base.i18n import _
from scoring.evaluation.ranking import rank_parts
from scoring.evaluation.result import TieBreak
from scoring.language import expr, show


def key_names(keys: Sequence[str], lead: str | None = "-score") -> list[str]:
    """The ranking's keys in the order `ranking.rank_key` reads them, the id last."""
    order = list(keys) if lead is None or (keys and keys[0] == lead) else [lead, *keys]
    return [*order, "id"]


def tie_breaks(ordered: Sequence[int], keys: Sequence[str], scopes: Sequence[expr.Scope],
               lead: str | None = "-score") -> dict[int, tuple[TieBreak, ...]]:
    """For each record of `ordered` (a ranking, best first) tied on the leading key with a
    neighbour: the tie-breaks with its neighbours (the one ahead first)."""
    if len(ordered) < 2:
        return {}
    parts: list[Callable[[int], Any]] = rank_parts(keys, scopes, lead)
    names = key_names(keys, lead)
    first = [parts[0](i) for i in ordered]
    out: dict[int, list[TieBreak]] = {}
    for pos in range(len(ordered) - 1):
        if first[pos] != first[pos + 1]:
            continue
        a, b = ordered[pos], ordered[pos + 1]
        k = next((k for k in range(1, len(parts)) if parts[k](a) != parts[k](b)),
                 len(parts) - 1)
        lead_name, name = names[0].lstrip("-"), names[k].lstrip("-")
        at = scopes[a].get(lead_name)
        va, vb = scopes[a].get(name), scopes[b].get(name)
        out.setdefault(a, []).append(TieBreak(str(scopes[b]["id"]), str(scopes[b].get("name", "")),
                                              lead_name, at, name, va, vb, True))
        out.setdefault(b, []).append(TieBreak(str(scopes[a]["id"]), str(scopes[a].get("name", "")),
                                              lead_name, at, name, vb, va, False))
    return {i: tuple(sorted(ts, key=lambda t: t.ahead)) for i, ts in out.items()}


def _show(v: expr.Value) -> str:
    if isinstance(v, Decimal):
        return show.format_number(v)
    if v is None:
        return _("(empty)")
    return str(v)


def sentence(t: TieBreak, labels: Mapping[str, str] | None = None) -> str:
    """The tie in words: `tied at 942 with u1; ahead on nội dung, 900 > 880`."""
    labels = labels or {}
    key = labels.get(t.key) or t.key
    lead = "" if t.lead == "score" else f"{labels.get(t.lead) or t.lead} "
    mine, theirs = t.mine, t.theirs
    if isinstance(mine, Decimal | bool) and isinstance(theirs, Decimal | bool) and mine != theirs:
        values = f"{_show(mine)} {'>' if mine > theirs else '<'} {_show(theirs)}"
    else:
        values = (_("{mine} before {theirs}") if t.ahead else _("{mine} after {theirs}")).format(
            mine=_show(mine), theirs=_show(theirs))
    how = (_("ahead on {key}, {values}") if t.ahead else _("behind on {key}, {values}")).format(
        key=key, values=values)
    who = f"{t.other} ({t.other_name})" if t.other_name and t.other_name != t.other else t.other
    return _("tied at {lead}{at} with {other}; {how}").format(
        lead=lead, at=_show(t.at), other=who, how=how)
