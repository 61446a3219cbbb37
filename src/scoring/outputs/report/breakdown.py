"""One record's breakdown as HTML: every point from the ledger, every title decision.

This is the report's `explain`: the rules that gave points (with the values they read, the
points before and after the cap), bonus, deductions and disqualifiers, the rating when the rule
set computes one, the unit's figures taken from its members, and for each title the
prerequisites met or not (with the failing values) and the quota rank and cut line, and how
each tie with a neighbour was broken (beside the rank, the rating cap and the quota position,
in the report's language). It reads only the `RecordResult`, so it can be replaced by the
shared explanation when that exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from scoring.base.i18n import reset_language, use_language
from scoring.evaluation.conditions import say
from scoring.evaluation.result import Hit, RatingDecision, RecordResult, TieBreak, TitleDecision
from scoring.evaluation.ties import sentence
from scoring.explanations.vocab import Vocab
from scoring.language.expr import Value
from scoring.outputs.report.markup import Markup, el
from scoring.outputs.report.words import Words
from scoring.rulesets.schema import Kind

__all__ = ["render_breakdown", "show_value", "tie_sentences"]

_MET, _NOT_MET = "✓", "✗"


def show_value(value: Value, w: Words) -> str:
    """An input value as read: numbers with the language's decimal mark, booleans in words."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return w("true") if value else w("false")
    if isinstance(value, Decimal):
        return w.num(value)
    return str(value)


def _optional(d: Decimal | None, w: Words) -> str:
    return "—" if d is None else w.num(d)


def _reads(hit: Hit, w: Words, vocab: Vocab, kind: Kind) -> str:
    """The values a rule read, an enum's value by its label (`unit.x` is the unit's input)."""
    def shown(name: str, value: Value) -> str:
        if isinstance(value, str):
            of: Kind = "unit" if name.startswith("unit.") else kind
            return vocab.value(of, name.removeprefix("unit."), value)
        return show_value(value, w)

    return "; ".join(f"{name} = {shown(name, value)}" for name, value in hit.reads)


def _rule_label(hit: Hit, labels: Mapping[str, str]) -> str:
    """The criterion's label, then the band's when the rule is one band of it."""
    item = labels.get(hit.item, hit.item)
    return item if not hit.label or hit.label == item else f"{item}: {hit.label}"


def _hits_table(r: RecordResult, w: Words, labels: Mapping[str, str], vocab: Vocab
                ) -> Markup:
    if not r.hits:
        return el("p", w("no_hits"))
    head = el("tr", [el("th", w(k), scope="col", class_=c) for k, c in (
        ("part", None), ("criterion", None), ("condition", None), ("reads", None),
        ("raw", "num"), ("cap", "num"), ("points", "num"))])
    rows = []
    for h in r.hits:
        note = el("div", h.note, class_="note") if h.note else None
        rows.append(el(
            "tr",
            el("td", w(f"section_{h.section}") if f"section_{h.section}" in w.labels
               else h.section),
            el("th", _rule_label(h, labels), el("div", h.rule, class_="rule"), note,
               scope="row"),
            el("td", el("code", h.condition)),
            el("td", _reads(h, w, vocab, r.kind)),
            el("td", _optional(h.raw, w), class_="num"),
            el("td", _optional(h.cap, w), class_="num"),
            el("td", _optional(h.points, w), class_="num"),
        ))
    foot = el("tr", el("th", w("total"), scope="row", colspan=6),
              el("td", el("strong", w.num(r.score)), class_="num"))
    return el("table", el("caption", w("hits_caption", name=r.name)), el("thead", head),
              el("tbody", rows), el("tfoot", foot), class_="ledger")


def _rating(rating: RatingDecision, w: Words, vocab: Vocab, kind: Kind) -> Markup:
    def label(code: str) -> str:
        return vocab.value(kind, rating.field, code)

    parts = [f"{w('rating')}: {label(rating.final) if rating.final else '—'}"]
    if rating.points is not None:
        parts.append(w("rating_points", points=w.num(rating.points)))
    if rating.band:
        parts.append(w("rating_band", band=label(rating.band)))
    if rating.override:
        parts.append(w("rating_override", override=rating.override,
                       reason=rating.override_reason))
    if rating.moved_to:
        parts.append(w("rating_moved", to=label(rating.moved_to)))
    if rating.warning:
        parts.append(rating.warning)
    return el("p", "; ".join(parts), class_="rating")


def _aggregates(r: RecordResult, w: Words, labels: Mapping[str, str]) -> Markup | None:
    if not r.aggregates:
        return None
    items = [el("li", f"{a.label or labels.get(a.name, a.name)}: {show_value(a.value, w)} "
                      f"({w('n_members', n=len(a.members))})") for a in r.aggregates]
    return el("div", el("p", el("strong", w("aggregates"))), el("ul", items))


def tie_sentences(ties: Sequence[TieBreak], w: Words, labels: Mapping[str, str]) -> list[str]:
    """How each tie with a neighbour was broken, in the report's language (`ties.sentence`)."""
    token = use_language(w.lang)
    try:
        return [sentence(t, labels) for t in ties]
    finally:
        reset_language(token)


def _ties(ties: Sequence[TieBreak], w: Words, labels: Mapping[str, str]) -> Markup | None:
    if not ties:
        return None
    return el("ul", [el("li", s) for s in tie_sentences(ties, w, labels)], class_="ties")


def _quota_text(d: TitleDecision, w: Words, vocab: Vocab, kind: Kind) -> str:
    if d.quota is None:
        return "—"
    q = d.quota
    text = w("quota_rank", rank=q.rank, scope=vocab.scope(q.scope, kind), places=q.places)
    return f"{text}: {w('quota_cut')}" if q.cut else text


def _decision_row(d: TitleDecision, w: Words, vocab: Vocab, kind: Kind,
                  labels: Mapping[str, str]) -> Markup:
    prereqs = [el("li", el("span", _MET if p.met else _NOT_MET, aria_hidden="true"), " ",
                  el("span", say(p.sentence, p.met), title=p.condition) if p.sentence is not None
                  else el("code", p.condition),
                  f" — {w('met') if p.met else w('not_met')}",
                  f": {p.detail}" if p.detail and p.sentence is None else "")
               for p in d.prerequisites]
    gated = el("p", w("gated_by", gates=", ".join(d.gated_by))) if d.gated_by else None
    return el("tr",
              el("th", d.label, scope="row"),
              el("td", el("strong", w("yes") if d.awarded else w("no"))),
              el("td", el("ul", prereqs, class_="prereq") if prereqs else None, gated),
              el("td", _quota_text(d, w, vocab, kind),
                 _ties(d.quota.ties, w, labels) if d.quota is not None else None))


def _decisions_table(r: RecordResult, w: Words, vocab: Vocab, labels: Mapping[str, str]
                     ) -> Markup | None:
    if not r.decisions:
        return None
    head = el("tr", [el("th", w(k), scope="col") for k in ("title", "result", "condition",
                                                            "quota")])
    return el("table", el("caption", w("decisions_caption", name=r.name)), el("thead", head),
              el("tbody", [_decision_row(d, w, vocab, r.kind, labels) for d in r.decisions]),
              class_="ledger")


def render_breakdown(r: RecordResult, w: Words, labels: Mapping[str, str],
                     vocab: Vocab | None = None) -> Markup:
    """The breakdown of one record: source, rating, ledger, member figures, titles, warnings.

    `labels` maps criterion and input ids to their labels (`Result.labels`); `vocab` names
    ratings and scopes as people do (default: the codes' labels it can tell without the rule
    set).
    """
    vocab = vocab or Vocab(w.lang, labels)
    warnings = (el("div", el("p", el("strong", w("record_warnings"))),
                   el("ul", [el("li", x) for x in r.warnings]))
                if r.warnings else None)
    return el("div",
              el("p", f"{w('source')}: {r.origin} · {w('rank')} {r.rank}/{r.rank_of} "
                      f"({vocab.scope(r.rank_scope, r.kind)})", class_="meta"),
              _ties(r.ties, w, labels),
              _rating(r.rating, w, vocab, r.kind) if r.rating is not None else None,
              _ties(r.rating.quota.ties, w, labels)
              if r.rating is not None and r.rating.quota is not None else None,
              _hits_table(r, w, labels, vocab),
              _aggregates(r, w, labels),
              _decisions_table(r, w, vocab, labels),
              warnings,
              class_="breakdown-body")
