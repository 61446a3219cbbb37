"""Submission rows → validated records, through pydantic models generated from the rule set.

Rows come from CSV, XLSX or JSON with headers typed by hand ("Họ và tên", "xep loai"), so
headers are matched to declared inputs by their name, Vietnamese label or aliases, ignoring case,
spacing and diacritics. A header that is *close* to a declared input but not equal is an error
with a suggestion: a misspelling must never fall back to a default. Any other unknown column is
a warning and is carried through to the outputs unchanged.

Every problem is collected with its file, sheet, row and column, the value and what was
expected, and all are raised together, so a secretary fixes a whole file in one pass.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, create_model

from scoring.base.errors import InputError, Problem, input_location
from scoring.base.i18n import _
from scoring.base.suggest import suggest
from scoring.base.text import match_key, nfc
from scoring.language import expr, show
from scoring.rulesets.schema import InputSpec, Kind

MAX_CELL_CHARS = 1000
# Numbers in submissions are months, counts, percentages, points and amounts of money in đồng:
# below 10^15. Beyond it decimal arithmetic overflows its context and renderers stall.
MAX_NUMBER_DIGITS = 15

IDENTITY_ALIASES: dict[Kind, dict[str, tuple[str, ...]]] = {
    "individual": {
        "id": ("Mã", "Mã số", "Mã cá nhân", "Mã CB", "Mã cán bộ", "ID", "STT mã"),
        "name": ("Họ và tên", "Họ tên", "Tên", "Full name"),
        "unit_id": ("unit", "Mã đơn vị", "Đơn vị", "Đơn vị công tác", "Unit ID"),
    },
    "unit": {
        "id": ("Mã", "Mã đơn vị", "ID"),
        "name": ("Tên đơn vị", "Đơn vị", "Tên"),
        "cluster": ("Khối thi đua", "Cụm thi đua", "Khối", "Cụm", "Khối/cụm thi đua"),
    },
}
YEAR_ALIASES = ("Năm", "Năm đánh giá", "Năm xét")


@dataclass(frozen=True)
class Origin:
    file: str
    row: int
    sheet: str | None = None

    def __str__(self) -> str:
        return input_location(self.file, self.row, sheet=self.sheet)


@dataclass(frozen=True)
class RawTable:
    """A sheet or CSV file as read: header cells and rows of raw cell values."""

    kind: Kind
    file: str
    header: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    sheet: str | None = None
    first_row: int = 2  # spreadsheet row number of rows[0] (the header is the row above)
    # Columns the reader appended from another sheet (index, where from), such as initiative
    # counts from a "Sáng kiến" sheet: see `initiatives.fold_initiatives` and `validate`.
    derived: tuple[tuple[int, str], ...] = ()


@dataclass
class Record:
    """One submission row, validated: typed `values` by input id (exact decimals, enum codes,
    booleans; None for a blank judged value), its `origin` (file, sheet, row) for every
    message, and `parent` (the unit id of an individual, the cluster of a unit)."""

    kind: Kind
    id: str
    name: str
    parent: str  # unit id for an individual, cluster for a unit
    values: dict[str, expr.Value]
    origin: Origin
    year: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Loaded:
    records: list[Record]
    warnings: list[str]


def blank(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


# ------------------------------------------------------------------------------- cell parsers

_TRUE = {"co", "x", "yes", "true", "1", "dung", "y", "v"}
_FALSE = {"khong", "no", "false", "0", "sai", "n", "-"}


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    s = nfc(str(v))
    if len(s) > MAX_CELL_CHARS:
        raise ValueError(_("text is {length} characters long; the limit is {limit}").format(
            length=len(s), limit=MAX_CELL_CHARS))
    return s


# At most this many significant digits in an input number: every output (JSON, CSV, XLSX) then
# shows it exactly as read (a binary float holds 15 digits, and Excel shows 15), and sums and
# products of inputs fit the 34 digits of the rules' arithmetic exactly.
MAX_SIGNIFICANT_DIGITS = 15
# A number grouped in thousands: 1.490, 12,000, 1.234.567, 1,234.5, 1.234,5. The first group has
# no leading zero (0,500 is a decimal), the groups share one separator, the decimal part the other.
_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}(?P<sep>[.,])\d{3}(?P<more>(?:(?P=sep)\d{3})*)"
                      r"(?:(?!(?P=sep))(?P<dec>[.,])\d+)?$")


class FormatUnknown(float):
    """A number from an .xls workbook, whose display format calamine does not give: in a
    percentage column a value between 0 and 1 may be one shown as a percentage (0.5 as 50%),
    so it is refused there rather than guessed (see `_decimal`)."""


def _decimal(v: object, percent: bool = False, whole: bool = False,
             spec: InputSpec | None = None) -> Decimal:
    """A cell as an exact decimal. `percent`: the column is a percentage, so "9%" is 9 (in
    any other column a % sign is refused); `whole` (the column holds whole numbers) and the
    declared range of `spec` settle "1.490" when only one reading fits (1490 in a column of
    whole numbers; 1.49 in a column of at most 100).

    Workbook numbers are binary floats that Excel shows to 15 significant digits, so they are
    read as shown (0.30000000000000004 is 0.3). Text is read without guessing: a number two
    conventions read differently ("12,000": 12 with a decimal comma, 12000 with a thousands
    comma) is refused with both readings unless `whole` leaves one; an underscore is refused.
    """
    if isinstance(v, bool):
        raise ValueError(_("expected a number, found a yes/no value"))
    if isinstance(v, int):
        d = Decimal(v)
    elif isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(_("expected a finite number"))
        if isinstance(v, FormatUnknown) and percent and 0 < v < 1:
            shown = format((Decimal(format(v, ".15g")) * 100).normalize(), "f")
            raise ValueError(_("{value} in a percentage column of an .xls workbook, whose cell "
                               "formats cannot be read: is it shown as {shown}%? Type the "
                               "percentage as a number, or save the workbook as .xlsx").format(
                                   value=format(v, ".15g"), shown=shown))
        d = Decimal(format(v, ".15g"))
    elif isinstance(v, Decimal):
        d = v
    else:
        d = _decimal_text(_text(v), percent, whole, spec)
    if not d.is_finite():
        raise ValueError(_("expected a finite number"))
    if d and d.adjusted() >= MAX_NUMBER_DIGITS:
        raise ValueError(_("expected a number below 10^{digits}").format(digits=MAX_NUMBER_DIGITS))
    digits = len("".join(map(str, d.as_tuple().digits)).strip("0")) if d else 0
    if digits > MAX_SIGNIFICANT_DIGITS:
        raise ValueError(_("{digits} significant digits; at most {limit} are read, so that "
                           "every output shows the number as typed: round it").format(
                               digits=digits, limit=MAX_SIGNIFICANT_DIGITS))
    return d


def _decimal_text(text: str, percent: bool, whole: bool, spec: InputSpec | None) -> Decimal:
    s = "".join(text.split())
    if s.startswith("="):
        raise ValueError(_("formulas are not read; type the value"))
    if "_" in s:
        raise ValueError(_("expected a number: an underscore is not a digit separator here; "
                           "type the digits alone"))
    if s.endswith("%"):
        if not percent:
            raise ValueError(_("a percentage, but this column does not hold percentages: type "
                               "the number without %"))
        s = s[:-1]
    m = _GROUPED.match(s)
    if m is not None and not m.group("more") and m.group("dec") is None:
        s = _one_reading(s, m.group("sep"), whole, spec)
    elif m is not None:
        s = s.replace(m.group("sep"), "").replace(",", ".")
    elif s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")  # Vietnamese decimal comma: 8,5
    try:
        return Decimal(s)
    except InvalidOperation:
        raise ValueError(_("expected a number")) from None


def _one_reading(s: str, sep: str, whole: bool, spec: InputSpec | None) -> str:
    """"1.490" or "12,000": a decimal separator or a thousands one? Refused with both
    readings, unless the column's declared type and range leave only one."""
    as_decimal, as_thousands = s.replace(sep, "."), s.replace(sep, "")

    def fits(text: str) -> bool:
        d = Decimal(text)
        return ((not whole or d == d.to_integral_value())
                and (spec is None or spec.min is None or d >= spec.min)
                and (spec is None or spec.max is None or d <= spec.max))

    fitting = [r for r in (as_decimal, as_thousands) if fits(r)]
    if len(fitting) == 1:
        return fitting[0]
    message = (_("ambiguous number: {decimal} if '.' is a decimal point, {thousands} if it "
                 "separates thousands: type {decimal} or {thousands}") if sep == "." else
               _("ambiguous number: {decimal} if ',' is a decimal comma, {thousands} if it "
                 "separates thousands: type {decimal} or {thousands}"))
    raise ValueError(message.format(decimal=_plain(as_decimal), thousands=as_thousands))


def _plain(text: str) -> str:
    return format(Decimal(text).normalize(), "f")


def is_percent(name: str, spec: InputSpec) -> bool:
    """True for a number input that holds a percentage: its label or name says so ("(%)",
    "Tỷ lệ …", "… phần trăm", `*_pct`, `*percent*`). Such a column reads "9%" as 9, and a
    workbook cell formatted as a percentage (1.0 shown as 100%) as 100."""
    label = match_key(spec.label)
    return spec.type in ("int", "number") and (
        "%" in spec.label or label.startswith("ty le") or "phan tram" in label
        or name.endswith("_pct") or "percent" in name or name.startswith("ty_le"))


def _range(spec: InputSpec) -> Callable[[Decimal], Decimal]:
    def check(d: Decimal) -> Decimal:
        if spec.min is not None and d < spec.min:
            raise ValueError(_("expected at least {minimum}").format(
                minimum=show.format_number(spec.min)))
        if spec.max is not None and d > spec.max:
            raise ValueError(_("expected at most {maximum}").format(
                maximum=show.format_number(spec.max)))
        return d
    return check


def parser_for(spec: InputSpec, name: str = "") -> Callable[[object], expr.Value]:
    """The cell parser of one declared input (blank cells are handled before this); `name`,
    the input's name, tells a percentage column (`is_percent`)."""
    percent = is_percent(name, spec)
    if spec.type == "int":
        in_range = _range(spec)

        def parse_int(v: object) -> expr.Value:
            d = _decimal(v, percent, whole=True, spec=spec)
            if d != d.to_integral_value():
                raise ValueError(_("expected a whole number"))
            return in_range(d.quantize(Decimal(1)))
        return parse_int
    if spec.type == "number":
        in_range = _range(spec)
        return lambda v: in_range(_decimal(v, percent, spec=spec))
    if spec.type == "bool":
        def parse_bool(v: object) -> expr.Value:
            if isinstance(v, bool):
                return v
            f = match_key(_text(v))
            if f in _TRUE:
                return True
            if f in _FALSE:
                return False
            raise ValueError(_("expected yes or no (có/không, x or blank, 1/0)"))
        return parse_bool
    if spec.type == "enum":
        wording: dict[str, str] = {}
        for key, label in (spec.values or {}).items():
            for w in (key, label, *spec.value_aliases.get(key, ())):
                wording[match_key(w)] = key
        allowed = ", ".join(f"{k} ({lbl})" if lbl != k else k
                            for k, lbl in (spec.values or {}).items())

        def parse_enum(v: object) -> expr.Value:
            key = wording.get(match_key(_text_cell(v)))
            if key is None:
                raise ValueError(_("expected one of: {allowed}").format(allowed=allowed))
            return key
        return parse_enum
    return _text_cell


def _text_cell(v: object) -> str:
    """A text cell; a workbook's TRUE/FALSE cell is not text (a checkbox or a formula's result
    where a name or a code belongs), so it is refused rather than read as "True"."""
    if isinstance(v, bool):
        raise ValueError(_("expected text, found the yes/no cell {value}: type the text").format(
            value=str(v).upper()))
    if isinstance(v, str) and v.strip() in ("TRUE", "FALSE"):  # a yes/no cell exported to CSV
        raise ValueError(_("expected text, found the yes/no value {value}: type the text").format(
            value=v.strip()))
    return _text(v)


def _cell(spec: InputSpec, name: str = "") -> Callable[[object], expr.Value]:
    parse = parser_for(spec, name)
    default = spec.default

    def run(v: object) -> expr.Value:
        if blank(v):
            if spec.type == "bool" and default is None and not spec.is_required:
                return False
            if default is not None:
                return parse(default)
            if spec.is_required:
                raise ValueError(_("a value is required"))
            return None
        return parse(v)
    return run


def record_model(kind: Kind, inputs: Mapping[str, InputSpec]) -> type[BaseModel]:
    """A pydantic model for one record kind, generated from the declared inputs."""
    fields: dict[str, Any] = {}
    required_text = BeforeValidator(_required_text)
    for name in IDENTITY_ALIASES[kind]:
        fields[name] = (Annotated[str, required_text], ...)
    fields["year"] = (Annotated[int | None, BeforeValidator(_year)], None)
    for name, spec in inputs.items():
        fields[name] = (Annotated[Any, BeforeValidator(_cell(spec, name))], None)
    config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
    return create_model(f"{kind.title()}Record", __config__=config, **fields)


def _required_text(v: object) -> str:
    if blank(v):
        raise ValueError(_("a value is required"))
    return _text_cell(v)


def _year(v: object) -> int | None:
    if blank(v):
        return None
    d = _decimal(v)
    if d != d.to_integral_value() or not 1990 <= d <= 2100:
        raise ValueError(_("expected a year such as 2026"))
    return int(d)


# ------------------------------------------------------------------------------- headers

# Row-number columns are on every Vietnamese form and mean nothing to scoring: not even a warning.
ROW_NUMBER_HEADERS = frozenset(match_key(h) for h in ("STT", "TT", "Số TT", "Số thứ tự", "No."))
# What forms append to a header: a required mark "(*)" or "*", or a unit in parentheses
# ("Tỷ lệ (%)", "Thời gian (tháng)"). Stripped only when the header as typed matches nothing.
_TRAILING_NOTE = re.compile(r"\s*(?:\([^()]*\)|\*+)\s*$")
_COLUMN_NUMBER = re.compile(r"^\(?(\d{1,3})\)?$")
MAX_HEADER_ROWS = 3


def header_forms(head: str) -> list[str]:
    """Folded forms of a header cell to look up, most literal first.

    "Tỷ lệ hoàn thành (%) (*)" gives its own folded form, then "ty le hoan thanh (%)", then
    "ty le hoan thanh": a label declared with its unit still matches exactly, and one typed
    with an extra unit or required mark matches once they are stripped.
    """
    forms = [match_key(head)]
    rest = head
    while (m := _TRAILING_NOTE.search(rest)) is not None and m.start() > 0:
        rest = rest[: m.start()]
        forms.append(match_key(rest))
    return forms


def match_header(head: str, known: Mapping[str, str]) -> str | None:
    """The field a header cell names (see `header_forms`), or None."""
    for form in header_forms(head):
        if form in known:
            return known[form]
    return None


def header_map(kind: Kind, inputs: Mapping[str, InputSpec]) -> dict[str, str]:
    """Folded header text → field name, from names, labels and aliases."""
    out: dict[str, str] = {}
    for name, aliases in IDENTITY_ALIASES[kind].items():
        for a in (name, *aliases):
            out.setdefault(match_key(a), name)
    for a in ("year", *YEAR_ALIASES):
        out.setdefault(match_key(a), "year")
    for name, spec in inputs.items():
        for a in (name, spec.label, *spec.aliases):
            out[match_key(a)] = name  # declared inputs win over identity aliases
    return out


def _head(v: object) -> str:
    return "" if blank(v) else nfc(str(int(v) if isinstance(v, float) and v.is_integer() else v))


def _stack(upper: Sequence[object], lower: Sequence[object]) -> list[str]:
    """Two header rows as one: a lower cell replaces the one above it unless it is blank."""
    width = max(len(upper), len(lower))
    return [_head(lower[i]) if i < len(lower) and not blank(lower[i])
            else _head(upper[i]) if i < len(upper) else "" for i in range(width)]


def _column_numbers(row: Sequence[object]) -> bool:
    """True for the row of column numbers official forms put under the header: (1) (2) (3)…"""
    cells = [_head(v) for v in row if not blank(v)]
    numbers = [m.group(1) for c in cells if (m := _COLUMN_NUMBER.match(c)) is not None]
    return len(cells) >= 3 and numbers == [str(n) for n in range(1, len(cells) + 1)]


def stack_header(header: Sequence[object], rows: Sequence[Sequence[object]],
                 known: Mapping[str, str]) -> tuple[list[str], int]:
    """The real header of a table whose header may span rows, and how many rows it took.

    Council forms put a merged group title ("Kết quả đánh giá") above the column names, or the
    form's title above the whole header, and spreadsheet readers give the continuation of a
    merged cell as a blank. So up to MAX_HEADER_ROWS rows are stacked (see `_stack`). A row of
    column numbers ("(1) (2) (3)", common in official forms) ends the header: every row above
    it is stacked. Otherwise the stack is kept only when it names more `known` columns than
    the first row alone: a data row never does, since its values are not column names.
    """
    def named(cells: Sequence[object]) -> int:
        return sum(1 for h in cells if h and match_header(str(h), known) is not None)

    first = [_head(h) for h in header]
    stacked = first
    for k, row in enumerate(rows[:MAX_HEADER_ROWS]):
        if _column_numbers(row):
            return stacked, k + 1
        stacked = _stack(stacked, row)
    best, best_named, used = first, named(first), 0
    stacked = first
    for k, row in enumerate(rows[: MAX_HEADER_ROWS - 1], start=1):
        stacked = _stack(stacked, row)
        if (n := named(stacked)) > best_named:
            best, best_named, used = stacked, n, k
    return best, used


def resolve_header(table: RawTable, inputs: Mapping[str, InputSpec]) -> RawTable:
    """The table with its real header (see `stack_header`); `first_row` moves down with it."""
    header, used = stack_header(table.header, table.rows, header_map(table.kind, inputs))
    if used == 0:
        return table
    return replace(table, header=tuple(header), rows=table.rows[used:],
                   first_row=table.first_row + used)


def _header_row(table: RawTable) -> int | None:
    return table.first_row - 1 if table.first_row > 1 else None


def _suggest(head: str, known: Mapping[str, str]) -> str | None:
    for form in reversed(header_forms(head)):
        close = suggest(form, list(known), cutoff=0.8)
        if close:
            return known[close[0]]
    return None


def map_columns(table: RawTable, inputs: Mapping[str, InputSpec]
                ) -> tuple[dict[int, str], list[Problem], list[str]]:
    """Header cells → field names, with the problems and warnings about the header.

    A column the reader derived from another sheet (`RawTable.derived`) maps to its input only
    when the rule set declares it, and may share its field with the sheet's own column:
    `validate` checks that the two agree.
    """
    known = header_map(table.kind, inputs)
    derived = dict(table.derived)
    columns: dict[int, str] = {}
    problems: list[Problem] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    header_row = _header_row(table)
    for i, raw in enumerate(table.header):
        head = _head(raw)
        where = input_location(table.file, header_row, head or f"#{i + 1}", table.sheet)
        if i in derived:
            if head in inputs:
                columns[i] = head
            elif any(not blank(r[i]) and r[i] != 0 for r in table.rows if i < len(r)):
                warnings.append(_("{where}: the rule set declares no input {name!r}, so these "
                                  "initiatives are not counted").format(where=derived[i],
                                                                        name=head))
            continue
        if not head:
            if any(not blank(r[i]) for r in table.rows if i < len(r)):
                problems.append(Problem(where, _("a column with values has no header")))
            continue
        if match_key(head) in ROW_NUMBER_HEADERS:
            continue
        target = match_header(head, known)
        if target is None:
            close = _suggest(head, known)
            if close:
                problems.append(Problem(where, _("unknown column {column!r}: did you mean "
                                                 "{close!r}? A misspelt column is not read as "
                                                 "its default").format(column=head,
                                                                       close=close)))
            else:
                warnings.append(_("{where}: unknown column {column!r} carried through, not "
                                  "scored").format(where=where, column=head))
            continue
        if target in seen:
            problems.append(Problem(where, _("column {column!r} duplicates {other!r} (both "
                                             "are {name!r})").format(
                                                 column=head, other=seen[target], name=target)))
            continue
        seen[target] = head
        columns[i] = target
    mapped = set(columns.values())
    header_where = input_location(table.file, header_row, sheet=table.sheet)
    for name in IDENTITY_ALIASES[table.kind]:
        if name not in mapped:
            problems.append(Problem(header_where,
                                    _("required column {name!r} is missing (e.g. "
                                      "{example!r})").format(
                                        name=name, example=IDENTITY_ALIASES[table.kind][name][0])))
    for name, spec in inputs.items():
        if name not in mapped and spec.is_required:
            problems.append(Problem(header_where,
                                    _("required column {name!r} ({label}) is missing").format(
                                        name=name, label=spec.label)))
    return columns, problems, warnings


def _agree(a: object, b: object, spec: InputSpec) -> bool:
    parse = parser_for(spec)
    try:
        return parse(a) == parse(b)
    except ValueError:
        return True  # the sheet's own value is bad: the model reports it with the right words


def validate(table: RawTable, inputs: Mapping[str, InputSpec]) -> Loaded:
    """Validate a table; raise one InputError listing every problem, or return the records."""
    warnings: list[str] = []
    records = [r for part in validate_parts(table, inputs, warnings) for r in part]
    return Loaded(records, warnings)


def validate_parts(table: RawTable, inputs: Mapping[str, InputSpec], warnings: list[str],
                   size: int = 0) -> Iterator[list[Record]]:
    """`validate`, yielding the records `size` rows at a time (all at once when 0), so that a
    long table need not be held as records whole. The header is checked before any row
    (its problems raised at once); the rows' problems are raised together after the last part,
    so a caller must treat what was yielded as void when InputError comes.
    """
    table = resolve_header(table, inputs)
    columns, problems, found = map_columns(table, inputs)
    warnings.extend(found)
    if problems:
        raise InputError(problems)
    model = record_model(table.kind, inputs)
    parse_columns = column_parser(table.kind, inputs)
    derived = dict(table.derived)
    own = {f: i for i, f in columns.items() if i not in derived}
    counted = {f: i for i, f in columns.items() if i in derived}
    headers = {f: table.header[i] for f, i in own.items()}
    extra_cols = [i for i in range(len(table.header))
                  if i not in columns and i not in derived and not blank(table.header[i])
                  and match_key(table.header[i]) not in ROW_NUMBER_HEADERS]
    fields = [*IDENTITY_ALIASES[table.kind], *(["year"] if "year" in own else []), *inputs]
    group = "unit_id" if table.kind == "individual" else "cluster"
    names = tuple(inputs)
    step = size or max(len(table.rows), 1)
    records: list[Record] = []
    for start in range(0, max(len(table.rows), 1), step):
        if start:
            yield records
            records = []
        rows = table.rows[start:start + step]
        kept = [k for k, row in enumerate(rows) if not all(blank(v) for v in row)]
        data = {f: _cells(rows, kept, own.get(f)) for f in fields}
        agree = _merge_counted(rows, kept, data, counted, derived, headers, inputs, table,
                               table.first_row + start)
        parsed, refused = parse_columns(data)
        ident = zip(parsed["id"], parsed["name"], parsed[group],
                    parsed["year"] if "year" in parsed else [None] * len(kept), strict=True)
        values = zip(*(parsed[name] for name in inputs), strict=True) if inputs else (
            () for _k in kept)
        for n, (k, (rid, name, parent, year), row_values) in enumerate(
                zip(kept, ident, values, strict=True)):
            rownum = table.first_row + start + k
            if agree:
                problems.extend(agree.get(n, ()))
            if n in refused:
                # A cell failed: the model reports every problem of the row, in its words.
                cells = {f: data[f][n] for f in fields}
                try:
                    model.model_validate(cells)
                except ValidationError as e:
                    _locate(e, cells, headers, table, rownum, problems)
                    continue
                raise AssertionError(
                    f"row {rownum}: the model accepted what its validators refused")
            row = rows[k]
            extra = {str(table.header[i]): "" if i >= len(row) or blank(row[i]) else
                     _text(row[i]) for i in extra_cols} if extra_cols else {}
            records.append(Record(table.kind, rid, name, parent,  # type: ignore[arg-type]
                                  dict(zip(names, row_values, strict=True)),
                                  Origin(table.file, rownum, table.sheet), year,  # type: ignore[arg-type]
                                  extra))
    if problems:
        raise InputError(problems)
    yield records


def _cells(rows: Sequence[Sequence[object]], kept: Sequence[int], i: int | None
           ) -> list[object]:
    """Column `i` of the kept rows (None past a short row's end, or for a column not given)."""
    if i is None:
        return [None] * len(kept)
    chosen = rows if len(kept) == len(rows) else [rows[k] for k in kept]
    if min(map(len, chosen), default=i + 1) > i:
        return list(map(itemgetter(i), chosen))
    return [row[i] if i < len(row) else None for row in chosen]


def _merge_counted(rows: Sequence[Sequence[object]], kept: Sequence[int],
                   data: dict[str, list[object]], counted: Mapping[str, int],
                   derived: Mapping[int, str], headers: Mapping[str, object],
                   inputs: Mapping[str, InputSpec], table: RawTable, first_row: int
                   ) -> dict[int, list[Problem]]:
    """Fill each field's blank cells from the column derived from another sheet (a count from
    the "Sáng kiến" sheet), and the problems of rows where the two disagree, by kept row."""
    problems: dict[int, list[Problem]] = {}
    for f, j in counted.items():
        column = data[f]
        for n, k in enumerate(kept):
            from_list = rows[k][j] if j < len(rows[k]) else None
            if blank(from_list):
                continue
            if blank(column[n]):
                column[n] = from_list
            elif not _agree(column[n], from_list, inputs[f]):
                problems.setdefault(n, []).append(Problem(
                    input_location(table.file, first_row + k, str(headers[f]), table.sheet),
                    _("{here} here, but {where} lists {listed} for this person: make them "
                      "agree, or leave this cell blank").format(
                          here=_head(column[n]), where=derived[j], listed=from_list)))
    return problems


def _locate(e: ValidationError, data: Mapping[str, object], headers: Mapping[str, object],
            table: RawTable, rownum: int, problems: list[Problem]) -> None:
    """The model's errors for one row, each at its file, row and column."""
    for err in e.errors():
        f = str(err["loc"][0]) if err["loc"] else ""
        value = data.get(f)
        shown = "" if blank(value) else _(" (found {value!r})").format(value=str(value)[:60])
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(Problem(input_location(table.file, rownum, str(headers.get(f, f)),
                                               table.sheet), f"{msg}{shown}"))


CACHE_CELLS = 4096
_REFUSED = object()


def column_parser(kind: Kind, inputs: Mapping[str, InputSpec]
                  ) -> Callable[[Mapping[str, list[object]]],
                                tuple[dict[str, list[object]], set[int]]]:
    """What `record_model(kind, inputs)` computes for a table's columns (field → cells): each
    field's values, and the rows it would refuse (whose values are then void).

    The model's validators are pure functions of a cell, and a column holds few distinct
    cells (yes/no, a rating, small counts), so each distinct cell of a column is parsed once
    and its value shared, and the column is mapped at C speed. A refused row is validated by
    the caller with the model itself, which words and locates every problem of the row.
    """
    identity = tuple(IDENTITY_ALIASES[kind])
    parsers: dict[str, Callable[[object], object]] = {
        **{name: _required_text for name in identity}, "year": _year,
        **{name: _cell(spec, name) for name, spec in inputs.items()}}
    # Ids and names are unique: caching them would only cost memory. Other caches, kept from
    # one slice of rows to the next, stop growing at CACHE_CELLS distinct cells (a
    # continuous amount), and then only look up.
    caches: dict[str, dict[object, object]] = {
        name: {} for name in parsers if name not in ("id", "name")}

    def parse(name: str, v: object) -> object:
        try:
            return parsers[name](v)
        except (ValueError, AssertionError):  # what the model turns into a located problem
            return _REFUSED

    def column(name: str, cells: list[object]) -> tuple[list[object], bool]:
        """The column's values, and whether any cell was refused."""
        cache = caches.get(name)
        if cache is None:
            values = [parse(name, v) for v in cells]
            return values, any(v is _REFUSED for v in values)
        # One type: the cells are the keys. Several: (type, cell), so 1 is not True.
        keys: list[Any] = cells if len(set(map(type, cells))) <= 1 else list(
            zip(map(type, cells), cells, strict=True))
        try:
            distinct = dict.fromkeys(keys)
        except TypeError:  # an unhashable cell: parsed every time
            values = [parse(name, v) for v in cells]
            return values, any(v is _REFUSED for v in values)
        single = keys is cells
        for key in distinct:
            ckey = (type(key), key) if single else key
            found = cache.get(ckey, _REFUSED)
            if found is _REFUSED:
                found = parse(name, key if single else key[1])
                if len(cache) < CACHE_CELLS:
                    cache[ckey] = found
            distinct[key] = found
        return (list(map(distinct.__getitem__, keys)),
                any(v is _REFUSED for v in distinct.values()))

    def run(data: Mapping[str, list[object]]) -> tuple[dict[str, list[object]], set[int]]:
        parsed: dict[str, list[object]] = {}
        refused: set[int] = set()
        for name, cells in data.items():
            parsed[name], any_refused = column(name, cells)
            if any_refused:
                refused.update(n for n, v in enumerate(parsed[name]) if v is _REFUSED)
        return parsed, refused
    return run


def check_batch(individuals: Sequence[Record], units: Sequence[Record]) -> list[Problem]:
    """Cross-record checks: unique ids, every person's unit exists, every unit has members."""
    problems = [*duplicate_ids(units), *duplicate_ids(individuals)]
    unit_ids = sorted({u.id for u in units})
    known = set(unit_ids)
    problems.extend(unknown_unit(r, unit_ids) for r in individuals if r.parent not in known)
    problems.extend(without_members(units, {r.parent for r in individuals}))
    return problems


def duplicate_ids(records: Sequence[Record]) -> list[Problem]:
    first: dict[str, Record] = {}
    problems: list[Problem] = []
    for r in records:
        if r.id in first:
            problems.append(duplicate_id(r.id, str(r.origin), str(first[r.id].origin)))
        else:
            first[r.id] = r
    return problems


def duplicate_id(rid: str, at: str, first: str) -> Problem:
    return Problem(at, _("duplicated id {id!r} (first at {first})").format(id=rid, first=first))


def unknown_unit(r: Record, unit_ids: Sequence[str]) -> Problem:
    """A person whose unit is not among `unit_ids` (sorted), with the closest id as a hint."""
    close = suggest(r.parent, unit_ids)
    hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
    return Problem(str(r.origin), _("unit {unit!r} of {name} is not in the units file{hint}")
                   .format(unit=r.parent, name=r.name, hint=hint))


def without_members(units: Sequence[Record], with_members: set[str]) -> list[Problem]:
    return [Problem(str(u.origin), _("unit {unit!r} ({name}) has no members in the "
                                     "individuals file").format(unit=u.id, name=u.name))
            for u in units if u.id not in with_members]
