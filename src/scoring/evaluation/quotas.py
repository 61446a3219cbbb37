"""Quotas: how many of a scope may hold a title, and the cap of one rating against others.

A title's quota ranks each scope's eligible candidates and cuts those past its places; a rating
quota (`RatingQuota`) keeps the best-ranked holders of the capped rating up to its share of the
reference classes and moves the rest down. Both count places the same way (`quota_places`) and
leave a `QuotaDecision` on every record they ranked. The scorer calls them at its titles and
ratings phases; they read and change only the records' values and ratings.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from scoring.evaluation.ranking import ranked
from scoring.evaluation.result import QuotaDecision, RatingDecision
from scoring.evaluation.ties import tie_breaks
from scoring.language import expr
from scoring.rulesets import scopes
from scoring.rulesets.compile import RATING_POINTS, CRatings, CTitle

__all__ = ["apply_quota", "final_list_places", "quota_places", "rating_quota"]


def quota_places(share: Decimal, base: int, rounding: str) -> int:
    """The places a share of `base` gives, rounded as the quota says (down unless `ceil` or
    `round`, half up)."""
    exact = share * base
    if rounding == "ceil":
        return math.ceil(exact)
    if rounding == "round":
        return int(exact.quantize(Decimal(1), ROUND_HALF_UP))
    return math.floor(exact)


def apply_quota(t: CTitle, candidates: list[int], values: Sequence[expr.Scope]
                ) -> dict[int, QuotaDecision]:
    """A title's quota: in each scope, the candidates ranked by the quota's keys and those past
    its places cut; every candidate's decision."""
    q = t.quota
    assert q is not None
    per = t.per
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in candidates:
        groups[scopes.key(per, values[i])].append(i)
    out: dict[int, QuotaDecision] = {}
    holders: dict[tuple[str, ...], int] = defaultdict(int)
    if q.of not in (None, "candidates"):
        of = scopes.as_tuple(q.of)
        for s in values:
            if any(s.get(o) is True for o in of):
                holders[scopes.key(per, s)] += 1
    for value in sorted(groups):
        members = groups[value]
        if q.count is not None:
            places, base = q.count, len(members)
        else:
            base = len(members) if q.of == "candidates" else holders[value]
            assert t.share is not None
            places = quota_places(t.share, base, q.rounding)
        order = ranked(members, q.rank_by, values)
        tied = tie_breaks(order, q.rank_by, values)
        for pos, i in enumerate(order):
            out[i] = QuotaDecision(scopes.text(per, value), pos + 1, places, base,
                                   pos >= places, q.basis, ties=tied.get(i, ()))
    return out


def rating_quota(cr: CRatings, values: Sequence[dict[str, expr.Value]],
                 ratings: list[RatingDecision | None]) -> None:
    """The cap of one rating relative to another, per scope (see `RatingQuota`).

    Records outside the cap (rated on paper under another text, when it counts only those
    rated from points) are marked and never moved. Of the counted holders, those rated on
    paper keep their rating; the others are ranked and the first `room` stay."""
    q = cr.quota
    assert q is not None and cr.share is not None
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, scope in enumerate(values):
        groups[scopes.key(cr.per, scope)].append(i)
    of = cr.of
    for value in sorted(groups):
        members = groups[value]
        counted = [i for i in members
                   if q.counts == "all" or values[i][RATING_POINTS] is not None]
        for i in sorted(set(members) - set(counted)):
            rated = ratings[i]
            if rated is not None and (rated.final == q.rating or rated.final in of):
                ratings[i] = replace(rated, outside_cap=True)
        own = _unit_share(q.share_field, [values[i] for i in members])
        share = cr.share if own is None else own
        # the reference classes' count besides the capped class's holders (who count too when
        # the capped class is one of them: "xuất sắc ≤ 20% of tốt and above")
        base = sum(1 for i in counted
                   if values[i][cr.field] in of and values[i][cr.field] != q.rating)
        holders = [i for i in counted if values[i][cr.field] == q.rating]
        paper = {i for i in holders if values[i][RATING_POINTS] is None}
        movable = ranked([i for i in holders if i not in paper], q.rank_by, values, lead=None)
        joins, stays = q.demote_to in of, q.rating in of
        tied = tie_breaks(movable, q.rank_by, values, lead=None)
        if q.counted == "before_moves":
            reference = base + (len(holders) if stays else 0)
            kept = quota_places(share, reference, q.rounding)
        else:
            kept = final_list_places(share, base, len(holders), len(paper), q.rounding,
                                     joins, stays)
            down = len(holders) - max(kept, len(paper))
            reference = (base + (down if joins else 0)
                         + (len(holders) - down if stays else 0))
        room = max(0, kept - len(paper))
        scope_text = scopes.text(cr.per, value)
        for pos, i in enumerate(movable):
            cut = pos >= room
            decision = QuotaDecision(scope_text, pos + 1, room, reference, cut, q.basis, share,
                                     q.counted, len(paper), tied.get(i, ()))
            moved = q.demote_to if cut else None
            if cut:
                values[i][cr.field] = q.demote_to
            rated = ratings[i]
            assert rated is not None
            ratings[i] = replace(rated, quota=decision, moved_to=moved,
                                 final=str(values[i][cr.field]))


def final_list_places(share: Decimal, reference: int, holders: int, fixed: int,
                      rounding: str, joins: bool = True, stays: bool = False) -> int:
    """The largest number k ≤ `holders` of the capped rating that the final list allows:
    k ≤ share × (reference + holders − k), since everyone moved down joins the reference
    class (`joins`; and + k when the capped class is itself one of the reference classes,
    `stays`). `fixed` holders cannot move (rated on paper), so k is at least that."""
    for k in range(holders, fixed - 1, -1):
        final = reference + (holders - k if joins else 0) + (k if stays else 0)
        if k <= quota_places(share, final, rounding):
            return k
    return fixed


def _unit_share(field: str | None, scopes: Sequence[expr.Scope]) -> Decimal | None:
    """The share a unit was allowed instead of the rule set's (one value per scope)."""
    if field is None:
        return None
    for scope in scopes:
        value = scope.get(f"unit.{field}")
        if isinstance(value, Decimal):
            return value
    return None
