"""Ranks: the one order records are ranked in (score, the declared keys, then the id).

A kind's ranks per scope (`rank_per`), a title quota's candidates and a rating quota's holders
(`evaluation.quotas`) are all ordered here, and the tie-breaks that explain an order
(`evaluation.ties`) and `explain`'s account of a quota read the same key parts, so that every
place that ranks or says why agrees with the others without importing the scorer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from scoring.base.text import collation_key, name_sort_key
from scoring.language import expr
from scoring.rulesets import scopes

__all__ = ["rank_key", "rank_parts", "ranked", "ranked_per_scope"]


def rank_key(keys: Sequence[str], scopes: Sequence[expr.Scope],
             lead: str | None = "-score") -> Callable[[int], Any]:
    """Score first, then the declared keys, then id: the stated tie-break, never input order."""
    parts = rank_parts(keys, scopes, lead)

    def key(i: int) -> tuple[Any, ...]:
        return tuple(part(i) for part in parts)
    return key


def rank_parts(keys: Sequence[str], scopes: Sequence[expr.Scope],
               lead: str | None) -> list[Callable[[int], Any]]:
    """The parts of `rank_key`, one function per key, in order; the record id comes last.
    `evaluation.ties` compares neighbours part by part to name the key that separated them."""
    order = list(keys) if lead is None or (keys and keys[0] == lead) else [lead, *keys]

    def part(k: str) -> Callable[[int], Any]:
        desc, name = k.startswith("-"), k.lstrip("-")

        def value(i: int) -> Any:
            v = scopes[i].get(name)
            if v is None:
                return (1,)
            if isinstance(v, bool | Decimal):
                n = Decimal(int(v)) if isinstance(v, bool) else v
                return (0, -n if desc else n)
            return (0, name_sort_key(v) if name == "name" else collation_key(v))
        return value
    return [*map(part, order), lambda i: (0, str(scopes[i]["id"]))]


def ranked(members: Sequence[int], keys: Sequence[str], scopes: Sequence[expr.Scope],
           lead: str | None = "-score") -> list[int]:
    """`sorted(members, key=rank_key(keys, scopes, lead))`, computing a later part of the key
    (a Vietnamese collation key of a name, say) only for records tied on the earlier parts."""
    return _ranked(list(members), rank_parts(keys, scopes, lead), 0)


def _ranked(items: list[int], parts: list[Callable[[int], Any]], k: int) -> list[int]:
    if len(items) <= 1 or k == len(parts):
        return items
    part = parts[k]
    keyed = sorted(((part(i), i) for i in items), key=lambda pair: pair[0])
    out: list[int] = []
    start = 0
    for end in range(1, len(keyed) + 1):
        if end == len(keyed) or keyed[end][0] != keyed[start][0]:
            tied = [i for _, i in keyed[start:end]]
            out.extend(_ranked(tied, parts, k + 1) if len(tied) > 1 else tied)
            start = end
    return out


def ranked_per_scope(per: Sequence[str], keys: Sequence[str], values: Sequence[expr.Scope]
                     ) -> Iterator[tuple[str, list[int]]]:
    """Each scope's records ranked by `keys` (a kind's `rank_per` and `rank_by`): the scope in
    words and its records, best first, in the order the scopes are first met."""
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, scope in enumerate(values):
        groups[scopes.key(per, scope)].append(i)
    for value, members in groups.items():
        yield scopes.text(per, value), ranked(members, keys, values)
