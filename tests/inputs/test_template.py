"""Office work: the fill-in template, the sample workbook, outputs opened in LibreOffice, stdout
outputs and progress bars."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from scoring import read_results
from scoring.base.progress import silent
from scoring.cli import cli
from scoring.cli.progress import progress_bars
from scoring.evaluation.counted import counted
from scoring.evaluation.scorer import score
from scoring.inputs.batch import build_batch
from scoring.inputs.readers import read_inputs
from scoring.inputs.template import Filled, columns, render_template
from scoring.rulesets.extends import load
from scoring.rulesets.schema import InputSpec
from scoring.run.app import compile_folder

ROOT = Path(__file__).resolve().parents[2]
RULES = Path("rules/2021")
SAMPLE = Path("fixtures/quang-ngai-2021")
WORKBOOK = Path("fixtures/quang-ngai-2021-workbook/submissions.xlsx")
MINI_RULES = Path("tests/rulesets/mini")
RULESET = load(RULES)
SOFFICE_PACKAGE = "libreoffice-calc-nogui"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def outcome(*paths: Path, rules: Path = RULES) -> dict[tuple[str, str], tuple[object, ...]]:
    """Score, title, rank, inputs and points of every record, by kind and id."""
    code, out, err = run("score", *map(str, paths), "--rules", str(rules), "--format", "json",
                         "-o", "-")
    assert code == 0, err
    doc = read_results(out)
    assert doc["warnings"] == []
    return {(r["kind"], r["id"]): (r["score"], tuple(r["titles"]), r["rank"], r["inputs"],
                                   r["points"], r["name"])
            for r in doc["individuals"] + doc["units"]}


@pytest.fixture(scope="module")
def csv_outcome() -> dict[tuple[str, str], tuple[object, ...]]:
    return outcome(SAMPLE)


@pytest.fixture(scope="module")
def form() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(render_template(RULESET)))


# ------------------------------------------------------------------------------- template


def test_template_sheets_and_headers(form: openpyxl.Workbook) -> None:
    assert form.sheetnames == ["Đơn vị", "Cá nhân", "Sáng kiến", "Hướng dẫn", "Danh mục"]
    assert form["Danh mục"].sheet_state == "hidden"
    people = [c.value for c in form["Cá nhân"][1]]
    assert people[:4] == ["Mã", "Họ và tên", "Mã đơn vị", "Năm"]
    assert people[4:] == [spec.label for spec in RULESET.individual.inputs.values()]
    units = [c.value for c in form["Đơn vị"][1]]
    assert units[:4] == ["Mã", "Tên đơn vị", "Khối thi đua", "Năm"]
    assert units[4:] == [spec.label for spec in RULESET.unit.inputs.values()]
    for name in ("Đơn vị", "Cá nhân"):
        ws = form[name]
        assert ws.max_row == 1  # no notes row: it would be read as a record
        assert ws.freeze_panes == "C2"
        assert all(ws.column_dimensions[c].width >= 8 for c in "ABCDEF")


def _validation(ws: Any, column: str) -> Any:
    found = [dv for dv in ws.data_validations.dataValidation
             if str(dv.sqref).startswith(f"{column}2:")]
    assert len(found) == 1, column
    return found[0]


def _column(ws: Any, header: str) -> str:
    cell = next(c for c in ws[1] if c.value == header)
    return str(cell.column_letter)


def test_template_dropdowns_use_vietnamese_wording(form: openpyxl.Workbook) -> None:
    ws = form["Cá nhân"]
    spec = RULESET.individual.inputs["task_rating"]
    dv = _validation(ws, _column(ws, spec.label))
    assert dv.type == "list"
    sheet, cells = str(dv.formula1).split("!")
    assert sheet == "'Danh mục'"
    lists = form["Danh mục"]
    values = [c.value for row in lists[cells.replace("$", "")] for c in row]
    assert values == list((spec.values or {}).values())
    assert "Hoàn thành xuất sắc nhiệm vụ" in values
    bool_dv = _validation(ws, _column(ws, RULESET.individual.inputs["maternity_leave"].label))
    assert bool_dv.formula1 == '"có,không"'


def test_template_number_ranges(form: openpyxl.Workbook) -> None:
    ws = form["Cá nhân"]
    months = _validation(ws, _column(ws, "Số tháng công tác trong năm"))
    assert months.operator in (None, "between")
    assert (months.type, months.formula1, months.formula2) == ("whole", "0", "12")
    pct = _validation(ws, _column(ws, RULESET.individual.inputs["digital_pct"].label))
    assert (pct.type, pct.formula1, pct.formula2) == ("decimal", "0", "100")
    count = _validation(ws, _column(ws, RULESET.individual.inputs["initiatives_co_so"].label))
    assert (count.type, count.operator, count.formula1) == (
        "whole", "greaterThanOrEqual", "0")


def test_template_header_comments_explain_each_input(form: openpyxl.Workbook) -> None:
    ws = form["Cá nhân"]
    spec = RULESET.individual.inputs["months_worked"]
    comment = ws[f"{_column(ws, spec.label)}1"].comment.text
    assert spec.note in comment
    assert "Số nguyên: từ 0 đến 12." in comment
    assert "Bắt buộc." in comment
    assert "months_worked" in comment
    rating = ws[f"{_column(ws, RULESET.individual.inputs['covid_role'].label)}1"].comment.text
    assert "• Tham gia tích cực" in rating
    head = ws[f"{_column(ws, RULESET.individual.inputs['is_head'].label)}1"].comment.text
    assert "Để trống = không." in head


def test_template_instructions_list_every_input(form: openpyxl.Workbook) -> None:
    ws = form["Hướng dẫn"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "Cột 'Năm': ghi năm đánh giá ở mọi dòng" in text
    assert "không dùng công thức" in text
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    listed = {(r[0], r[2]) for r in rows if r[2]}
    for kind, sheet in (("individual", "Cá nhân"), ("unit", "Đơn vị")):
        for name in RULESET.kind(kind).inputs:
            assert (sheet, name) in listed
    months = next(r for r in rows if r[2] == "months_worked")
    assert months[3:6] == ["Số nguyên", "từ 0 đến 12", "Bắt buộc"]


def test_template_is_byte_stable_and_per_kind() -> None:
    assert render_template(RULESET) == render_template(RULESET)
    only = openpyxl.load_workbook(io.BytesIO(render_template(RULESET, ["unit"])))
    assert only.sheetnames == ["Đơn vị", "Hướng dẫn", "Danh mục"]
    people = openpyxl.load_workbook(io.BytesIO(render_template(RULESET, ["individual"])))
    assert people.sheetnames == ["Cá nhân", "Sáng kiến", "Hướng dẫn", "Danh mục"]


def test_template_headers_always_read_back_as_their_columns() -> None:
    inputs = {"kind_of_unit": InputSpec(type="text", label="Tên đơn vị"),  # an identity header
              "a": InputSpec(type="int", label="Số lượng"),
              "b": InputSpec(type="int", label="So luong")}  # the same label, folded
    ruleset = RULESET.model_copy(update={"unit": RULESET.unit.model_copy(
        update={"inputs": inputs})})
    headers = {c.field: c.header for c in columns(ruleset, "unit")}
    assert headers == {"id": "Mã", "name": "Đơn vị", "cluster": "Khối thi đua", "year": "Năm",
                       "kind_of_unit": "Tên đơn vị", "a": "a", "b": "So luong"}


def test_template_cli(tmp_path: Path) -> None:
    target = tmp_path / "bieu-mau.xlsx"
    code, _, err = run("template", str(RULES), "-o", str(target))
    assert code == 0, err
    assert target.read_bytes() == render_template(RULESET)
    code, _, err = run("template", str(RULES), "-o", str(target))
    assert code == 2 and "already exists; use --force" in err
    code, _, _ = run("template", str(RULES), "-o", str(target), "--force", "--kind", "unit")
    assert code == 0
    assert openpyxl.load_workbook(target).sheetnames[0] == "Đơn vị"
    code, _, err = run("template", str(RULES), "-o", "-")
    assert code == 2 and "give a file name ending in .xlsx" in err
    code, _, err = run("template", str(tmp_path / "nope"), "-o", str(tmp_path / "x.xlsx"))
    assert code == 2 and "error:" in err


def test_an_empty_template_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    target = tmp_path / "empty.xlsx"
    target.write_bytes(render_template(RULESET))
    code, _, err = run("score", str(target), "--rules", str(RULES))
    assert code == 2
    assert "sheet Cá nhân: the header has no rows under it" in err


def _fill(form_bytes: bytes, target: Path) -> None:
    """Fill the template the way a unit would: Vietnamese wording, có/không, typed numbers."""
    wb = openpyxl.load_workbook(io.BytesIO(form_bytes))
    for kind, sheet, file, group in (("unit", "Đơn vị", "units.csv", "cluster"),
                                     ("individual", "Cá nhân", "individuals.csv", "unit_id")):
        cols = columns(RULESET, kind)
        ws = wb[sheet]
        assert [c.value for c in ws[1]] == [c.header for c in cols]
        with (SAMPLE / file).open(encoding="utf-8") as f:
            for r, row in enumerate(csv.DictReader(f), start=2):
                for c, column in enumerate(cols, start=1):
                    raw = row[column.field]
                    ws.cell(row=r, column=c, value=_typed(raw, column.spec))
        assert group in {c.field for c in cols}
    wb.save(target)


def _typed(raw: str, spec: InputSpec | None) -> object:
    if raw == "":
        return None
    if spec is None:
        return int(raw) if raw.isdigit() and len(raw) == 4 else raw  # the year is a number
    if spec.type == "enum":
        return (spec.values or {})[raw]
    if spec.type == "bool":
        return {"true": "có", "false": "không"}[raw]
    if spec.type in ("int", "number"):
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    return raw


def test_round_trip_template_filled_scores_like_the_csv(
        tmp_path: Path, csv_outcome: dict[tuple[str, str], tuple[object, ...]]) -> None:
    filled = tmp_path / "filled.xlsx"
    _fill(render_template(RULESET), filled)
    assert outcome(filled) == csv_outcome


# ------------------------------------------------------------------------------- sample


def test_sample_workbook_scores_like_the_csv(
        csv_outcome: dict[tuple[str, str], tuple[object, ...]]) -> None:
    assert outcome(WORKBOOK) == csv_outcome


def test_sample_workbook_has_vietnamese_headers_wording_and_initiatives() -> None:
    wb = openpyxl.load_workbook(WORKBOOK)
    people = wb["Cá nhân"]
    header = [c.value for c in people[1]]
    assert "Xếp loại mức độ hoàn thành nhiệm vụ năm 2021" in header
    assert "task_rating" not in header
    rating = [r[header.index("Xếp loại mức độ hoàn thành nhiệm vụ năm 2021")]
              for r in people.iter_rows(min_row=2, values_only=True)]
    assert set(rating) <= set(RULESET.individual.inputs["task_rating"].values.values())
    initiatives = list(wb["Sáng kiến"].iter_rows(min_row=2, values_only=True))
    assert initiatives and {r[3] for r in initiatives} <= {"Cấp cơ sở", "Cấp tỉnh", "Toàn quốc"}
    assert all(r[4] for r in initiatives)


def test_make_workbook_reproduces_the_committed_sample() -> None:
    sys.path.insert(0, str(ROOT / "fixtures"))
    try:
        import make_workbook
    finally:
        sys.path.pop(0)
    assert make_workbook.build(SAMPLE) == WORKBOOK.read_bytes(), (
        f"{WORKBOOK} is stale: run python fixtures/make_workbook.py")


def test_sample_initiative_for_an_unknown_person_is_refused(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(WORKBOOK)
    ws = wb["Sáng kiến"]
    ws.append(["CN9999", "Không có", "Sáng kiến lạ", "Cấp tỉnh", "1/QĐ"])
    row = ws.max_row
    target = tmp_path / "bad.xlsx"
    wb.save(target)
    code, _, err = run("score", str(target), "--rules", str(RULES))
    assert code == 2
    assert f"{target}, sheet Sáng kiến, row {row}: no person with id 'CN9999'" in err


# ------------------------------------------------------------------------------- LibreOffice


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"soffice is missing; CI must install the Debian package "
                        f"{SOFFICE_PACKAGE} (listed in .ci/debian-packages)")
        pytest.skip(f"soffice not installed (Debian package {SOFFICE_PACKAGE}); CI fails here")
    return found


def _convert(soffice: str, tmp_path: Path, source: Path,
             to: str) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "converted"
    return subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", to, "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=180, check=False)


def test_soffice_absent_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=SOFFICE_PACKAGE):
        _soffice()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=SOFFICE_PACKAGE):
        _soffice()
    packages = (ROOT / ".ci/debian-packages").read_text().split()
    assert SOFFICE_PACKAGE in packages


# Every sheet to its own CSV file (LibreOffice 7.2+): separator, quote, UTF-8, …, sheet -1.
ALL_SHEETS_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def test_xlsx_output_opens_in_libreoffice_and_formulas_stay_text(tmp_path: Path) -> None:
    soffice = _soffice()
    data = tmp_path / "in"
    shutil.copytree("tests/data/mini", data)
    people = data / "individuals.csv"
    people.write_text(people.read_text(encoding="utf-8").replace("Nguyễn Văn An", "=1+1"),
                      encoding="utf-8")
    out = tmp_path / "ket-qua.xlsx"
    code, _, err = run("score", str(data), "--rules", str(MINI_RULES), "-o", str(out))
    assert code == 0, err
    done = _convert(soffice, tmp_path, out, ALL_SHEETS_CSV)
    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stdout + done.stderr
    details = tmp_path / "converted" / "ket-qua-Điểm chi tiết.csv"
    rows = list(csv.reader(details.open(encoding="utf-8")))
    p1 = next(r for r in rows if r[1] == "P1")
    assert p1[2] == "'=1+1"  # text as written (with its guard), not the computed 2
    assert len(list((tmp_path / "converted").glob("ket-qua-*.csv"))) >= 5


def test_sample_workbook_resaved_by_libreoffice_still_scores(
        tmp_path: Path, csv_outcome: dict[tuple[str, str], tuple[object, ...]]) -> None:
    soffice = _soffice()
    done = _convert(soffice, tmp_path, ROOT / WORKBOOK, "xlsx")
    assert done.returncode == 0, done.stderr
    assert outcome(tmp_path / "converted" / "submissions.xlsx") == csv_outcome


# ------------------------------------------------------------------------------- stdout


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_output_dash_writes_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      fmt: str) -> None:
    monkeypatch.chdir(tmp_path)  # nothing may be written, not even a manifest
    code, out, err = run("score", str(ROOT / "tests/data/mini"), "--rules",
                         str(ROOT / MINI_RULES), "--format", fmt, "-o", "-")
    assert code == 0, err
    if fmt == "json":
        assert {r["id"] for r in read_results(out)["individuals"]} == {f"P{i}" for i in range(1, 8)}
    else:
        rows = list(csv.reader(io.StringIO(out)))
        assert len(rows) >= 11 and any("Nguyễn Văn An" in r for r in rows)
    assert list(tmp_path.iterdir()) == []


def test_xlsx_to_stdout_is_refused() -> None:
    code, _, err = run("score", "tests/data/mini", "--rules", str(MINI_RULES), "--format", "xlsx",
                       "-o", "-")
    assert code == 2 and "xlsx output needs a file" in err


# ------------------------------------------------------------------------------- progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_off_a_terminal_or_when_quiet() -> None:
    with progress_bars(stream=io.StringIO()) as report:
        assert report is silent
    with progress_bars(quiet=True, stream=_Terminal()) as report:
        assert report is silent


def test_progress_bar_only_after_a_second() -> None:
    now = [0.0]
    stream = _Terminal()
    with progress_bars(stream=stream, clock=lambda: now[0]) as report:
        report("reading", 1, 4)
        report("reading", 2, 4)
        assert stream.getvalue() == ""  # a fast stage draws nothing
        now[0] = 1.5
        report("reading", 3, 4)
        report("reading", 4, 4)
        report("evaluating", 10, 10)  # finished before its second: nothing
    text = stream.getvalue()
    assert "reading" in text and "100%" in text
    assert "evaluating" not in text


def test_counted_evaluator_reports_every_rule_group() -> None:
    compiled = compile_folder(MINI_RULES)
    batch = build_batch(read_inputs([Path("tests/data/mini")]).tables, compiled)
    calls: list[tuple[str, int, int]] = []
    total = len(compiled.groups())
    plain = score(batch.individuals, batch.units, compiled)
    reported = score(batch.individuals, batch.units, compiled,
                     counted(None, total, lambda *a: calls.append(a)))
    assert reported == plain
    assert [c[1] for c in calls] == list(range(1, total + 1))
    assert {c[0] for c in calls} == {"evaluating"} and calls[-1][2] == total


def test_filled_rows_are_written_typed() -> None:
    filled = Filled(units=[{"id": "U1", "name": "=1+1", "cluster": "K", "year": 2021,
                            "task_rating": "tot"}])
    wb = openpyxl.load_workbook(io.BytesIO(render_template(RULESET, ["unit"], filled)))
    row = [c for c in wb["Đơn vị"][2]]
    assert (row[1].value, row[1].data_type) == ("=1+1", "s")  # text, never a formula
    assert row[3].value == 2021
    assert row[4].value == "Hoàn thành tốt nhiệm vụ"
    with pytest.raises(ValueError, match="no column"):
        render_template(RULESET, ["unit"], Filled(units=[{"id": "U1", "nope": 1}]))
