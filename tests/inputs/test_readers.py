"""Reading submissions as councils keep them: CSV in every encoding Excel writes, workbooks with
merged headers and numbers stored as text, JSON; initiatives lists folded into counts."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from test_text import to_cp1258

from scoring import read_results
from scoring.base.errors import InputError
from scoring.cli import cli
from scoring.inputs.batch import data_year
from scoring.inputs.initiatives import Initiative, fold_initiatives, parse_initiatives
from scoring.inputs.names import is_initiatives, kind_of
from scoring.inputs.readers import read_inputs
from scoring.inputs.records import (
    Origin,
    RawTable,
    header_map,
    match_header,
    resolve_header,
    validate,
)
from scoring.rulesets.extends import load
from scoring.rulesets.schema import InputSpec, Kind

MINI_RULES = Path("tests/rulesets/mini")
MINI_DATA = Path("tests/data/mini")
MINI = load(MINI_RULES)
PEOPLE = MINI.individual.inputs
UNITS_CSV = (MINI_DATA / "units.csv").read_text(encoding="utf-8")
PEOPLE_CSV = (MINI_DATA / "individuals.csv").read_text(encoding="utf-8")
# Counts of initiatives by scope, as the 2021 rule set declares them, on a small model.
COUNTS = {
    "task_rating": InputSpec(type="enum", label="Xếp loại",
                             values={"xuat_sac": "Hoàn thành xuất sắc nhiệm vụ",
                                     "tot": "Hoàn thành tốt nhiệm vụ"}),
    "initiatives_co_so": InputSpec(type="int", label="Sáng kiến cấp cơ sở", min=0, default=0),
    "initiatives_tinh": InputSpec(type="int", label="Sáng kiến cấp tỉnh", min=0, default=0),
    "initiatives_toan_quoc": InputSpec(type="int", label="Sáng kiến toàn quốc", min=0,
                                       default=0),
}


def table(header: Sequence[object], *rows: Sequence[object], kind: Kind = "individual",
          first_row: int = 2) -> RawTable:
    return RawTable(kind, "f.csv", tuple(str(h) for h in header),
                    tuple(tuple(r) for r in rows), None, first_row)


def score(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["score", *args])
    return result.exit_code, result.stdout, result.stderr


def scores(*paths: Path, rules: Path = MINI_RULES) -> dict[str, tuple[object, ...]]:
    code, out, err = score(*map(str, paths), "--rules", str(rules), "--format", "json", "-o", "-")
    assert code == 0, err
    doc = read_results(out)
    return {r["id"]: (r["score"], r["rank"], tuple(r["titles"]), r["inputs"])
            for r in doc["individuals"] + doc["units"]}


def folder(tmp_path: Path, people: bytes, units: bytes | None = None,
           name: str = "individuals.csv") -> Path:
    d = tmp_path / "in"
    d.mkdir(exist_ok=True)
    (d / name).write_bytes(people)
    (d / "units.csv").write_bytes(units if units is not None else UNITS_CSV.encode())
    return d


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def csv_rows(text: str) -> list[list[object]]:
    return [line.split(",") for line in text.strip().split("\n")]


# ------------------------------------------------------------------------------- headers


@pytest.mark.parametrize(("header", "field"), [
    ("Xếp loại", "task_rating"),
    ("  XEP   LOAI ", "task_rating"),           # odd spacing, capitals, no diacritics
    ("xep_loai", "task_rating"),
    ("Số tháng\ncông tác", "months_worked"),     # a line break typed in the header cell
    ("So thang cong tac (*)", "months_worked"),  # required mark
    ("Số tháng công tác (tháng)", "months_worked"),  # a unit in parentheses
    ("Số tiền (đồng) (*)", "amount"),
    ("Nghi thai san", "maternity_leave"),
    ("Họ và tên", "name"),
    ("HO TEN", "name"),
    ("Mã đơn vị", "unit_id"),
    ("Năm", "year"),
])
def test_header_matching(header: str, field: str) -> None:
    assert match_header(header, header_map("individual", PEOPLE)) == field


def test_unknown_column_is_a_warning_carried_through() -> None:
    t = table(["Mã", "Họ và tên", "Đơn vị", "Xếp loại", "Ghi chú"],
              ["P1", "An", "U1", "tot", "chuyển công tác"])
    loaded = validate(t, PEOPLE)
    assert loaded.records[0].extra == {"Ghi chú": "chuyển công tác"}
    assert loaded.warnings == ["f.csv, row 1, column 'Ghi chú': unknown column 'Ghi chú' "
                               "carried through, not scored"]


def test_row_number_column_is_ignored_silently() -> None:
    loaded = validate(table(["STT", "Mã", "Họ và tên", "Đơn vị", "Xếp loại"],
                            ["1", "P1", "An", "U1", "tot"]), PEOPLE)
    assert loaded.warnings == [] and loaded.records[0].extra == {}


@pytest.mark.parametrize(("header", "suggested"), [
    ("Số thang cong tax", "months_worked"),
    ("Xep loia", "task_rating"),
    ("So tein (VND)", "amount"),  # stripped of its unit, then close to "Số tiền"
])
def test_misspelt_column_is_an_error_with_a_suggestion(header: str, suggested: str) -> None:
    t = table(["Mã", "Họ và tên", "Đơn vị", "Xếp loại" if suggested != "task_rating" else
               "Số tiền", header], ["P1", "An", "U1", "tot", "1"])
    with pytest.raises(InputError) as info:
        validate(t, PEOPLE)
    assert f"did you mean {suggested!r}?" in str(info.value)
    assert "not read as its default" in str(info.value)


def test_missing_required_columns_are_errors() -> None:
    with pytest.raises(InputError) as info:
        validate(table(["Mã", "Số tháng công tác"], ["P1", "12"]), PEOPLE)
    text = str(info.value)
    assert "required column 'name' is missing (e.g. 'Họ và tên')" in text
    assert "required column 'unit_id' is missing" in text
    assert "required column 'task_rating' (Xếp loại) is missing" in text


@pytest.mark.parametrize(("cell", "value"), [
    ("Hoàn thành xuất sắc nhiệm vụ", "xuat_sac"),
    ("hoan thanh xuat sac nhiem vu", "xuat_sac"),
    ("  Hoàn thành tốt   nhiệm vụ ", "tot"),
    ("xuat_sac", "xuat_sac"),
])
def test_enum_accepts_its_vietnamese_wording(cell: str, value: str) -> None:
    loaded = validate(table(["Mã", "Họ và tên", "Đơn vị", "Xếp loại"], ["P1", "An", "U1", cell]),
                      PEOPLE)
    assert loaded.records[0].values["task_rating"] == value


@pytest.mark.parametrize(("cell", "value"), [
    ("12", Decimal(12)), (" 8,5 ", Decimal("8.5")), ("8.5", Decimal("8.5")), (8.5, Decimal("8.5")),
    ("1 000", Decimal(1000)), (3, Decimal(3)),
])
def test_numbers_stored_as_text(cell: object, value: Decimal) -> None:
    loaded = validate(table(["Mã", "Họ và tên", "Đơn vị", "Xếp loại", "Số tiền"],
                            ["P1", "An", "U1", "tot", cell]), PEOPLE)
    assert loaded.records[0].values["amount"] == value


def test_text_is_nfc_and_trimmed() -> None:
    decomposed = "Nguye\u0302\u0303n  Va\u0306n\u00a0An "
    loaded = validate(table(["Mã", "Họ và tên", "Đơn vị", "Xếp loại"],
                            [" P1 ", decomposed, "U1", "tot"]), PEOPLE)
    assert (loaded.records[0].id, loaded.records[0].name) == ("P1", "Nguyễn Văn An")


# ------------------------------------------------------------------------------- header rows


def test_merged_group_title_over_two_header_rows() -> None:
    # Row 1: identity cells merged down, a group title merged across; row 2: the sub-headers.
    t = table(["STT", "Mã", "Họ và tên", "Đơn vị", "Kết quả đánh giá", "", ""],
              ["", "", "", "", "Xếp loại", "Số tháng công tác", "Số sáng kiến"],
              ["1", "P1", "An", "U1", "tot", "12", "1"], first_row=2)
    loaded = validate(t, PEOPLE)
    record = loaded.records[0]
    assert record.origin.row == 3
    assert record.values["months_worked"] == Decimal(12)
    assert record.values["initiatives"] == Decimal(1)
    assert loaded.warnings == []


def test_title_row_and_column_numbers_above_the_data() -> None:
    t = table(["DANH SÁCH CÁ NHÂN ĐỀ NGHỊ KHEN THƯỞNG NĂM 2021", "", "", ""],
              ["Mã", "Họ và tên", "Đơn vị", "Xếp loại"],
              ["(1)", "(2)", "(3)", "(4)"],
              ["P1", "An", "U1", "tot"])
    resolved = resolve_header(t, PEOPLE)
    assert resolved.header == ("Mã", "Họ và tên", "Đơn vị", "Xếp loại")
    assert resolved.first_row == 4
    assert [r.origin.row for r in validate(t, PEOPLE).records] == [4]


def test_official_form_header_three_rows_deep(tmp_path: Path) -> None:
    # Title row, identity cells merged down over a group title and its sub-headers, then the
    # row of column numbers: what the year is, and where the records start, are still found.
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Danh sách cá nhân"
    ws.append(["DANH SÁCH CÁ NHÂN ĐỀ NGHỊ CÔNG NHẬN DANH HIỆU THI ĐUA NĂM 2021"])
    ws.append(["STT", "Mã", "Họ và tên", "Đơn vị", "Năm", "Kết quả đánh giá", None])
    ws.append([None, None, None, None, None, "Xếp loại", "Số tháng công tác"])
    ws.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"])
    for c in "ABCDE":
        ws.merge_cells(f"{c}2:{c}3")
    ws.merge_cells("A1:G1")
    ws.merge_cells("F2:G2")
    ws.append([1, "P1", "Nguyễn Văn An", "U1", 2021, "Hoàn thành xuất sắc nhiệm vụ", 12])
    path = tmp_path / "form.xlsx"
    wb.save(path)
    inputs = read_inputs([path])
    assert data_year(inputs.tables, inputs.year) == 2021
    (record,) = validate(inputs.tables[0], PEOPLE).records
    assert (record.origin.row, record.values["task_rating"]) == (5, "xuat_sac")
    assert record.values["months_worked"] == Decimal(12)


def test_a_data_row_is_never_taken_for_a_header() -> None:
    t = table(["Mã", "Họ và tên", "Đơn vị", "Xếp loại", ""], ["P1", "An", "U1", "tot", "Tên"])
    assert resolve_header(t, PEOPLE) is t


def test_merged_header_cells_in_a_real_workbook(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Cá nhân"
    ws.append(["Mã", "Họ và tên", "Mã đơn vị", "Năm", "Kết quả", None, None, None])
    ws.append([None, None, None, None, "Xếp loại", "Số tháng\ncông tác", "Số sáng kiến",
               "Số tiền"])
    for c in "ABCD":
        ws.merge_cells(f"{c}1:{c}2")
    ws.merge_cells("E1:H1")
    for line in csv_rows(PEOPLE_CSV)[1:]:
        pid, name, unit, rating, months, _mat, inits, amount, _head, year = line
        ws.append([pid, name, unit, int(year), rating, months, inits, amount])
    ws.append([None] * 8)  # empty trailing rows, formatted
    ws.cell(row=20, column=2).number_format = "@"
    units = csv_rows(UNITS_CSV)
    units_ws = wb.create_sheet("Đơn vị")
    for row in units:
        units_ws.append(row)
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    inputs = read_inputs([path])
    assert data_year(inputs.tables, inputs.year) == 2021
    got = scores(path)
    # maternity leave and heads are not in this workbook: compare what it holds
    expected = scores(MINI_DATA)
    assert {k: v[3].get("months_worked") for k, v in got.items()} == \
        {k: v[3].get("months_worked") for k, v in expected.items()}
    assert got["P5"][3]["initiatives"] == expected["P5"][3]["initiatives"] == 3


# ------------------------------------------------------------------------------- CSV bytes


def test_windows_1258_csv(tmp_path: Path) -> None:
    d = folder(tmp_path, to_cp1258(PEOPLE_CSV.replace("\n", "\r\n")),
               to_cp1258(UNITS_CSV))
    assert scores(d) == scores(MINI_DATA)


@pytest.mark.parametrize("encode", [
    lambda s: codecs.BOM_UTF8 + s.encode(),
    lambda s: s.encode("utf-16"),                          # with its BOM, comma separated
    lambda s: s.replace(",", "\t").encode("utf-16"),       # Excel's "Unicode text": tabs
    lambda s: s.replace(",", ";").encode(),                # a ";" list separator
    lambda s: ("sep=;\n" + s.replace(",", ";")).encode(),  # with Excel's separator line
], ids=["utf8-bom", "utf16", "utf16-tabs", "semicolon", "sep-line"])
def test_csv_encodings_and_separators(tmp_path: Path,
                                      encode: Callable[[str], bytes]) -> None:
    d = folder(tmp_path, encode(PEOPLE_CSV), encode(UNITS_CSV))
    assert scores(d) == scores(MINI_DATA)


def test_empty_trailing_rows_and_odd_headers_in_csv(tmp_path: Path) -> None:
    lines = PEOPLE_CSV.strip().split("\n")
    header = ("  MA ,Ho va ten,ĐƠN   VỊ,xep loai (*),So thang\u00a0cong tac,nghi thai san,"
              "So sang kien,So tien (dong),Nguoi dung dau,Nam")
    text = "\n".join([header, *lines[1:], ",,,,,,,,,", "", ",,,,,,,,,", ""])
    d = folder(tmp_path, text.encode())
    assert scores(d) == scores(MINI_DATA)


def test_legacy_tcvn3_csv_is_refused_naming_the_encoding(tmp_path: Path) -> None:
    garbled = PEOPLE_CSV.replace("Nguyễn Văn An", "NguyÔn V¨n An").replace(
        "Trần Thị Bình", "TrÇn ThÞ B×nh")
    d = folder(tmp_path, garbled.encode("cp1252", errors="replace"))
    code, _, err = score(str(d), "--rules", str(MINI_RULES))
    assert code == 2
    assert "legacy TCVN3 encoding" in err and "NguyÔn V¨n An" in err
    assert "individuals.csv" in err


def test_legacy_vni_in_a_workbook_is_refused(tmp_path: Path) -> None:
    rows = csv_rows(PEOPLE_CSV)
    rows[1][1], rows[2][1] = "Nguyeãn Vaên An", "Traàn Thò Bình"
    path = workbook(tmp_path / "old.xlsx", {"Cá nhân": rows, "Đơn vị": csv_rows(UNITS_CSV)})
    code, _, err = score(str(path), "--rules", str(MINI_RULES))
    assert code == 2 and "legacy VNI encoding" in err and "sheet Cá nhân" in err


# ------------------------------------------------------------------------------- workbooks


def test_numbers_stored_as_text_in_a_workbook(tmp_path: Path) -> None:
    rows = csv_rows(PEOPLE_CSV)  # every cell a string, as "Text" formatted cells hold them
    rows[1][7] = "0,9"
    path = workbook(tmp_path / "text.xlsx", {"Cá nhân": rows, "Đơn vị": csv_rows(UNITS_CSV)})
    assert scores(path) == scores(MINI_DATA)


def test_formula_cells_are_refused(tmp_path: Path) -> None:
    rows = csv_rows(PEOPLE_CSV)
    rows[2][4] = "=6+6"
    path = workbook(tmp_path / "f.xlsx", {"Cá nhân": rows, "Đơn vị": csv_rows(UNITS_CSV)})
    code, _, err = score(str(path), "--rules", str(MINI_RULES))
    assert code == 2
    assert "sheet Cá nhân, row 3, column 'E': formula '=6+6'" in err
    assert "paste them back as values" in err


def test_text_that_looks_like_a_formula_is_text(tmp_path: Path) -> None:
    rows = csv_rows(PEOPLE_CSV)
    path = workbook(tmp_path / "t.xlsx", {"Cá nhân": rows, "Đơn vị": csv_rows(UNITS_CSV)})
    wb = openpyxl.load_workbook(path)
    cell = wb["Cá nhân"]["B2"]
    cell.value, cell.data_type = "=1+1", "s"  # typed as '=1+1 in Excel
    wb.save(path)
    code, out, err = score(str(path), "--rules", str(MINI_RULES), "--format", "json", "-o", "-")
    assert code == 0, err
    assert read_results(out)["individuals"][0]["name"] == "=1+1"


@pytest.mark.parametrize(("damage", "message"), [
    (lambda b: b[: len(b) // 2], "not a readable .xlsx workbook"),
    (lambda b: b[:100], "not a readable .xlsx workbook"),
    (lambda b: b"", "not a readable .xlsx workbook"),
    (lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "not a readable .xls workbook"),
    (lambda b: "Mã,Tên\n1,2\n".encode(), "not a readable .xlsx workbook"),
], ids=["half", "100-bytes", "empty", "xls", "csv-named-xlsx"])
def test_damaged_workbooks_exit_2_with_a_clear_message(tmp_path: Path,
                                                       damage: Callable[[bytes], bytes],
                                                       message: str) -> None:
    good = workbook(tmp_path / "good.xlsx", {"Cá nhân": csv_rows(PEOPLE_CSV),
                                             "Đơn vị": csv_rows(UNITS_CSV)})
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(damage(good.read_bytes()))
    code, _, err = score(str(bad), "--rules", str(MINI_RULES))
    assert code == 2
    assert err.startswith(f"error: {bad}: ") and message in err
    assert "Traceback" not in err


def test_error_cells_are_refused(tmp_path: Path) -> None:
    rows = csv_rows(PEOPLE_CSV)
    path = workbook(tmp_path / "e.xlsx", {"Cá nhân": rows, "Đơn vị": csv_rows(UNITS_CSV)})
    wb = openpyxl.load_workbook(path)
    cell = wb["Cá nhân"]["E3"]
    cell.value, cell.data_type = "#N/A", "e"
    wb.save(path)
    code, _, err = score(str(path), "--rules", str(MINI_RULES))
    assert code == 2 and "row 3, column 'E': the cell shows the error #N/A" in err


def test_workbook_without_record_sheets(tmp_path: Path) -> None:
    path = workbook(tmp_path / "x.xlsx", {"Sheet1": [["a"]]})
    code, _, err = score(str(path), "--rules", str(MINI_RULES))
    assert code == 2 and "no sheet named for units or individuals" in err


def test_several_workbooks_merge(tmp_path: Path) -> None:
    people = csv_rows(PEOPLE_CSV)
    units = csv_rows(UNITS_CSV)
    a = workbook(tmp_path / "a.xlsx", {"Cá nhân": [people[0], *people[1:5]],
                                       "Đơn vị": [units[0], units[1]]})
    b = workbook(tmp_path / "b.xlsx", {"Cá nhân": [people[0], *people[5:]],
                                       "Đơn vị": [units[0], *units[2:]]})
    assert scores(a, b) == scores(MINI_DATA)


def test_duplicate_ids_across_workbooks_name_both_places(tmp_path: Path) -> None:
    people = csv_rows(PEOPLE_CSV)
    units = csv_rows(UNITS_CSV)
    a = workbook(tmp_path / "a.xlsx", {"Cá nhân": people, "Đơn vị": units})
    b = workbook(tmp_path / "b.xlsx", {"Cá nhân": [people[0], people[3]],
                                       "Đơn vị": [units[0], units[1]]})
    code, _, err = score(str(a), str(b), "--rules", str(MINI_RULES))
    assert code == 2
    assert (f"{b}, sheet Cá nhân, row 2: duplicated id 'P3' (first at {a}, sheet Cá nhân, "
            "row 4)") in err
    assert f"{b}, sheet Đơn vị, row 2: duplicated id 'U1' (first at {a}, sheet Đơn vị, row 2)" \
        in err


def test_json_input(tmp_path: Path) -> None:
    def objects(text: str) -> list[dict[str, str]]:
        rows = csv_rows(text)
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]

    path = tmp_path / "data.json"
    path.write_text(json.dumps({"units": objects(UNITS_CSV),
                                "individuals": objects(PEOPLE_CSV)}, ensure_ascii=False))
    assert scores(path) == scores(MINI_DATA)


@pytest.mark.parametrize(("name", "kind", "initiatives"), [
    ("Cá nhân", "individual", False), ("CA NHAN 2021", "individual", False),
    ("individuals.csv", "individual", False), ("Đơn vị", "unit", False),
    ("units_khoi_a.csv", "unit", False), ("Sáng kiến", None, True),
    ("sang_kien.csv", None, True), ("initiatives", None, True), ("Hướng dẫn", None, False),
    ("Danh mục", None, False), ("Danh sách cá nhân", "individual", False),
    ("DS đơn vị 2021", "unit", False), ("2021_units.csv", "unit", False),
    ("Sáng kiến của cá nhân", None, True), ("Hướng dẫn điền cho đơn vị", None, False),
    ("Tập thể", "unit", False), ("Community", None, False),
])
def test_names_announce_the_kind(name: str, kind: str | None, initiatives: bool) -> None:
    assert kind_of(name) == kind
    assert is_initiatives(name) is initiatives


# ------------------------------------------------------------------------------- initiatives

INITIATIVE_HEADER = ["Mã cá nhân", "Tên sáng kiến", "Phạm vi ảnh hưởng", "Số quyết định"]


def _people() -> RawTable:
    return table(["Mã", "Họ và tên", "Đơn vị", "Xếp loại", "Sáng kiến cấp cơ sở"],
                 ["P1", "An", "U1", "tot", ""], ["P2", "Bình", "U1", "tot", "2"],
                 ["P3", "Cường", "U1", "tot", "1"])


def _list(*rows: Sequence[object]) -> list[Initiative]:
    return parse_initiatives(INITIATIVE_HEADER, [tuple(r) for r in rows], "b.xlsx", "Sáng kiến")


def test_parse_initiatives_accepts_both_wordings() -> None:
    got = _list(["P1", "Cải tiến A", "Cấp cơ sở", "12/QĐ-SCT"],
                ["P1", "Cải tiến B", "co_so", "12/QĐ-SCT"],
                ["P1", "Cải tiến C", "Cấp bộ", "3/QĐ-BCT"],
                ["P2", "Cải tiến D", "TOAN QUOC", "9/QĐ-BKHCN"],
                [None, None, None, None])
    assert [(i.person, i.scope) for i in got] == [("P1", "co_so"), ("P1", "co_so"),
                                                  ("P1", "tinh"), ("P2", "toan_quoc")]
    assert got[3].origin == Origin("b.xlsx", 5, "Sáng kiến")


def test_parse_initiatives_errors_are_located() -> None:
    with pytest.raises(InputError) as info:
        _list(["P1", "A", "cấp huyện", "1/QĐ"], ["P1", "B", "Cấp tỉnh", ""],
              ["P1", "C", "Cấp tỉnh", "2/QĐ"], ["P1", "C", "Cấp tỉnh", "2/QĐ"])
    assert [str(p) for p in info.value.problems] == [
        "b.xlsx, sheet Sáng kiến, row 2, column 'Phạm vi ảnh hưởng': expected a scope of "
        "recognition: Cấp cơ sở, Cấp tỉnh or Toàn quốc (found 'cấp huyện')",
        "b.xlsx, sheet Sáng kiến, row 3, column 'Số quyết định': the recognition decision "
        "number is required: an initiative counts only once recognised",
        "b.xlsx, sheet Sáng kiến, row 5, column 'Tên sáng kiến': 'C' of P1 under decision 2/QĐ "
        "is listed twice (first at row 4)",
    ]


def test_parse_initiatives_requires_its_columns() -> None:
    with pytest.raises(InputError) as info:
        parse_initiatives(["Mã", "Tên sáng kiến"], [("P1", "A")], "b.xlsx", "Sáng kiến")
    assert "required column 'scope' is missing" in str(info.value)
    assert "required column 'decision' is missing" in str(info.value)


def test_fold_initiatives_counts_per_person_and_scope() -> None:
    initiatives = _list(["P1", "A", "Cấp cơ sở", "1/QĐ"], ["P1", "B", "Cấp tỉnh", "2/QĐ"],
                        ["P1", "C", "Cấp cơ sở", "1/QĐ"], ["P2", "D", "Cấp cơ sở", "1/QĐ"],
                        ["P2", "E", "Cấp cơ sở", "1/QĐ"])
    (folded,) = fold_initiatives([_people()], initiatives, "b.xlsx, sheet Sáng kiến")
    records = {r.id: r.values for r in validate(folded, COUNTS).records}
    assert records["P1"] == {"task_rating": "tot", "initiatives_co_so": 2,
                             "initiatives_tinh": 1, "initiatives_toan_quoc": 0}
    assert records["P2"]["initiatives_co_so"] == 2  # agrees with its own cell
    assert records["P3"]["initiatives_co_so"] == 1  # not listed: its own cell stands


def test_fold_initiatives_refuses_disagreeing_counts() -> None:
    initiatives = _list(["P2", "D", "Cấp cơ sở", "1/QĐ"], ["P3", "E", "Cấp tỉnh", "1/QĐ"])
    (folded,) = fold_initiatives([_people()], initiatives, "b.xlsx, sheet Sáng kiến")
    with pytest.raises(InputError) as info:
        validate(folded, COUNTS)
    assert [str(p) for p in info.value.problems] == [
        "f.csv, row 3, column 'Sáng kiến cấp cơ sở': 2 here, but b.xlsx, sheet Sáng kiến lists "
        "1 for this person: make them agree, or leave this cell blank",
        "f.csv, row 4, column 'Sáng kiến cấp cơ sở': 1 here, but b.xlsx, sheet Sáng kiến lists "
        "0 for this person: make them agree, or leave this cell blank",
    ]


def test_fold_initiatives_refuses_unknown_people() -> None:
    initiatives = _list(["P1", "A", "Cấp cơ sở", "1/QĐ"], ["P9", "B", "Cấp tỉnh", "2/QĐ"])
    with pytest.raises(InputError) as info:
        fold_initiatives([_people()], initiatives, "b.xlsx, sheet Sáng kiến")
    assert [str(p) for p in info.value.problems] == [
        "b.xlsx, sheet Sáng kiến, row 3: no person with id 'P9' in the individuals read with "
        "this list"]


def test_initiatives_without_declared_counts_warn(tmp_path: Path) -> None:
    # The mini rule set counts initiatives in one input, not by scope: the list is not used.
    sheets = {"Cá nhân": csv_rows(PEOPLE_CSV), "Đơn vị": csv_rows(UNITS_CSV),
              "Sáng kiến": [INITIATIVE_HEADER, ["P1", "A", "Cấp tỉnh", "1/QĐ"]]}
    path = workbook(tmp_path / "w.xlsx", sheets)
    code, _, err = score(str(path), "--rules", str(MINI_RULES))
    assert code == 0
    assert (f"warning: {path}, sheet Sáng kiến: the rule set declares no input "
            "'initiatives_tinh', so these initiatives are not counted") in err


def test_initiatives_csv_in_a_folder(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    rows = csv_rows(PEOPLE_CSV)
    rows[0][6] = "Sáng kiến cấp cơ sở"  # rename the single count to the 2021 style input
    (d / "individuals.csv").write_text("\n".join(",".join(map(str, r)) for r in rows))
    (d / "units.csv").write_text(UNITS_CSV)
    (d / "sang_kien.csv").write_text("Mã,Phạm vi,Số quyết định\nP9,Cấp cơ sở,1/QĐ\n")
    with pytest.raises(InputError) as info:
        read_inputs([d])
    assert str(info.value) == (f"{d / 'sang_kien.csv'}, row 2: no person with id 'P9' in the "
                               "individuals read with this list")


def test_empty_initiatives_sheet_is_no_initiatives() -> None:
    assert parse_initiatives(INITIATIVE_HEADER, [], "b.xlsx", "Sáng kiến") == []


def test_progress_callback_reports_each_file() -> None:
    calls: list[tuple[str, int, int]] = []
    read_inputs([MINI_DATA], lambda *a: calls.append(a))
    assert calls == [("reading", 1, 2), ("reading", 2, 2)]
