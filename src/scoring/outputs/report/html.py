"""The council's report: one self-contained HTML file, for the screen, a USB stick and paper.

What a council reads, in the order of its meeting: the header (campaign, year, rule set and its
hash, date, counts), each cluster's units in rank order with their points per criterion group
and the proposed flag, each title's proposed candidates with the quota used and those it cut,
the score distributions, the changes since last year, the input files with their hashes, and
the signature block of the minutes. Every candidate's breakdown opens on demand.

Self-contained: inline CSS and inline SVG, no script, no font, no image or link outside the
file, so it opens the same on an office PC without a network. Pure and deterministic: the same
result and manifest give the same bytes (the manifest's `created` is the only date shown).
Orderings come from `scoring.outputs.table`, so the lists read as in the terminal and workbook.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from importlib import resources
from typing import Any

from scoring.base.text import collation_key
from scoring.evaluation import conditions
from scoring.evaluation.result import QuotaDecision, RecordResult, Result
from scoring.explanations.vocab import Vocab
from scoring.outputs.report.breakdown import render_breakdown
from scoring.outputs.report.changes import (
    Change,
    Previous,
    parse_previous,
    title_changes,
    title_counts,
)
from scoring.outputs.report.markup import Child, Markup, el, join
from scoring.outputs.report.svg import Bar, bin_scores, histogram, stacked_bars
from scoring.outputs.report.words import Words
from scoring.outputs.roundsummary import most_changed, self_vs_final
from scoring.outputs.table import (
    TitleSummary,
    cluster_groups,
    holders_by_cluster,
    member_groups,
    title_summaries,
)
from scoring.rulesets.compile import Compiled
from scoring.rulesets.schema import KINDS, Kind

__all__ = ["criterion_groups", "render_html"]

_GROUP_KEY = re.compile(r"^\s*([A-Z]|[IVXLC]+|\d+)[.)]\s+")


def criterion_groups(compiled: Compiled, kind: Kind = "unit") -> dict[str, str]:
    """Criterion id → group label for the criteria of `kind` that declare a `group`."""
    return {c.spec.id: c.spec.group for c in compiled.kind(kind).criteria if c.spec.group}


def _css() -> str:
    return resources.files("scoring.outputs.report").joinpath("report.css").read_text("utf-8")


def _anchor(prefix: str, text: str) -> str:
    return prefix + "-" + re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def _short_title(label: str) -> str:
    """'Cờ thi đua (đề nghị tặng …)' → 'Cờ thi đua': the explanation stays in the heading."""
    return label.split(" (", 1)[0]


def _headline(label: str) -> str:
    """A criterion's label up to its first explanation: 'Thực hiện mục tiêu kép: …' → the head."""
    return _short_title(label).split(": ", 1)[0]


@dataclass(frozen=True)
class _Group:
    key: str  # what the table header and the bar segment show: "A", "B"… or "1", "2"…
    label: str
    criteria: tuple[str, ...]


def _unit_groups(result: Result, groups: Mapping[str, str]) -> list[_Group]:
    """The unit criterion groups in rule-set order; an ungrouped criterion is its own group."""
    order: dict[str, list[str]] = {}
    for cid, label in groups.items():
        order.setdefault(label, []).append(cid)
    for u in result.units:
        for cid, _points in u.points:
            if cid not in groups and not any(cid in v for v in order.values()):
                order.setdefault(result.labels.get(cid, cid), []).append(cid)
    labels = list(order)
    keys = [m.group(1) if (m := _GROUP_KEY.match(label)) else "" for label in labels]
    if "" in keys or len(set(keys)) != len(keys):
        keys = [str(i + 1) for i in range(len(labels))]
    return [_Group(k, label, tuple(order[label])) for k, label in zip(keys, labels, strict=True)]


def _adjustments(r: RecordResult, section: str) -> Decimal:
    return sum((h.points for h in r.hits if h.section == section and h.points is not None),
               Decimal(0))


def _decision_quota(r: RecordResult, title: str) -> QuotaDecision | None:
    return next((d.quota for d in r.decisions if d.title == title), None)


class _Page:
    """What every section needs: the result, the words, and lookups built once."""

    def __init__(self, result: Result, manifest: Mapping[str, Any], w: Words,
                 groups: Mapping[str, str], vocab: Vocab) -> None:
        self.result = result
        self.vocab = vocab
        self.manifest = manifest
        self.w = w
        self.unit_names = {u.id: u.name for u in result.units}
        self.title_labels = {tid: label for tid, label, _kind in result.titles}
        self.groups = _unit_groups(result, groups)
        self.summaries = title_summaries(result)
        # Flag titles: unit titles whose quota is counted in the unit's own ranking scope (the
        # cluster), so the cluster's table can show who is proposed.
        self.flags = [s for s in self.summaries if s.kind == "unit" and any(
            (q := _decision_quota(u, s.id)) is not None and q.scope == u.rank_scope
            for u in result.units)]

    def kind_label(self, kind: Kind) -> str:
        return self.w(f"kind_{kind}")

    def group_of(self, r: RecordResult) -> str:
        """The unit's name for an individual, the cluster for a unit."""
        if r.kind == "individual":
            name = self.unit_names.get(r.parent)
            return f"{name} ({r.parent})" if name else r.parent
        return r.parent

    def scope(self, scope: str, kind: Kind = "individual") -> str:
        """A quota scope as a person names it: the unit's name and id, the cluster, a field's
        label (see `Vocab.scope`), never `unit_id = …`."""
        return self.vocab.scope(scope, kind)

    def titles(self, r: RecordResult) -> str:
        return ", ".join(_short_title(self.title_labels.get(t, t)) for t in r.titles)

    def provisional(self, r: RecordResult) -> Markup | None:
        """The mark of a record scored without all its judged points (--allow-incomplete)."""
        if not r.provisional:
            return None
        items = ", ".join(self.result.labels.get(c, c) for c in r.provisional)
        return el("span", self.w("provisional_mark"), class_="provisional-mark",
                  title=self.w("provisional_hint", items=items))

    def breakdown_row(self, r: RecordResult, colspan: int) -> Markup:
        details = el("details",
                     el("summary", self.w("breakdown_of", name=r.name)),
                     render_breakdown(r, self.w, self.result.labels, self.vocab))
        return el("tr", el("td", details, colspan=colspan), class_="breakdown")


# --------------------------------------------------------------------------------- header


def _header(p: _Page) -> Markup:
    r, w, m = p.result, p.w, p.manifest
    created = str(m.get("created") or "")
    version = f"{m.get('tool', 'scoring')} {m.get('version', '')}".strip()
    facts = [
        (w("ruleset"), el("span", r.ruleset)),
        (w("year"), str(r.year)),
        (w("hash"), el("code", r.hash[:12], title=w("hash_hint", hash=r.hash))),
        (w("created"), el("time", w.date(created), datetime=created) if created else "—"),
        (w("tool"), version),
    ]
    warnings = None
    if r.warnings:
        warnings = el("div", el("h2", w("warnings")), el("ul", [el("li", x) for x in r.warnings]),
                      class_="warnings", role="note")
    provisional = sum(1 for x in (*r.individuals, *r.units) if x.provisional)
    banner = (el("p", w("provisional", n=provisional), class_="provisional", role="alert")
              if provisional else None)
    return el("header",
              el("p", w("kicker"), class_="kicker"),
              banner,
              el("h1", w("doc_title", year=r.year)),
              el("p", r.name or r.ruleset, class_="campaign"),
              el("dl", [[el("dt", k), el("dd", v)] for k, v in facts], class_="facts"),
              warnings)


def _summary(p: _Page) -> Markup:
    w, r = p.w, p.result
    counts = [el("tr", el("th", w("individuals"), scope="col", class_="num"),
                 el("th", w("units"), scope="col", class_="num")),
              el("tr", el("td", el("strong", len(r.individuals)), class_="num"),
                 el("td", el("strong", len(r.units)), class_="num"))]
    head = el("tr", [el("th", w(k), scope="col", class_=c) for k, c in (
        ("title", None), ("of_kind", None), ("awarded", "num"), ("cut_count", "num"))])
    rows = [el("tr",
               el("th", el("a", s.label, href=f"#{_anchor('title', s.id)}"),
                  scope="row"),
               el("td", p.kind_label(s.kind)),
               el("td", el("strong", s.awarded), class_="num"),
               el("td", "—" if s.cut is None else s.cut, class_="num"))
            for s in p.summaries]
    return el("section",
              el("h2", w("summary"), id="summary"),
              el("table", el("caption", w("records_scored")), el("thead", counts[0]),
                 el("tbody", counts[1]), class_="counts"),
              el("table", el("caption", w("summary_caption")), el("thead", head),
                 el("tbody", rows)),
              class_="summary")


def _contents(p: _Page, has_changes: bool, has_rewards: bool,
              has_members: bool, has_rounds: bool = False) -> Markup:
    w = p.w
    links = [("clusters", w("clusters")), ("titles", w("per_title")),
             ("distribution", w("distribution"))]
    if has_rounds:
        links.append(("rounds", w("rounds")))
    if has_changes:
        links.append(("changes", w("changes")))
    if has_rewards:
        links.append(("rewards", w("rewards")))
    if has_members:
        links.append(("members", w("members")))
    links += [("sources", w("sources")), ("minutes", w("minutes"))]
    return el("nav", el("h2", w("contents")),
              el("ol", [el("li", el("a", text, href=f"#{target}")) for target, text in links]),
              aria_label=w("contents"), class_="toc")


# --------------------------------------------------------------------------------- clusters


def _keyed(key: str, label: str) -> str:
    """'A. Thực hiện…' stays as it is; a label without its key gets it: '1: Chỉ tiêu'."""
    return label if label.startswith(key) else f"{key}: {label}"


def _minus(w: Words, d: Decimal) -> str:
    return f"−{w.num(d)}" if d else "0"


def _unit_bar(p: _Page, u: RecordResult) -> Bar:
    w = p.w
    segments = [sum((u.point(c) for c in g.criteria), Decimal(0)) for g in p.groups]
    bonus = _adjustments(u, "bonus")
    deductions = -_adjustments(u, "deductions")
    parts = [f"{g.key} {w.num(v)}" for g, v in zip(p.groups, segments, strict=True)]
    if bonus:
        parts.append(f"{w('bonus')} {w.num(bonus)}")
    if deductions:
        parts.append(f"{w('deductions')} {_minus(w, deductions)}")
    description = f"{u.rank}. {u.name}: {', '.join(parts)}; {w('score')} {w.num(u.score)}"
    return Bar(f"{u.rank}. {u.name}", (*segments, bonus), deductions, w.num(u.score),
               description)


def _flag_lines(p: _Page, units: Sequence[RecordResult]) -> list[Markup]:
    out = []
    for s in p.flags:
        title = _short_title(s.label)
        proposed = [u for u in units if s.id in u.titles]
        quotas = [q for u in units if (q := _decision_quota(u, s.id)) is not None]
        if not proposed or not quotas:
            out.append(el("p", p.w("no_flag", title=title), class_="flag none"))
            continue
        q = quotas[0]
        names = join((el("strong", f"{u.name} ({u.id})") for u in proposed), ", ")
        line = p.w("places_used", used=len(proposed), places=q.places)
        out.append(el("p", p.w("proposed_flag", title=title), ": ", names, f" — {line}",
                      class_="flag"))
    return out


def _cluster(p: _Page, index: int, cluster: str, units: list[RecordResult]) -> Markup:
    w = p.w
    keys = [el("th", el("abbr", g.key, title=g.label), scope="col", class_="num")
            for g in p.groups]
    head = el("tr", el("th", w("rank"), scope="col", class_="num"),
              el("th", w("id"), scope="col"), el("th", w("unit"), scope="col"), keys,
              el("th", w("bonus"), scope="col", class_="num"),
              el("th", w("deductions"), scope="col", class_="num"),
              el("th", w("score"), scope="col", class_="num"),
              el("th", w("titles"), scope="col"))
    columns = 7 + len(p.groups)
    rows: list[Markup] = []
    for u in units:
        bar = _unit_bar(p, u)
        flagged = any(s.id in u.titles for s in p.flags)
        cells = [el("td", w.num(v), class_="num") for v in bar.segments[:-1]]
        rows.append(el("tr",
                       el("td", u.rank, class_="num"),
                       el("td", u.id, class_="id"),
                       el("th", u.name, p.provisional(u), scope="row"),
                       cells,
                       el("td", w.num(bar.segments[-1]), class_="num"),
                       el("td", _minus(w, bar.deductions), class_="num"),
                       el("td", el("strong", w.num(u.score)), class_="num"),
                       el("td", p.titles(u)),
                       class_="unit flagged" if flagged else "unit",
                       data_id=u.id, data_rank=u.rank))
        rows.append(p.breakdown_row(u, columns))
    legend_items = [(g.key, g.label) for g in p.groups] + [("+", w("bonus"))]
    legend = el("p", join((el("span", _keyed(k, label)) for k, label in legend_items), " · "),
                class_="legend")
    chart_title = w("bars_title", cluster=cluster)
    chart = stacked_bars(f"bars{index}", chart_title,
                         [(k, _keyed(k, label)) for k, label in legend_items],
                         [_unit_bar(p, u) for u in units], w.num, w("deductions"))
    figure = el("figure", chart, el("figcaption", w("bars_note")), class_="bars")
    anchor = f"cluster-{index}"
    return el("section",
              el("h3", f"{w('cluster')}: {cluster}", id=anchor),
              _flag_lines(p, units),
              el("table", el("caption", w("cluster_caption", cluster=cluster)),
                 el("thead", head), el("tbody", rows), class_="ranking"),
              legend, figure,
              class_="cluster", data_cluster=cluster)


def _clusters(p: _Page) -> Markup:
    return el("section", el("h2", p.w("clusters"), id="clusters"),
              [_cluster(p, i + 1, c, units) for i, (c, units) in
               enumerate(cluster_groups(p.result))],
              class_="major")


# --------------------------------------------------------------------------------- titles


def _reasons(p: _Page, r: RecordResult, title: str) -> str:
    """Key reasons: the criteria that gave most points, bonus, and the prerequisites met."""
    w = p.w
    hits = sorted((h for h in r.hits if h.section == "criteria" and h.points),
                  key=lambda h: (-(h.points or 0), h.item))[:3]
    labels = p.result.labels
    parts = [f"{_headline(labels.get(h.item, h.label))} {w.num(h.points or Decimal(0))}"
             for h in hits]
    parts += [f"{h.label} +{w.num(h.points)}" for h in r.hits
              if h.section == "bonus" and h.points]
    decision = next((d for d in r.decisions if d.title == title), None)
    if decision is not None and decision.prerequisites:
        met = sum(1 for x in decision.prerequisites if x.met)
        parts.append(w("conditions_met", met=met, total=len(decision.prerequisites)))
    return "; ".join(parts)


def _candidate_table(p: _Page, s: TitleSummary, caption: str,
                     rows_in: Sequence[tuple[str, int, RecordResult]], cls: str) -> Markup:
    w = p.w
    # The scope column is left out when every quota scope is the record's own unit or cluster
    # (then the group column already says it, and the rank counts within it).
    show_scope = s.cut is not None and any(
        scope.partition(" = ")[2] != r.parent for scope, _rank, r in rows_in)
    name_col = w("name") if s.kind == "individual" else w("unit")
    group_col = w("unit") if s.kind == "individual" else w("cluster")
    head = el("tr",
              el("th", w("scope"), scope="col") if show_scope else None,
              el("th", w("rank"), scope="col", class_="num"),
              el("th", name_col, scope="col"),
              el("th", group_col, scope="col"),
              el("th", w("score"), scope="col", class_="num"),
              el("th", w("reasons"), scope="col"))
    columns = 6 if show_scope else 5
    rows: list[Markup] = []
    for scope, rank, r in rows_in:
        rows.append(el("tr",
                       el("td", p.scope(scope)) if show_scope else None,
                       el("td", rank, class_="num"),
                       el("th", r.name, p.provisional(r), el("div", r.id, class_="rule"),
                          scope="row"),
                       el("td", p.group_of(r)),
                       el("td", w.num(r.score), class_="num"),
                       el("td", _reasons(p, r, s.id), class_="reasons"),
                       class_="candidate", data_id=r.id, data_rank=rank, data_scope=scope))
        rows.append(p.breakdown_row(r, columns))
    return el("table", el("caption", caption), el("thead", head), el("tbody", rows),
              class_=cls, data_title=s.id)


def _quota_lines(p: _Page, s: TitleSummary) -> Child:
    by_scope: dict[str, list[QuotaDecision]] = {}
    awarded: dict[str, int] = {}
    for r in p.result.records(s.kind):
        q = _decision_quota(r, s.id)
        if q is None:
            continue
        by_scope.setdefault(q.scope, []).append(q)
        awarded[q.scope] = awarded.get(q.scope, 0) + (s.id in r.titles)
    lines = [el("li", p.w("quota_line", scope=p.scope(scope), used=awarded[scope],
                          places=by_scope[scope][0].places,
                          basis=by_scope[scope][0].basis_count),
                class_="quota", data_scope=scope, data_used=awarded[scope],
                data_places=by_scope[scope][0].places)
             for scope in sorted(by_scope, key=collation_key)]
    rules = sorted({q.rule for qs in by_scope.values() for q in qs if q.rule})
    return [el("ul", lines, class_="quotas"),
            [el("p", p.w("quota_rule", rule=rule), class_="basis") for rule in rules]]


def _title(p: _Page, s: TitleSummary) -> Markup:
    w = p.w
    # One list per cluster, as the council takes them (each holder under its unit's cluster).
    groups = holders_by_cluster(p.result, s.id, s.kind)
    parts: list[Child] = [el("h3", w("title_heading", label=s.label, id=s.id,
                                     kind=p.kind_label(s.kind)), id=_anchor("title", s.id))]
    if s.cut is None:
        parts.append(el("p", w("no_quota", n=s.awarded), class_="quota-none"))
    else:
        parts.append(_quota_lines(p, s))
    for cluster, holders in groups:
        caption = (w("proposed_caption_cluster", label=s.label, cluster=cluster) if cluster
                   else w("proposed_caption", label=s.label))
        parts.append(_candidate_table(p, s, caption,
                                      [(h.scope, h.rank, h.record) for h in holders],
                                      "proposed"))
    if not groups:
        parts.append(el("p", w("nobody")))
    if s.cut is not None:
        cut = sorted(((q.scope, q.rank, r) for r in p.result.records(s.kind)
                      if (q := _decision_quota(r, s.id)) is not None and q.cut),
                     key=lambda t: (collation_key(t[0]), t[1], t[2].id))
        if cut:
            parts.append(_candidate_table(p, s, w("cut_caption", label=s.label), cut, "cut"))
        else:
            parts.append(el("p", w("cut_none"), class_="cut-none"))
    return el("section", parts, class_="title", data_title=s.id)


def _titles(p: _Page) -> Markup:
    return el("section", el("h2", p.w("per_title"), id="titles"),
              [_title(p, s) for s in p.summaries], class_="major")


# --------------------------------------------------------------------------------- distribution


def _median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _distribution(p: _Page) -> Markup:
    w = p.w
    figures = []
    for kind in KINDS:
        scores = [r.score for r in p.result.records(kind)]
        if not scores:
            continue
        bins = bin_scores(scores)
        kind_text = w("individuals" if kind == "individual" else "units")
        listing = ", ".join(f"{w.num(b.low)}–{w.num(b.high)}: {b.count}" for b in bins)
        chart = histogram(w("histogram_title", kind=kind_text, n=len(scores)),
                          w("histogram_label", kind=kind_text.lower(), bins=listing), bins,
                          w.num, w("histogram_axis_x"), w("histogram_axis_y"))
        stats = w("histogram_stats", n=len(scores), lo=w.num(min(scores)),
                  median=w.num(_median(scores)), hi=w.num(max(scores)))
        figures.append(el("figure", chart,
                          el("figcaption", el("strong", f"{kind_text}. "), stats),
                          class_="histogram", data_kind=kind))
    return el("section", el("h2", w("distribution"), id="distribution"), figures,
              class_="major")


# --------------------------------------------------------------------------------- changes


def _titles_text(p: _Page, titles: Sequence[str]) -> str:
    return ", ".join(_short_title(p.title_labels.get(t, t)) for t in titles)


def _changes(p: _Page, prev: Previous) -> Markup:
    w = p.w
    counts = title_counts(p.result, prev)
    head = el("tr", [el("th", w(k), scope="col", class_=c) for k, c in (
        ("title", None), ("previous_year", "num"), ("this_year", "num"), ("kept", "num"))])
    count_rows = [el("tr", el("th", f"{p.title_labels.get(c.title, c.title)} ({c.title})",
                              scope="row"),
                     el("td", c.before, class_="num"), el("td", c.after, class_="num"),
                     el("td", c.kept, class_="num")) for c in counts]
    changes: list[Change] = title_changes(p.result, prev)
    body: Child
    if changes:
        chead = el("tr", [el("th", w(k), scope="col") for k in (
            "of_kind", "name", "id", "gained", "lost", "status")])
        rows = [el("tr",
                   el("td", p.kind_label(c.kind)),
                   el("th", c.name, scope="row"),
                   el("td", c.id),
                   el("td", _titles_text(p, c.gained), class_="gained"),
                   el("td", _titles_text(p, c.lost), class_="lost"),
                   el("td", w(f"status_{c.status}")),
                   class_="change", data_id=c.id, data_kind=c.kind)
                for c in changes]
        body = el("table", el("caption", w("changes_caption")), el("thead", chead),
                  el("tbody", rows), class_="changes")
    else:
        body = el("p", w("no_changes"))
    year = prev.year if prev.year is not None else "—"
    return el("section", el("h2", w("changes"), id="changes"),
              el("p", w("changes_intro", year=year)),
              el("table", el("caption", w("changes_summary_caption")), el("thead", head),
                 el("tbody", count_rows)),
              body, class_="major")


# --------------------------------------------------------------------------------- rewards


def _rewards(p: _Page) -> Markup | None:
    w = p.w
    totals: dict[str, tuple[int, Decimal]] = {}
    unpaid: dict[str, tuple[int, Decimal]] = {}
    for kind in KINDS:
        for r in p.result.records(kind):
            for tid, amount in r.rewards:
                n, total = totals.get(tid, (0, Decimal(0)))
                totals[tid] = (n + 1, total + amount)
            for u in r.not_paid:
                n, total = unpaid.get(u.title, (0, Decimal(0)))
                unpaid[u.title] = (n + 1, total + u.amount)
    if not totals and not unpaid:
        return None
    order = [tid for tid, _l, _k in p.result.titles if tid in totals or tid in unpaid]
    head = el("tr", [el("th", w(k), scope="col", class_=c) for k, c in (
        ("title", None), ("count", "num"), ("amount", "num"), ("not_paid", "num"))])
    zero = (0, Decimal(0))
    money = p.vocab.money
    rows = [el("tr", el("th", p.title_labels.get(t, t), scope="row"),
               el("td", totals.get(t, zero)[0], class_="num"),
               el("td", money(totals.get(t, zero)[1]), class_="num"),
               el("td", money(unpaid[t][1]) if t in unpaid else "", class_="num"))
            for t in order]
    grand = sum((v[1] for v in totals.values()), Decimal(0))
    kept_back = sum((v[1] for v in unpaid.values()), Decimal(0))
    foot = el("tr", el("th", w("rewards_total"), scope="row", colspan=2),
              el("td", el("strong", money(grand)), class_="num"),
              el("td", money(kept_back), class_="num"))
    groups = "; ".join(f"{label}: {p.vocab.short_titles(titles)}"
                       for _i, label, titles in p.result.achievements)
    once = el("p", w("rewards_once", groups=groups, total=money(kept_back))) \
        if p.result.achievements else None
    return el("section", el("h2", w("rewards"), id="rewards"),
              el("p", p.result.reward_rule) if p.result.reward_rule else None, once,
              el("table", el("caption", w("rewards_caption")), el("thead", head),
                 el("tbody", rows), el("tfoot", foot)),
              class_="major")


# ---------------------------------------------------------------------------------- rounds


def _rounds(p: _Page) -> Markup | None:
    """Self-score versus final per unit, and the criteria the rounds changed most often."""
    if not p.result.rounds:
        return None
    w = p.w
    first = p.result.rounds[0][0]
    cols = (("criterion", None), ("self_score", "num"), ("final_score", "num"),
            ("difference", "num"), ("rounds_given", "num"))
    head = el("tr", [el("th", w(k), scope="col", class_=c) for k, c in cols])
    tables = []
    for u in p.result.units:
        items = self_vs_final(p.result, first).get(u.id) or []
        if not items:
            continue
        rows = [el("tr", el("th", f"{c.item} – {c.label}", scope="row"),
                   el("td", "" if c.self_points is None else w.num(c.self_points), class_="num"),
                   el("td", w.num(c.final), class_="num"),
                   el("td", w.num(c.difference), class_="num"),
                   el("td", c.rounds, class_="num")) for c in items]
        tables.append(el("table", el("caption", w("rounds_caption", unit=f"{u.name} ({u.id})")),
                         el("thead", head), el("tbody", rows)))
    often = [el("tr", el("th", f"{item} – {label}", scope="row"), el("td", n, class_="num"))
             for item, label, n in most_changed(p.result, first)]
    if often:
        tables.append(el("table", el("caption", w("most_changed")),
                         el("thead", el("tr", el("th", w("criterion"), scope="col"),
                                        el("th", w("units_changed"), scope="col",
                                           class_="num"))),
                         el("tbody", often)))
    return el("section", el("h2", w("rounds"), id="rounds"), el("p", w("rounds_intro")),
              tables, class_="major")


# --------------------------------------------------------------------------------- members


def _missing(p: _Page, r: RecordResult) -> str:
    """What stopped the first title this record did not get: conditions, gates or the quota."""
    d = next((d for d in r.decisions if not d.awarded), None)
    if d is None:
        return ""
    title = _short_title(d.label)
    if d.quota is not None and d.quota.cut:
        return f"{title}: {p.w('quota_cut')} ({d.quota.rank}/{d.quota.places})"
    if d.gated_by:
        gates = {h.item: h.label for h in r.hits if h.section == "gates"}
        return f"{title}: {p.w('gated_by', gates=', '.join(gates.get(g) or g for g in d.gated_by))}"
    failing = [conditions.said(x) for x in d.prerequisites if not x.met]
    return f"{title}: {'; '.join(failing)}"


def _members(p: _Page) -> Markup | None:
    w = p.w
    tables = []
    for unit_id, unit_name, members in member_groups(p.result):
        head = el("tr", [el("th", w(k), scope="col", class_=c) for k, c in (
            ("rank", "num"), ("id", None), ("name", None), ("score", "num"), ("titles", None),
            ("missing", None))])
        rows = [el("tr", el("td", r.rank, class_="num"), el("td", r.id),
                   el("th", r.name, p.provisional(r), scope="row"),
                   el("td", w.num(r.score), class_="num"),
                   el("td", p.titles(r)), el("td", _missing(p, r), class_="reasons"),
                   class_="member", data_id=r.id)
                for r in members]
        unit = f"{unit_name} ({unit_id})" if unit_name else unit_id
        tables.append(el("table", el("caption", w("members_caption", unit=unit)),
                         el("thead", head), el("tbody", rows), class_="members"))
    if not tables:
        return None
    return el("section", el("h2", w("members"), id="members"), el("p", w("members_intro")),
              tables, class_="major")


# --------------------------------------------------------------------------------- sources, sign


def _sources(p: _Page) -> Markup:
    w = p.w
    inputs = p.manifest.get("inputs")
    rows = []
    for item in inputs if isinstance(inputs, list) else []:
        if not isinstance(item, Mapping):
            continue
        digest = str(item.get("sha256", ""))
        rows.append(el("tr", el("th", str(item.get("path", "")), scope="row"),
                       el("td", el("code", digest[:12], title=digest)),
                       el("td", str(item.get("bytes", "")), class_="num")))
    head = el("tr", el("th", w("file"), scope="col"), el("th", w("sha256"), scope="col"),
              el("th", w("bytes"), scope="col", class_="num"))
    return el("section", el("h2", w("sources"), id="sources"),
              el("table", el("caption", w("sources_caption")), el("thead", head),
                 el("tbody", rows)),
              class_="sources")


def _signatures(p: _Page) -> Markup:
    w = p.w

    def block(role: str) -> Markup:
        return el("div", el("p", el("strong", w(role)), class_="role"),
                  el("p", w("sign_hint"), class_="hint"),
                  el("div", class_="sign-space"),
                  el("p", "………………………………………", class_="sign-name"),
                  class_="signer", data_role=role)

    return el("section",
              el("h2", w("minutes"), id="minutes"),
              el("p", w("minutes_intro")),
              el("p", w("place_date"), class_="place-date"),
              el("div", block("secretary"), block("chair"), class_="signature"),
              class_="minutes")


# --------------------------------------------------------------------------------- document


def render_html(result: Result, manifest: Mapping[str, Any], lang: str = "vi",
                previous: Previous | Mapping[str, Any] | None = None,
                groups: Mapping[str, str] | None = None, vocab: Vocab | None = None) -> bytes:
    """Render the council's report as one self-contained HTML document (UTF-8 bytes).

    `manifest` is the run's manifest (its `created` is the date shown, its inputs are listed);
    `lang` is "vi" or "en"; `previous` is last year's JSON output (parsed, or read with
    `parse_previous`), for the changes section: InputError if it is not one; `groups` maps unit
    criterion ids to their group labels (`criterion_groups(compiled)`), else each criterion is
    its own group; `vocab` gives the labels of the rule set's codes (enum values: build it
    with the compiled rule set), its money and yes/no follow `lang`.
    """
    w = Words.of(lang)
    vocab = replace(vocab, lang=lang) if vocab is not None else Vocab.of(result, lang=lang)
    p = _Page(result, manifest, w, groups or {}, vocab)
    rewards = _rewards(p)
    if previous is not None and not isinstance(previous, Previous):
        previous = parse_previous(previous)
    changes = _changes(p, previous) if previous is not None else None
    members = _members(p)
    rounds = _rounds(p)
    body = el("body",
              _header(p),
              el("main",
                 _contents(p, changes is not None, rewards is not None, members is not None,
                           rounds is not None),
                 _summary(p), _clusters(p), _titles(p), _distribution(p), rounds, changes,
                 rewards, members, _sources(p), _signatures(p)))
    head = el("head",
              el("meta", charset="utf-8"),
              el("meta", name="viewport", content="width=device-width, initial-scale=1"),
              el("meta", name="generator", content=str(manifest.get("tool", "scoring"))),
              el("title", f"{w('doc_title', year=result.year)} – {result.name or result.ruleset}"),
              el("style", Markup(_css())))
    document = "<!DOCTYPE html>\n" + el("html", head, body, lang=lang) + "\n"
    return document.encode("utf-8")
