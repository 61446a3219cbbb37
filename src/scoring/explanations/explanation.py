"""The ledger explained: one record's score and titles, traced to the rules that made them.

`explain` turns a record of a `Result` into an `Explanation`: the inputs as read (file and row),
computed fields, every criterion with the band or formula that applied, the values it read and
the points before and after the cap, the bands above it that were not reached and why, bonus,
deductions and gates (fired or not, with the failing part), the total, each title with every
prerequisite and the gates and quota that decided it, a unit's aggregates with the members
counted by name, and the near misses (`nearmiss.py`), each checked by scoring again.

The total is checked, not trusted: if the ledger does not add up to the record's score, that is
a bug in scoring, and `LedgerError` is raised rather than an explanation that lies.

This module builds the explanation as data; `render.py` renders it as plain text (`text.py`,
whose blocks the Markdown of `markdown.py` and the web page lay out too) or JSON (`jsonview.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

from scoring.base.errors import UsageError
from scoring.base.i18n import N_, _, language
from scoring.base.suggest import suggest
from scoring.base.text import match_key, nfc
from scoring.evaluation.ranking import rank_key
from scoring.evaluation.result import (
    AggregateValue,
    Hit,
    RecordResult,
    Result,
    TitleDecision,
)
from scoring.evaluation.scorer import Evaluator
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
from scoring.explanations.vocab import Vocab
from scoring.history.values import explain_lines
from scoring.inputs.batch import Batch
from scoring.language import evaluate, expr, normal
from scoring.language.show import format_number, render_leaf, unparse
from scoring.language.why import why_not
from scoring.rulesets.compile import CAggregate, CCriterion, CKind, Compiled
from scoring.rulesets.schema import InputSpec, Kind, RatingQuota
from scoring.rulesets.scopes import shown as _scope_shown

__all__ = [
    "AggregateView",
    "CriterionView",
    "Explanation",
    "LedgerError",
    "TitleView",
    "Unfired",
    "explain",
    "find_record",
    "kind_labels",
    "ordinal",
    "record_scopes",
]

ZERO = Decimal(0)
Scope: TypeAlias = dict[str, expr.Value]


class LedgerError(RuntimeError):
    """The ledger does not add up to the score: a bug in scoring, never a user mistake."""


# ------------------------------------------------------------------------------- finding one


def _where(r: RecordResult) -> str:
    return f"unit {r.parent}" if r.kind == "individual" else f"cluster {r.parent}"


def _candidates(records: Sequence[RecordResult]) -> str:
    return "".join(f"\n  {r.id}  {r.name}  ({_where(r)})" for r in records)


def scope_words(result: Result, scope: str, kind: Kind) -> str:
    """A ranking or quota scope as the council names it (`cluster = Khối …` → the cluster,
    `unit_id = DN-CKST` → the unit's name), never the fields' internal names."""
    return Vocab.of(result, None, language()).scope(scope, kind)


def find_record(result: Result, query: str) -> RecordResult:
    """The individual or unit `query` names: an exact id, else a name typed as written (case and
    spacing ignored, diacritics kept: "Nguyễn Văn Ân" is not "Nguyễn Văn An"), else a name
    compared folded (diacritics ignored too), else a unique start of a name, as written and
    then folded. The first of these steps that matches anyone decides.

    Several matches or none raise a `UsageError` (exit 2) listing the candidates or the closest
    names: a secretary must choose, the tool never guesses between two people.
    """
    records = [*result.individuals, *result.units]
    typed, folded_query = nfc(query).casefold(), match_key(query)
    for matches in ([r for r in records if r.id == query],
                    [r for r in records if nfc(r.name).casefold() == typed],
                    [r for r in records if match_key(r.name) == folded_query],
                    [r for r in records if typed and nfc(r.name).casefold().startswith(typed)],
                    [r for r in records
                     if folded_query and match_key(r.name).startswith(folded_query)]):
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise UsageError.one("", _("{count} records match {query!r}; give one of these "
                                       "ids:{candidates}").format(
                count=len(matches), query=query, candidates=_candidates(matches)))
    folded = {match_key(r.name): r for r in reversed(records)}
    close = suggest(match_key(query), list(folded), count=5)
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
    return next((u for u in result.units if u.id == record.parent), None)


def record_scopes(result: Result, record: RecordResult, ck: CKind) -> dict[Stage, Scope]:
    """The record's scope at each stage of scoring, rebuilt from its result.

    Each stage sees what the scorer's did when it evaluated that stage's rules: criteria see
    inputs, the unit's values (`unit.x`), aggregates and computed fields; bonus and deductions
    also the criterion points; gates also the score; titles also the titles of the record's
    kind. So a `why_not` here reads exactly the values the rule read.
    """
    base: Scope = {"id": record.id, "name": record.name}
    if record.kind == "individual":
        base["unit_id"] = record.parent
        unit = _unit_of(result, record)
        if unit is not None:
            base.update({"unit.id": unit.id, "unit.name": unit.name, "unit.cluster": unit.parent})
            base.update({f"unit.{k}": v for k, v in unit.inputs})
            if unit.rating is not None:
                base[f"unit.{unit.rating.field}"] = unit.rating.final
    else:
        base["cluster"] = record.parent
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
    Rendered as text, markdown or JSON by `render.py`'s `render`."""

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
                    if record.kind == "unit" and r.parent == record.id)
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
        elif isinstance(rule.cond, normal.NfTrue):
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
        scope=scope_words(result, q.scope, record.kind), order=_rank_words(spec.rank_by),
        places=_plural(q.places, "place"),
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
            if not (isinstance(leaf, normal.NfLeaf) and isinstance(leaf.term, expr.Name)
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
            title=d.title, scope=scope_words(result, q.scope, record.kind))
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


def _members_short(leaf: normal.NfLeaf, agg: CAggregate, view: AggregateView) -> str:
    counted, base = len(view.counted), len(view.counted) + len(view.not_counted)
    assert isinstance(leaf.const, Decimal)
    for extra in range(1, len(view.not_counted) + 1):
        n = Decimal(counted + extra)
        value = n / base if agg.spec.fn == "share" else n
        if evaluate.holds(normal.NfLeaf(leaf.term, leaf.op, leaf.const), {agg.name: value}):
            shown = _("{count} of {total}").format(count=counted + extra, total=base) + (
                f" = {_percent(value)}" if agg.spec.fn == "share" else "")
            return _("{condition} needs {more} counted ({shown}; now {count} of {total}): see "
                     "the aggregates of members").format(
                condition=render_leaf(leaf), more=_plural(extra, "more member"),
                shown=shown, count=counted, total=base)
    return _("{condition} cannot be met by this unit's members ({count} of {total} "
             "counted)").format(condition=render_leaf(leaf), count=counted, total=base)


def _amount_short(leaf: normal.NfLeaf, value: expr.Value) -> str:
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
