"""The XLSX output: the workbook a council secretary opens, prints and forwards.

XlsxWriter rather than openpyxl because its output is byte-stable once the document's creation
date is fixed (it stamps the current time otherwise, and dates every zip member 1980-01-01), so
a result folder can be verified byte for byte. Numbers are written as numbers, so that a council
can sum and sort them; every text cell goes through `safe_text` and `write_string`, so that a
name typed as "=1+1" stays text even though XlsxWriter's `write` would turn it into a formula.
The lists and their order are those of the terminal tables (`scoring.outputs.table`).

Every sheet prints: A4, landscape when its columns are wider than a portrait page, scaled to
the page's width (never one column per page), header rows repeated on every page, and a
footer naming the rule set, its content hash and the page. Sheet names are the Vietnamese
labels ("Lao động tiên tiến", not `LDTT`), shortened to Excel's 31 characters (`sheet_name`).

Cells show what a council reads, never the rule set's codes (see `scoring.explanations.vocab`):
titles, criteria and scopes by their labels, units by name. Amounts of money stay numbers, so
that Excel sums them, with a number format that shows them as Vietnamese documents write them
(4.260.000 đ; 4,260,000 VND in English).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

from scoring.base.rounding import safe_number
from scoring.base.text import match_key
from scoring.evaluation.result import RecordResult, Result
from scoring.explanations.ledger import plain_json
from scoring.explanations.vocab import MONEY_FORMATS, Vocab
from scoring.outputs.csvout import section_names
from scoring.outputs.roundsummary import most_changed, self_vs_final
from scoring.outputs.safe import safe_text
from scoring.outputs.table import (
    KIND_LABELS,
    cluster_groups,
    provisional_line,
    show_number,
    title_holders,
    title_summaries,
)

__all__ = ["render_xlsx", "sheet_name"]



@dataclass(frozen=True)
class Money:
    """An amount of money: a number cell with the money format."""

    amount: Decimal


Cell = Decimal | str | bool | int | float | Money | None
# A fixed creation date: any constant works, and this one is obviously not a real one.
CREATED = datetime(2000, 1, 1)
MAX_SHEET_NAME = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_ASIDE = re.compile(r"\s*\([^()]*\)")
_MIN_WIDTH, _MAX_WIDTH = 6, 60
_HEADER_WIDTH = 14  # a header wider than this wraps onto more lines instead of widening
# Page layout (Excel's units): a column of width w is w * 7 + 5 pixels at 96 per inch, and
# A4 portrait leaves 8.27 - 2 * 0.7 inches between the default margins.
_A4, _PORTRAIT_PIXELS = 9, int((8.27 - 2 * 0.7) * 96)
_FOOTER_LIMIT = 255


def _shortened(name: str, limit: int = MAX_SHEET_NAME) -> str:
    """`name` in at most `limit` characters, still telling similar names apart: asides in
    brackets go first, then the middle ("Bằng khen của Chủ … cho cá nhân"), at word breaks."""
    if len(name) <= limit:
        return name
    name = _ASIDE.sub("", name).strip() or name
    if len(name) <= limit:
        return name
    words = name.split()
    tail: list[str] = []
    while len(words) > 1 and len(" ".join([words[-1], *tail])) <= limit * 2 // 5:
        tail.insert(0, words.pop())
    head: list[str] = []
    room = limit - len(" ".join(tail)) - (3 if tail else 2)
    for word in words:
        if len(" ".join([*head, word])) > room:
            break
        head.append(word)
    if not head:  # one word longer than the limit: cut it
        return name[: limit - 1] + "…"
    return " … ".join([" ".join(head), " ".join(tail)]) if tail else " ".join(head) + " …"


def sheet_name(wanted: str, used: set[str]) -> str:
    """Return a valid, unused sheet name close to `wanted`, and record it in `used`.

    Excel refuses names over 31 characters, with any of []:*?/\\, starting or ending with an
    apostrophe, or equal to another sheet's name ignoring case; "History" is reserved.
    """
    base = _shortened(_FORBIDDEN.sub("_", wanted).strip().strip("'")).strip("'") or "Sheet"
    name, n = base, 1
    while name.casefold() in used or name.casefold() == "history":
        n += 1
        suffix = f" ({n})"
        name = base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix
    used.add(name.casefold())
    return name


class _Sheet:
    """A worksheet written row by row, that remembers how wide each column needs to be and
    lays itself out for printing when finished."""

    def __init__(self, book: _Book, name: str) -> None:
        self._ws = book.workbook.add_worksheet(name)
        self._bold, self._header = book.bold, book.header
        self._money, self._vocab = book.money, book.vocab
        self._footer = book.footer
        self._row = 0
        self._widths: dict[int, int] = {}

    def row(self, cells: Sequence[Cell], *, bold: bool = False, measure: bool = True) -> None:
        """Write the next row; `measure=False` for headings that may overflow their column.

        A bold row that is measured is a header row: its cells wrap, so a long criterion name
        takes more lines rather than a wide column."""
        fmt = (self._header if measure else self._bold) if bold else None
        for col, value in enumerate(cells):
            text = self._write(col, value, fmt)
            if measure and text is not None:
                width = min(len(text), max([_HEADER_WIDTH, *map(len, text.split())])) \
                    if bold else len(text)
                self._widths[col] = max(self._widths.get(col, 0), width)
        self._row += 1

    def skip(self) -> None:
        self._row += 1

    def freeze(self, rows: int) -> None:
        """Keep the first `rows` (the headings) in view, and print them on every page."""
        self._ws.freeze_panes(rows, 0)
        self._ws.repeat_rows(0, rows - 1)

    def finish(self) -> None:
        widths = {col: min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
                  for col, width in sorted(self._widths.items())}
        for col, width in widths.items():
            self._ws.set_column(col, col, width)
        self._page_setup(sum(w * 7 + 5 for w in widths.values()))

    def _page_setup(self, pixels: int) -> None:
        ws = self._ws
        ws.set_paper(_A4)
        if pixels > _PORTRAIT_PIXELS:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)  # one page wide, as many pages down as the rows need
        ws.hide_gridlines(0)  # cell borders on paper too
        ws.set_footer(self._footer, {"scale_with_doc": False})

    def _write(self, col: int, value: Cell, fmt: Any) -> str | None:
        """Write one typed cell and return the text it shows (None for a blank)."""
        if value is None or value == "":
            return None
        if isinstance(value, Money):
            self._ws.write_number(self._row, col, float(safe_number(value.amount)),
                                  self._money)
            return self._vocab.money(value.amount)
        if isinstance(value, bool):  # có/không (yes/no), never TRUE/FALSE
            value = self._vocab.yes_no(value)
        if isinstance(value, int | float):
            self._ws.write_number(self._row, col, value, fmt)
            return str(value)
        if isinstance(value, Decimal):
            self._ws.write_number(self._row, col, float(safe_number(value)), fmt)
            return show_number(value)
        text = safe_text(value)
        self._ws.write_string(self._row, col, text, fmt)
        return text


def _footer(result: Result) -> str:
    """The printed footer: the rule set's name, its id, year and content hash, and the page.

    Excel's limit is 255 characters, codes included; the name gives way first."""
    right = "&R&8Trang &P/&N"
    second = f"{result.ruleset} {result.year}, mã băm {result.hash}".replace("&", "&&")
    room = _FOOTER_LIMIT - len(f"&L&8\n{second}{right}")
    name = result.name.replace("&", "&&")
    if name[:1].isdigit():  # "&8" then "2026…" would read as font size 82026
        name = " " + name
    if len(name) > room:
        name = name[: room - 1].rstrip("&") + "…"
    return f"&L&8{name}\n{second}{right}"


class _Book:
    def __init__(self, footer: str, vocab: Vocab) -> None:
        self.vocab = vocab
        self.buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(self.buffer, {"in_memory": True})
        self.workbook.set_properties({"created": CREATED})
        self.bold = self.workbook.add_format({"bold": True})
        self.header = self.workbook.add_format({"bold": True, "text_wrap": True,
                                                "valign": "top"})
        self.money = self.workbook.add_format({"num_format": MONEY_FORMATS[vocab.lang]})
        self.footer = footer
        self.used: set[str] = set()

    def sheet(self, wanted: str) -> _Sheet:
        return _Sheet(self, sheet_name(wanted, self.used))

    def close(self) -> bytes:
        self.workbook.close()
        return self.buffer.getvalue()


def _summary(book: _Book, result: Result) -> None:
    s = book.sheet("Tổng hợp")
    s.row(["Bộ tiêu chí", result.ruleset])
    s.row(["Tên", result.name])
    s.row(["Năm", result.year])
    s.row(["Mã băm (hash)", result.hash])
    s.row([f"Số {KIND_LABELS['individual']}", len(result.individuals)])
    s.row([f"Số {KIND_LABELS['unit']}", len(result.units)])
    provisional = provisional_line(result)
    if provisional:
        s.skip()
        s.row([provisional], bold=True, measure=False)
    s.skip()
    s.row(["Danh hiệu", "Đối tượng", "Được công nhận", "Không được do vượt hạn mức"],
          bold=True)
    for t in title_summaries(result):
        s.row([t.label, KIND_LABELS[t.kind], t.awarded, t.cut])
    if result.warnings:
        s.skip()
        s.row(["Cảnh báo"], bold=True)
        for w in result.warnings:
            s.row([w], measure=False)
    s.finish()


def _title_sheets(book: _Book, result: Result) -> None:
    for t in title_summaries(result):
        s = book.sheet(t.label)
        line = f"Được công nhận: {t.awarded}"
        if t.cut is not None:
            line += f"; không được do vượt hạn mức: {t.cut}"
        s.row([f"{t.label}, {KIND_LABELS[t.kind]}. {line}"], bold=True, measure=False)
        quota = [] if t.cut is None else ["Phạm vi hạn mức"]
        group = "Đơn vị" if t.kind == "individual" else "Cụm"
        s.row([*quota, "Hạng", "Mã", "Tên", group, "Điểm"], bold=True)
        for h in title_holders(result, t.id, t.kind):
            scope = [] if t.cut is None else [book.vocab.scope(h.scope, t.kind)]
            r = h.record
            group = book.vocab.unit(r.parent) if t.kind == "individual" else r.parent
            s.row([*scope, h.rank, r.id, r.name, group, r.score])
        s.freeze(2)
        s.finish()


def _cluster_title(cluster: str) -> str:
    # Clusters are often already named "Cụm 3" or "Khối thi đua 2"; do not say "Cụm" twice.
    return cluster if match_key(cluster).startswith(("cum", "khoi")) else f"Cụm {cluster}"


def _criteria_headers(result: Result, ids: Sequence[str]) -> list[Cell]:
    return [result.labels.get(cid, cid) for cid in ids]


def _cluster_sheets(book: _Book, result: Result) -> None:
    criteria = section_names(result.units, "points")
    for cluster, units in cluster_groups(result):
        s = book.sheet(_cluster_title(cluster))
        s.row([f"Khối/cụm thi đua: {cluster}"], bold=True, measure=False)
        s.row(["Hạng", "Mã", "Tên đơn vị", "Điểm", "Danh hiệu",
               *_criteria_headers(result, criteria)], bold=True)
        for u in units:
            points = dict(u.points)
            s.row([u.rank, u.id, u.name, u.score, book.vocab.short_titles(u.titles),
                   *(points.get(c) for c in criteria)])
        s.freeze(2)
        s.finish()


def _details(book: _Book, result: Result) -> None:
    records: list[RecordResult] = [*result.individuals, *result.units]
    criteria = section_names(records, "points")
    s = book.sheet("Điểm chi tiết")
    vocab = book.vocab
    # Only a provisional result (--allow-incomplete) has the column saying what is missing.
    marked = any(r.provisional for r in records)
    s.row(["Loại", "Mã", "Tên", "Đơn vị", "Cụm", "Điểm", "Hạng", "Phạm vi xếp hạng",
           "Danh hiệu", "Tiền thưởng được chi", "Không chi: cùng thành tích",
           *_criteria_headers(result, criteria),
           *(["Tạm thời: còn thiếu điểm chấm"] if marked else [])], bold=True)
    # The Result's order (individuals, then units, each by id), as in the CSV and JSON outputs.
    for r in records:
        unit, cluster = (r.parent, None) if r.kind == "individual" else (None, r.parent)
        points = dict(r.points)
        missing = ", ".join(result.labels.get(c, c) for c in r.provisional) or None
        s.row([KIND_LABELS[r.kind], r.id, r.name, unit, cluster, r.score, r.rank,
               vocab.scope(r.rank_scope, r.kind), vocab.short_titles(r.titles),
               Money(r.reward) if r.rewards else None,
               _not_paid(r, vocab), *(points.get(c) for c in criteria),
               *([missing] if marked else [])])
    s.freeze(1)
    s.finish()


def _not_paid(r: RecordResult, vocab: Vocab) -> str | None:
    """`Lao động tiên tiến 710.000 đ (đã chi Chiến sĩ thi đua cơ sở)`: rewards held but not
    paid, and the title paid instead."""
    return "; ".join(f"{vocab.short_title(u.title)} {vocab.money(u.amount)} "
                     f"(đã chi {vocab.short_title(u.paid)})" for u in r.not_paid) or None


def _rounds(book: _Book, result: Result) -> None:
    """Self-score versus final per unit, largest change first, and the items changed most."""
    if not result.rounds:
        return
    first = result.rounds[0][0]
    s = book.sheet("Tự chấm và kết quả")
    s.row(["Mã đơn vị", "Tên đơn vị", "Tiêu chí", "Tự chấm", "Kết quả", "Chênh lệch",
           "Số vòng chấm"], bold=True)
    for unit_id, items in self_vs_final(result, first).items():
        name = next(u.name for u in result.units if u.id == unit_id)
        for c in items:
            s.row([unit_id, name, c.label or c.item, c.self_points, c.final, c.difference,
                   c.rounds])
    s.row([])
    s.row(["Tiêu chí được điều chỉnh nhiều nhất", "", "", "Số đơn vị"], bold=True)
    for item, label, n in most_changed(result, first):
        s.row(["", "", label or item, n])
    s.freeze(1)
    s.finish()


def _flatten(value: Any, prefix: str) -> list[tuple[str, Cell]]:
    """Nested manifest data as (dotted key, scalar) rows: `inputs[0].sha256`.

    An empty list or mapping keeps its key with a blank value, so no manifest field vanishes.
    """
    if value in ({}, []) and prefix:
        return [(prefix, None)]
    if isinstance(value, dict):
        return [row for k, v in value.items()
                for row in _flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(value, list):
        return [row for i, v in enumerate(value) for row in _flatten(v, f"{prefix}[{i}]")]
    return [(prefix, value)]


def _manifest(book: _Book, manifest: Mapping[str, object]) -> None:
    s = book.sheet("Manifest")
    s.row(["Khóa", "Giá trị"], bold=True)
    for key, value in _flatten(plain_json(manifest), ""):
        s.row([key, value])
    s.freeze(1)
    s.finish()


def render_xlsx(result: Result, manifest: Mapping[str, object],
                vocab: Vocab | None = None) -> bytes:
    """Render the result as an XLSX workbook, byte-identical for the same result and manifest.

    Sheets: "Tổng hợp" (rule set and counts per title), one per title named by its label
    (holders in quota or score order), one per cluster (units in rank order, with their
    points), "Điểm chi tiết" (every record's points per criterion) and "Manifest".
    """
    book = _Book(_footer(result), vocab or Vocab.of(result))
    _summary(book, result)
    _title_sheets(book, result)
    _cluster_sheets(book, result)
    _details(book, result)
    _rounds(book, result)
    _manifest(book, manifest)
    return book.close()
