"""How a rating was decided, in words: the band the points fell in (its rating, label and
condition), and each higher band the record missed with the part of its condition that failed,
with the record's values ("missed xuat_sac: rating_points >= 90 was 88 >= 90")."""

from __future__ import annotations

from scoring.base.i18n import _
from scoring.evaluation.result import RecordResult
from scoring.language import expr
from scoring.language.why import explained
from scoring.rulesets.compile import RATING_POINTS, CKind


def band_lines(record: RecordResult, ck: CKind, scope: expr.Scope) -> list[str]:
    """The band chosen and the higher bands missed; empty when rated on paper."""
    cr, d = ck.ratings, record.rating
    if cr is None or d is None or d.points is None:
        return []
    keys = [r.key for r in cr.bands.rules]
    at = keys.index(d.band_rule) if d.band_rule in keys else len(keys)
    local = {**scope, RATING_POINTS: d.points}
    out: list[str] = []
    if at < len(keys):
        rule = cr.bands.rules[at]
        label = f" {rule.label}" if rule.label else ""
        out.append(_("band {n}: {rating}{label}, because {condition}").format(
            n=at + 1, rating=cr.band_ratings[at], label=label, condition=rule.text))
    else:
        out.append(_("no band matched"))
    for n in range(at):
        rule = cr.bands.rules[n]
        why = explained(rule.cond)(local) or rule.text
        out.append(_("missed band {n} ({rating}): {why}").format(
            n=n + 1, rating=cr.band_ratings[n], why=why))
    return out
