"""Real office files read as their authors meant (issue #18, input side): .xls workbooks, merged
cells, percentage formats, numbers in either convention where the column settles it, exact
decimals from JSON and workbooks, DOS line ends. The refusals are in the bad-input corpus; these
are the files that must score, and score right."""

from __future__ import annotations

import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scoring import read_results
from scoring.cli import cli
from scoring.inputs.readers import read_part
from scoring.inputs.records import _decimal, is_percent
from scoring.rulesets.schema import InputSpec

ROOT = Path(__file__).resolve().parents[2]
MINI_RULES = "tests/rulesets/mini"
sys.path.insert(0, str(ROOT / "tests/bad_inputs"))
import make  # noqa: E402  (tests/bad_inputs/make.py)

sys.path.pop(0)


def _scored(*args: str) -> dict[str, dict[str, object]]:
    result = CliRunner().invoke(cli, ["score", *args, "--rules", MINI_RULES, "--format", "json",
                                      "-o", "-", "-q"])
    assert result.exit_code == 0, result.output
    doc = read_results(result.stdout)
    return {r["id"]: r for r in doc["individuals"] + doc["units"]}


def _write(tmp_path: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


MINI = _scored("tests/data/mini")


def test_an_xls_workbook_scores_as_its_csv_files(tmp_path: Path) -> None:
    path = _write(tmp_path, {"submission.xls": make.old_workbook(lambda wb: None)})
    got = _scored(str(path / "submission.xls"))
    assert {k: (r["score"], r["inputs"]) for k, r in got.items()} == \
        {k: (r["score"], r["inputs"]) for k, r in MINI.items()}


@pytest.mark.parametrize("merged", [True, False])
def test_a_value_merged_down_applies_to_each_row(tmp_path: Path, merged: bool) -> None:
    """months_worked 5 in P2's row, merged over P3 and P4 (whose own cells are cleared): all
    three worked 5 months; unmerged, the cleared cells are blank and take the default, 12."""
    edits = [('<c r="E4"><v>9</v></c>', ""), ('<c r="E5"><v>10</v></c>', "")]
    if merged:
        edits.append(("</sheetData>", '</sheetData><mergeCells count="1"><mergeCell '
                                      'ref="E3:E5"/></mergeCells>'))
    data = make.edited_workbook(make.mini_sheets(make.set_cell(3, "months_worked", 5)),
                                {make.PEOPLE_SHEET: edits})
    path = _write(tmp_path, {"submission.xlsx": data}) / "submission.xlsx"
    got = _scored(str(path))
    months = [got[p]["inputs"]["months_worked"] for p in ("P2", "P3", "P4")]
    assert months == ([5, 5, 5] if merged else [5, 12, 12])


def test_a_merge_over_blank_rows_makes_no_record(tmp_path: Path) -> None:
    rows = make.mini_sheets()
    people = [*rows[1][1], [None] * 10, [None] * 10]
    data = make.edited_workbook([rows[0], ("Cá nhân", people)], {make.PEOPLE_SHEET: [
        ("</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="C8:C10"/>'
                         "</mergeCells>")]})
    path = _write(tmp_path, {"submission.xlsx": data}) / "submission.xlsx"
    assert len([k for k in _scored(str(path)) if k.startswith("P")]) == 7


def test_a_percentage_format_is_the_percentage_shown(tmp_path: Path) -> None:
    """U2's target 0.95 formatted as 0% shows 95%: a percentage column reads 95."""
    data = make.edited_workbook(make.mini_sheets(edit_units=make.set_cell(3, "target", 0.95)), {
        "xl/worksheets/sheet1.xml": [('<c r="D3"><v>0.95</v></c>',
                                      '<c r="D3" s="3"><v>0.95</v></c>')],
        "xl/styles.xml": list(make.PERCENT_STYLES)})
    path = _write(tmp_path, {"submission.xlsx": data}) / "submission.xlsx"
    assert _scored(str(path))["U2"]["inputs"]["target"] == 95


@pytest.mark.parametrize(("name", "spec", "percent"), [
    ("target", InputSpec(type="number", label="Tỷ lệ hoàn thành chỉ tiêu"), True),
    ("x", InputSpec(type="number", label="Vốn huy động so với kế hoạch (%)"), True),
    ("digital_pct", InputSpec(type="number", label="Hồ sơ trực tuyến"), True),
    ("amount", InputSpec(type="number", label="Số tiền"), False),
    ("months", InputSpec(type="int", label="Số tháng công tác"), False),
    ("note", InputSpec(type="text", label="Tỷ lệ (ghi chú)"), False),
])
def test_a_percentage_column_is_told_by_its_name_or_label(name: str, spec: InputSpec,
                                                          percent: bool) -> None:
    assert is_percent(name, spec) is percent


@pytest.mark.parametrize(("cell", "percent", "whole", "value"), [
    ("9%", True, False, "9"), ("9 %", True, False, "9"), ("1.234.567", False, False, "1234567"),
    ("1,234,567", False, True, "1234567"), ("1.234,5", False, False, "1234.5"),
    ("1,234.5", False, False, "1234.5"), ("0,500", False, False, "0.500"),
    ("8,5", False, False, "8.5"), ("1234,567", False, False, "1234.567"),
    ("1.490", False, True, "1490"),  # 1.49 is not a whole number: only one reading is left
    ("1 000", False, True, "1000"), (0.30000000000000004, False, False, "0.3"),
    (Decimal("0.10"), False, False, "0.10"), (12.0, False, True, "12"),
])
def test_numbers_one_convention_reads(cell: object, percent: bool, whole: bool,
                                      value: str) -> None:
    got = _decimal(cell, percent, whole)
    assert (got, str(got)) == (Decimal(value), value)


def test_json_numbers_are_exact_decimals(tmp_path: Path) -> None:
    doc = (b'{"units": [{"id": "U1", "name": "A", "cluster": "K", "target": 99.99999999999}],'
           b' "individuals": [{"id": "P1", "name": "B", "unit_id": "U1", "task_rating": "tot",'
           b' "amount": 0.1}]}')
    path = _write(tmp_path, {"s.json": doc}) / "s.json"
    got = _scored(str(path))
    assert got["U1"]["inputs"]["target"] == 99.99999999999
    # Below 100 by 1e-11: the band of 90 (80 points), exactly, plus 5 for all LĐTT.
    assert got["U1"]["score"] == 85


def test_ctrl_z_and_cr_line_ends_are_read(tmp_path: Path) -> None:
    people = (ROOT / "tests/data/mini/individuals.csv").read_bytes()
    units = (ROOT / "tests/data/mini/units.csv").read_bytes()
    path = _write(tmp_path, {"individuals.csv": people.replace(b"\n", b"\r") + b"\x1a",
                             "units.csv": units + b"\x1a"})
    got = _scored(str(path))
    assert {k: r["score"] for k, r in got.items()} == {k: r["score"] for k, r in MINI.items()}


def test_a_named_pipe_is_refused_without_being_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "individuals.csv"
    os.mkfifo(pipe)
    got = read_part([pipe])  # would wait for a writer forever if it were opened
    assert [(p.where, p.message) for p in got.problems] == [
        (str(pipe), "not a regular file (a named pipe): give a file saved on disk")]


def test_reading_stops_before_a_file_that_cannot_fit(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import scoring.inputs.sizes as sizes

    monkeypatch.setattr(sizes, "available_memory", lambda: 5_000)
    path = _write(tmp_path, {"individuals.csv": (ROOT / "tests/data/mini/individuals.csv")
                             .read_bytes()})
    got = read_part([path / "individuals.csv"])
    assert len(got.problems) == 1
    assert "the file is 423 bytes; reading it needs about 0.0 GB" in got.problems[0].message
    assert "--stream" in got.problems[0].message


@pytest.mark.parametrize(("cell", "spec", "value"), [
    ("95.125", InputSpec(type="number", label="Tỷ lệ", min=0, max=200), "95.125"),
    ("12,000", InputSpec(type="number", label="Tỷ lệ", min=0, max=200), "12.000"),
    ("2.500", InputSpec(type="int", label="Số tiền", min=1000), "2500"),
])
def test_the_declared_range_settles_which_convention(cell: str, spec: InputSpec,
                                                     value: str) -> None:
    from scoring.inputs.records import parser_for

    assert parser_for(spec, "x")(cell) == Decimal(value)


def test_a_number_both_readings_fit_is_refused_with_both() -> None:
    from scoring.inputs.records import parser_for

    with pytest.raises(ValueError, match=r"ambiguous number: 95\.125 if '\.' is a decimal "
                                         r"point, 95125 if it separates thousands"):
        parser_for(InputSpec(type="number", label="Số tiền", min=0), "amount")("95.125")


def test_an_xls_workbook_under_an_xlsx_name_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, {"submission.xlsx": make.old_workbook(lambda wb: None)})
    got = _scored(str(path / "submission.xlsx"))
    assert {k: r["score"] for k, r in got.items()} == {k: r["score"] for k, r in MINI.items()}


def test_a_hidden_column_with_only_a_header_is_no_data(tmp_path: Path) -> None:
    rows = make.mini_sheets()
    people = [[*row, "Ghi chú" if k == 0 else None] for k, row in enumerate(rows[1][1])]
    data = make.edited_workbook([rows[0], ("Cá nhân", people)], {make.PEOPLE_SHEET: [
        ("<sheetData>", '<cols><col min="11" max="11" hidden="1"/></cols><sheetData>')]})
    path = _write(tmp_path, {"submission.xlsx": data}) / "submission.xlsx"
    assert len([k for k in _scored(str(path)) if k.startswith("P")]) == 7


def test_an_xls_percentage_format_is_the_percentage_shown(tmp_path: Path) -> None:
    import xlwt

    def percent_target(wb: Any) -> None:  # U2's target 0.95 shown as 95%
        wb.get_sheet(0).write(2, 3, 0.95, xlwt.easyxf(num_format_str="0%"))

    path = _write(tmp_path, {"s.xls": make.old_workbook(percent_target)}) / "s.xls"
    assert _scored(str(path))["U2"]["inputs"]["target"] == 95


def test_an_xls_whose_records_cannot_be_read_refuses_a_fraction_in_a_percent_column() -> None:
    """Without the BIFF records, a number's format is unknown: 0.95 may be 95%."""
    from scoring.inputs.records import FormatUnknown, parser_for

    spec = InputSpec(type="number", label="Tỷ lệ", min=0, max=200)
    with pytest.raises(ValueError, match="is it shown as 95%"):
        parser_for(spec, "target")(FormatUnknown(0.95))
    assert parser_for(spec, "target")(FormatUnknown(95.0)) == 95


@pytest.mark.parametrize("damage", [
    lambda b: b[:600], lambda b: b[:len(b) // 2],
    lambda b: b[:0x2C] + b"\xff\xff\xff\x7f" + b[0x30:],  # a forged count of FAT sectors
    lambda b: b[:0x44] + b"\x00\x00\x00\x00\xff\xff\xff\x7f" + b[0x4C:],  # a DIFAT cycle
    lambda b: b[:512] + bytes(len(b) - 512),
], ids=["header", "half", "fat-count", "difat-cycle", "zeroed"])
def test_damaged_biff_records_give_no_exception_and_no_endless_loop(damage: Any) -> None:
    from scoring.inputs.biff import SheetLayout, xls_layout

    data = make.old_workbook(lambda wb: None)
    assert xls_layout(data) is not None
    got = xls_layout(damage(data))  # returns, without an exception or a endless loop
    assert got is None or all(isinstance(v, SheetLayout) for v in got.values())
