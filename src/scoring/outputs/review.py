"""The review of a plan period (sơ kết, tổng kết 2021–2025), read from the history store.

For each person and each unit: the titles year by year, how many years each title was held, and
the score's trend from the first year of the period to the last; for the period: how many held
each title each year, and the sector's typical examples (điển hình tiên tiến). Who is typical is
declared by the rule set, as an expression over the history functions in the parameters
`review_typical_individual` and `review_typical_unit` (e.g. `years_with(CSTDCS) >= 3`). In the
review every function reads the period only, up to and including its last year, all from the
store: a window (`last=`) ends with the last year, and without one it is the whole period.

`build_review` is pure; the renderers turn a `Review` into a terminal table, an XLSX workbook
(XlsxWriter, fixed creation date, every text through `safe_text`) or a self-contained HTML page
with the council report's look (`report.markup.el`, `report.css`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from importlib import resources

from tabulate import tabulate

from scoring.base.errors import RuleError, UsageError
from scoring.base.i18n import _
from scoring.base.text import collation_key, name_sort_key
from scoring.history.store import History, Snapshot
from scoring.history.values import REVIEW_PARAMS, evaluate
from scoring.language import expr, normal, parse, show, typecheck
from scoring.language.evaluate import holds
from scoring.language.history import Query, Resolver, is_call
from scoring.outputs.report.markup import Child, Markup, el
from scoring.outputs.safe import safe_text
from scoring.outputs.table import KIND_LABELS, show_number
from scoring.rulesets.compile import IDENTITY, Compiled, input_type
from scoring.rulesets.schema import KINDS, Kind

__all__ = ["REVIEW_PARAMS", "Line", "Review", "build_review", "parse_period", "render_review"]

MAX_PERIOD = 10
_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:\.\.|-|–)\s*(\d{4})\s*$")
_DASH = "–"


@dataclass(frozen=True)
class Line:
    """One person or unit over the period."""

    kind: Kind
    id: str
    name: str
    group: str  # the latest unit (individual) or cluster (unit)
    path: str  # the units a person moved through, or the ids a unit had; "" if one throughout
    titles: tuple[tuple[str, ...] | None, ...]  # per year of the period; None: no record
    scores: tuple[Decimal | None, ...]
    totals: tuple[tuple[str, int], ...]  # title → years held, in the review's title order
    typical: bool
    why: str  # the values the typical-example rule read

    @property
    def trend(self) -> tuple[Decimal, Decimal, Decimal] | None:
        """(first score, last score, change) over the years with a score; None if under two."""
        known = [s for s in self.scores if s is not None]
        if len(known) < 2:
            return None
        return known[0], known[-1], known[-1] - known[0]


@dataclass(frozen=True)
class Review:
    ruleset: str
    name: str
    hash: str
    years: tuple[int, ...]
    missing: tuple[int, ...]  # years of the period without an output in the store
    titles: tuple[tuple[str, str, Kind], ...]  # (id, label, kind) of the titles shown
    counts: Mapping[tuple[str, int], int]  # (title, year) → holders
    individuals: tuple[Line, ...]
    units: tuple[Line, ...]
    rules: Mapping[Kind, str]  # the typical-example rule as declared ("" when not declared)

    def lines(self, kind: Kind) -> tuple[Line, ...]:
        return self.individuals if kind == "individual" else self.units

    def label(self, title: str) -> str:
        return next((label for tid, label, _ in self.titles if tid == title), title)


def parse_period(text: str) -> tuple[int, int]:
    """"2021..2025" (or 2021-2025) → (2021, 2025); a UsageError otherwise."""
    m = _PERIOD.match(text)
    if m is None:
        raise UsageError.one("PERIOD", _("expected FIRST..LAST, e.g. 2021..2025, found "
                                          "{value!r}").format(value=text))
    first, last = int(m.group(1)), int(m.group(2))
    if not (1990 <= first <= last <= 2100) or last - first + 1 > MAX_PERIOD:
        raise UsageError.one("PERIOD", _("{value!r}: the first year must not be after the "
                                         "last, and a period is at most {most} years")
                             .format(value=text, most=MAX_PERIOD))
    return first, last


# ---------------------------------------------------------------------------------- building


def build_review(history: History, compiled: Compiled, first: int, last: int) -> Review:
    """The review of first..last from the store; the typical examples by the rule set's rule."""
    h = history.between(first, last)
    years = tuple(range(first, last + 1))
    present = {y for by_year in h.records.values() for y in by_year}
    typical = {k: _typical_rule(compiled, k) for k in KINDS}
    lines: dict[Kind, list[Line]] = {k: [] for k in KINDS}
    for (kind, rid), by_year in h.records.items():
        if by_year:
            lines[kind].append(_line(kind, rid, by_year, years, h, compiled, typical[kind]))
    declared = [(t.spec.id, t.spec.label, k) for k in KINDS for t in compiled.kind(k).titles]
    known = {t for t, _, _ in declared}
    seen = sorted({(t, kind) for (kind, _), by_year in h.records.items()
                   for snaps in by_year.values() for s in snaps for t in s.titles} -
                  {(t, k) for t, _, k in declared}, key=lambda x: (KINDS.index(x[1]), x[0]))
    titles = tuple(declared + [(t, t, k) for t, k in seen if t not in known])
    counts = {(t, y): sum(1 for line in lines[k] if t in (line.titles[i] or ()))
              for t, _, k in titles for i, y in enumerate(years)}
    shown = tuple(x for x in titles if any(counts[(x[0], y)] for y in years))
    rs = compiled.ruleset
    return Review(
        ruleset=rs.ruleset, name=rs.name, hash=compiled.hash, years=years,
        missing=tuple(y for y in years if y not in present), titles=shown, counts=counts,
        individuals=tuple(sorted(lines["individual"], key=_order)),
        units=tuple(sorted(lines["unit"], key=_order)),
        rules={k: _rule_text(typical[k]) for k in KINDS})


def _rule_text(typical: _Typical) -> str:
    return "" if typical is None else typical[0]


def _order(line: Line) -> tuple[object, ...]:
    name = name_sort_key(line.name) if line.kind == "individual" else collation_key(line.name)
    return collation_key(line.group), name, line.id


# The declared rule: its text, its condition, and the history queries it reads by call.
_Typical = tuple[str, normal.Cond, tuple[tuple[str, Query], ...]] | None


def _typical_rule(compiled: Compiled, kind: Kind) -> _Typical:
    """The declared rule (its text, its condition, the history queries it reads), if any."""
    param = compiled.ruleset.params.get(REVIEW_PARAMS[kind])
    if param is None:
        return None
    where = expr.Where(param.source, REVIEW_PARAMS[kind])
    if not isinstance(param.value, str):
        raise where.error(_("expected an expression over history functions, e.g. "
                            "'years_with(CSTDCS) >= 3'"))
    node = parse.parse(param.value, where)
    calls = sorted(n for n in expr.names(node) if is_call(n))
    others = sorted(n for n in expr.names(node) if not is_call(n) and n not in compiled.constants)
    if others:
        raise where.error(_("the review reads history functions only, not {name!r}")
                          .format(name=others[0]))
    resolver = Resolver(compiled.ruleset)
    env = _kind_env(compiled, kind)
    queries = tuple((c, resolver.query(c, kind, env, where, live=False)) for c in calls)
    outer = expr.Env({c: expr.NUMBER for c in calls}, {}, compiled.constants)
    if typecheck.check(node, outer, where).kind != "bool":
        raise where.error(_("{value!r} is not a condition").format(value=param.value))
    return param.value, normal.to_cond(expr.substitute(node, compiled.constants)), queries


def _kind_env(compiled: Compiled, kind: Kind) -> expr.Env:
    """What a condition of `kind` may read on a year's record (as the titles' stage reads)."""
    ck = compiled.kind(kind)
    names: dict[str, expr.Type] = dict(IDENTITY[kind])
    names.update({n: input_type(s) for n, s in ck.inputs.items()})
    for agg in ck.aggregates:
        names[agg.name] = expr.BOOL if agg.spec.fn in ("all", "any") else expr.NUMBER
    for name, node in ck.computed:
        try:
            names[name] = typecheck.check(node, expr.Env(names, {}, compiled.constants))
        except RuleError:
            names[name] = expr.NUMBER
    names.update({c.spec.id: expr.NUMBER for c in ck.criteria})
    names["score"] = expr.NUMBER
    names.update({t.id: expr.BOOL for t in compiled.ruleset.titles if t.of == kind})
    return expr.Env(names, {}, compiled.constants)


def _line(kind: Kind, rid: str, by_year: Mapping[int, tuple[Snapshot, ...]],
          years: Sequence[int], h: History, compiled: Compiled, typical: _Typical) -> Line:
    latest = by_year[max(by_year)][-1]
    order = [t.spec.id for t in compiled.kind(kind).titles]

    def in_order(titles: set[str]) -> tuple[str, ...]:
        return tuple(sorted(titles, key=lambda t: (order.index(t) if t in order else len(order),
                                                   t)))

    titles: list[tuple[str, ...] | None] = []
    scores: list[Decimal | None] = []
    for y in years:
        snaps = by_year.get(y)
        # merged units: a title counts for the year only if every one of them held it
        titles.append(None if not snaps else in_order(set.intersection(
            *(set(s.titles) for s in snaps))))
        scores.append(snaps[0].score if snaps and len(snaps) == 1 else None)
    held = in_order({t for ts in titles if ts for t in ts})
    totals = tuple((t, sum(1 for ts in titles if ts and t in ts)) for t in held)
    is_typical, why = False, ""
    if typical is not None:
        _, cond, queries = typical
        ids = [t.id for t in compiled.ruleset.titles if t.of == kind]
        scope: dict[str, expr.Value] = {}
        shown = []
        for call, q in queries:
            # The window ends with the period's last year, read from the store like the others.
            whole = replace(q, last=None if q.last is None else q.last + 1)
            value, counted = evaluate(whole, h, rid, years[-1], years[-1] + 1, ids)
            scope[call] = value
            shown.append(f"{call} = {show.format_number(value)}"
                         f"{' (' + ', '.join(map(str, counted)) + ')' if counted else ''}")
        is_typical, why = holds(cond, scope), "; ".join(shown)
    return Line(kind, rid, latest.name, latest.parent, _path(kind, by_year), tuple(titles),
                tuple(scores), totals, is_typical, why)


def _path(kind: Kind, by_year: Mapping[int, tuple[Snapshot, ...]]) -> str:
    """"SCT-VP 2021–2023 → TT-XTTM 2024–2025" for a person who moved; a unit's former ids."""
    runs: list[tuple[str, int, int]] = []  # (where, first year, last year)
    for y in sorted(by_year):
        where = by_year[y][0].parent if kind == "individual" else "+".join(
            sorted({s.declared_id for s in by_year[y]}))
        if runs and runs[-1][0] == where and runs[-1][2] == y - 1:
            runs[-1] = (where, runs[-1][1], y)
        else:
            runs.append((where, y, y))
    if len(runs) < 2:
        return ""
    return " → ".join(f"{w} {a}{'' if a == b else _DASH + str(b)}" for w, a, b in runs)


# -------------------------------------------------------------------------------- rendering


def render_review(review: Review, fmt: str) -> bytes:
    """The review in `fmt` (table, xlsx or html), as bytes."""
    if fmt == "table":
        return render_text(review).encode("utf-8")
    if fmt == "xlsx":
        return render_xlsx(review)
    if fmt == "html":
        return render_html(review)
    raise ValueError(f"unknown format {fmt!r}")


def _years_label(review: Review) -> str:
    return f"{review.years[0]}{_DASH}{review.years[-1]}"


def _cell(titles: tuple[str, ...] | None) -> str:
    return "(không có)" if titles is None else (", ".join(titles) or "-")


def _totals(line: Line) -> str:
    return ", ".join(f"{t} ×{n}" for t, n in line.totals)


def _trend(line: Line) -> str:
    t = line.trend
    if t is None:
        return ""
    first, last, change = t
    sign = "+" if change > 0 else ""
    return f"{show_number(first)} → {show_number(last)} ({sign}{show_number(change)})"


def _header_lines(review: Review) -> list[str]:
    out = [f"Tổng kết giai đoạn {_years_label(review)} · bộ tiêu chí {review.ruleset} "
           f"({review.name}) · hash {review.hash[:12]}",
           f"{len(review.individuals)} {KIND_LABELS['individual']}, {len(review.units)} "
           f"{KIND_LABELS['unit']}"]
    if review.missing:
        out.append("Thiếu kết quả các năm: " + ", ".join(map(str, review.missing)))
    return out


def _count_rows(review: Review) -> list[list[str | int]]:
    return [[tid, label, KIND_LABELS[kind], *(review.counts[(tid, y)] for y in review.years)]
            for tid, label, kind in review.titles]


def _line_row(review: Review, line: Line) -> list[str]:
    return [line.id, line.name, line.group, *(_cell(t) for t in line.titles), _totals(line),
            _trend(line), "x" if line.typical else "", line.path]


def _line_headers(review: Review, kind: Kind) -> list[str]:
    who = "Họ và tên" if kind == "individual" else "Tên đơn vị"
    where = "Đơn vị" if kind == "individual" else "Khối/cụm"
    moved = "Quá trình công tác" if kind == "individual" else "Mã qua các năm"
    return ["Mã", who, where, *map(str, review.years), "Tổng số năm", "Điểm (đầu → cuối)",
            "Điển hình", moved]


def _typical_text(review: Review, kind: Kind) -> str:
    rule = review.rules[kind]
    return f"Tiêu chí điển hình tiên tiến ({KIND_LABELS[kind]}): {rule}" if rule else \
        f"Bộ tiêu chí không khai báo tiêu chí điển hình tiên tiến cho {KIND_LABELS[kind]}"


def render_text(review: Review) -> str:
    """The review as terminal tables."""
    parts = ["\n".join(_header_lines(review))]
    parts.append("Số danh hiệu theo năm\n" + tabulate(
        _count_rows(review), ["Mã", "Danh hiệu", "Đối tượng", *map(str, review.years)],
        tablefmt="simple"))
    for kind in KINDS:
        typical = [line for line in review.lines(kind) if line.typical]
        rows = [[line.id, line.name, line.group, line.why] for line in typical]
        parts.append(f"Điển hình tiên tiến: {KIND_LABELS[kind]}\n{_typical_text(review, kind)}\n"
                     + (tabulate(rows, ["Mã", "Tên", "Đơn vị/khối", "Căn cứ"], tablefmt="simple")
                        if rows else "(không có)"))
    for kind in KINDS:
        heading = "Cá nhân" if kind == "individual" else "Đơn vị"
        rows = [_line_row(review, line) for line in review.lines(kind)]
        parts.append(f"{heading}: danh hiệu từng năm\n"
                     + tabulate(rows, _line_headers(review, kind), tablefmt="simple"))
    legend = [f"{tid}: {label}" for tid, label, _ in review.titles]
    parts.append("Ký hiệu danh hiệu\n" + "\n".join(legend))
    return "\n\n".join(parts) + "\n"


# -------------------------------------------------------------------------------------- XLSX

CREATED = datetime(2000, 1, 1)  # a fixed creation date: the workbook is byte-stable


def render_xlsx(review: Review) -> bytes:
    """The review as a workbook: a summary sheet, the typical examples, people and units."""
    buffer = io.BytesIO()
    import xlsxwriter  # only the xlsx review needs it: `scoring --help` does not load it

    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.set_properties({"created": CREATED})
    bold = wb.add_format({"bold": True})

    def sheet(name: str, rows: Sequence[Sequence[object]], header_rows: Sequence[int]) -> None:
        """One sheet, numbers as numbers, every text through safe_text, widths to fit."""
        ws = wb.add_worksheet(name)
        widths: dict[int, int] = {}
        for r, row in enumerate(rows):
            fmt = bold if r in header_rows else None
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, int | Decimal) and not isinstance(value, bool):
                    ws.write_number(r, c, float(value), fmt)
                    text = str(value)
                else:
                    text = safe_text(str(value))
                    ws.write_string(r, c, text, fmt)
                widths[c] = max(widths.get(c, 0), min(len(text), 60))
        for c, w in widths.items():
            ws.set_column(c, c, max(6, w + 2))
        if header_rows:
            ws.freeze_panes(header_rows[-1] + 1, 0)

    head = [[line] for line in _header_lines(review)]
    counts: list[Sequence[object]] = [["Mã", "Danh hiệu", "Đối tượng", *review.years]]
    counts += _count_rows(review)
    sheet("Tổng hợp", [*head, [], *counts], [len(head) + 1])
    typical: list[Sequence[object]] = [["Đối tượng", "Mã", "Tên", "Đơn vị/khối", "Căn cứ"]]
    for kind in KINDS:
        typical += [[KIND_LABELS[kind], line.id, line.name, line.group, line.why]
                    for line in review.lines(kind) if line.typical]
    rules = [[_typical_text(review, k)] for k in KINDS]
    sheet("Điển hình tiên tiến", [*typical, [], *rules], [0])
    for kind, name in (("individual", "Cá nhân"), ("unit", "Đơn vị")):
        rows: list[Sequence[object]] = [_line_headers(review, kind)]
        rows += [_line_row(review, line) for line in review.lines(kind)]
        sheet(name, rows, [0])
    wb.close()
    return buffer.getvalue()


# -------------------------------------------------------------------------------------- HTML


def _css() -> str:
    return resources.files("scoring.outputs.report").joinpath("report.css").read_text("utf-8")


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[Child]],
           numeric: Sequence[bool] = ()) -> Markup:
    def cls(i: int) -> str | None:
        return "num" if i < len(numeric) and numeric[i] else None

    return el("table",
              el("caption", caption),
              el("thead", el("tr", [el("th", h, scope="col", class_=cls(i))
                                    for i, h in enumerate(headers)])),
              el("tbody", [el("tr", [el("td", c, class_=cls(i)) for i, c in enumerate(row)])
                           for row in rows]))


def render_html(review: Review) -> bytes:
    """The review as one self-contained HTML page, in the council report's style."""
    period = _years_label(review)
    header = el("header",
                el("p", "Tổng kết phong trào thi đua", class_="kicker"),
                el("h1", f"Tổng kết giai đoạn {period}"),
                el("p", review.name or review.ruleset, class_="campaign"),
                el("dl", el("dt", "Bộ tiêu chí"), el("dd", review.ruleset),
                   el("dt", "Mã băm"), el("dd", el("code", review.hash[:16])),
                   el("dt", "Số hồ sơ"),
                   el("dd", f"{len(review.individuals)} {KIND_LABELS['individual']}, "
                            f"{len(review.units)} {KIND_LABELS['unit']}"),
                   class_="facts"),
                el("div", el("h2", "Thiếu kết quả"),
                   el("p", ", ".join(map(str, review.missing))), class_="warnings")
                if review.missing else None)
    years = [str(y) for y in review.years]
    counts = _table("Số cá nhân, đơn vị đạt mỗi danh hiệu theo năm",
                    ["Mã", "Danh hiệu", "Đối tượng", *years],
                    [[tid, label, KIND_LABELS[kind], *(str(review.counts[(tid, y)])
                                                      for y in review.years)]
                     for tid, label, kind in review.titles],
                    [False, False, False, *(True for _ in years)])
    sections: list[Child] = [el("section", el("h2", "Danh hiệu theo năm"), counts)]
    typical = []
    for kind in KINDS:
        rows = [[line.id, line.name, line.group, line.why]
                for line in review.lines(kind) if line.typical]
        typical.append(el("h3", f"{KIND_LABELS[kind].capitalize()}"))
        typical.append(el("p", _typical_text(review, kind), class_="basis"))
        typical.append(_table(f"Điển hình tiên tiến ({KIND_LABELS[kind]})",
                              ["Mã", "Tên", "Đơn vị/khối", "Căn cứ"], rows)
                       if rows else el("p", "(không có)"))
    sections.append(el("section", el("h2", "Điển hình tiên tiến"), typical))
    for kind, title in (("individual", "Cá nhân"), ("unit", "Đơn vị")):
        headers = _line_headers(review, kind)
        rows = [_line_row(review, line) for line in review.lines(kind)]
        numeric = [False] * len(headers)
        numeric[3 + len(years) + 1] = True
        sections.append(el("section", el("h2", f"{title}: danh hiệu từng năm"),
                           _table(f"{title} ({len(rows)})", headers, rows, numeric)))
    legend = el("section", el("h2", "Ký hiệu danh hiệu"),
                el("dl", [(el("dt", tid), el("dd", label)) for tid, label, _ in review.titles],
                   class_="facts"))
    body = el("body", header, el("main", sections, legend))
    head = el("head", el("meta", charset="utf-8"),
              el("meta", name="viewport", content="width=device-width, initial-scale=1"),
              el("title", f"Tổng kết giai đoạn {period} – {review.name or review.ruleset}"),
              el("style", Markup(_css())))
    return ("<!DOCTYPE html>\n" + el("html", head, body, lang="vi") + "\n").encode("utf-8")
