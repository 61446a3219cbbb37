"""The ledger explained: one record's score and titles, traced to the rules that made them.

`explain` turns a record of a `Result` into an `Explanation`: the inputs as read (file and row),
computed fields, every criterion with the band or formula that applied, the values it read and
the points before and after the cap, the bands above it that were not reached and why, bonus,
deductions and gates (fired or not, with the failing part), the total, each title with every
prerequisite and the gates and quota that decided it, a unit's aggregates with the members
counted by name, and the near misses (`nearmiss.py`), each checked by scoring again.

The total is checked, not trusted: if the ledger does not add up to the record's score, that is
a bug in scoring, and `LedgerError` is raised rather than an explanation that lies.

Renderers: plain text and markdown are built from one list of blocks (so they cannot drift
apart), JSON is the record exactly as the JSON output writes it plus an `explanation` object.
Labels come from the rule set, in Vietnamese; the framing words go through the catalogue
(Vietnamese by default, English with `--lang en`), the JSON's keys stay the same in both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeAlias

from scoring.base.errors import UsageError
from scoring.base.i18n import N_, _, language
from scoring.base.suggest import suggest
from scoring.base.text import fold, nfc
from scoring.evaluation import conditions, rewards
from scoring.evaluation.result import (
    AggregateValue,
    Hit,
    QuotaDecision,
    RecordResult,
    Result,
    TitleDecision,
)
from scoring.evaluation.scorer import Evaluator, rank_key
from scoring.evaluation.ties import sentence as tie_sentence
from scoring.explanations.nearmiss import (
    MAX_CHANGES,
    NearMiss,
    Stage,
    applied_band,
    failing_leaves,
    near_misses,
    own_inputs,
    targets,
)
from scoring.explanations.rating_audit import band_lines
from scoring.history.values import explain_lines
from scoring.inputs.batch import Batch
from scoring.language import evaluate, expr, normal
from scoring.language.show import format_number, render_leaf, unparse
from scoring.language.why import why_not
from scoring.outputs.jsonout import json_number, json_value, to_json_data
from scoring.rulesets.compile import CAggregate, CCriterion, CKind, Compiled
from scoring.rulesets.ruleset import InputSpec, Kind, RatingQuota
from scoring.rulesets.scopes import shown as _scope_shown

__all__ = [
    "FORMATS",
    "AggregateView",
    "CriterionView",
    "Explanation",
    "LedgerError",
    "TitleView",
    "Unfired",
    "explain",
    "explanation_to_json",
    "find_record",
    "kind_labels",
    "ordinal",
    "record_scopes",
    "record_to_json",
    "render",
    "render_markdown",
    "render_text",
    "show",
]

FORMATS = ("text", "json", "markdown")
ZERO = Decimal(0)
Scope: TypeAlias = dict[str, expr.Value]


class LedgerError(RuntimeError):
    """The ledger does not add up to the score: a bug in scoring, never a user mistake."""


# ------------------------------------------------------------------------------- finding one


def _where(r: RecordResult) -> str:
    return f"unit {r.group}" if r.kind == "individual" else f"cluster {r.group}"


def _candidates(records: Sequence[RecordResult]) -> str:
    return "".join(f"\n  {r.id}  {r.name}  ({_where(r)})" for r in records)


def find_record(result: Result, query: str) -> RecordResult:
    """The individual or unit `query` names: an exact id, else a name typed as written (case and
    spacing ignored, diacritics kept: "Nguyễn Văn Ân" is not "Nguyễn Văn An"), else a name
    compared folded (diacritics ignored too), else a unique start of a name, as written and
    then folded. The first of these steps that matches anyone decides.

    Several matches or none raise a `UsageError` (exit 2) listing the candidates or the closest
    names: a secretary must choose, the tool never guesses between two people.
    """
    records = [*result.individuals, *result.units]
    typed, folded_query = nfc(query).casefold(), fold(query)
    for matches in ([r for r in records if r.id == query],
                    [r for r in records if nfc(r.name).casefold() == typed],
                    [r for r in records if fold(r.name) == folded_query],
                    [r for r in records if typed and nfc(r.name).casefold().startswith(typed)],
                    [r for r in records
                     if folded_query and fold(r.name).startswith(folded_query)]):
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise UsageError.one("", _("{count} records match {query!r}; give one of these "
                                       "ids:{candidates}").format(
                count=len(matches), query=query, candidates=_candidates(matches)))
    folded = {fold(r.name): r for r in reversed(records)}
    close = suggest(fold(query), list(folded), count=5)
    close_ids = suggest(query, [r.id for r in records], count=3)
    suggested = [folded[c] for c in close] + [r for r in records if r.id in close_ids]
    unique = list({(r.kind, r.id): r for r in suggested}.values())
    hint = _("; did you mean:{candidates}").format(candidates=_candidates(unique)) if unique else ""
    raise UsageError.one("", _("no individual or unit has the id or name {query!r}{hint}").format(
        query=query, hint=hint))


# ---------------------------------------------------------------------------------- scopes


def _unit_of(result: Result, record: RecordResult) -> RecordResult | None:
    if record.kind != "individual":
        return None
    return next((u for u in result.units if u.id == record.group), None)


def record_scopes(result: Result, record: RecordResult, ck: CKind) -> dict[Stage, Scope]:
    """The record's scope at each stage of scoring, rebuilt from its result.

    Each stage sees what the scorer's did when it evaluated that stage's rules: criteria see
    inputs, the unit's values (`unit.x`), aggregates and computed fields; bonus and deductions
    also the criterion points; gates also the score; titles also the titles of the record's
    kind. So a `why_not` here reads exactly the values the rule read.
    """
    base: Scope = {"id": record.id, "name": record.name}
    if record.kind == "individual":
        base["unit_id"] = record.group
        unit = _unit_of(result, record)
        if unit is not None:
            base.update({"unit.id": unit.id, "unit.name": unit.name, "unit.cluster": unit.group})
            base.update({f"unit.{k}": v for k, v in unit.inputs})
            if unit.rating is not None:
                base[f"unit.{unit.rating.field}"] = unit.rating.final
    else:
        base["cluster"] = record.group
    base.update(record.inputs)
    if record.rating is not None:  # the rules read the final rating, not the one given
        base[record.rating.field] = record.rating.final
        base["rating_points"] = record.rating.points
    base.update({a.name: a.value for a in record.aggregates})
    base.update(record.computed)
    base.update({v.field: v.past for v in record.history})  # history functions' past part
    adjust = {**base, **dict(record.points)}
    gates: Scope = {**adjust, "score": record.score}
    titles = {**gates, **{t.spec.id: t.spec.id in record.titles for t in ck.titles}}
    return {"criteria": base, "adjust": adjust, "gates": gates, "titles": titles}


# ------------------------------------------------------------------------------ the views


@dataclass(frozen=True)
class Unfired:
    """A rule that did not fire, with the failing part and the values it read."""

    rule: str
    section: str
    item: str
    label: str
    condition: str
    why: str


@dataclass(frozen=True)
class CriterionView:
    hit: Hit
    how: str  # the band or formula that applied, in words
    not_reached: tuple[Unfired, ...]  # the bands above it (or its condition) that failed


@dataclass(frozen=True)
class TitleView:
    decision: TitleDecision
    outcome: str
    gates: tuple[str, ...]  # "id (label)" of the gates that blocked it
    quota: str  # the rank and the cut line in words, or ""
    basis: str = ""  # the legal basis of the title, as the rule set cites it


@dataclass(frozen=True)
class AggregateView:
    value: AggregateValue
    fn: str  # count, share, all, any, sum, min, max, mean
    counted: tuple[RecordResult, ...]
    not_counted: tuple[RecordResult, ...]
    # For an aggregate of a title: the members not counted, grouped by why they lack it.
    reasons: tuple[tuple[str, tuple[RecordResult, ...]], ...] = ()


@dataclass(frozen=True)
class Explanation:
    """Everything `explain` shows for one record, as data: the record and its scopes, each
    criterion with the band applied and those missed, titles with prerequisites and quota
    position, a unit's members and aggregates, and near misses checked by scoring again.
    Rendered as text, markdown or JSON by this module's `render`."""

    record: RecordResult
    result: Result
    specs: Mapping[str, InputSpec]
    labels: Mapping[str, str]  # this kind's inputs, computed fields, aggregates, criteria, titles
    unit: RecordResult | None
    criteria: tuple[CriterionView, ...]
    adjustments: tuple[Hit, ...]  # bonus and deductions applied
    gates: tuple[tuple[Hit, tuple[str, ...]], ...]  # fired gates and the titles they block
    unfired: tuple[Unfired, ...]  # bonus, deductions and gates that did not fire
    total: Decimal
    titles: tuple[TitleView, ...]
    members: tuple[RecordResult, ...]
    aggregates: tuple[AggregateView, ...]
    near_misses: tuple[NearMiss, ...]
    shortfalls: tuple[str, ...]
    history: tuple[str, ...] = ()  # what each history function counted, in words
    cap: RatingQuota | None = None  # the rating cap of this kind, when declared
    bands: tuple[str, ...] = ()  # the rating's band and the higher bands missed, in words


def explain(record: RecordResult, result: Result, compiled: Compiled, batch: Batch,
            evaluator: Evaluator | None = None, changes: int = MAX_CHANGES) -> Explanation:
    """Explain one record of `result` (scored from `batch` with `compiled`).

    `changes` bounds the near misses proposed (each costs one scoring of the batch; 0: none).
    Raises `LedgerError` if the hits do not add up to the record's score.
    """
    ck = compiled.kind(record.kind)
    scopes = record_scopes(result, record, ck)
    total = _checked_total(record)
    members = tuple(r for r in result.individuals
                    if record.kind == "unit" and r.group == record.id)
    aggregates = tuple(_aggregate_view(a, record, result, compiled, members)
                       for a in ck.aggregates)
    return Explanation(
        record=record, result=result, specs=ck.inputs, labels=kind_labels(compiled, record.kind),
        unit=_unit_of(result, record),
        criteria=tuple(_criterion_view(c, record, scopes) for c in ck.criteria),
        adjustments=tuple(h for h in record.hits if h.section in ("bonus", "deductions")),
        gates=tuple((h, _blocked(ck, h.item)) for h in record.hits if h.section == "gates"),
        unfired=tuple(_unfired(record, ck, scopes)), total=total,
        titles=tuple(_title_view(d, record, result, compiled) for d in record.decisions),
        members=members, aggregates=aggregates,
        near_misses=near_misses(record, result, compiled, batch, scopes, evaluator, changes),
        shortfalls=tuple(_shortfalls(record, result, ck, scopes, aggregates)),
        history=tuple(explain_lines(record, compiled)),
        cap=ck.ratings.quota if ck.ratings is not None else None,
        bands=tuple(band_lines(record, ck, scopes["titles"])),
    )


def kind_labels(compiled: Compiled, kind: Kind) -> dict[str, str]:
    """Labels of one kind's names (`Result.labels` mixes both kinds: an individual's
    `task_rating` and a unit's share one key there)."""
    kr = compiled.ruleset.kind(kind)
    labels = {n: s.label for n, s in kr.inputs.items()}
    labels.update({n: c.label for n, c in kr.computed.items() if c.label})
    labels.update({n: a.label for n, a in kr.aggregates.items() if a.label})
    labels.update({c.id: c.label for c in kr.criteria})
    labels.update({t.id: t.label for t in compiled.ruleset.titles if t.of == kind})
    return labels


def _checked_total(record: RecordResult) -> Decimal:
    total = sum((h.points for h in record.hits if h.points is not None), ZERO)
    if total != record.score:
        raise LedgerError(f"{record.id}: the ledger adds up to {total} but the score is "
                          f"{record.score}")
    for h in record.hits:
        if h.section == "criteria" and h.points != record.point(h.item):
            raise LedgerError(f"{record.id}: criterion {h.item} has {h.points} in the ledger "
                              f"but {record.point(h.item)} in the points")
    return total


def _points_text(rule_points: expr.Node | None, hit: Hit) -> str:
    if rule_points is None:
        return ""
    formula = unparse(rule_points)
    raw = format_number(hit.raw) if hit.raw is not None else _("missing")
    return formula if isinstance(rule_points, expr.Lit) else f"{formula} = {raw}"


def _criterion_view(c: CCriterion, record: RecordResult, scopes: Mapping[Stage, Scope]
                    ) -> CriterionView:
    hit = next(h for h in record.hits if h.section == "criteria" and h.item == c.spec.id)
    scope = scopes["criteria"]
    index = applied_band(c.group, hit)
    failed = tuple(
        Unfired(rule.key, "criteria", c.spec.id, rule.label or c.spec.label,
                rule.text, why_not(rule.cond, scope))
        for rule in c.group.rules[:index])
    if index == len(c.group.rules):
        how = _("not applied: {note}").format(note=hit.note)
    else:
        rule = c.group.rules[index]
        points = _points_text(rule.points, hit)
        if c.banded:
            how = _("band {number}: when {condition} → {points}").format(
                number=index + 1, condition=rule.text, points=points)
        elif isinstance(rule.cond, normal.CTrue):
            how = _("formula {points}").format(points=points)
        else:
            how = _("when {condition} → {points}").format(condition=rule.text, points=points)
    return CriterionView(hit, how, failed)


def _blocked(ck: CKind, gate: str) -> tuple[str, ...]:
    g = next(g for g in ck.gates if g.id == gate)
    return tuple(t.spec.id for t in ck.titles if t.spec.id in g.blocks)


def _unfired(record: RecordResult, ck: CKind, scopes: Mapping[Stage, Scope]) -> list[Unfired]:
    fired = {(h.section, h.item) for h in record.hits}
    out: list[Unfired] = []
    for section, items in (("bonus", ck.bonus), ("deductions", ck.deductions)):
        for a in items:
            if (section, a.spec.id) not in fired:
                rule = a.group.rules[0]
                out.append(Unfired(rule.key, section, a.spec.id, a.spec.label, rule.text,
                                   why_not(rule.cond, scopes["adjust"])))
    for g in ck.gates:
        if ("gates", g.id) not in fired:
            rule = g.group.rules[0]
            out.append(Unfired(rule.key, "gates", g.id, g.label, rule.text,
                               why_not(rule.cond, scopes["gates"])))
    return out


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# The counted words of the explanation, one and several (Vietnamese has one form for both).
_COUNTED = {
    "place": (N_("{count} place"), N_("{count} places")),
    "prerequisite": (N_("{count} prerequisite"), N_("{count} prerequisites")),
    "candidate": (N_("{count} candidate"), N_("{count} candidates")),
    "member": (N_("{count} member"), N_("{count} members")),
    "more member": (N_("{count} more member"), N_("{count} more members")),
}


def _plural(n: int, word: str) -> str:
    if word in _COUNTED:
        return _(_COUNTED[word][0 if n == 1 else 1]).format(count=n)
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _nth(n: int) -> str:
    """A rank in the sentences: "3rd" in English, "3" in Vietnamese ("xếp thứ 3")."""
    return ordinal(n) if language() == "en" else str(n)


# The sections of the ledger, as the explanation names them.
SECTIONS = {"criteria": N_("criteria"), "bonus": N_("bonus"), "deductions": N_("deductions"),
            "gates": N_("gates")}


def _section(section: str) -> str:
    return _(SECTIONS[section]) if section in SECTIONS else section


def _money(amount: Decimal | int) -> str:
    """An amount of money: 4,260,000 in English, 4.260.000 đ in Vietnamese."""
    return f"{amount:,}" if language() == "en" else f"{amount:,} đ".replace(",", ".")


def _percent(share: Decimal) -> str:
    """A share as a percentage for reading (two decimals at most: 71.43%); the exact value is
    in the ledger and the JSON."""
    return f"{format_number((share * 100).quantize(Decimal('0.01')))}%"


def _title_view(d: TitleDecision, record: RecordResult, result: Result,
                compiled: Compiled) -> TitleView:
    ck = compiled.kind(record.kind)
    gates = tuple(f"{g.id} ({g.label})" for g in ck.gates if g.id in d.gated_by)
    failed = sum(1 for p in d.prerequisites if not p.met)
    if d.awarded:
        outcome = _("awarded")
    elif failed:
        outcome = _("not awarded: {failed} of {prerequisites} not met").format(
            failed=failed, prerequisites=_plural(len(d.prerequisites), "prerequisite"))
    elif gates:
        outcome = _("not awarded: blocked by gate {gates}").format(gates=", ".join(d.gated_by))
    else:
        outcome = _("not awarded: cut by the quota")
    spec = next(t.spec for t in ck.titles if t.spec.id == d.title)
    return TitleView(d, outcome, gates, _quota_text(d, record, result, compiled), spec.basis)


def _quota_text(d: TitleDecision, record: RecordResult, result: Result,
                compiled: Compiled) -> str:
    q = d.quota
    if q is None:
        return ""
    t = next(t for t in compiled.kind(record.kind).titles if t.spec.id == d.title)
    spec = t.quota
    assert spec is not None
    rivals = sorted(((x.quota.rank, r) for r in result.records(record.kind)
                     for x in r.decisions
                     if x.title == d.title and x.quota is not None and x.quota.scope == q.scope),
                    key=lambda pair: pair[0])
    if spec.count is not None:
        basis = _("{places} per {per}").format(places=_plural(spec.count, "place"),
                                               per=_scope_shown(spec.per))
    else:
        assert t.share is not None
        whose = (_("candidates") if spec.of == "candidates"
                 else _("{title} holders").format(title=_scope_shown(spec.of)))
        basis = _("{share} of {count} {whose}").format(share=_percent(t.share),
                                                       count=q.basis_count, whose=whose)
        exact = t.share * q.basis_count
        if exact != q.places:
            way = {"floor": N_("rounded down"), "ceil": N_("rounded up"),
                   "round": N_("rounded to the nearest")}[spec.rounding]
            basis = _("{basis} = {exact}, {way}").format(
                basis=basis, exact=format_number(exact), way=_(way))
    text = _("ranked {rank} of {candidates} for {title} in {scope} by {order}; {places} "
             "({basis}); {decision}").format(
        rank=_nth(q.rank), candidates=_plural(len(rivals), "candidate"), title=d.title,
        scope=q.scope, order=_rank_words(spec.rank_by), places=_plural(q.places, "place"),
        basis=basis, decision=_("cut by the quota") if q.cut else _("within the quota"))
    last = next((r for rank, r in rivals if rank == q.places), None)
    if q.cut and last is not None:
        text = _("{text}; the cut line is {name} ({id}), {rank} with {score} points").format(
            text=text, name=last.name, id=last.id, rank=_nth(q.places),
            score=format_number(last.score))
    return text


def _rank_words(keys: Sequence[str]) -> str:
    """`("-score", "name")` → "score (highest first), then name, then id" (the scorer's order:
    score first unless the keys start with it, the id last)."""
    order = list(keys) if keys and keys[0] == "-score" else ["-score", *keys]
    shown = {"score": _("score")}  # the one key that is not a name of the rule set
    words = [_("{key} (highest first)").format(key=shown.get(k[1:], k[1:]))
             if k.startswith("-") else shown.get(k, k) for k in order]
    return _(", then ").join([*words, "id"])


def _aggregate_view(agg: CAggregate, unit: RecordResult, result: Result, compiled: Compiled,
                    members: Sequence[RecordResult]) -> AggregateView:
    value = next(a for a in unit.aggregates if a.name == agg.name)
    ck = compiled.kind("individual")
    chosen = [m for m in members if agg.where is None
              or evaluate.holds(agg.where, record_scopes(result, m, ck)["titles"])]
    listed = set(value.members)
    if agg.spec.fn == "all":  # its members are the ones that do not meet it
        counted = [m for m in chosen if m.id not in listed]
    else:
        counted = [m for m in chosen if m.id in listed]
    not_counted = tuple(m for m in chosen if m not in counted)
    title = agg.of.name if isinstance(agg.of, expr.Name) else ""
    reasons: dict[str, list[RecordResult]] = {}
    if any(t.spec.id == title for t in ck.titles):
        for m in not_counted:
            reasons.setdefault(_why_no_title(m, title), []).append(m)
    return AggregateView(value, agg.spec.fn, tuple(counted), not_counted,
                         tuple((why, tuple(ms)) for why, ms in reasons.items()))


def _why_no_title(member: RecordResult, title: str) -> str:
    d = next(d for d in member.decisions if d.title == title)
    failed = [p.condition for p in d.prerequisites if not p.met]
    if failed:
        return _("not met: {conditions}").format(conditions="; ".join(failed))
    if d.gated_by:
        return _("blocked by gate {gates}").format(gates=", ".join(d.gated_by))
    if d.quota is not None and d.quota.cut:
        return _("cut by the quota ({places} in {scope})").format(
            places=_plural(d.quota.places, "place"), scope=d.quota.scope)
    return _("not awarded")


def _names(records: Sequence[RecordResult]) -> str:
    return ", ".join(f"{r.name} ({r.id})" for r in records) or _("none")


def _shortfalls(record: RecordResult, result: Result, ck: CKind,
                scopes: Mapping[Stage, Scope], aggregates: Sequence[AggregateView]
                ) -> list[str]:
    """What a failing condition lacks when no input of the record can supply it: members
    counted by an aggregate, points, the score, a unit value; and the points a candidate cut
    by a quota lacks to reach the cut line."""
    views = {v.value.name: v for v in aggregates}
    out = [text for d in record.decisions
           if (text := _cut_line_short(d, record, result, ck, scopes["titles"]))]
    for target in targets(record, ck):
        scope = scopes[target.stage]
        for leaf in failing_leaves(target.cond, scope):
            if not (isinstance(leaf, normal.CLeaf) and isinstance(leaf.term, expr.Name)
                    and isinstance(leaf.const, Decimal)) or own_inputs(leaf.term, ck):
                continue
            name = leaf.term.name
            agg = next((a for a in ck.aggregates if a.name == name), None)
            if agg is not None and agg.spec.fn in ("count", "share"):
                text = _members_short(leaf, agg, views[name])
            else:
                text = _amount_short(leaf, scope.get(name))
            line = _("to {goal}: {shortfall}").format(goal=target.goal, shortfall=text)
            if text and line not in out:
                out.append(line)
    return out


def _cut_line_short(d: TitleDecision, record: RecordResult, result: Result, ck: CKind,
                    scope: Scope) -> str:
    """The points a candidate cut by a quota lacks, and who would win a tie at the cut line
    (by the quota's own ranking keys, as the scorer orders them)."""
    q = d.quota
    if q is None or not q.cut or not d.eligible:
        return ""
    if q.places == 0:
        return _("to win a {title} place: the quota leaves no place in {scope}").format(
            title=d.title, scope=q.scope)
    last = next(r for r in result.records(record.kind) for x in r.decisions
                if x.title == d.title and x.quota is not None and x.quota.scope == q.scope
                and x.quota.rank == q.places)
    spec = next(t.quota for t in ck.titles if t.spec.id == d.title)
    assert spec is not None
    key = rank_key(spec.rank_by, [{**scope, "score": last.score},
                                  record_scopes(result, last, ck)["titles"]])
    gap = format_number(last.score - record.score)
    words = {"title": d.title, "name": last.name, "id": last.id,
             "score": format_number(last.score), "gap": gap,
             "order": _rank_words(spec.rank_by)}
    if key(0) < key(1):
        return _("to win a {title} place: the cut line is {name} ({id}) with {score} points; "
                 "{gap} more points would tie and win the tie ({order})").format(**words)
    return _("to win a {title} place: the cut line is {name} ({id}) with {score} points; "
             "{gap} more points would tie but lose the tie ({order}): more than {gap} are "
             "needed").format(**words)


def _members_short(leaf: normal.CLeaf, agg: CAggregate, view: AggregateView) -> str:
    counted, base = len(view.counted), len(view.counted) + len(view.not_counted)
    assert isinstance(leaf.const, Decimal)
    for extra in range(1, len(view.not_counted) + 1):
        n = Decimal(counted + extra)
        value = n / base if agg.spec.fn == "share" else n
        if evaluate.holds(normal.CLeaf(leaf.term, leaf.op, leaf.const), {agg.name: value}):
            shown = _("{count} of {total}").format(count=counted + extra, total=base) + (
                f" = {_percent(value)}" if agg.spec.fn == "share" else "")
            return _("{condition} needs {more} counted ({shown}; now {count} of {total}): see "
                     "the aggregates of members").format(
                condition=render_leaf(leaf), more=_plural(extra, "more member"),
                shown=shown, count=counted, total=base)
    return _("{condition} cannot be met by this unit's members ({count} of {total} "
             "counted)").format(condition=render_leaf(leaf), count=counted, total=base)


def _amount_short(leaf: normal.CLeaf, value: expr.Value) -> str:
    assert isinstance(leaf.const, Decimal)
    if not isinstance(value, Decimal) or leaf.op in ("==", "!="):
        return ""
    gap = leaf.const - value if leaf.op in (">=", ">") else value - leaf.const
    strict = leaf.op in (">", "<") and gap == 0
    if leaf.op in (">=", ">"):
        text = (_("{condition} was {value}: {gap} more (and a little) needed") if strict
                else _("{condition} was {value}: {gap} more needed"))
    else:
        text = (_("{condition} was {value}: {gap} less (and a little) needed") if strict
                else _("{condition} was {value}: {gap} less needed"))
    return text.format(condition=render_leaf(leaf), value=format_number(value),
                       gap=format_number(gap))


# ------------------------------------------------------------------------------ values shown


def show(value: expr.Value, spec: InputSpec | None = None) -> str:
    """A value as a secretary reads it: numbers plain, yes/no, enum keys with their label."""
    if value is None:
        return _("(blank)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return format_number(value)
    label = (spec.values or {}).get(value) if spec is not None and spec.type == "enum" else None
    return f"{value} ({label})" if label and label != value else value


def _reads(hit: Hit, ex: Explanation) -> str:
    return ", ".join(f"{n} = {show(v, ex.specs.get(n))}" for n, v in hit.reads) or _("nothing")


def _signed(d: Decimal) -> str:
    return f"+{format_number(d)}" if d >= 0 else format_number(d)


# ---------------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Items:
    items: tuple[tuple[str, tuple[str, ...]], ...]  # (line, sub-lines)


Block: TypeAlias = Heading | Para | Table | Items


def blocks(ex: Explanation) -> list[Block]:
    """The explanation as blocks in reading order: what each renderer (text, Markdown, the
    web page) lays out in its own form."""
    return [*_header(ex), *_inputs(ex), *_rating(ex), *_criteria(ex), *_adjustments(ex),
            *_gates(ex),
            *_total(ex), *_titles(ex), *_rewards(ex), *_history(ex), *_unit_members(ex),
            *_near(ex)]


def _header(ex: Explanation) -> list[Block]:
    r, res = ex.record, ex.result
    if ex.unit is not None:
        who = _("Individual of unit {unit} {name} (cluster {cluster})").format(
            unit=ex.unit.id, name=ex.unit.name, cluster=ex.unit.group)
    elif r.kind == "individual":
        who = _("Individual of unit {unit}").format(unit=r.group)
    else:
        who = _("Unit of cluster {cluster}").format(cluster=r.group)
    titles = ", ".join(f"{t} {ex.labels.get(t, t)}" for t in r.titles) or _("none")
    out: list[Block] = [
        Heading(_("Explanation: {name} ({id})").format(name=r.name, id=r.id), 1),
        Para(who),
        Para(_("Rule set: {ruleset} ({year}) {name}").format(
            ruleset=res.ruleset, year=res.year, name=res.name).rstrip()),
        Para(_("Rule set content hash: {hash}").format(hash=res.hash)),
        Para(_("Score: {score}; ranked {rank} of {count} in {scope}").format(
            score=format_number(r.score),
            rank=ordinal(r.rank) if language() == "en" else r.rank,  # "xếp thứ 11/38"
            count=r.rank_of, scope=r.rank_scope)),
        *(Para(tie_sentence(t, ex.labels)) for t in r.ties),
        Para(_("Titles: {titles}").format(titles=titles)),
    ]
    others = tuple(f"{x.id} (" for x in (*res.individuals, *res.units))
    warnings = [*(w for w in res.warnings if not w.startswith(others)), *r.warnings]
    if warnings:
        out.append(Items(tuple((_("warning: {warning}").format(warning=w), ())
                               for w in warnings)))
    return out


def _inputs(ex: Explanation) -> list[Block]:
    r = ex.record
    labels = ex.labels
    out: list[Block] = [
        Heading(_("Inputs as read ({origin})").format(origin=r.origin)),
        Table((_("input"), _("label"), _("value")),
              tuple((n, labels.get(n, ""), show(v, ex.specs.get(n))) for n, v in r.inputs)),
    ]
    if r.extra:
        out += [Heading(_("Other columns (carried through, not scored)")),
                Table((_("column"), _("value")), tuple((k, v) for k, v in r.extra))]
    out.append(Heading(_("Computed fields")))
    if r.computed:
        out.append(Table((_("field"), _("label"), _("value")),
                         tuple((n, labels.get(n, ""), show(v)) for n, v in r.computed)))
    else:
        out.append(Para(_("none")))
    return out


def _rating(ex: Explanation) -> list[Block]:
    """How the rating the rules read was reached: points, band, override, the quota's cut."""
    d = ex.record.rating
    if d is None:
        return []
    spec = ex.specs.get(d.field)
    lines: list[str] = []
    if d.points is None:
        lines.append(_("rated on paper: {rating} (no points given)").format(
            rating=show(d.given, spec)))
    else:
        lines.append(_("points: {points} → {rating} (rule {rule})").format(
            points=format_number(d.points), rating=show(d.band, spec), rule=d.band_rule))
        lines += ex.bands
        if d.given is not None:
            lines.append((_("also given on paper: {rating}; the points decide")
                          if d.given != d.band else _("also given on paper: {rating}")).format(
                rating=show(d.given, spec)))
    if d.override:
        lines.append(_("override {override}: {reason} → wins over the points").format(
            override=d.override, reason=d.override_reason))
    if d.quota is not None:
        lines += _cap_lines(d.quota, d.moved_to, ex)
    if d.outside_cap:
        lines.append(_("outside the cap: rated on paper under another text (not a civil "
                       "servant rated from points), so neither counted nor moved"))
    if d.warning:
        lines.append(_("warning: {warning}").format(warning=d.warning))
    return [Heading(_("Rating ({field})").format(field=d.field)),
            Items(((_("final: {rating}").format(rating=show(d.final, spec)), tuple(lines)),))]


def _cap_lines(q: QuotaDecision, moved_to: str | None, ex: Explanation) -> list[str]:
    """The rating cap in words, with its arithmetic: `20% of 11 'tốt' = 2.2 → 2 places`."""
    ratings = ex.cap
    spec = ex.specs.get(ex.record.rating.field) if ex.record.rating else None
    of = _scope_shown(ratings.of) if ratings is not None else _("the reference class")
    held = q.places + q.on_paper
    lines = []
    if q.share is not None:
        exact = q.share * q.basis_count
        way = {"floor": N_("rounded down"), "ceil": N_("rounded up"), "round": N_("rounded")}.get(
            ratings.rounding if ratings is not None else "floor", N_("rounded down"))
        lines.append(_("cap: {share} of {count} '{of}' = {exact} → {places} ({way})").format(
            share=_percent(q.share), count=q.basis_count, of=of,
            exact=format_number(exact), places=_plural(held, "place"), way=_(way)))
    if q.reading == "final_list":
        lines.append(_("read on the final list: the most kept whose count stays within the "
                       "share of the final '{of}' count, those moved down included").format(of=of))
    elif q.reading:
        lines.append(_("counted before any move (the rule set's declared reading)"))
    if q.on_paper:
        lines.append(_("{places} taken by holders rated on paper, never moved").format(
            places=_plural(q.on_paper, "place")))
    lines.append(_("ranked {rank} for the {places} in {scope} ({rule})").format(
        rank=_nth(q.rank), places=_plural(q.places, "place"), scope=q.scope,
        rule=q.rule or _("declared share")))
    lines += [tie_sentence(t, ex.labels) for t in q.ties]
    if q.cut and moved_to:
        lines.append(_("moved down to {rating} by the cap").format(rating=show(moved_to, spec)))
    return lines


def _rewards(ex: Explanation) -> list[Block]:
    """What the record's titles are paid, and those not paid: one reward per achievement."""
    r = ex.record
    if ex.result.base_salary is None:
        return []
    items = [(_("{title} {label}: {amount} paid").format(
        title=tid, label=ex.labels.get(tid, tid), amount=_money(amount)), ())
             for tid, amount in r.rewards]
    items += [(rewards.explain_line(u), ()) for u in r.not_paid]
    total = _("total paid: {amount} ({rule})").format(amount=_money(r.reward),
                                                      rule=ex.result.reward_rule)
    return [Heading(_("Rewards")),
            Items(tuple(items)) if items else Para(_("no title with a reward")),
            Para(total)]


def _criteria(ex: Explanation) -> list[Block]:
    items = []
    for c in ex.criteria:
        h = c.hit
        points = format_number(h.points if h.points is not None else ZERO)
        label = ex.labels.get(h.item, h.label)
        band = f" [{h.label}]" if h.label != label else ""
        lines = [_("rule {rule}: {how}").format(rule=h.rule, how=c.how),
                 _("read: {values}").format(values=_reads(h, ex))]
        if h.computed is not None:
            lines.append(_("computed by the rules: {points}; overridden in the review "
                           "rounds").format(points=format_number(h.computed)))
        elif h.raw is not None and h.raw != h.points:
            lines.append(_("before the cap: {points}; {note}").format(
                points=format_number(h.raw), note=h.note))
        elif h.note and h.condition:
            lines.append(_("note: {note}").format(note=h.note))
        lines += round_lines(h)
        lines += [_("band {number} not reached ({condition}): {why}").format(
                      number=_band_no(u.rule), condition=u.condition, why=u.why)
                  if _band_no(u.rule) else _("failed: {why}").format(why=u.why)
                  for u in c.not_reached]
        head = (_("{item} {label}{band}: {points} of {max} points") if h.cap is not None
                else _("{item} {label}{band}: {points} points"))
        items.append((head.format(item=h.item, label=label, band=band, points=points,
                                  max=format_number(h.cap) if h.cap is not None else ""),
                      tuple(lines)))
    return [Heading(_("Criteria")), Items(tuple(items)) if items else Para(_("none declared"))]


def _band_no(rule_key: str) -> str:
    """`individual.criteria.task[1]` → "2" (bands are numbered from 1 for people)."""
    if rule_key.endswith("]") and "[" in rule_key:
        return str(int(rule_key[rule_key.rindex("[") + 1 : -1]) + 1)
    return ""


def _rule_lines(h: Hit, ex: Explanation) -> tuple[str, ...]:
    lines = [_("rule {rule}: when {condition}").format(rule=h.rule, condition=h.condition),
             _("read: {values}").format(values=_reads(h, ex))]
    if h.raw is not None and h.points is not None and h.raw != abs(h.points):
        lines.append(_("before the cap: {points} (cap {cap})").format(
            points=format_number(h.raw),
            cap=format_number(h.cap) if h.cap is not None else _("none")))
    if h.note:
        lines.append(_("note: {note}").format(note=h.note))
    lines += round_lines(h)
    return tuple(lines)


def round_lines(h: Hit) -> list[str]:
    """Every review round's value for a judged or overridden item: who gave it and why; the
    last one decides."""
    out = []
    for i, v in enumerate(h.rounds):
        line = _("round {label} ({round}): {points}").format(
            label=v.label, round=v.round, points=format_number(v.points))
        if v.who:
            line = _("{line} by {who}").format(line=line, who=v.who)
        if v.reason:
            line = _("{line}: {reason}").format(line=line, reason=v.reason)
        if i == len(h.rounds) - 1:
            line = _("{line} (final)").format(line=line)
        out.append(f"{line} [{v.origin}]")
    return out


def _adjustments(ex: Explanation) -> list[Block]:
    items = [(f"{_signed(h.points or ZERO)} {h.item} {h.label} ({_section(h.section)})",
              _rule_lines(h, ex)) for h in ex.adjustments]
    items += [(_("{item} {label} ({section}): not applied").format(
                   item=u.item, label=u.label, section=_section(u.section)), _unfired_lines(u))
              for u in ex.unfired if u.section in ("bonus", "deductions")]
    return [Heading(_("Bonus and deductions")),
            Items(tuple(items)) if items else Para(_("none declared"))]


def _unfired_lines(u: Unfired) -> tuple[str, ...]:
    return (_("rule {rule}: when {condition}").format(rule=u.rule, condition=u.condition),
            _("failed: {why}").format(why=u.why))


def _gates(ex: Explanation) -> list[Block]:
    items = [(_("{item} {label}: FIRED, blocks {titles}").format(
                  item=h.item, label=h.label, titles=", ".join(blocked) or _("nothing")),
              _rule_lines(h, ex)) for h, blocked in ex.gates]
    items += [(_("{item} {label}: did not fire").format(item=u.item, label=u.label),
               _unfired_lines(u))
              for u in ex.unfired if u.section == "gates"]
    return [Heading(_("Gates")), Items(tuple(items)) if items else Para(_("none declared"))]


def _total(ex: Explanation) -> list[Block]:
    rows = tuple((h.item, ex.labels.get(h.item, h.label), _section(h.section),
                  _signed(h.points) if h.section != "criteria" else format_number(h.points))
                 for h in ex.record.hits if h.points is not None)
    rows += ((_("total"), "", "", format_number(ex.total)),)
    return [Heading(_("Total")), Table((_("item"), _("label"), _("section"), _("points")), rows),
            Para(_("The ledger adds up to the score: {total}.").format(
                total=format_number(ex.total)))]


def _titles(ex: Explanation) -> list[Block]:
    items = []
    for t in ex.titles:
        d = t.decision
        lines = [conditions.explain_line(p) for p in d.prerequisites]
        lines += [_("blocked by gate {gates}").format(gates=g) for g in t.gates]
        if t.quota:
            lines.append(_("quota: {quota}").format(quota=t.quota))
        lines += [tie_sentence(x, ex.labels) for x in (d.quota.ties if d.quota else ())]
        if d.quota is not None and d.quota.rule:
            lines.append(_("quota basis: {rule}").format(rule=d.quota.rule))
        if t.basis:
            lines.append(_("basis: {basis}").format(basis=t.basis))
        items.append((_("{title} {label}: {outcome}").format(
            title=d.title, label=d.label, outcome=t.outcome), tuple(lines)))
    return [Heading(_("Titles")), Items(tuple(items)) if items else Para(_("none declared"))]


def _history(ex: Explanation) -> list[Block]:
    if not ex.history:
        return []
    return [Heading(_("Past years (history)")), Items(tuple((line, ()) for line in ex.history))]


def _unit_members(ex: Explanation) -> list[Block]:
    if ex.record.kind != "unit":
        return []
    rows = tuple((m.id, m.name, format_number(m.score), ", ".join(m.titles) or "-")
                 for m in ex.members)
    items = [(_aggregate_line(v, ex.labels), _aggregate_details(v)) for v in ex.aggregates]
    return [Heading(_("Members ({count})").format(count=len(ex.members))),
            Table((_("id"), _("name"), _("score"), _("titles")), rows),
            Heading(_("Aggregates of members")),
            Items(tuple(items)) if items else Para(_("none declared"))]


def _aggregate_line(v: AggregateView, labels: Mapping[str, str]) -> str:
    a = v.value
    label = labels.get(a.name, "")
    name = f"{a.name} ({label})" if label else a.name
    k, base = len(v.counted), len(v.counted) + len(v.not_counted)
    if v.fn == "share" and isinstance(a.value, Decimal):
        return _("{name} = {count} of {total} = {share}").format(
            name=name, count=k, total=base, share=_percent(a.value))
    if v.fn == "count":
        return _("{name} = {value} of {total} members").format(
            name=name, value=show(a.value), total=base)
    if v.fn in ("all", "any"):
        return _("{name} = {value} ({count} of {total} members meet it)").format(
            name=name, value=show(a.value), count=k, total=base)
    return _("{name} = {value} over {members} with a value").format(
        name=name, value=show(a.value), members=_plural(k, "member"))


def _aggregate_details(v: AggregateView) -> tuple[str, ...]:
    lines = [_("counted: {names}").format(names=_names(v.counted))]
    if v.reasons:
        lines += [_("not counted, {why}: {names}").format(why=why, names=_names(ms))
                  for why, ms in v.reasons]
    elif v.not_counted and v.counted:
        lines.append(_("not counted: {names}").format(names=_names(v.not_counted)))
    return tuple(lines)


def _near(ex: Explanation) -> list[Block]:
    out: list[Block] = [Heading(_("Near misses"))]
    items = []
    for nm in ex.near_misses:
        c, e = nm.change, nm.effect
        spec = ex.specs.get(c.input)
        label = ex.labels.get(c.input, "")
        checked = _("checked by scoring again: score {before} → {after} ({delta})").format(
            before=format_number(e.score - e.delta), after=format_number(e.score),
            delta=_signed(e.delta))
        checked = (_("{line}; gains {titles}").format(line=checked, titles=", ".join(e.gained))
                   if e.gained else _("{line}; no title gained").format(line=checked))
        if e.lost:
            checked = _("{line}; loses {titles}").format(line=checked, titles=", ".join(e.lost))
        lines = [_("makes {condition} hold").format(condition=c.leaf), checked]
        lines += [f"{cid}: {format_number(old)} → {format_number(new)}"
                  for cid, old, new in e.criteria]
        lines += [_("also: {other}").format(other=o) for o in e.others]
        items.append((_("{input} ({label}) {old} → {new}, to {goal}").format(
            input=c.input, label=label, old=show(c.old, spec), new=show(c.new, spec),
            goal=c.goal), tuple(lines)))
    if items:
        out.append(Items(tuple(items)))
    else:
        out.append(Para(_("none: no single change of this record's inputs meets a failed "
                          "condition")))
    if ex.shortfalls:
        out += [Heading(_("Shortfalls no input of this record can close")),
                Items(tuple((s, ()) for s in ex.shortfalls))]
    return out


# ------------------------------------------------------------------------------- renderers


def _text_table(t: Table) -> list[str]:
    rows = [t.headers, *t.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(t.headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()

    return [line(t.headers), line(["-" * w for w in widths]), *(line(r) for r in t.rows)]


def render_text(ex: Explanation) -> str:
    """Plain text: underlined headings, aligned tables, dashed items with indented details."""
    lines: list[str] = []
    for b in blocks(ex):
        if isinstance(b, Heading):
            if lines:
                lines.append("")
            lines += [b.text, ("=" if b.level == 1 else "-") * len(b.text)]
        elif isinstance(b, Para):
            lines.append(b.text)
        elif isinstance(b, Table):
            lines += _text_table(b)
        else:
            for text, subs in b.items:
                lines.append(f"- {text}")
                lines += [f"    {s}" for s in subs]
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def render_markdown(ex: Explanation) -> str:
    """Markdown: the same blocks as the text, with headings, tables and nested lists."""
    parts: list[str] = []
    for b in blocks(ex):
        if isinstance(b, Heading):
            parts.append(f"{'#' * b.level} {b.text}")
        elif isinstance(b, Para):
            parts.append(b.text)
        elif isinstance(b, Table):
            rows = [b.headers, tuple("---" for _ in b.headers), *b.rows]
            parts.append("\n".join("| " + " | ".join(_md_cell(c) for c in r) + " |"
                                   for r in rows))
        else:
            parts.append("\n".join(f"- {text}" + "".join(f"\n  - {s}" for s in subs)
                                   for text, subs in b.items))
    return "\n\n".join(parts) + "\n"


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
                                           "cluster": unit.group},
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


def render(ex: Explanation, fmt: str) -> str:
    """Render an explanation as `text`, `markdown` or `json`."""
    if fmt == "text":
        return render_text(ex)
    if fmt == "markdown":
        return render_markdown(ex)
    if fmt == "json":
        return json.dumps(explanation_to_json(ex), ensure_ascii=False, indent=2) + "\n"
    raise ValueError(f"unknown explanation format {fmt!r}; expected one of {FORMATS}")
