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
Labels come from the rule set, in Vietnamese; the framing words are English like the rest of the
command line.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeAlias

from scoring import conditions, expr, rewards
from scoring.batch import Batch
from scoring.compile import CAggregate, CCriterion, CKind, Compiled
from scoring.errors import UsageError
from scoring.history import explain_lines
from scoring.i18n import _, language
from scoring.nearmiss import (
    MAX_CHANGES,
    NearMiss,
    Stage,
    applied_band,
    failing_leaves,
    near_misses,
    own_inputs,
    targets,
)
from scoring.render.jsonout import json_number, json_value, to_json_data
from scoring.result import (
    AggregateValue,
    Hit,
    QuotaDecision,
    RecordResult,
    Result,
    TitleDecision,
)
from scoring.ruleset import InputSpec, Kind, RatingQuota
from scoring.scorer import Evaluator, rank_key
from scoring.text import fold, nfc

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
    close = difflib.get_close_matches(fold(query), list(folded), n=5, cutoff=0.6)
    close_ids = difflib.get_close_matches(query, [r.id for r in records], n=3, cutoff=0.6)
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
    formula = expr.unparse(rule_points)
    raw = expr.format_number(hit.raw) if hit.raw is not None else "missing"
    return formula if isinstance(rule_points, expr.Lit) else f"{formula} = {raw}"


def _criterion_view(c: CCriterion, record: RecordResult, scopes: Mapping[Stage, Scope]
                    ) -> CriterionView:
    hit = next(h for h in record.hits if h.section == "criteria" and h.item == c.spec.id)
    scope = scopes["criteria"]
    index = applied_band(c.group, hit)
    failed = tuple(
        Unfired(rule.key, "criteria", c.spec.id, rule.label or c.spec.label,
                rule.text, expr.why_not(rule.cond, scope))
        for rule in c.group.rules[:index])
    if index == len(c.group.rules):
        how = f"not applied: {hit.note}"
    else:
        rule = c.group.rules[index]
        points = _points_text(rule.points, hit)
        if c.banded:
            how = f"band {index + 1}: when {rule.text} → {points}"
        elif isinstance(rule.cond, expr.CTrue):
            how = f"formula {points}"
        else:
            how = f"when {rule.text} → {points}"
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
                                   expr.why_not(rule.cond, scopes["adjust"])))
    for g in ck.gates:
        if ("gates", g.id) not in fired:
            rule = g.group.rules[0]
            out.append(Unfired(rule.key, "gates", g.id, g.label, rule.text,
                               expr.why_not(rule.cond, scopes["gates"])))
    return out


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _percent(share: Decimal) -> str:
    """A share as a percentage for reading (two decimals at most: 71.43%); the exact value is
    in the ledger and the JSON."""
    return f"{expr.format_number((share * 100).quantize(Decimal('0.01')))}%"


def _title_view(d: TitleDecision, record: RecordResult, result: Result,
                compiled: Compiled) -> TitleView:
    ck = compiled.kind(record.kind)
    gates = tuple(f"{g.id} ({g.label})" for g in ck.gates if g.id in d.gated_by)
    failed = sum(1 for p in d.prerequisites if not p.met)
    if d.awarded:
        outcome = "awarded"
    elif failed:
        outcome = (f"not awarded: {failed} of {_plural(len(d.prerequisites), 'prerequisite')} "
                   "not met")
    elif gates:
        outcome = f"not awarded: blocked by gate {', '.join(d.gated_by)}"
    else:
        outcome = "not awarded: cut by the quota"
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
        basis = f"{_plural(spec.count, 'place')} per {spec.per}"
    else:
        assert t.share is not None
        whose = "candidates" if spec.of == "candidates" else f"{spec.of} holders"
        basis = f"{_percent(t.share)} of {q.basis_count} {whose}"
        exact = t.share * q.basis_count
        if exact != q.places:
            way = {"floor": "down", "ceil": "up", "round": "to the nearest"}[spec.rounding]
            basis += f" = {expr.format_number(exact)}, rounded {way}"
    text = (f"ranked {ordinal(q.rank)} of {_plural(len(rivals), 'candidate')} for {d.title} "
            f"in {q.scope} by {_rank_words(spec.rank_by)}; {_plural(q.places, 'place')} "
            f"({basis}); {'cut by the quota' if q.cut else 'within the quota'}")
    last = next((r for rank, r in rivals if rank == q.places), None)
    if q.cut and last is not None:
        text += (f"; the cut line is {last.name} ({last.id}), {ordinal(q.places)} with "
                 f"{expr.format_number(last.score)} points")
    return text


def _rank_words(keys: Sequence[str]) -> str:
    """`("-score", "name")` → "score (highest first), then name, then id" (the scorer's order:
    score first unless the keys start with it, the id last)."""
    order = list(keys) if keys and keys[0] == "-score" else ["-score", *keys]
    words = [f"{k[1:]} (highest first)" if k.startswith("-") else k for k in order]
    return ", then ".join([*words, "id"])


def _aggregate_view(agg: CAggregate, unit: RecordResult, result: Result, compiled: Compiled,
                    members: Sequence[RecordResult]) -> AggregateView:
    value = next(a for a in unit.aggregates if a.name == agg.name)
    ck = compiled.kind("individual")
    chosen = [m for m in members if agg.where is None
              or expr.holds(agg.where, record_scopes(result, m, ck)["titles"])]
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
        return f"not met: {'; '.join(failed)}"
    if d.gated_by:
        return f"blocked by gate {', '.join(d.gated_by)}"
    if d.quota is not None and d.quota.cut:
        return f"cut by the quota ({_plural(d.quota.places, 'place')} in {d.quota.scope})"
    return "not awarded"


def _names(records: Sequence[RecordResult]) -> str:
    return ", ".join(f"{r.name} ({r.id})" for r in records) or "none"


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
            if not (isinstance(leaf, expr.CLeaf) and isinstance(leaf.term, expr.Name)
                    and isinstance(leaf.const, Decimal)) or own_inputs(leaf.term, ck):
                continue
            name = leaf.term.name
            agg = next((a for a in ck.aggregates if a.name == name), None)
            if agg is not None and agg.spec.fn in ("count", "share"):
                text = _members_short(leaf, agg, views[name])
            else:
                text = _amount_short(leaf, scope.get(name))
            line = f"to {target.goal}: {text}"
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
        return f"to win a {d.title} place: the quota leaves no place in {q.scope}"
    last = next(r for r in result.records(record.kind) for x in r.decisions
                if x.title == d.title and x.quota is not None and x.quota.scope == q.scope
                and x.quota.rank == q.places)
    spec = next(t.quota for t in ck.titles if t.spec.id == d.title)
    assert spec is not None
    key = rank_key(spec.rank_by, [{**scope, "score": last.score},
                                  record_scopes(result, last, ck)["titles"]])
    gap = expr.format_number(last.score - record.score)
    line = (f"to win a {d.title} place: the cut line is {last.name} ({last.id}) with "
            f"{expr.format_number(last.score)} points; ")
    if key(0) < key(1):
        return line + f"{gap} more points would tie and win the tie ({_rank_words(spec.rank_by)})"
    return line + (f"{gap} more points would tie but lose the tie "
                   f"({_rank_words(spec.rank_by)}): more than {gap} are needed")


def _members_short(leaf: expr.CLeaf, agg: CAggregate, view: AggregateView) -> str:
    counted, base = len(view.counted), len(view.counted) + len(view.not_counted)
    assert isinstance(leaf.const, Decimal)
    for extra in range(1, len(view.not_counted) + 1):
        n = Decimal(counted + extra)
        value = n / base if agg.spec.fn == "share" else n
        if expr.holds(expr.CLeaf(leaf.term, leaf.op, leaf.const), {agg.name: value}):
            shown = f"{counted + extra} of {base}" + (
                f" = {_percent(value)}" if agg.spec.fn == "share" else "")
            return (f"{expr.render_leaf(leaf)} needs {_plural(extra, 'more member')} counted "
                    f"({shown}; now {counted} of {base}): see the aggregates of members")
    return (f"{expr.render_leaf(leaf)} cannot be met by this unit's members "
            f"({counted} of {base} counted)")


def _amount_short(leaf: expr.CLeaf, value: expr.Value) -> str:
    assert isinstance(leaf.const, Decimal)
    if not isinstance(value, Decimal) or leaf.op in ("==", "!="):
        return ""
    gap = leaf.const - value if leaf.op in (">=", ">") else value - leaf.const
    more = "more" if leaf.op in (">=", ">") else "less"
    strict = " (and a little)" if leaf.op in (">", "<") and gap == 0 else ""
    return (f"{expr.render_leaf(leaf)} was {expr.format_number(value)}: "
            f"{expr.format_number(gap)} {more}{strict} needed")


# ------------------------------------------------------------------------------ values shown


def show(value: expr.Value, spec: InputSpec | None = None) -> str:
    """A value as a secretary reads it: numbers plain, yes/no, enum keys with their label."""
    if value is None:
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return expr.format_number(value)
    label = (spec.values or {}).get(value) if spec is not None and spec.type == "enum" else None
    return f"{value} ({label})" if label and label != value else value


def _reads(hit: Hit, ex: Explanation) -> str:
    return ", ".join(f"{n} = {show(v, ex.specs.get(n))}" for n, v in hit.reads) or "nothing"


def _signed(d: Decimal) -> str:
    return f"+{expr.format_number(d)}" if d >= 0 else expr.format_number(d)


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
            score=expr.format_number(r.score),
            rank=ordinal(r.rank) if language() == "en" else r.rank,  # "xếp thứ 11/38"
            count=r.rank_of, scope=r.rank_scope)),
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
        out.append(Para("none"))
    return out


def _rating(ex: Explanation) -> list[Block]:
    """How the rating the rules read was reached: points, band, override, the quota's cut."""
    d = ex.record.rating
    if d is None:
        return []
    spec = ex.specs.get(d.field)
    lines: list[str] = []
    if d.points is None:
        lines.append(f"rated on paper: {show(d.given, spec)} (no points given)")
    else:
        lines.append(f"points: {expr.format_number(d.points)} → {show(d.band, spec)} "
                     f"(rule {d.band_rule})")
        if d.given is not None:
            lines.append(f"also given on paper: {show(d.given, spec)}"
                         + ("; the points decide" if d.given != d.band else ""))
    if d.override:
        lines.append(f"override {d.override}: {d.override_reason} → wins over the points")
    if d.quota is not None:
        lines += _cap_lines(d.quota, d.moved_to, ex)
    if d.outside_cap:
        lines.append("outside the cap: rated on paper under another text (not a civil servant "
                     "rated from points), so neither counted nor moved")
    if d.warning:
        lines.append(f"warning: {d.warning}")
    return [Heading(_("Rating ({field})").format(field=d.field)),
            Items(((f"final: {show(d.final, spec)}", tuple(lines)),))]


def _cap_lines(q: QuotaDecision, moved_to: str | None, ex: Explanation) -> list[str]:
    """The rating cap in words, with its arithmetic: `20% of 11 'tốt' = 2.2 → 2 places`."""
    ratings = ex.cap
    spec = ex.specs.get(ex.record.rating.field) if ex.record.rating else None
    of = ratings.of if ratings is not None else "the reference class"
    held = q.places + q.on_paper
    lines = []
    if q.share is not None:
        exact = q.share * q.basis_count
        way = {"floor": "rounded down", "ceil": "rounded up", "round": "rounded"}.get(
            ratings.rounding if ratings is not None else "floor", "rounded down")
        lines.append(f"cap: {_percent(q.share)} of {q.basis_count} '{of}' = "
                     f"{expr.format_number(exact)} → {_plural(held, 'place')} ({way})")
    if q.reading == "final_list":
        lines.append(f"read on the final list: the most kept whose count stays within the share "
                     f"of the final '{of}' count, those moved down included")
    elif q.reading:
        lines.append("counted before any move (the rule set's declared reading)")
    if q.on_paper:
        lines.append(f"{_plural(q.on_paper, 'place')} taken by holders rated on paper, never "
                     "moved")
    lines.append(f"ranked {ordinal(q.rank)} for the {_plural(q.places, 'place')} in {q.scope}"
                 f" ({q.rule or 'declared share'})")
    if q.cut and moved_to:
        lines.append(f"moved down to {show(moved_to, spec)} by the cap")
    return lines


def _rewards(ex: Explanation) -> list[Block]:
    """What the record's titles are paid, and those not paid: one reward per achievement."""
    r = ex.record
    if ex.result.base_salary is None:
        return []
    items = [(f"{tid} {ex.labels.get(tid, tid)}: {amount:,} paid", ())
             for tid, amount in r.rewards]
    items += [(rewards.explain_line(u), ()) for u in r.not_paid]
    total = f"total paid: {r.reward:,} ({ex.result.reward_rule})"
    return [Heading(_("Rewards")),
            Items(tuple(items)) if items else Para(_("no title with a reward")),
            Para(total)]


def _criteria(ex: Explanation) -> list[Block]:
    items = []
    for c in ex.criteria:
        h = c.hit
        points = expr.format_number(h.points if h.points is not None else ZERO)
        cap = f" of {expr.format_number(h.cap)}" if h.cap is not None else ""
        label = ex.labels.get(h.item, h.label)
        band = f" [{h.label}]" if h.label != label else ""
        lines = [f"rule {h.rule}: {c.how}", f"read: {_reads(h, ex)}"]
        if h.computed is not None:
            lines.append(f"computed by the rules: {expr.format_number(h.computed)}; overridden "
                         "in the review rounds")
        elif h.raw is not None and h.raw != h.points:
            lines.append(f"before the cap: {expr.format_number(h.raw)}; {h.note}")
        elif h.note and h.condition:
            lines.append(f"note: {h.note}")
        lines += round_lines(h)
        lines += [f"band {_band_no(u.rule)} not reached ({u.condition}): {u.why}"
                  if _band_no(u.rule) else f"failed: {u.why}"
                  for u in c.not_reached]
        items.append((f"{h.item} {label}{band}: {points}{cap} points", tuple(lines)))
    return [Heading(_("Criteria")), Items(tuple(items)) if items else Para(_("none declared"))]


def _band_no(rule_key: str) -> str:
    """`individual.criteria.task[1]` → "2" (bands are numbered from 1 for people)."""
    if rule_key.endswith("]") and "[" in rule_key:
        return str(int(rule_key[rule_key.rindex("[") + 1 : -1]) + 1)
    return ""


def _rule_lines(h: Hit, ex: Explanation) -> tuple[str, ...]:
    lines = [f"rule {h.rule}: when {h.condition}", f"read: {_reads(h, ex)}"]
    if h.raw is not None and h.points is not None and h.raw != abs(h.points):
        lines.append(f"before the cap: {expr.format_number(h.raw)} (cap "
                     f"{expr.format_number(h.cap) if h.cap is not None else 'none'})")
    if h.note:
        lines.append(f"note: {h.note}")
    lines += round_lines(h)
    return tuple(lines)


def round_lines(h: Hit) -> list[str]:
    """Every review round's value for a judged or overridden item: who gave it and why; the
    last one decides."""
    out = []
    for i, v in enumerate(h.rounds):
        who = f" by {v.who}" if v.who else ""
        why = f": {v.reason}" if v.reason else ""
        final = " (final)" if i == len(h.rounds) - 1 else ""
        out.append(f"round {v.label} ({v.round}): {expr.format_number(v.points)}{who}{why}"
                   f"{final} [{v.origin}]")
    return out


def _adjustments(ex: Explanation) -> list[Block]:
    items = [(f"{_signed(h.points or ZERO)} {h.item} {h.label} ({h.section})",
              _rule_lines(h, ex)) for h in ex.adjustments]
    items += [(f"{u.item} {u.label} ({u.section}): not applied",
               (f"rule {u.rule}: when {u.condition}", f"failed: {u.why}"))
              for u in ex.unfired if u.section in ("bonus", "deductions")]
    return [Heading(_("Bonus and deductions")),
            Items(tuple(items)) if items else Para("none declared")]


def _gates(ex: Explanation) -> list[Block]:
    items = [(f"{h.item} {h.label}: FIRED, blocks {', '.join(blocked) or 'nothing'}",
              _rule_lines(h, ex)) for h, blocked in ex.gates]
    items += [(f"{u.item} {u.label}: did not fire",
               (f"rule {u.rule}: when {u.condition}", f"failed: {u.why}"))
              for u in ex.unfired if u.section == "gates"]
    return [Heading(_("Gates")), Items(tuple(items)) if items else Para(_("none declared"))]


def _total(ex: Explanation) -> list[Block]:
    rows = tuple((h.item, ex.labels.get(h.item, h.label), h.section,
                  _signed(h.points) if h.section != "criteria" else expr.format_number(h.points))
                 for h in ex.record.hits if h.points is not None)
    rows += (("total", "", "", expr.format_number(ex.total)),)
    return [Heading(_("Total")), Table((_("item"), _("label"), _("section"), _("points")), rows),
            Para(_("The ledger adds up to the score: {total}.").format(
                total=expr.format_number(ex.total)))]


def _titles(ex: Explanation) -> list[Block]:
    items = []
    for t in ex.titles:
        d = t.decision
        lines = [conditions.explain_line(p) for p in d.prerequisites]
        lines += [f"blocked by gate {g}" for g in t.gates]
        if t.quota:
            lines.append(f"quota: {t.quota}")
        if d.quota is not None and d.quota.rule:
            lines.append(f"quota basis: {d.quota.rule}")
        if t.basis:
            lines.append(f"basis: {t.basis}")
        items.append((f"{d.title} {d.label}: {t.outcome}", tuple(lines)))
    return [Heading(_("Titles")), Items(tuple(items)) if items else Para(_("none declared"))]


def _history(ex: Explanation) -> list[Block]:
    if not ex.history:
        return []
    return [Heading(_("Past years (history)")), Items(tuple((line, ()) for line in ex.history))]


def _unit_members(ex: Explanation) -> list[Block]:
    if ex.record.kind != "unit":
        return []
    rows = tuple((m.id, m.name, expr.format_number(m.score), ", ".join(m.titles) or "-")
                 for m in ex.members)
    items = [(_aggregate_line(v, ex.labels), _aggregate_details(v)) for v in ex.aggregates]
    return [Heading(_("Members ({count})").format(count=len(ex.members))),
            Table((_("id"), _("name"), _("score"), _("titles")), rows),
            Heading(_("Aggregates of members")),
            Items(tuple(items)) if items else Para("none declared")]


def _aggregate_line(v: AggregateView, labels: Mapping[str, str]) -> str:
    a = v.value
    label = labels.get(a.name, "")
    name = f"{a.name} ({label})" if label else a.name
    k, base = len(v.counted), len(v.counted) + len(v.not_counted)
    if v.fn == "share" and isinstance(a.value, Decimal):
        return f"{name} = {k} of {base} = {_percent(a.value)}"
    if v.fn == "count":
        return f"{name} = {show(a.value)} of {base} members"
    if v.fn in ("all", "any"):
        return f"{name} = {show(a.value)} ({k} of {base} members meet it)"
    return f"{name} = {show(a.value)} over {_plural(k, 'member')} with a value"


def _aggregate_details(v: AggregateView) -> tuple[str, ...]:
    lines = [f"counted: {_names(v.counted)}"]
    if v.reasons:
        lines += [f"not counted, {why}: {_names(ms)}" for why, ms in v.reasons]
    elif v.not_counted and v.counted:
        lines.append(f"not counted: {_names(v.not_counted)}")
    return tuple(lines)


def _near(ex: Explanation) -> list[Block]:
    out: list[Block] = [Heading(_("Near misses"))]
    items = []
    for nm in ex.near_misses:
        c, e = nm.change, nm.effect
        spec = ex.specs.get(c.input)
        label = ex.labels.get(c.input, "")
        lines = [f"makes {c.leaf} hold",
                 f"checked by scoring again: score {expr.format_number(e.score - e.delta)} → "
                 f"{expr.format_number(e.score)} ({_signed(e.delta)})"
                 + (f"; gains {', '.join(e.gained)}" if e.gained else "; no title gained")
                 + (f"; loses {', '.join(e.lost)}" if e.lost else "")]
        lines += [f"{cid}: {expr.format_number(old)} → {expr.format_number(new)}"
                  for cid, old, new in e.criteria]
        lines += [f"also: {o}" for o in e.others]
        items.append((f"{c.input} ({label}) {show(c.old, spec)} → {show(c.new, spec)}, "
                      f"to {c.goal}", tuple(lines)))
    if items:
        out.append(Items(tuple(items)))
    else:
        out.append(Para("none: no single change of this record's inputs meets a failed "
                        "condition"))
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
