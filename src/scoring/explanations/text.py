"""The explanation in words: the blocks every layout of it is built from, and plain text.

`blocks` turns an `Explanation` into headings, paragraphs, tables and items in reading order.
Plain text (`render_text`), Markdown (`markdown.py`) and the web page lay out the same blocks,
so they cannot drift apart. Labels come from the rule set, in Vietnamese; the framing words go
through the catalogue (Vietnamese by default, English with `--lang en`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

from scoring.base.i18n import N_, _, language
from scoring.evaluation import conditions, rewards
from scoring.evaluation.result import Hit, QuotaDecision, RecordResult
from scoring.evaluation.ties import sentence as tie_sentence
from scoring.explanations.explanation import (
    ZERO,
    AggregateView,
    Explanation,
    Unfired,
    _nth,
    _percent,
    _plural,
    ordinal,
    scope_words,
)
from scoring.language import expr
from scoring.language.show import format_number
from scoring.rulesets.schema import InputSpec
from scoring.rulesets.scopes import shown as _scope_shown

__all__ = [
    "Block",
    "Heading",
    "Items",
    "Para",
    "Table",
    "blocks",
    "render_text",
    "round_lines",
    "show",
]


# The sections of the ledger, as the explanation names them.
SECTIONS = {"criteria": N_("criteria"), "bonus": N_("bonus"), "deductions": N_("deductions"),
            "gates": N_("gates")}


def _section(section: str) -> str:
    return _(SECTIONS[section]) if section in SECTIONS else section


def _money(amount: Decimal | int) -> str:
    """An amount of money: 4,260,000 in English, 4.260.000 đ in Vietnamese."""
    return f"{amount:,}" if language() == "en" else f"{amount:,} đ".replace(",", ".")


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


def _names(records: Sequence[RecordResult]) -> str:
    return ", ".join(f"{r.name} ({r.id})" for r in records) or _("none")


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
            unit=ex.unit.id, name=ex.unit.name, cluster=ex.unit.parent)
    elif r.kind == "individual":
        who = _("Individual of unit {unit}").format(unit=r.parent)
    else:
        who = _("Unit of cluster {cluster}").format(cluster=r.parent)
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
            count=r.rank_of, scope=scope_words(res, r.rank_scope, r.kind))),
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
        rank=_nth(q.rank), places=_plural(q.places, "place"),
        scope=scope_words(ex.result, q.scope, ex.record.kind),
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


# ------------------------------------------------------------------------------ plain text


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
