"""The fill-in workbook a council sends to its units, generated from a rule set's inputs.

Units fill in a workbook that the reader reads back without edits: sheets "Đơn vị" and "Cá
nhân" with the identity columns first and then one column per declared input, headed by its
Vietnamese label; dropdowns offer the Vietnamese wording of enum values and "có/không" for
yes/no inputs; numbers are checked against the declared range. Nothing is written below the
header (a notes row would be read as a record), so each header cell carries its explanation
as a comment, and a "Hướng dẫn" sheet lists every input. When the rule set counts initiatives
by scope, a "Sáng kiến" sheet takes the list of initiatives with their recognition decisions,
which the reader folds into the counts.

The same function writes the sample workbook with data (`fixtures/make_workbook.py`), so the
form and the sample cannot drift apart. Pure: rule set (and rows) in, bytes out, written with
XlsxWriter and a fixed creation date so that the same rule set always gives the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from scoring.base.text import match_key
from scoring.inputs.initiatives import COUNT_INPUTS, SCOPE_WORDING
from scoring.inputs.records import IDENTITY_ALIASES, MAX_CELL_CHARS, YEAR_ALIASES, header_map
from scoring.language.show import format_number
from scoring.rulesets.schema import KINDS, InputSpec, Kind, RuleSet

__all__ = ["CREATED", "SHEETS", "Column", "Filled", "columns", "render_template"]

CREATED = datetime(2000, 1, 1)  # fixed, so that the bytes depend on the rule set only
SHEETS: dict[Kind, str] = {"unit": "Đơn vị", "individual": "Cá nhân"}
INSTRUCTIONS, LISTS, INITIATIVES = "Hướng dẫn", "Danh mục", "Sáng kiến"
YES, NO = "có", "không"
LAST_ROW = 1_048_575  # validations cover the whole column below the header
_AUTHOR = "scoring"
_TYPE_WORDS = {"int": "Số nguyên", "number": "Số (được có phần thập phân)",
               "bool": "Có/không", "enum": "Chọn trong danh sách", "text": "Chữ"}
# The wording the "Sáng kiến" dropdown offers: the reader's first Vietnamese form of each scope.
SCOPE_LABELS = {scope: words[1] for scope, words in SCOPE_WORDING.items()}
_GUIDE_WIDTHS = (10, 40, 22, 16, 36, 20, 60)  # the columns of the "Hướng dẫn" table

_IDENTITY: dict[Kind, tuple[tuple[str, str, int, str], ...]] = {  # field, header, width, note
    "unit": (
        ("id", "Mã", 12, "Mã đơn vị, không trùng nhau (ví dụ SCT-VP). Cá nhân ghi mã này ở cột "
                         "'Mã đơn vị' của sheet Cá nhân."),
        ("name", "Tên đơn vị", 36, "Tên đầy đủ của đơn vị."),
        ("cluster", "Khối thi đua", 24, "Khối hoặc cụm thi đua; các đơn vị cùng khối được "
                                        "chấm và xếp hạng với nhau."),
        ("year", "Năm", 8, "Năm đánh giá (ví dụ 2021), ghi ở mọi dòng: năm cho biết bộ tiêu "
                           "chí nào được áp dụng."),
    ),
    "individual": (
        ("id", "Mã", 12, "Mã cá nhân, không trùng nhau trong toàn bộ hồ sơ (ví dụ CN0001)."),
        ("name", "Họ và tên", 26, "Họ và tên đầy đủ, có dấu."),
        ("unit_id", "Mã đơn vị", 14, "Mã của đơn vị công tác, đúng như cột 'Mã' của sheet "
                                     "Đơn vị."),
        ("year", "Năm", 8, "Năm đánh giá (ví dụ 2021), ghi ở mọi dòng: năm cho biết bộ tiêu "
                           "chí nào được áp dụng."),
    ),
}
# header, width, note; the headers are among those `initiatives.INITIATIVE_COLUMNS` knows.
_INITIATIVE_COLUMNS = (
    ("Mã cá nhân", 14, "Mã của tác giả, đúng như cột 'Mã' của sheet Cá nhân. Sáng kiến có "
                       "nhiều tác giả: mỗi tác giả một dòng."),
    ("Họ và tên", 26, "Họ và tên tác giả (để đối chiếu; không bắt buộc)."),
    ("Tên sáng kiến", 40, "Tên sáng kiến (không bắt buộc)."),
    ("Phạm vi ảnh hưởng", 18, "Phạm vi ảnh hưởng được công nhận: Cấp cơ sở, Cấp tỉnh (cấp "
                              "bộ, ngành) hoặc Toàn quốc."),
    ("Số quyết định công nhận", 22, "Số quyết định công nhận sáng kiến (bắt buộc: sáng kiến "
                                    "chỉ được tính khi đã được công nhận)."),
)


@dataclass(frozen=True)
class Column:
    """One column of a record sheet: the field it fills, its header, width and explanation."""

    field: str
    header: str
    width: int
    comment: str
    spec: InputSpec | None = None  # None for the identity columns


@dataclass(frozen=True)
class Filled:
    """Rows to write under the headers, for a sample workbook: field → value per record.

    Values are typed as the validated records hold them: enum keys, booleans, Decimals, text.
    `initiatives` rows have the keys person, name, title, scope (co_so/tinh/toan_quoc), decision.
    """

    units: Sequence[Mapping[str, object]] = ()
    individuals: Sequence[Mapping[str, object]] = ()
    initiatives: Sequence[Mapping[str, object]] = ()

    def of(self, kind: Kind) -> Sequence[Mapping[str, object]]:
        return self.units if kind == "unit" else self.individuals


# ------------------------------------------------------------------------------- describing


def _number(d: Decimal | None) -> str:
    return "" if d is None else format_number(d).replace(".", ",")


def _range_words(spec: InputSpec) -> str:
    lo, hi = _number(spec.min), _number(spec.max)
    if lo and hi:
        return f"từ {lo} đến {hi}"
    if lo:
        return f"từ {lo} trở lên"
    if hi:
        return f"không quá {hi}"
    return ""


def _value_words(spec: InputSpec, value: object) -> str:
    if spec.type == "bool":
        return YES if value else NO
    if spec.type == "enum" and spec.values:
        return spec.values.get(str(value), str(value))
    if isinstance(value, Decimal):
        return _number(value)
    return str(value)


def allowed(spec: InputSpec) -> str:
    """What a cell of this input accepts, in the form's words."""
    if spec.type == "enum":
        return "; ".join((spec.values or {}).values())
    if spec.type == "bool":
        return f"{YES} / {NO}"
    if spec.type in ("int", "number"):
        return _range_words(spec)
    return f"tối đa {MAX_CELL_CHARS} ký tự"


def if_blank(spec: InputSpec) -> str:
    """What a blank cell means: required, or the value it stands for."""
    if spec.is_required:
        return "Bắt buộc"
    if spec.default is not None:
        return f"Để trống = {_value_words(spec, spec.default)}"
    if spec.type == "bool":
        return f"Để trống = {NO}"
    return "Để trống = không có số liệu"


def _comment(spec: InputSpec, name: str) -> str:
    lines = [spec.label]
    if spec.note:
        lines.append(spec.note)
    kind = _TYPE_WORDS[spec.type]
    values = allowed(spec)
    lines.append(f"{kind}: {values}." if values and spec.type != "enum" else f"{kind}.")
    if spec.type == "enum":
        lines.extend(f"• {v}" for v in (spec.values or {}).values())
    lines.append(f"{if_blank(spec)}.")
    lines.append(f"Tên trong bộ tiêu chí: {name}")
    return "\n".join(lines)


def _width(spec: InputSpec, header: str) -> int:
    longest_word = max((len(w) for w in header.split()), default=8)
    width = max(12, longest_word + 2, math.ceil(len(header) / 3) + 2)
    if spec.type == "enum":
        width = max(width, min(40, max(len(v) for v in (spec.values or {}).values()) + 2))
    return min(width, 34)


def columns(ruleset: RuleSet, kind: Kind) -> list[Column]:
    """The columns of a kind's sheet: identity first, then each declared input.

    Every header must read back as its own column, and declared inputs win over identity
    aliases when reading. So an identity column whose usual header a rule set took as an input
    label gets the next alias that still reads as it ("Đơn vị" for "Tên đơn vị"), and an input
    whose label reads as something else (two inputs sharing a label) gets its name.
    """
    inputs = ruleset.kind(kind).inputs
    known = header_map(kind, inputs)
    out: list[Column] = []
    for f, header, width, note in _IDENTITY[kind]:
        aliases = YEAR_ALIASES if f == "year" else IDENTITY_ALIASES[kind][f]
        header = next(h for h in (header, *aliases, f) if known.get(match_key(h)) == f)
        out.append(Column(f, header, width, note))
    for name, spec in inputs.items():
        header = spec.label if known.get(match_key(spec.label)) == name else name
        out.append(Column(name, header, _width(spec, header), _comment(spec, name), spec))
    return out


def counts_initiatives(ruleset: RuleSet) -> list[str]:
    """The scopes whose initiative counts the rule set declares (co_so, tinh, toan_quoc)."""
    inputs = ruleset.kind("individual").inputs
    return [scope for scope, name in COUNT_INPUTS.items() if name in inputs]


# ------------------------------------------------------------------------------- writing


class _Book:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.buffer, {"in_memory": True})
        self.wb.set_properties({"created": CREATED, "author": _AUTHOR})
        self.header = self.wb.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                          "bg_color": "#DDEBF7", "border": 1})
        self.required = self.wb.add_format({"bold": True, "text_wrap": True, "valign": "top",
                                            "bg_color": "#FCE4D6", "border": 1})
        self.bold = self.wb.add_format({"bold": True})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.lists: list[tuple[str, Sequence[str]]] = []

    def list_range(self, title: str, values: Sequence[str]) -> str:
        """Put a dropdown's values on the hidden lists sheet; return the range to validate by.

        A sheet range rather than a literal list, because literal lists are cut at 255
        characters and split at commas, and Vietnamese wording has both.
        """
        letter = xl_col_to_name(len(self.lists))
        self.lists.append((title, values))
        return f"='{LISTS}'!${letter}$2:${letter}${len(values) + 1}"

    def close(self) -> bytes:
        if self.lists:  # written last, so that the hidden sheet comes after the others
            ws = self.wb.add_worksheet(LISTS)
            ws.hide()
            for col, (title, values) in enumerate(self.lists):
                ws.write_string(0, col, title, self.bold)
                for i, v in enumerate(values, start=1):
                    ws.write_string(i, col, v)
                ws.set_column(col, col, min(60, max(len(v) for v in (title, *values)) + 2))
        self.wb.close()
        return self.buffer.getvalue()


def _validate(ws: Any, col: int, options: dict[str, Any]) -> None:
    ws.data_validation(1, col, LAST_ROW, col, {"ignore_blank": True, **options})


def _bound(d: Decimal | None) -> int | float | None:
    if d is None:
        return None
    return int(d) if d == d.to_integral_value() else float(d)


def _number_rule(spec: InputSpec) -> dict[str, Any]:
    kind = "integer" if spec.type == "int" else "decimal"
    lo, hi = _bound(spec.min), _bound(spec.max)
    words = _range_words(spec)
    message = f"{_TYPE_WORDS[spec.type]} {words}".strip()
    if lo is not None and hi is not None:
        rule: dict[str, Any] = {"criteria": "between", "minimum": lo, "maximum": hi}
    elif lo is not None:
        rule = {"criteria": ">=", "value": lo}
    elif hi is not None:
        rule = {"criteria": "<=", "value": hi}
    else:
        rule = {"criteria": "between", "minimum": -1e15, "maximum": 1e15}
    return {"validate": kind, **rule, "error_title": "Giá trị không hợp lệ",
            "error_message": f"{message}."[:255]}


def _input_rule(book: _Book, spec: InputSpec, header: str) -> dict[str, Any] | None:
    if spec.type == "enum":
        return {"validate": "list", "source": book.list_range(header, list(
                    (spec.values or {}).values())),
                "error_title": "Giá trị không có trong danh sách",
                "error_message": "Chọn một giá trị trong danh sách thả xuống."}
    if spec.type == "bool":
        return {"validate": "list", "source": [YES, NO], "error_title": "Chỉ có hoặc không",
                "error_message": f"Chọn {YES} hoặc {NO} (để trống = {NO} nếu không bắt buộc)."}
    if spec.type in ("int", "number"):
        return _number_rule(spec)
    return {"validate": "length", "criteria": "<=", "value": MAX_CELL_CHARS,
            "error_title": "Quá dài", "error_message": f"Tối đa {MAX_CELL_CHARS} ký tự."}


def _identity_rule(kind: Kind, field: str, kinds: Sequence[Kind]) -> dict[str, Any] | None:
    if field == "id":
        return {"validate": "custom", "value": "=COUNTIF($A:$A,A2)=1",
                "error_title": "Mã bị trùng", "error_message": "Mã này đã có ở dòng khác."}
    if field == "unit_id" and "unit" in kinds:
        return {"validate": "list", "source": f"='{SHEETS['unit']}'!$A$2:$A$5000",
                "error_type": "warning", "error_title": "Mã đơn vị chưa có",
                "error_message": "Mã này chưa có trong sheet Đơn vị."}
    if field == "year":
        return {"validate": "integer", "criteria": "between", "minimum": 1990, "maximum": 2100,
                "error_title": "Năm không hợp lệ", "error_message": "Ghi năm, ví dụ 2021."}
    return None


def _cell(ws: Any, row: int, col: int, value: object,
          spec: InputSpec | None) -> None:
    if value is None or value == "":
        return
    if spec is not None and spec.type in ("bool", "enum"):
        ws.write_string(row, col, _value_words(spec, value))
    elif isinstance(value, bool):
        ws.write_string(row, col, YES if value else NO)
    elif isinstance(value, int | float | Decimal):
        ws.write_number(row, col, float(value))
    else:
        ws.write_string(row, col, str(value))  # never `write`: "=1+1" stays text


def _print_setup(ws: Any, fit_width: bool = False) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    if fit_width:
        ws.fit_to_pages(1, 0)  # as wide as one page, as long as it takes


def _header_row(book: _Book, ws: Any, cols: Sequence[Column],
                kinds: Sequence[Kind], kind: Kind | None) -> None:
    height = 0
    for c, column in enumerate(cols):
        required = column.spec is None or column.spec.is_required
        ws.write_string(0, c, column.header, book.required if required else book.header)
        ws.set_column(c, c, column.width)
        ws.write_comment(0, c, column.comment, {"author": _AUTHOR, "x_scale": 2.2,
                                                "y_scale": 2.5 if column.spec else 1.2})
        height = max(height, _height(column.header, column.width))
        rule = (_input_rule(book, column.spec, column.header) if column.spec is not None
                else _identity_rule(kind, column.field, kinds) if kind is not None else None)
        if rule is not None:
            _validate(ws, c, rule)
    ws.set_row(0, height)
    _print_setup(ws)
    ws.repeat_rows(0)
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, 0, len(cols) - 1)


def _record_sheet(book: _Book, ruleset: RuleSet, kind: Kind, kinds: Sequence[Kind],
                  rows: Sequence[Mapping[str, object]]) -> None:
    ws = book.wb.add_worksheet(SHEETS[kind])
    cols = columns(ruleset, kind)
    _header_row(book, ws, cols, kinds, kind)
    fields = {c.field for c in cols}
    for r, record in enumerate(rows, start=1):
        unknown = set(record) - fields
        if unknown:
            raise ValueError(f"{SHEETS[kind]}: no column for {sorted(unknown)}")
        for c, column in enumerate(cols):
            _cell(ws, r, c, record.get(column.field), column.spec)


def _initiatives_sheet(book: _Book, scopes: Sequence[str],
                       rows: Sequence[Mapping[str, object]]) -> None:
    ws = book.wb.add_worksheet(INITIATIVES)
    cols = [Column(h, h, w, note) for h, w, note in _INITIATIVE_COLUMNS]
    _header_row(book, ws, cols, (), None)
    _validate(ws, 0, {"validate": "list", "source": f"='{SHEETS['individual']}'!$A$2:$A$20000",
                      "error_type": "warning", "error_title": "Mã cá nhân chưa có",
                      "error_message": "Mã này chưa có trong sheet Cá nhân."})
    _validate(ws, 3, {"validate": "list", "source": [SCOPE_LABELS[s] for s in scopes],
                      "error_title": "Phạm vi không hợp lệ",
                      "error_message": "Chọn phạm vi trong danh sách."})
    keys = ("person", "name", "title", "scope", "decision")
    for r, ini in enumerate(rows, start=1):
        for c, key in enumerate(keys):
            value = ini.get(key)
            if key == "scope":
                value = SCOPE_LABELS[str(value)]
            _cell(ws, r, c, value, None)


def _instructions(book: _Book, ruleset: RuleSet, kinds: Sequence[Kind],
                  scopes: Sequence[str]) -> None:
    ws = book.wb.add_worksheet(INSTRUCTIONS)
    _print_setup(ws, fit_width=True)
    for c, width in enumerate(_GUIDE_WIDTHS):
        ws.set_column(c, c, width)
    ws.write_string(0, 0, "Hướng dẫn điền biểu mẫu", book.title)
    ws.write_string(1, 0, f"Bộ tiêu chí: {ruleset.name or ruleset.ruleset} ({ruleset.ruleset}, "
                          f"năm {ruleset.year}); mã băm {ruleset.content_hash[:16]}")
    sheets = " và ".join(f"'{SHEETS[k]}'" for k in kinds)
    each = " hoặc ".join({"unit": "đơn vị", "individual": "cá nhân"}[k] for k in kinds)
    steps = [
        f"1. Điền sheet {sheets}: mỗi dòng một {each}, bắt đầu từ dòng 2. Giữ nguyên dòng "
        "tiêu đề (dòng 1); không thêm dòng ghi chú, dòng tổng cộng hay dòng trống ở giữa.",
        "2. Cột 'Mã' không được trùng. Mã đơn vị của mỗi cá nhân phải có trong sheet 'Đơn vị' "
        "(của tệp này hoặc của tệp đơn vị nộp cùng).",
        "3. Cột 'Năm': ghi năm đánh giá ở mọi dòng (ví dụ "
        f"{ruleset.year}). Biểu mẫu không điền sẵn vì chưa biết số dòng; năm cho biết bộ "
        "tiêu chí nào được áp dụng.",
        "4. Cột có danh sách thả xuống: chọn trong danh sách. Cột có/không: chọn 'có' hoặc "
        "'không'. Cột số: chỉ ghi số (dấu phẩy hay dấu chấm thập phân đều được).",
        "5. Di chuột vào ô tiêu đề để xem giải thích của từng cột. Tiêu đề nền cam: phải ghi; "
        "nền xanh: để trống thì lấy giá trị mặc định (xem bảng dưới).",
        "6. Chỉ ghi giá trị, không dùng công thức: tệp có công thức sẽ bị từ chối (sao chép "
        "rồi dán đặc biệt 'chỉ giá trị').",
        "7. Có thể thêm cột riêng (ví dụ 'Ghi chú'): cột lạ được giữ nguyên trong kết quả và "
        "không được tính điểm.",
        "8. Mỗi đơn vị có thể nộp một tệp; hội đồng chấm chung nhiều tệp: "
        "scoring score a.xlsx b.xlsx",
    ]
    if scopes:
        steps.append(
            f"9. Sáng kiến: có thể kê trong sheet '{INITIATIVES}' (mỗi sáng kiến, mỗi tác giả "
            "một dòng, kèm số quyết định công nhận) thay cho các cột số sáng kiến ở sheet 'Cá "
            "nhân'; để trống các cột đó, chương trình tự đếm. Nếu ghi cả hai thì phải khớp nhau.")
    for i, step in enumerate(steps, start=3):
        ws.merge_range(i, 0, i, len(_GUIDE_WIDTHS) - 1, step, book.wrap)
        ws.set_row(i, _height(step, sum(_GUIDE_WIDTHS)))
    row = len(steps) + 4
    ws.write_row(row, 0, ["Sheet", "Cột (tiêu đề)", "Tên trong bộ tiêu chí", "Kiểu",
                          "Giá trị / phạm vi", "Bắt buộc / mặc định", "Ghi chú"], book.header)
    ws.repeat_rows(row)
    ws.freeze_panes(row + 1, 0)
    table: list[list[str]] = []
    for kind in kinds:
        for column in columns(ruleset, kind):
            spec = column.spec
            if spec is None:
                table.append([SHEETS[kind], column.header, column.field, "", "", "Bắt buộc",
                              column.comment])
            else:
                table.append([SHEETS[kind], column.header, column.field, _TYPE_WORDS[spec.type],
                              allowed(spec), if_blank(spec), spec.note])
    if scopes:
        table.extend([INITIATIVES, header, "", "", "", "", note]
                     for header, _width, note in _INITIATIVE_COLUMNS)
    for cells in table:
        row += 1
        for c, value in enumerate(cells):
            ws.write_string(row, c, value, book.wrap)
        ws.set_row(row, max(_height(v, w) for v, w in zip(cells, _GUIDE_WIDTHS, strict=True)))


def _height(text: str, width: int) -> int:
    """Row height for wrapped text: spreadsheets do not grow rows for it on opening."""
    lines = sum(max(1, math.ceil(len(part) / max(width - 2, 1))) for part in text.split("\n"))
    return 15 * lines + 3


def render_template(ruleset: RuleSet, kinds: Sequence[Kind] = KINDS,
                    filled: Filled | None = None) -> bytes:
    """The fill-in workbook for `kinds` of records, byte-identical for the same rule set.

    Sheets: one per kind ("Đơn vị", "Cá nhân"), "Sáng kiến" when individuals are included and
    the rule set counts initiatives by scope, "Hướng dẫn", and a hidden "Danh mục" holding the
    dropdown lists. With `filled`, its rows are written under the headers (a sample workbook).
    """
    kinds = [k for k in ("unit", "individual") if k in kinds]
    if not kinds:
        raise ValueError("no record kind to make a template for")
    filled = filled or Filled()
    scopes = counts_initiatives(ruleset) if "individual" in kinds else []
    book = _Book()
    for kind in kinds:
        _record_sheet(book, ruleset, kind, kinds, filled.of(kind))
    if scopes:
        _initiatives_sheet(book, scopes, filled.initiatives)
    _instructions(book, ruleset, kinds, scopes)
    book.wb.worksheets()[0].activate()
    return book.close()
