"""Write the bad-input corpus: tests/bad_inputs/cases/<case>/, one folder per case.

Run `python tests/bad_inputs/make.py` after changing a case here; `tests/project/test_bad_inputs.py`
checks that the committed files are what this script writes, and `cases.toml` holds what each
case must give (exit code, messages, locations). Most cases are one edit of a sound sample
(tests/data/mini, tests/data/rounds, tests/rulesets/mini, or the small data for the monotone
rule set below), so each folder differs from its sample by exactly the mistake it is named for.

Workbooks are written by hand (a few XML parts in a stored zip with fixed dates), not with
openpyxl, so that they are byte-stable and can hold what spreadsheet programs never write:
forged dimensions, a DTD, a member that unpacks a thousandfold.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"

Files = dict[str, bytes]


def _read(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


MINI_PEOPLE = _read("tests/data/mini/individuals.csv")
MINI_UNITS = _read("tests/data/mini/units.csv")
MINI_RULES = _read("tests/rulesets/mini/rules.yaml")
ROUNDS_PEOPLE = _read("tests/data/rounds/individuals.csv")
ROUNDS_UNITS = _read("tests/data/rounds/units.csv")
ROUNDS = _read("tests/data/rounds/rounds.csv")
# Data for the monotone rule set (tests/rulesets/monotone), which declares initiative counts.
MONO_UNITS = """id,name,cluster,target,year
U1,Phòng Một,Khối A,100,2021
U2,Phòng Hai,Khối A,95,2021
"""
MONO_PEOPLE = """id,name,unit_id,task_rating,months_worked,initiatives_co_so,year
P1,Nguyễn Văn An,U1,xuat_sac,12,,2021
P2,Trần Thị Bình,U1,tot,12,1,2021
P3,Lê Văn Cường,U2,tot,11,,2021
"""
MONO_INITIATIVES = """person_id,name,scope,decision,title
P1,Nguyễn Văn An,Cấp cơ sở,215/QĐ-SCT,Sổ tay số hoá hồ sơ
P3,Lê Văn Cường,Cấp tỉnh,2371/QĐ-UBND,Phần mềm theo dõi chỉ tiêu
"""


def _replace(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise ValueError(f"{old!r} occurs {text.count(old)} times, not once")
    return text.replace(old, new)


def people(old: str, new: str) -> Files:
    """The mini sample with one edit in individuals.csv."""
    return {"individuals.csv": _replace(MINI_PEOPLE, old, new).encode(),
            "units.csv": MINI_UNITS.encode()}


def units(old: str, new: str) -> Files:
    """The mini sample with one edit in units.csv."""
    return {"individuals.csv": MINI_PEOPLE.encode(),
            "units.csv": _replace(MINI_UNITS, old, new).encode()}


def every_year(text: str) -> Files:
    """The mini sample with the year of every row, in both files, written as `text`."""
    return {name: data.replace(",2021\n", f",{text}\n").encode()
            for name, data in (("individuals.csv", MINI_PEOPLE), ("units.csv", MINI_UNITS))}


def people_bytes(data: bytes) -> Files:
    return {"individuals.csv": data, "units.csv": MINI_UNITS.encode()}


def column(name: str, new: str) -> Files:
    """The mini sample with the header cell `name` of individuals.csv renamed to `new`."""
    header, rest = MINI_PEOPLE.split("\n", 1)
    cells = header.split(",")
    cells[cells.index(name)] = new
    return people_bytes(f"{','.join(cells)}\n{rest}".encode())


def drop_column(name: str, text: str = MINI_PEOPLE, file: str = "individuals.csv") -> Files:
    lines = text.rstrip("\n").split("\n")
    i = lines[0].split(",").index(name)
    kept = "\n".join(",".join(c for j, c in enumerate(line.split(",")) if j != i)
                     for line in lines) + "\n"
    files = {"individuals.csv": MINI_PEOPLE.encode(), "units.csv": MINI_UNITS.encode()}
    files[file] = kept.encode()
    return files


def rules(old: str, new: str) -> Files:
    """The mini rule set with one edit."""
    return {"rules.yaml": _replace(MINI_RULES, old, new).encode()}


def rules_text(text: str) -> Files:
    return {"rules.yaml": text.encode()}


def points(expression: str) -> Files:
    """The mini rule set with the formula of criterion `init` replaced (a YAML-quoted string)."""
    quoted = expression.replace("'", "''")
    return rules("points: 10 * initiatives", f"points: '{quoted}'")


def rounds(old: str, new: str) -> Files:
    return {"individuals.csv": ROUNDS_PEOPLE.encode(), "units.csv": ROUNDS_UNITS.encode(),
            "rounds.csv": _replace(ROUNDS, old, new).encode()}


def rounds_text(text: str) -> Files:
    return {"individuals.csv": ROUNDS_PEOPLE.encode(), "units.csv": ROUNDS_UNITS.encode(),
            "rounds.csv": text.encode()}


def initiatives(text: str, people_csv: str = MONO_PEOPLE) -> Files:
    files = {"units.csv": MONO_UNITS.encode(), "sang_kien.csv": text.encode()}
    if people_csv:
        files["individuals.csv"] = people_csv.encode()
    return files


def initiatives_edit(old: str, new: str) -> Files:
    return initiatives(_replace(MONO_INITIATIVES, old, new))


# ------------------------------------------------------------------------------- workbooks


@dataclass(frozen=True)
class Formula:
    text: str


@dataclass(frozen=True)
class Error:
    text: str


Cell = str | int | float | bool | dt.datetime | dt.time | Formula | Error | None
Sheet = tuple[str, Sequence[Sequence[Cell]]]
_DATE = dt.datetime(1899, 12, 30)
_FIXED = (2021, 1, 1, 0, 0, 0)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, v: Cell) -> str:
    if v is None:
        return ""
    if isinstance(v, Formula):
        return f'<c r="{ref}"><f>{escape(v.text)}</f></c>'
    if isinstance(v, Error):
        return f'<c r="{ref}" t="e"><v>{escape(v.text)}</v></c>'
    if isinstance(v, bool):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, dt.datetime):
        serial = (v - _DATE).total_seconds() / 86400
        return f'<c r="{ref}" s="1"><v>{serial!r}</v></c>'
    if isinstance(v, dt.time):
        serial = (v.hour * 3600 + v.minute * 60 + v.second) / 86400
        return f'<c r="{ref}" s="2"><v>{serial!r}</v></c>'
    if isinstance(v, int | float):
        return f'<c r="{ref}"><v>{v}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'


def sheet_xml(rows: Sequence[Sequence[Cell]], dimension: str | None = None,
              prolog: str = "", tail: str = "") -> bytes:
    body = "".join(
        f'<row r="{r + 1}">'
        + "".join(_cell(f"{_letter(c)}{r + 1}", v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows))
    width = max((len(r) for r in rows), default=1)
    dim = dimension or f"A1:{_letter(max(width - 1, 0))}{max(len(rows), 1)}"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dim}"/><sheetData>{body}{tail}</sheetData></worksheet>').encode()


_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<numFmts count="1"><numFmt numFmtId="164" formatCode="hh:mm"/></numFmts>'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
           '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
           'borderId="0"/></cellStyleXfs><cellXfs count="3">'
           '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
           'applyNumberFormat="1"/>'
           '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
           'applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" '
           'xfId="0" builtinId="0"/></cellStyles></styleSheet>')
# What a careless generator writes: an empty fill where openpyxl expects a pattern.
_DAMAGED_STYLES = _STYLES.replace('<fill><patternFill patternType="none"/></fill>', "<fill/>")


def workbook(sheets: Sequence[Sheet], parts: dict[str, bytes] | None = None,
             compress: Sequence[str] = ()) -> bytes:
    """A minimal .xlsx: the sheets in order; `parts` replaces or adds members by name; members
    named in `compress` are deflated (the rest are stored, so the bytes never depend on zlib)."""
    ns = "http://schemas.openxmlformats.org"
    members: dict[str, bytes] = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      for i in range(1, len(sheets) + 1))
            + "</Types>").encode(),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{ns}/spreadsheetml/2006/main" '
            f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
            + "".join(f'<sheet name="{escape(title)}" sheetId="{i}" r:id="rId{i}"/>'
                      for i, (title, _) in enumerate(sheets, start=1))
            + "</sheets></workbook>").encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{ns}/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{ns}/officeDocument/2006/relationships/'
                      f'worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(sheets) + 1))
            + f'<Relationship Id="rId{len(sheets) + 1}" Type="{ns}/officeDocument/2006/'
              'relationships/styles" Target="styles.xml"/></Relationships>').encode(),
        "xl/styles.xml": _STYLES.encode(),
    }
    for i, (_, rows) in enumerate(sheets, start=1):
        members[f"xl/worksheets/sheet{i}.xml"] = sheet_xml(rows)
    members.update(parts or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, _FIXED)
            deflate = name in compress
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            z.writestr(info, data, compresslevel=9 if deflate else None)
    return out.getvalue()


def _csv_rows(text: str) -> list[list[Cell]]:
    out: list[list[Cell]] = []
    for line in text.strip().split("\n"):
        out.append([int(c) if c.isdigit() else (c or None) for c in line.split(",")])
    return out


def mini_sheets(edit: Callable[[list[list[Cell]]], None] | None = None,
                edit_units: Callable[[list[list[Cell]]], None] | None = None) -> list[Sheet]:
    """The mini sample as two sheets ("Đơn vị", "Cá nhân"); the edits change their rows."""
    rows, unit_rows = _csv_rows(MINI_PEOPLE), _csv_rows(MINI_UNITS)
    for change, table in ((edit, rows), (edit_units, unit_rows)):
        if change is not None:
            change(table)
    return [("Đơn vị", unit_rows), ("Cá nhân", rows)]


def set_cell(row: int, name: str, value: Cell) -> Callable[[list[list[Cell]]], None]:
    """An edit of the people sheet: row as in the spreadsheet (2 = first person), column by name."""
    def edit(rows: list[list[Cell]]) -> None:
        rows[row - 1][rows[0].index(name)] = value
    return edit


def xlsx(sheets: Sequence[Sheet], parts: dict[str, bytes] | None = None,
         compress: Sequence[str] = ()) -> Files:
    return {"submission.xlsx": workbook(sheets, parts, compress)}


def every_row(name: str, value: Cell) -> Callable[[list[list[Cell]]], None]:
    """An edit of the people sheet: `value` in column `name` of every person's row."""
    def edit(rows: list[list[Cell]]) -> None:
        for row in rows[1:]:
            row[rows[0].index(name)] = value
    return edit


_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">'
                     for i in range(1, 10)) + "]>")
_XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _entity_sheet(prolog: str, entity: str) -> dict[str, bytes]:
    rows = _csv_rows(MINI_PEOPLE)
    xml = sheet_xml(rows, prolog=prolog).replace(b"<t>P1</t>", f"<t>{entity}</t>".encode(), 1)
    return {"xl/worksheets/sheet2.xml": xml}


def _bomb() -> dict[str, bytes]:
    rows = _csv_rows(MINI_PEOPLE)
    # 60 MB of blanks after the rows: valid XML, a thousandfold compressed.
    return {"xl/worksheets/sheet2.xml": sheet_xml(rows, tail=" " * 60_000_000)}


def _far_cell() -> dict[str, bytes]:
    rows = _csv_rows(MINI_PEOPLE)
    tail = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return {"xl/worksheets/sheet2.xml": sheet_xml(rows, tail=tail)}


# ------------------------------------------------------------------------------- the cases

_LONG = "Nguyễn Văn " + "A" * 5000
_TOO_LONG_FOR_CSV = "A" * 140_000
_NESTED_YAML = "deep: " + "[" * 200 + "]" * 200 + "\n"


def _cases() -> dict[str, Files]:
    good_xlsx = workbook(mini_sheets())
    return {
        # -------------------------------------------------------------------- columns
        "column_missing_required": drop_column("task_rating"),
        "column_missing_identity": drop_column("unit_id"),
        "column_missing_in_units": drop_column("cluster", MINI_UNITS, "units.csv"),
        "column_misspelt": column("task_rating", "task_ratting"),
        "column_misspelt_vietnamese": column("months_worked", "Số thág công tác"),
        "column_duplicated": column("amount", "task_rating"),
        "column_duplicated_by_label": column("amount", "Xếp loại"),
        "column_values_without_header": people("0.9,x,2021", "0.9,x,2021,,oops"),
        "row_longer_than_header": people("P3,Lê Văn Cường,U1,tot,9,,0,,,2021",
                                         "P3,Lê Văn Cường,U1,tot,9,,0,,,2021,2022"),
        # -------------------------------------------------------------------- types
        "int_not_a_number": people("xuat_sac,12,", "xuat_sac,mười hai,"),
        "int_with_decimals": people("U1,tot,9,có", "U1,tot,9.5,có"),
        "bool_unknown": people("U1,tot,9,có", "U1,tot,9,chắc có"),
        "number_not_a_number": people("0.9,x,2021", "không rõ,x,2021"),
        "enum_unknown": people("P3,Lê Văn Cường,U1,tot", "P3,Lê Văn Cường,U1,giỏi"),
        "hex_number": people("0.9,x,2021", "0x10,x,2021"),
        "formula_text_in_number": people("0.9,x,2021", "=1+2,x,2021"),
        "year_not_a_year": every_year("hai nghìn"),
        "year_out_of_range": every_year("1900"),
        "years_disagree": people("x,2021\nP2", "x,2022\nP2"),
        # -------------------------------------------------------------------- ranges
        "int_above_max": people("U1,tot,9,có", "U1,tot,13,có"),
        "int_negative": people("9,có,2,", "9,có,-2,"),
        "number_negative": people("0.9,x,2021", "-0.5,x,2021"),
        "unit_number_above_max": units("Khối A,100,2021", "Khối A,250,2021"),
        # -------------------------------------------------------------------- NaN, inf, huge
        "nan_text": people("0.9,x,2021", "NaN,x,2021"),
        "inf_text": people("0.9,x,2021", "inf,x,2021"),
        "minus_infinity_text": people("0.9,x,2021", "-Infinity,x,2021"),
        "number_exponent_overflow": people("0.9,x,2021", "1e999999999,x,2021"),
        "int_exponent_too_big": people("U1,tot,9,có,2", "U1,tot,9,có,1e30"),
        "number_5000_digits": people("0.9,x,2021", "1e5000,x,2021"),
        # -------------------------------------------------------------------- dates
        "date_in_year_column": every_year("01/01/2021"),
        "date_in_number_column": people("xuat_sac,12,", "xuat_sac,12/03/2021,"),
        "date_iso_in_int_column": people("U1,tot,9,có", "U1,tot,2021-09-01,có"),
        "xlsx_date_in_year_column": xlsx(mini_sheets(every_row("year", dt.datetime(2021, 1, 1)),
                                                     every_row("year", dt.datetime(2021, 1, 1)))),
        "xlsx_date_in_number_column": xlsx(mini_sheets(set_cell(2, "amount",
                                                                dt.datetime(2021, 3, 12)))),
        "xlsx_time_in_int_column": xlsx(mini_sheets(set_cell(3, "months_worked",
                                                             dt.time(9, 30)))),
        # -------------------------------------------------------------------- ids, references
        "duplicated_person_id": people("P3,Lê Văn Cường", "P2,Lê Văn Cường"),
        "duplicated_unit_id": units("U3,Công ty Ba", "U2,Công ty Ba"),
        "duplicated_id_across_files": {
            "individuals_a.csv": MINI_PEOPLE.encode(),
            "individuals_b.csv": "id,name,unit_id,task_rating,year\nP5,Trùng Mã,U3,tot,2021\n"
                                 .encode(),
            "units.csv": MINI_UNITS.encode()},
        "person_in_unknown_unit": people("P7,Đỗ Văn Hùng,U3", "P7,Đỗ Văn Hùng,U4"),
        "unit_without_members": units("U3,Công ty Ba,Khối B,80,2021\n",
                                      "U3,Công ty Ba,Khối B,80,2021\nU4,Phòng Bốn,Khối B,90,"
                                      "2021\n"),
        "blank_id": people("P3,Lê Văn Cường", ",Lê Văn Cường"),
        "blank_name": people("P3,Lê Văn Cường", "P3,  "),
        # -------------------------------------------------------------------- files
        "file_empty": people_bytes(b""),
        "file_blank_lines_only": people_bytes(b"\r\n  \r\n\r\n"),
        "file_header_only": people_bytes(MINI_PEOPLE.split("\n")[0].encode() + b"\n"),
        "file_header_and_blank_rows": people_bytes(MINI_PEOPLE.split("\n")[0].encode()
                                                   + b"\n,,,,,,,,,\n\n"),
        "folder_without_csv": {"notes.txt": b"nothing here\n"},
        "csv_name_says_nothing": {"data.csv": MINI_PEOPLE.encode(),
                                  "units.csv": MINI_UNITS.encode()},
        "no_units_file": {"individuals.csv": MINI_PEOPLE.encode()},
        "csv_not_utf8": people_bytes(MINI_PEOPLE.encode().replace("Cường".encode(),
                                                                  b"C\x81\x8d\x8f\x90ng")),
        "csv_nul_bytes": people_bytes(MINI_PEOPLE.encode().replace(b"P3,", b"P3\x00,")),
        "csv_unbalanced_quote": people("P3,Lê Văn Cường", 'P3,"Lê Văn Cường'),
        "csv_text_after_quote": people("P3,Lê Văn Cường", 'P3,"Lê Văn" Cường'),
        "csv_cell_over_csv_limit": people("P3,Lê Văn Cường", f"P3,{_TOO_LONG_FOR_CSV}"),
        "cell_extremely_long": people("P3,Lê Văn Cường", f"P3,{_LONG}"),
        "unsupported_file_type": {"individuals.txt": MINI_PEOPLE.encode()},
        "old_xls_workbook": {"submission.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)},
        # a missing comma, which Python 3.11 to 3.13 word alike (a trailing comma is not)
        "json_invalid": {"submission.json": b'{"units": [{"id": "U1" "name": "A"}]}'},
        "json_not_an_object": {"submission.json": b'[{"id": "U1"}]'},
        "json_nan": {"submission.json": b'{"units": [{"id": "U1", "name": "A", "cluster": "K",'
                                        b' "target": NaN}], "individuals": []}'},
        "json_duplicated_key": {"submission.json": (
            b'{"units": [{"id": "U1", "name": "A", "cluster": "K", "target": 100}], '
            b'"individuals": [{"id": "P1", "name": "B", "unit_id": "U1", "task_rating": "tot"}], '
            b'"individuals": [{"id": "P2", "name": "C", "unit_id": "U1", "task_rating": "tot"}]}'
        )},
        "json_nested_value": {"submission.json": (
            b'{"units": [{"id": "U1", "name": "A", "cluster": "K", "target": {"value": 100}}], '
            b'"individuals": [{"id": "P1", "name": "B", "unit_id": "U1", "task_rating": "tot"}]}'
        )},
        # deeper than any Python's limit: 3.13 parses 5,000 levels where 3.11 gives up
        "json_deeply_nested": {"submission.json": b'{"units": ' + b"[" * 100_000
                               + b"]" * 100_000 + b"}"},
        "json_huge_integer": {"submission.json": b'{"units": [{"id": "U1", "target": '
                              + b"9" * 5000 + b"}]}"},
        "json_not_utf8": {"submission.json": '{"units": [{"id": "U1", "name": "Bé"}]}'
                          .encode("latin-1")},
        # -------------------------------------------------------------------- workbooks
        "xlsx_truncated": {"submission.xlsx": good_xlsx[: len(good_xlsx) // 2]},
        "xlsx_not_a_zip": {"submission.xlsx": MINI_PEOPLE.encode()},
        "xlsx_damaged_styles": xlsx(mini_sheets(),
                                    parts={"xl/styles.xml": _DAMAGED_STYLES.encode()}),
        "xlsx_formula": xlsx(mini_sheets(set_cell(2, "amount", Formula("1/0")))),
        "xlsx_error_cell": xlsx(mini_sheets(set_cell(4, "initiatives", Error("#REF!")))),
        "xlsx_empty_sheet": xlsx([("Đơn vị", _csv_rows(MINI_UNITS)), ("Cá nhân", [])]),
        "xlsx_header_only": xlsx([("Đơn vị", _csv_rows(MINI_UNITS)),
                                  ("Cá nhân", _csv_rows(MINI_PEOPLE)[:1])]),
        "xlsx_no_record_sheets": xlsx([("Sheet1", _csv_rows(MINI_PEOPLE))]),
        "xlsx_value_beyond_header": xlsx(mini_sheets(lambda rows: rows[3].extend([None, 7]))),
        "xlsx_zip_bomb": xlsx(mini_sheets(), parts=_bomb(),
                              compress=["xl/worksheets/sheet2.xml"]),
        "xlsx_entity_expansion": xlsx(mini_sheets(), parts=_entity_sheet(_LAUGHS, "&lol9;")),
        "xlsx_external_entity": xlsx(mini_sheets(), parts=_entity_sheet(_XXE, "&xxe;")),
        "xlsx_far_away_cell": xlsx(mini_sheets(), parts=_far_cell()),
        # -------------------------------------------------------------------- metadata
        "dataset_yaml_python_tag": {
            "individuals.csv": MINI_PEOPLE.encode(), "units.csv": MINI_UNITS.encode(),
            "dataset.yaml": b"year: !!python/object/apply:os.system ['echo pwned']\n"},
        "dataset_yaml_aliases": {
            "individuals.csv": MINI_PEOPLE.encode(), "units.csv": MINI_UNITS.encode(),
            "dataset.yaml": b"a: &a [x, x, x]\nb: [*a, *a, *a]\nyear: 2021\n"},
        # -------------------------------------------------------------------- rule files: YAML
        "rule_python_tag": rules("ruleset: mini",
                                 "ruleset: !!python/object/apply:os.system ['echo pwned']"),
        "rule_python_name_tag": rules("ruleset: mini", "ruleset: !!python/name:os.system"),
        "rule_unknown_tag": rules("ruleset: mini", "ruleset: !include /etc/passwd"),
        "rule_binary_tag": rules("ruleset: mini", "ruleset: !!binary bWluaQ=="),
        "rule_billion_laughs": rules_text(
            "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" + MINI_RULES),
        "rule_merge_key": rules("params:\n  share: 0.5",
                                "base: &base {share: 0.5}\nparams:\n  <<: *base"),
        "rule_deeply_nested_yaml": rules_text(_NESTED_YAML + MINI_RULES),
        "rule_duplicated_key": rules("year: 2021", "year: 2021\nyear: 2022"),
        "rule_not_utf8": {"rules.yaml": MINI_RULES.encode().replace("Cờ".encode(), b"C\xf4")},
        "rule_not_a_mapping": rules_text("- ruleset: mini\n- year: 2021\n"),
        "rule_unknown_key": rules("ruleset: mini", "ruleset: mini\nrulez: 1"),
        "rule_number_out_of_range": rules("max: 40", "max: 1e99999999"),
        "rule_nan": rules("share: 0.5", "share: .nan"),
        "rule_duplicated_criterion_id": rules("    - id: init\n", "    - id: task\n"),
        "rule_duplicated_title_id": rules("  - id: BEST\n", "  - id: LDTT\n"),
        "rule_negative_quota": rules("{count: 1, per: cluster}", "{count: -1, per: cluster}"),
        "extends_cycle": {"a/rules.yaml": b"ruleset: a\nyear: 2021\nextends: ../b\n",
                          "b/rules.yaml": b"ruleset: b\nyear: 2021\nextends: ../a\n"},
        "extends_itself": rules("ruleset: mini", "ruleset: mini\nextends: ."),
        "extends_missing_folder": rules("ruleset: mini", "ruleset: mini\nextends: ../nowhere"),
        # -------------------------------------------------------------------- expressions
        "expr_dunder_attribute": points("initiatives.__class__"),
        "expr_attribute_chain": points("unit.target.real"),
        "expr_module_attribute": points("os.system"),
        "expr_subscript": points("initiatives[0]"),
        "expr_lambda": points("(lambda: 1)()"),
        "expr_import": points("__import__('os').system('echo pwned')"),
        "expr_call_open": points("open('/etc/passwd')"),
        "expr_builtins_name": points("__builtins__"),
        "expr_comprehension": points("max([x for x in (1, 2)])"),
        "expr_walrus": points("(x := 10)"),
        "expr_fstring": points("f'{initiatives}'"),
        "expr_power": points("9 ** 9 ** 9"),
        "expr_keyword_argument": points("max(initiatives, key=abs)"),
        "expr_deeply_nested": points("-" * 500 + "initiatives"),
        "expr_deeply_nested_parentheses": points("(" * 990 + "1" + ")" * 990),
        "expr_enormous": points(" + ".join(["initiatives"] * 200)),
        "expr_division_by_zero": points("initiatives / 0"),
        "expr_division_by_zero_in_condition": rules("when: amount > 0.5",
                                                    "when: amount / 0 > 0.5"),
        "expr_infinite_literal": points("1e999999 * initiatives"),
        "expr_huge_literal": points("9" * 1500 + " * initiatives"),
        "expr_syntax_error": points("10 * * initiatives"),
        # -------------------------------------------------------------------- review rounds
        "rounds_missing_column": rounds_text(ROUNDS.replace(",points,", ",diem_so,", 1)),
        "rounds_negative_points": rounds("U1,reports,tu_cham,10,", "U1,reports,tu_cham,-1,"),
        "rounds_nan_points": rounds("U1,reports,tu_cham,10,", "U1,reports,tu_cham,NaN,"),
        "rounds_formula_points": rounds("U1,reports,tu_cham,10,", "U1,reports,tu_cham,=5+5,"),
        "rounds_header_only": rounds_text(ROUNDS.split("\n")[0] + "\n"),
        "rounds_unknown_record_and_round": rounds_text(
            _replace(_replace(ROUNDS, "U2,movement,tu_cham,9.5,", "P9,movement,tu_cham,9.5,"),
                     "U4,reports,tu_cham,10,", "U4,reports,vong_4,10,")),
        # -------------------------------------------------------------------- initiatives
        "initiatives_missing_decision_column": initiatives(
            MONO_INITIATIVES.replace(",decision,", ",ghi_chu,")),
        "initiatives_unknown_scope": initiatives_edit("Cấp tỉnh,", "Cấp huyện,"),
        "initiatives_blank_decision": initiatives_edit("215/QĐ-SCT", ""),
        "initiatives_unknown_person": initiatives_edit("P3,Lê Văn Cường", "P9,Lê Văn Cường"),
        "initiatives_listed_twice": initiatives(MONO_INITIATIVES + MONO_INITIATIVES.split(
            "\n")[1] + "\n"),
        "initiatives_disagree_with_count": initiatives(MONO_INITIATIVES + (
            "P2,Trần Thị Bình,Cấp cơ sở,215/QĐ-SCT,Một\nP2,Trần Thị Bình,Cấp cơ sở,"
            "215/QĐ-SCT,Hai\n")),
        "initiatives_without_individuals": initiatives(MONO_INITIATIVES, people_csv=""),
        **_input_cases(),
    }


# ------------------------------------------------------------ real office files (issue #18)

# The mini rule set with a text input people are grouped by (as the 2026 rules group by
# `task_group`): the ranking counts inside each team.
TEAM_RULES = _replace(_replace(MINI_RULES, "  ranking: {per: unit, by: [\"-score\", name]}",
                               "  ranking: {per: team, by: [\"-score\", name]}"),
                      "    is_head: {type: bool",
                      "    team: {type: text, label: Tổ, default: chung}\n    is_head: {type: bool")
TEAMS = ("Kiểm soát", "Kiểm soát", "Tổng hợp", "Tổng hợp", "Kiểm soát", "Kiểm soát", "Tổng hợp")


def teams(*names: str) -> Files:
    """The mini sample with a `team` column (the default teams, or `names` in row order), and
    the mini rules grouping people by it."""
    lines = MINI_PEOPLE.rstrip("\n").split("\n")
    chosen = names or TEAMS
    body = [f"{lines[0]},team", *(f"{line},{t}" for line, t in zip(lines[1:], chosen,
                                                                    strict=True))]
    return {"individuals.csv": ("\n".join(body) + "\n").encode(),
            "units.csv": MINI_UNITS.encode(), "rules.yaml": TEAM_RULES.encode()}


def _typed_differently() -> dict[str, Files]:
    """Keys that look alike but are not equal strings (see src/scoring/keys.py)."""
    return {
        "cluster_without_diacritics": units("U2,Phòng Hai,Khối A", "U2,Phòng Hai,Khoi A"),
        "cluster_tone_differs": units("U2,Phòng Hai,Khối A", "U2,Phòng Hai,Khôi A"),
        "cluster_diacritics_and_case": units("U3,Công ty Ba,Khối B", "U3,Công ty Ba,KHOI A"),
        "person_id_zero_width": people("P3,Lê Văn Cường", "P2\u200b,Lê Văn Cường"),
        "person_id_cyrillic": people("P3,Lê Văn Cường", "\u04202,Lê Văn Cường"),
        "person_id_bidi_mark": people("P3,Lê Văn Cường", "\u200fP2,Lê Văn Cường"),
        "person_id_fullwidth": people("P3,Lê Văn Cường", "\uff30\uff12,Lê Văn Cường"),
        "unit_id_greek": {"individuals.csv": MINI_PEOPLE.replace(",U", ",K").encode(),
                          "units.csv": (MINI_UNITS.replace("\nU", "\nK")
                                        + "\u039a2,Phòng Hai B,Khối A,90,2021\n").encode()},
        "person_unit_with_word_joiner": people("P7,Đỗ Văn Hùng,U3", "P7,Đỗ Văn Hùng,U3\u2060"),
        "team_without_diacritics": teams(*TEAMS[:6], "Tong hop"),
        "team_marks_differ": teams("Kiểm soát", "Kiểm soát", "Tổng hợp", "Tổng hớp",
                                   "Kiểm soát", "Kiểm soát", "Tổng hợp"),
    }


def _numbers() -> dict[str, Files]:
    """Numbers two conventions read differently, and numbers no output could show as typed."""
    return {
        "number_thousands_or_decimal_comma": people("0.9,x,2021", '"12,000",x,2021'),
        "number_thousands_or_decimal_point": people("0.9,x,2021", "1.490,x,2021"),
        "int_thousands_or_decimal_comma": people("9,có,2,", "9,có,\"1,000\","),
        "number_underscore": people("0.9,x,2021", "1_000,x,2021"),
        "percent_sign_in_plain_column": people("0.9,x,2021", "9%,x,2021"),
        "number_too_many_digits": people("0.9,x,2021", "0.30000000000000004,x,2021"),
        "json_number_beyond_a_float": {"submission.json": (
            b'{"units": [{"id": "U1", "name": "A", "cluster": "K", "target": 100}], '
            b'"individuals": [{"id": "P1", "name": "B", "unit_id": "U1", "task_rating": "tot", '
            b'"amount": 0.1000000000000000055511151231257827}]}')},
        "rule_constant_too_long_for_the_engine": rules("when: amount > 0.5",
                                                       "when: amount > 1234567890.0000000001"),
    }


def edited_workbook(sheets: Sequence[Sheet], edits: dict[str, list[tuple[str, str]]]) -> bytes:
    """`workbook(sheets)` with text replaced in its members (each `old` once): what a
    spreadsheet program writes beyond cell values (hidden rows, merges, styles)."""
    base = workbook(sheets)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info).decode("utf-8")
            for old, new in edits.get(info.filename, []):
                data = _replace(data, old, new)
            dst.writestr(info, data.encode("utf-8"))
    return out.getvalue()


PEOPLE_SHEET = "xl/worksheets/sheet2.xml"
# The styles with a fourth cell format: a percentage (built-in number format 9, "0%").
PERCENT_STYLES = ('<cellXfs count="3">', '<cellXfs count="4">'), (
    "</cellXfs>", '<xf numFmtId="9" fontId="0" fillId="0" borderId="0" xfId="0" '
                  'applyNumberFormat="1"/></cellXfs>')


def old_workbook(build: Callable[[Any], None]) -> bytes:
    """An Excel 97-2003 (.xls) workbook of the mini sample written by xlwt, then `build(wb)`
    (sheets "Đơn vị" and "Cá nhân" as in `mini_sheets`)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for title, rows in mini_sheets():
        ws = wb.add_sheet(title, cell_overwrite_ok=True)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
    build(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _excel() -> dict[str, Files]:
    """Workbooks as people use them: merges, hidden parts, formats, error texts."""
    import xlwt

    def merge_down(wb: Any) -> None:  # months_worked 13 merged over P2..P4 (rows 3-5)
        ws = wb.get_sheet(1)
        ws.write_merge(2, 4, 4, 4, 13)

    def hide_people(wb: Any) -> None:
        wb.get_sheet(1).visibility = 1

    def percent_amount(wb: Any) -> None:  # 1.0 shown as 100% in P1's amount
        wb.get_sheet(1).write(1, 7, 1.0, xlwt.easyxf(num_format_str="0%"))

    def hide_row(wb: Any) -> None:
        wb.get_sheet(1).row(4).hidden = True

    def hide_column(wb: Any) -> None:
        wb.get_sheet(1).col(6).hidden = True

    def formula(wb: Any) -> None:  # P1's amount computed
        wb.get_sheet(1).write(1, 7, xlwt.Formula("1/0"))

    def error_cell(wb: Any) -> None:  # P3's initiatives: what calamine reads as a blank
        wb.get_sheet(1).row(3).set_cell_error(6, "#REF!")

    return {
        "xlsx_merged_value_applies_to_each_row": {"submission.xlsx": edited_workbook(
            mini_sheets(set_cell(3, "months_worked", 13)),
            {PEOPLE_SHEET: [('<c r="E4"><v>9</v></c>', ""), ('<c r="E5"><v>10</v></c>', ""),
                            ("</sheetData>", '</sheetData><mergeCells count="1"><mergeCell '
                                             'ref="E3:E5"/></mergeCells>')]})},
        "xlsx_hidden_row": {"submission.xlsx": edited_workbook(
            mini_sheets(), {PEOPLE_SHEET: [('<row r="5">', '<row r="5" hidden="1">')]})},
        "xlsx_hidden_column": {"submission.xlsx": edited_workbook(
            mini_sheets(), {PEOPLE_SHEET: [("<sheetData>", '<cols><col min="7" max="7" '
                                                           'hidden="1"/></cols><sheetData>')]})},
        "xlsx_hidden_sheet": {"submission.xlsx": edited_workbook(
            mini_sheets(), {"xl/workbook.xml": [('sheetId="2"', 'sheetId="2" state="hidden"')]})},
        "xlsx_percent_format_in_plain_column": {"submission.xlsx": edited_workbook(
            mini_sheets(set_cell(2, "amount", 1)),
            {PEOPLE_SHEET: [('<c r="H2"><v>1</v></c>', '<c r="H2" s="3"><v>1</v></c>')],
             "xl/styles.xml": list(PERCENT_STYLES)})},
        "xlsx_array_formula": {"submission.xlsx": edited_workbook(
            mini_sheets(set_cell(3, "initiatives", 2)),
            {PEOPLE_SHEET: [('<c r="G3"><v>2</v></c>', '<c r="G3"><f t="array" ref="G3:G4">'
                                                       "SUM(B2:B3*0)</f><v>2</v></c>")]})},
        "xlsx_yes_no_cell_in_text_column": xlsx(mini_sheets(set_cell(4, "name", True))),
        "xlsx_error_text_cell": xlsx(mini_sheets(set_cell(4, "amount", "#N/A"))),
        "csv_excel_error_texts": people_bytes(
            MINI_PEOPLE.replace("U1,tot,9,có,2,", "U1,tot,#VALUE!,có,2,")
            .replace("P4,Phạm Thị Dung,U1", "P4,#REF!,U1")
            .replace("U2,tot,12,,1,", "U2,tot,12,,#DIV/0!,")
            .replace("xuat_sac,12,,1,0.9", "xuat_sac,12,,1,#NAME?")
            .replace("P5,Hoàng Văn Em,U2,hoan_thanh", "P5,Hoàng Văn Em,U2,#N/A").encode()),
        "xls_merged_value_applies_to_each_row": {"submission.xls": old_workbook(merge_down)},
        "xls_hidden_sheet": {"submission.xls": old_workbook(hide_people)},
        "xls_percent_format_in_plain_column": {"submission.xls": old_workbook(percent_amount)},
        "xls_hidden_row": {"submission.xls": old_workbook(hide_row)},
        "xls_hidden_column": {"submission.xls": old_workbook(hide_column)},
        "xls_formula": {"submission.xls": old_workbook(formula)},
        "xls_error_cell": {"submission.xls": old_workbook(error_cell)},
        "csv_yes_no_text_in_name_column": people("P3,Lê Văn Cường", "P3,TRUE"),
        "csv_libreoffice_error_text": people("U1,tot,9,có,2,", "U1,tot,Err:502,có,2,"),
        "xls_web_page": {"submission.xls": b"<html><body><table><tr><td>id</td></tr>"
                                           b"</table></body></html>"},
        "xls_under_a_csv_name": {"individuals.csv": old_workbook(lambda wb: None),
                                 "units.csv": MINI_UNITS.encode()},
        "xlsx_under_a_csv_name": {"individuals.csv": workbook(mini_sheets()),
                                  "units.csv": MINI_UNITS.encode()},
    }


_MOJIBAKE = "Nguyễn Văn An".encode().decode("cp1252")  # "Nguyá»…n VÄƒn An"


def _text() -> dict[str, Files]:
    """Text that is not what it seems."""
    garbled_file = "\n".join(
        line if k == 0 else ",".join(
            c.encode().decode("cp1252", errors="replace") if j == 1 else c
            for j, c in enumerate(line.split(",")))
        for k, line in enumerate(MINI_PEOPLE.rstrip("\n").split("\n"))) + "\n"
    return {
        "csv_double_encoded_row": people("P1,Nguyễn Văn An", f"P1,{_MOJIBAKE}"),
        "csv_double_encoded_file": people_bytes(garbled_file.encode()),
        "xlsx_double_encoded_cell": xlsx(mini_sheets(set_cell(6, "name", "Huá»³nh Văn Em"))),
        "json_double_encoded": {"submission.json": (
            '{"units": [{"id": "U1", "name": "Phòng Má»™t", "cluster": "K", "target": 100}], '
            '"individuals": [{"id": "P1", "name": "B", "unit_id": "U1", "task_rating": "tot"}]}'
        ).encode()},
        "csv_one_tcvn3_word": people("P3,Lê Văn Cường", "P3,Lê V¨n Cường"),
        "csv_one_vni_word": people("P3,Lê Văn Cường", "P3,Lê Vaên Cường"),
    }


def _input_cases() -> dict[str, Files]:
    """The cases of issue #18's input side, by category."""
    return {**_typed_differently(), **_numbers(), **_excel(), **_text()}


def write(target: Path = CASES) -> None:
    """(Re)write every case folder under `target`, removing folders of cases no longer made."""
    cases = {**_cases(), **_reliability_cases()}
    if target.exists():
        for old in target.iterdir():
            if old.name not in cases:
                shutil.rmtree(old)
    for name, files in cases.items():
        folder = target / name
        if folder.exists():
            shutil.rmtree(folder)
        for rel, data in files.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


# ------------------------------------------------- issue #18, parts 5-8: arithmetic and outputs


MINI_NAMES = {"P1": "Nguyễn Văn An", "P2": "Trần Thị Bình", "P3": "Lê Văn Cường",
              "P4": "Phạm Thị Dung", "P5": "Hoàng Văn Em", "P6": "Võ Thị Giang",
              "P7": "Đỗ Văn Hùng"}
OTHER_NAMES = ["Bùi Văn Khải", "Đặng Thị Lan", "Ngô Văn Minh", "Dương Thị Nga", "Lý Văn Phúc",
               "Mai Thị Quế", "Tạ Văn Sơn"]


def year_file(ruleset: str = "mini", names: Sequence[str] = tuple(MINI_NAMES.values()),
              units: Sequence[str] = ("U1", "U2", "U3"), year: int = 2020,
              initiatives: int = 1,
              people_units: Sequence[str] = ("U1", "U1", "U1", "U1", "U2", "U2", "U3")) -> bytes:
    """A year of the history store as `scoring score --format json` writes it (the fields the
    store reads): the mini sample's people, named `names`, in `people_units`."""
    people = [{"id": pid, "name": name, "unit": unit, "titles": ["LDTT"], "score": 50,
               "inputs": {"initiatives": initiatives}}
              for pid, unit, name in zip(MINI_NAMES, people_units, names, strict=True)]
    doc = {"ruleset": {"id": ruleset, "year": year} if ruleset else {"year": year},
           "individuals": people,
           "units": [{"id": u, "name": f"Đơn vị {u}", "cluster": "Khối A", "titles": []}
                     for u in units]}
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()


def hand_titles(rows: str) -> bytes:
    return ("id,name,year,title,decision\n" + rows).encode()


def _reliability_cases() -> dict[str, Files]:
    """Division by zero at run time (#18.5): each names the rule, the record and the values."""
    return {
        "arith_points_zero_divisor": points("30 / initiatives"),
        "arith_zero_by_zero": points("10 * initiatives / initiatives"),
        "arith_condition_zero_divisor": rules("when: amount > 0.5", "when: 10 / initiatives > 5"),
        "arith_computed_zero_divisor": rules(
            "  criteria:\n    - id: task",
            "  computed:\n    per_month: {expr: initiatives / (12 - months_worked)}\n"
            "  criteria:\n    - id: task"),
        "arith_title_zero_divisor": rules(
            "requires: [LDTT, initiatives >= 1]",
            "requires: [LDTT, initiatives / (months_worked - 12) >= 1]"),
        "arith_unit_band_zero_divisor": rules(
            "- {when: target >= 100, points: 100}",
            "- {when: target >= 100, points: 100 / (target - 100)}"),
        "arith_aggregate_zero_divisor": rules(
            "    n_best: {fn: count, of: BEST}",
            "    n_best: {fn: count, of: BEST}\n"
            "    per_month: {fn: sum, of: initiatives / (12 - months_worked)}"),
        "arith_count_zero_divisor": rules(
            "    n_best: {fn: count, of: BEST}",
            "    n_best: {fn: count, of: BEST}\n"
            "    n_long: {fn: count, of: initiatives / (12 - months_worked) > 1}"),
        "arith_deduction_zero_divisor": rules("when: months_worked < 6, points: 5}",
                                              "when: months_worked < 6, points: 5 / initiatives}"),
        "arith_share_of_nobody": rules(
            "    n_best: {fn: count, of: BEST}",
            "    n_best: {fn: count, of: BEST}\n"
            "    share_short: {fn: share, of: LDTT, where: months_worked < 3}"),
        "arith_mean_of_nobody": rules(
            "    n_best: {fn: count, of: BEST}",
            "    n_best: {fn: count, of: BEST}\n"
            "    mean_short: {fn: mean, of: initiatives, where: months_worked < 3}"),
        "arith_declaration_unknown": rules("      points: 10 * initiatives",
                                           "      points: 10 * initiatives\n"
                                           "      division_by_zero: zero"),
        # Outputs that cannot hurt (#18.7): each folder is the mini sample, or its rules.
        **{name: people("P1,", "P1,") for name in (
            "out_onto_input_file", "out_into_input_folder", "out_into_input_subfolder",
            "out_beside_input_file")},
        "out_into_rules_folder": {"rules.yaml": MINI_RULES.encode()},
        # Terminal safety (#18.8): a name that would drive or reorder the terminal, shown in
        # an error (P7's unit is unknown) with each invisible character as U+FFFD.
        **{f"term_{what}_in_name": people("P7,Đỗ Văn Hùng,U3", f"P7,Đỗ {char}Văn Hùng,U9")
           for what, char in (("bidi_override", "\u202e"), ("bidi_isolate", "\u2066"),
                              ("escape", "\x1b[2J"), ("zero_width", "\u200b"),
                              ("line_separator", "\u2028"), ("soft_hyphen", "\u00ad"),
                              ("arabic_mark", "\u061c"))},
        # History that belongs to another data set (#18.6): each folder is a history store,
        # given with --history to a run of the mini sample.
        "hist_other_ruleset": {"2020.json": year_file("quang-ngai-cong-thuong")},
        "arith_history_zero_divisor": {
            **rules("requires: [LDTT, initiatives >= 1]",
                    "requires: [LDTT, 'years_with(10 / initiatives > 1, last=2) >= 1']"),
            "lich-su/2020.json": year_file(initiatives=0)},
        "hist_other_people": {"2020.json": year_file(names=OTHER_NAMES)},
        "hist_other_people_in_part": {"2020.json": year_file(
            names=[*OTHER_NAMES[:2], *list(MINI_NAMES.values())[2:]])},
        "hist_other_people_despite_aliases": {
            "2020.json": year_file(names=OTHER_NAMES, units=("X1", "X2", "X3")),
            "unit_aliases.csv": b"old_id,new_id,from_year\nX1,U1,2021\nX2,U2,2021\n"
                                b"X3,U3,2021\n"},
        "hist_ids_of_another_kind": {"2020.json": year_file(units=("U1", "P1", "P2"))},
        "hist_people_of_other_units": {"2020.json": year_file(
            names=[""] * 7, people_units=("U3", "U3", "U2", "U2", "U1", "U3", "U1"))},
        "hist_without_ruleset_id": {"2020.json": year_file(ruleset="")},
        "hist_hand_titles_of_other_people": {"titles.csv": hand_titles(
            "P1,Bùi Văn Khải,2020,LDTT,12/QĐ\nP2,Đặng Thị Lan,2020,LDTT,12/QĐ\n")},
        "hist_title_misspelt": {"titles.csv": hand_titles(
            "P1,Nguyễn Văn An,2020,Lao động tiên tiếng,12/QĐ\n")},
        "hist_title_id_misspelt": {"titles.csv": hand_titles(
            "P1,Nguyễn Văn An,2020,LDT,12/QĐ\n")},
        "hist_title_abbreviated": {"titles.csv": hand_titles(
            "P2,Trần Thị Bình,2020,Lao động TT,12/QĐ\n")},
    }


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else CASES)
    print(f"wrote {len(_cases()) + len(_reliability_cases())} cases under {CASES}",
          file=sys.stderr)
