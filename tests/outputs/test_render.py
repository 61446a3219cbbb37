"""Renderers: JSON, CSV, terminal tables and XLSX from a hand-built Result; atomic writes."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from scoring.base.document import read_results
from scoring.base.errors import OutputError
from scoring.base.rounding import safe_number
from scoring.evaluation.result import (
    AggregateValue,
    Hit,
    Prerequisite,
    QuotaDecision,
    RecordResult,
    Result,
    TitleDecision,
)
from scoring.explanations.ledger import json_number, to_json_data
from scoring.inputs.records import Origin
from scoring.outputs.csvout import render_csv
from scoring.outputs.jsonout import render_json, render_json_v1
from scoring.outputs.safe import safe_text
from scoring.outputs.table import render_tables
from scoring.outputs.xlsxout import render_xlsx, sheet_name

D = Decimal
ZERO = D(0)
FORMULA = '=HYPERLINK("x")'
MANIFEST = {"tool": "scoring 0.1.0", "inputs": [{"path": "data/2021.xlsx", "sha256": "ab" * 32}],
            "counts": {"individual": 4, "unit": 2}, "created": None}


def _ldtt(awarded: bool, gated: tuple[str, ...] = ()) -> TitleDecision:
    return TitleDecision("LDTT", "Lao động tiên tiến", awarded,
                         (Prerequisite('task_rating in ("xuat_sac", "tot")', True, ""),),
                         gated)


def _cstdcs(rank: int, cut: bool, scope: str) -> TitleDecision:
    return TitleDecision(
        "CSTDCS", "Chiến sĩ thi đua cơ sở", not cut,
        (Prerequisite("LDTT", True, ""), Prerequisite("initiatives >= 1", True, "")),
        quota=QuotaDecision(scope, rank, 1, 2, cut, "NĐ 91/2017/NĐ-CP Điều 9"),
    )


def _task_hit(points: Decimal) -> Hit:
    return Hit("individual.criteria.task[0]", "criteria", "task", "Hoàn thành nhiệm vụ",
               'task_rating == "xuat_sac"', (("task_rating", "xuat_sac"),), points, points, D(40))


def _individual(id_: str, name: str, unit: str, score: Decimal, rank: int,
                titles: tuple[str, ...], decisions: tuple[TitleDecision, ...],
                *, adjustment: Decimal = ZERO, extra: tuple[tuple[str, str], ...] = (),
                hits: tuple[Hit, ...] = (), gates: tuple[str, ...] = ()) -> RecordResult:
    return RecordResult(
        kind="individual", id=id_, name=name, parent=unit,
        origin=Origin("data/2021.xlsx", rank + 1, "Cá nhân"),
        inputs=(("task_rating", "xuat_sac"), ("maternity_leave", False),
                ("adjustment", adjustment)),
        computed=(("initiatives", D(1)),),
        points=(("task", score),),
        score=score, titles=titles, hits=hits or (_task_hit(score),), decisions=decisions,
        gates=gates, rank=rank, rank_scope=f"unit_id = {unit}", rank_of=2, extra=extra,
    )


def _unit(id_: str, name: str, score: Decimal, rank: int, titles: tuple[str, ...],
          share: Decimal, members: tuple[str, ...]) -> RecordResult:
    return RecordResult(
        kind="unit", id=id_, name=name, parent="Cụm 1",
        origin=Origin("data/2021.xlsx", rank + 1, "Đơn vị"),
        inputs=(("unit_task", score),), computed=(), points=(("unit_task", score),),
        score=score, titles=titles,
        hits=(Hit("unit.criteria.unit_task[0]", "criteria", "unit_task", "Nhiệm vụ đơn vị",
                  "true", (("unit_task", score),), score, score, D(100)),),
        decisions=(TitleDecision("TTLDTT", "Tập thể lao động tiên tiến", bool(titles),
                                 (Prerequisite("score >= 90", bool(titles), ""),)),),
        gates=(), rank=rank, rank_scope="cluster = Cụm 1", rank_of=2,
        aggregates=(AggregateValue("share_ldtt", "Tỷ lệ LĐTT", share, members),),
    )


def make_result() -> Result:
    """Four people in two units of one cluster; unit U02 outranks U01 (rank order ≠ id order)."""
    individuals = (
        _individual("I01", "Nguyễn Văn An", "U01", D(50), 1, ("LDTT", "CSTDCS"),
                    (_ldtt(True), _cstdcs(1, False, "unit = U01")),
                    extra=(("Ghi chú", "-trích ngang"),)),
        _individual("I02", "Trần Thị Bình", "U01", D("12.5"), 2, ("LDTT",),
                    (_ldtt(True), _cstdcs(2, True, "unit = U01"))),
        _individual("I03", FORMULA, "U02", D(45), 1, ("LDTT",), (_ldtt(True),),
                    adjustment=D(-5),
                    hits=(_task_hit(D(40)),
                          Hit("individual.bonus.b[0]", "bonus", "b", "Khen thưởng đột xuất",
                              "commended", (("commended", True),), D(5), D(5), None))),
        _individual("I04", "Lê Đức Đạt", "U02", D(30), 2, (),
                    (_ldtt(False, ("discipline",)),), gates=("discipline",)),
    )
    units = (
        _unit("U01", "Phòng Kế hoạch", D("88.5"), 2, (), D(2) / D(3), ("I01", "I02")),
        _unit("U02", "Đội Quản lý thị trường", D(97), 1, ("TTLDTT",), D(1) / D(2),
              ("I03",)),
    )
    return Result(
        ruleset="quang-ngai-cong-thuong", year=2021, name="Sở Công Thương (mẫu)",
        hash="0123456789abcdef" * 4, individuals=individuals, units=units,
        warnings=("unknown column 'Ghi chú' carried through",),
        titles=(("LDTT", "Lao động tiên tiến", "individual"),
                ("CSTDCS", "Chiến sĩ thi đua cơ sở", "individual"),
                ("TTLDTT", "Tập thể lao động tiên tiến", "unit")),
        labels={"task": "Hoàn thành nhiệm vụ", "unit_task": "Nhiệm vụ đơn vị",
                "task_rating": "Xếp loại"},
    )


@pytest.fixture
def result() -> Result:
    return make_result()


# ------------------------------------------------------------------------------------- safe


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"), ("+84 912", "'+84 912"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Nguyễn Văn An", "Nguyễn Văn An"), ("'=1", "'=1"),
    ("", ""), ("a=b", "a=b"),
])
def test_safe_text(text: str, expected: str) -> None:
    assert safe_text(text) == expected
    assert safe_text(safe_text(text)) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (D("12.50"), 12.5), (D(40), 40), (D("40.0"), 40), (D(2) / D(3), 0.666667),
    (D(-5), -5), (D("0.15"), 0.15), (D(1) / D(8), 0.125),
])
def test_json_number(value: Decimal, expected: float) -> None:
    out = json_number(value)
    assert out == expected
    assert type(out) is type(expected)


def test_safe_number_keeps_short_decimals() -> None:
    assert safe_number(D("89.9")) == D("89.9")
    assert safe_number(D(2) / D(3)) == D("0.666667")


# ------------------------------------------------------------------------------------- JSON


def test_json_is_byte_identical_and_valid(result: Result) -> None:
    first = render_json(result, MANIFEST)
    assert first == render_json(result, MANIFEST)
    assert first.endswith(b"}\n")
    assert "Nguyễn Văn An".encode() in first  # ensure_ascii=False
    data = json.loads(first)
    assert list(data) == ["format", "manifest", "ruleset", "rewards", "warnings", "individuals",
                          "units", "hits", "decisions"]
    assert data["format"] == 2
    assert data["manifest"] == MANIFEST
    assert data["ruleset"] == {"id": "quang-ngai-cong-thuong", "year": 2021,
                               "name": "Sở Công Thương (mẫu)", "hash": "0123456789abcdef" * 4}


def test_json_record_shape(result: Result) -> None:
    data = to_json_data(result, MANIFEST)
    assert [r["id"] for r in data["individuals"]] == ["I01", "I02", "I03", "I04"]
    i01 = data["individuals"][0]
    assert list(i01) == ["id", "name", "kind", "unit", "cluster", "source", "score", "rank",
                         "rank_scope", "rank_of", "ties", "titles", "points", "inputs", "computed",
                         "aggregates", "hits", "decisions", "gates", "extra", "warnings",
                         "provisional", "rating", "rewards", "reward", "rewards_not_paid",
                         "history"]
    assert (i01["unit"], i01["cluster"]) == ("U01", None)
    assert i01["source"] == {"file": "data/2021.xlsx", "sheet": "Cá nhân", "row": 2}
    assert i01["titles"] == ["LDTT", "CSTDCS"]
    assert i01["inputs"] == {"task_rating": "xuat_sac", "maternity_leave": False,
                             "adjustment": 0}
    assert i01["extra"] == {"Ghi chú": "-trích ngang"}  # JSON carries text unchanged
    assert i01["hits"][0] == {
        "rule": "individual.criteria.task[0]", "section": "criteria", "item": "task",
        "label": "Hoàn thành nhiệm vụ", "condition": 'task_rating == "xuat_sac"',
        "reads": {"task_rating": "xuat_sac"}, "points": 50, "raw": 50, "cap": 40, "note": "",
        "computed": None, "rounds": [],
    }
    quota = i01["decisions"][1]
    assert quota["eligible"] is True and quota["awarded"] is True
    assert quota["quota"] == {"scope": "unit = U01", "rank": 1, "places": 1, "basis_count": 2,
                              "cut": False, "rule": "NĐ 91/2017/NĐ-CP Điều 9", "ties": []}
    i04 = data["individuals"][3]
    assert i04["gates"] == ["discipline"]
    assert i04["decisions"][0]["gated_by"] == ["discipline"]
    assert i04["decisions"][0]["eligible"] is False
    u01 = data["units"][0]
    assert (u01["unit"], u01["cluster"]) == (None, "Cụm 1")
    assert u01["aggregates"] == [{"name": "share_ldtt", "label": "Tỷ lệ LĐTT",
                                  "value": 0.666667, "members": ["I01", "I02"]}]


def test_json_decimal_text(result: Result) -> None:
    text = render_json_v1(result, MANIFEST).decode()
    assert '"score": 12.5,' in text
    assert '"score": 50,' in text
    assert '"cap": 40,' in text
    assert '"value": 0.666667,' in text
    assert '"score": 88.5,' in text


# -------------------------------------------------------------------------------------- CSV


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data[len(codecs.BOM_UTF8):].decode(), newline="")))


def test_csv_individuals(result: Result) -> None:
    data = render_csv(result, "individual", raw=True)
    assert data == render_csv(result, "individual", raw=True)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    rows = _csv_rows(data)
    header, body = rows[0], rows[1:]
    assert header == ["kind", "id", "name", "unit", "cluster", "score", "rank", "rank_scope",
                      "titles", "provisional", "rating", "reward", "task", "task_rating",
                      "maternity_leave", "adjustment", "Ghi chú"]
    assert len(body) == 4
    by_id = {row[1]: dict(zip(header, row, strict=True)) for row in body}
    assert by_id["I03"]["name"] == "'" + FORMULA
    assert by_id["I03"]["adjustment"] == "-5"  # a number, never prefixed
    assert by_id["I01"]["Ghi chú"] == "'-trích ngang"  # text, neutralised
    assert by_id["I01"]["titles"] == "LDTT;CSTDCS"
    assert by_id["I02"]["score"] == "12.5"
    assert by_id["I01"]["maternity_leave"] == "false"
    assert by_id["I01"]["cluster"] == ""


def test_csv_all_kinds(result: Result) -> None:
    rows = _csv_rows(render_csv(result, None, raw=True))
    assert [r[0] for r in rows[1:]] == ["individual"] * 4 + ["unit"] * 2
    header = rows[0]
    assert "unit_task" in header
    # the fixture's unit input shares the criterion's id: the later column is qualified
    assert "inputs:unit_task" in header
    u01 = dict(zip(header, rows[5], strict=True))
    assert (u01["id"], u01["cluster"], u01["unit"], u01["task"]) == ("U01", "Cụm 1", "", "")


def test_csv_units(result: Result) -> None:
    rows = _csv_rows(render_csv(result, "unit"))
    assert [r[1] for r in rows[1:]] == ["U01", "U02"]


# ------------------------------------------------------------------------------------ table


def test_tables(result: Result) -> None:
    text = render_tables(result)
    assert text == render_tables(result)
    first = text.splitlines()[0]
    assert "quang-ngai-cong-thuong" in first and "2021" in first and "0123456789ab" in first
    assert "0123456789abc" not in first
    assert "4 cá nhân" in first and "2 đơn vị" in first
    cluster = text.index("Khối/cụm thi đua: Cụm 1")
    assert cluster < text.index("Đội Quản lý thị trường") < text.index("Phòng Kế hoạch")
    ldtt = text.index("Lao động tiên tiến, cá nhân")
    cstdcs = text.index("Chiến sĩ thi đua cơ sở, cá nhân")
    ttldtt = text.index("Tập thể lao động tiên tiến, đơn vị")
    assert cluster < ldtt < cstdcs < ttldtt
    ldtt_section = text[ldtt:cstdcs]
    # by score: An 50, the formula-named 45, Bình 12.5; Đạt was gated
    assert (ldtt_section.index("Nguyễn Văn An") < ldtt_section.index(FORMULA)
            < ldtt_section.index("Trần Thị Bình"))
    assert "Lê Đức Đạt" not in ldtt_section
    assert "Được công nhận: 3" in ldtt_section
    assert "hạn mức" not in ldtt_section
    cstdcs_section = text[cstdcs:ttldtt]
    assert "Được công nhận: 1; không được do vượt hạn mức: 1" in cstdcs_section
    assert "Phòng Kế hoạch (U01)" in cstdcs_section  # the quota's scope, by the unit's name
    assert "unit = " not in text and "(LDTT)" not in text
    assert "Trần Thị Bình" not in cstdcs_section
    assert "Họ và tên" not in text  # individual tables only when asked


def test_tables_with_individuals(result: Result) -> None:
    text = render_tables(result, individual_tables=True)
    u01 = text.index("Phòng Kế hoạch (U01)")
    u02 = text.index("Đội Quản lý thị trường (U02)")
    assert u01 < u02
    section = text[u01:u02]
    assert section.index("Nguyễn Văn An") < section.index("Trần Thị Bình")


def test_tables_neutralise_control_characters(result: Result) -> None:
    r = result.individuals[0]
    evil = RecordResult(**{**r.__dict__, "name": "An\x1b[2J"})
    changed = Result(**{**result.__dict__, "individuals": (evil, *result.individuals[1:])})
    text = render_tables(changed)
    assert "\x1b" not in text and "An\ufffd[2J" in text


# ------------------------------------------------------------------------------------- XLSX


def test_xlsx_byte_identical_and_readable(result: Result) -> None:
    first = render_xlsx(result, MANIFEST)
    assert first == render_xlsx(result, MANIFEST)
    wb = openpyxl.load_workbook(io.BytesIO(first))
    assert wb.sheetnames == ["Tổng hợp", *(label for _, label, _ in result.titles), "Cụm 1",
                             "Điểm chi tiết", "Manifest"]
    details = wb["Điểm chi tiết"]
    assert details.freeze_panes == "A2"
    rows = {row[1].value: row for row in details.iter_rows(min_row=2)}
    name = rows["I03"][2]
    assert name.data_type == "s" and name.value == "'" + FORMULA
    score = rows["I02"][5]
    assert score.data_type == "n" and score.value == 12.5
    assert rows["I01"][6].value == 1 and rows["I01"][6].data_type == "n"
    headers = [c.value for c in next(details.iter_rows(max_row=1))]
    assert headers[-2:] == ["Hoàn thành nhiệm vụ", "Nhiệm vụ đơn vị"]
    cluster = wb["Cụm 1"]
    assert [c.value for c in cluster["B"][2:]] == ["U02", "U01"]
    assert cluster.freeze_panes == "A3"
    summary = {r[0]: r[1:] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r[0]}
    assert summary["Năm"][0] == 2021
    assert summary["Chiến sĩ thi đua cơ sở"][1:3] == (1, 1)
    assert "CSTDCS" not in summary
    manifest = {r[0]: r[1] for r in wb["Manifest"].iter_rows(min_row=2, values_only=True)}
    assert manifest["inputs[0].path"] == "data/2021.xlsx"
    assert manifest["counts.unit"] == 2


@pytest.mark.parametrize(("wanted", "expected"), [
    ("LDTT", "LDTT"), ("a/b:c*d?[e]\\", "a_b_c_d__e__"), ("x" * 40, "x" * 30 + "…"),
    ("'quoted'", "quoted"), ("", "Sheet"), ("History", "History (2)"),
    ("Lao động tiên tiến", "Lao động tiên tiến"),
    ("Cờ thi đua (đề nghị tặng đơn vị dẫn đầu khối thi đua)", "Cờ thi đua"),
    # too long even without the aside: the middle gives way, so the two stay apart
    ("Bằng khen của Chủ tịch UBND tỉnh, Bộ trưởng cho cá nhân (đề nghị)",
     "Bằng khen của Chủ … cho cá nhân"),
    ("Bằng khen của Chủ tịch UBND tỉnh, Bộ trưởng cho tập thể (đề nghị)",
     "Bằng khen của Chủ … cho tập thể"),
    ("Khối đơn vị sự nghiệp và doanh nghiệp", "Khối đơn vị sự … doanh nghiệp"),
    ("Khối: thi đua [số 1]", "Khối_ thi đua _số 1_"),
])
def test_sheet_name(wanted: str, expected: str) -> None:
    assert sheet_name(wanted, set()) == expected
    assert len(expected) <= 31


def test_sheet_names_unique_ignoring_case() -> None:
    used: set[str] = set()
    names = [sheet_name(n, used) for n in ("Cụm 1", "cụm 1", "y" * 35, "y" * 31)]
    assert names == ["Cụm 1", "cụm 1 (2)", "y" * 30 + "…", "y" * 31]


def _page_setup(ws: Any) -> tuple[str, int, tuple[int, int] | None, str | None]:
    """A sheet's print settings as openpyxl reads them back (fitTo* default to 1)."""
    setup = ws.page_setup
    fit = tuple(1 if v is None else int(v) for v in (setup.fitToWidth, setup.fitToHeight))
    return (setup.orientation, int(setup.paperSize),
            fit if ws.sheet_properties.pageSetUpPr.fitToPage else None, ws.print_title_rows)


def _footers(data: bytes) -> list[str]:
    """Every sheet's footer as written in the file, in sheet order (what Excel reads)."""
    import html
    import re
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = sorted((n for n in z.namelist() if n.startswith("xl/worksheets/sheet")),
                        key=lambda n: int(re.sub(r"\D", "", n)))
        found = [re.search(r"<oddFooter>(.*?)</oddFooter>", z.read(n).decode(), re.S)
                 for n in sheets]
    return [html.unescape(m.group(1)) if m else "" for m in found]


def test_xlsx_sheets_print_one_page_wide_with_headings_and_footer(result: Result) -> None:
    data = render_xlsx(result, MANIFEST)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    footer = (f"&L&8{result.name}\n{result.ruleset} {result.year}, mã băm {result.hash}"
              "&R&8Trang &P/&N")
    assert _footers(data) == [footer] * len(wb.sheetnames)
    for ws in wb:
        orientation, paper, fit, repeated = _page_setup(ws)
        assert (paper, fit) == (9, (1, 0)), ws.title  # A4, one page wide, as long as needed
        frozen = ws.freeze_panes
        assert repeated == (None if frozen is None else f"$1:${int(frozen[1:]) - 1}"), ws.title
        pixels = sum(ws.column_dimensions[c].width * 7 + 5 for c in ws.column_dimensions
                     if ws.column_dimensions[c].width)
        assert orientation == ("landscape" if pixels > 6.87 * 96 else "portrait"), ws.title
    assert _page_setup(wb["Điểm chi tiết"])[0] == "landscape"
    assert _page_setup(wb["Manifest"])[0] == "portrait"


@pytest.mark.parametrize(("name", "shown"), [
    ("Sở Công Thương", "Sở Công Thương"),
    ("Bộ & Sở", "Bộ && Sở"),  # Excel reads & as the start of a code: doubled
    ("2026 Sở", " 2026 Sở"),  # set apart from the font size code &8
    ("Bảng chấm điểm " * 30, None),  # over Excel's 255 characters: the name gives way
])
def test_xlsx_footer_within_excel_limit(result: Result, name: str, shown: str | None) -> None:
    changed = Result(**{**result.__dict__, "name": name})
    footer = _footers(render_xlsx(changed, MANIFEST))[0]
    assert len(footer) <= 255
    left, right = footer.removeprefix("&L&8").split("&R&8")
    first, second = left.split("\n")
    assert second == f"{result.ruleset} {result.year}, mã băm {result.hash}"
    assert right == "Trang &P/&N"
    if shown is not None:
        assert first == shown
    else:
        assert first.endswith("…") and name.startswith(first[:-1]) and len(footer) >= 250


# ----------------------------------------------------------------------------------- atomic


def test_atomic_refuses_existing_then_forces(tmp_path: Path) -> None:
    from scoring.outputs.atomic import write_atomic

    target = tmp_path / "kết quả.json"
    write_atomic(target, b"one", force=False)
    with pytest.raises(OutputError) as info:
        write_atomic(target, b"two", force=False)
    assert info.value.exit_code == 2
    assert target.read_bytes() == b"one"
    write_atomic(target, b"two", force=True)
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kết quả.json"]


def test_atomic_new_file_is_not_private(tmp_path: Path) -> None:
    from scoring.outputs.atomic import write_atomic

    target = tmp_path / "out.csv"
    write_atomic(target, b"x", force=False)
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_atomic_cleans_up_when_replace_fails(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from scoring.outputs import atomic

    def fail(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", fail)
    with pytest.raises(OutputError, match="No space left"):
        atomic.write_atomic(tmp_path / "out.xlsx", b"data", force=True)
    assert list(tmp_path.iterdir()) == []


def test_atomic_many_checks_every_target_first(tmp_path: Path) -> None:
    from scoring.outputs.atomic import is_stdout, write_atomic_many

    (tmp_path / "b.csv").write_bytes(b"old")
    files = {tmp_path / "a.json": b"a", tmp_path / "b.csv": b"b"}
    with pytest.raises(OutputError):
        write_atomic_many(files, force=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.csv"]
    write_atomic_many(files, force=True)
    assert (tmp_path / "a.json").read_bytes() == b"a"
    assert (tmp_path / "b.csv").read_bytes() == b"b"
    assert is_stdout("-") and is_stdout(Path("-")) and not is_stdout(tmp_path / "-x")


def test_atomic_creates_a_missing_folder_but_not_through_a_file(tmp_path: Path) -> None:
    from scoring.outputs.atomic import write_atomic

    write_atomic(tmp_path / "new" / "out.json", b"x", force=False)
    assert (tmp_path / "new" / "out.json").read_bytes() == b"x"
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OutputError, match="is not a folder"):
        write_atomic(tmp_path / "file" / "out.json", b"x", force=False)


def test_sealed_folder_is_never_written_again(tmp_path: Path) -> None:
    from scoring.outputs.atomic import write_atomic

    (tmp_path / "manifest.json").write_text('{"sealed": true}', encoding="utf-8")
    with pytest.raises(OutputError, match="sealed"):
        write_atomic(tmp_path / "out.json", b"x", force=True)
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("sample", ["fixtures/quang-ngai-2021", "fixtures/quang-ngai-2026",
                                    "tests/data/rounds"])
def test_fast_json_writer_gives_the_standard_librarys_bytes(sample: str) -> None:
    import json as stdjson

    from scoring.outputs.jsonout import dumps_indented
    from scoring.run.app import run

    rules = Path("tests/rulesets/rounds") if "rounds" in sample else None
    data = to_json_data(run([Path(sample)], rules).result, MANIFEST)
    assert dumps_indented(data) == stdjson.dumps(data, ensure_ascii=False, indent=2,
                                                 allow_nan=False)
    edge = {"a": [], "b": {}, "c": [{}, [[]]], "d": "\"\\\n\t ü Đ", "e": None, "f": True,
            "g": -0.5, "h": 10**20, "i": (1, 2), 3: "int key"}
    assert dumps_indented(edge) == stdjson.dumps(edge, ensure_ascii=False, indent=2)


# ------------------------------------------------------------------ JSON text from pieces


def _edge_result() -> Result:
    """Records that exercise every path of the JSON writer (`jsonout.Rows`): empty
    lists and dicts, awkward decimals and text, shared ledger objects, a repeated input name
    (the JSON object keeps one entry), rounds, ratings with a quota, history and rewards."""
    from scoring.evaluation.result import HistoryValue, RatingDecision
    from scoring.inputs.rounds import RoundValue

    awkward = 'quote " backslash \\ tab \t nul \x00 esc \x1b ls \u2028 ps \u2029 ☃ 🎉 Đạt'
    numbers = (D("1E+30"), D("123456789012345678901234567.5"), D("-0"), D("-0.000001"),
               D("0.1234567890123456789"), D(2) / D(3), D("-12.50"), D("1e-7"), D("0.00"))
    shared_pair = ("value", D("12.50"))
    shared_hit = Hit("r[0]", "bonus", "b", awkward, "x > 1", (shared_pair, ("flag", True),
                                                              ("nothing", None)),
                     D("0.1"), D("-0"), None, note=awkward,
                     rounds=(RoundValue("r1", "Vòng 1", D("2.5"), "Hội đồng", awkward,
                                        Origin("vòng 1.xlsx", 3, None)),),
                     computed=D("1.5"))
    quota = QuotaDecision("unit = U01", 3, 1, 4, True, awkward)
    decision = TitleDecision("LDTT", awkward, False, (), ("gate",), quota)
    empty = RecordResult(
        kind="individual", id="E", name="", parent="", origin=Origin("a.csv", 0, None),
        inputs=(), computed=(), points=(), score=ZERO, titles=(), hits=(), decisions=(),
        gates=(), rank=0, rank_scope="", rank_of=0)
    full = RecordResult(
        kind="individual", id="F\"1", name=awkward, parent="Đơn vị \\ 1",
        origin=Origin("dữ liệu/ca nhan.xlsx", 7, "Cá nhân"),
        inputs=(*((f"n{i}", d) for i, d in enumerate(numbers)), shared_pair,
                (awkward, awkward), ("yes", True), ("no", False), ("gone", None)),
        computed=(("value", D(5)), ("again", D(6)), ("value", D(7))),  # "value" twice
        points=(("task", D("-0.5")), ("big", D("1E+30"))), score=D("-0.000001"),
        titles=("LDTT", awkward), hits=(shared_hit, shared_hit), decisions=(decision,),
        gates=("gate", awkward), rank=1, rank_scope=awkward, rank_of=10**20,
        extra=(("Ghi chú", awkward), ("", "")), warnings=(awkward,), provisional=("p",),
        rating=RatingDecision("task_rating", "tot", None, D("89.90"), "xuat_sac", "b[0]",
                              "", awkward, quota, "tot", ""),
        rewards=(("LDTT", D("1.5")), ("CSTDCS", D(2) / D(3))),
        history=(HistoryValue("years(LDTT)", D(3), (2024, 2025, 2026), "past.y", D(2)),
                 HistoryValue("years(LDTT)", D(0), (), "past.y", D(0))))
    unit = RecordResult(
        kind="unit", id="U01", name="Phòng \u2028 Kế hoạch", parent="Cụm \"1\"",
        origin=Origin("don vi.csv", 2, None), inputs=(shared_pair,), computed=(),
        points=(), score=D("97.000"), titles=(), hits=(shared_hit,), decisions=(decision,),
        gates=(), rank=1, rank_scope="cluster", rank_of=1,
        aggregates=(AggregateValue("share", awkward, D(1) / D(7), ("F\"1", "E")),
                    AggregateValue("none", "", None, ())))
    return Result(ruleset="r", year=2026, name=awkward, hash="00", individuals=(empty, full),
                  units=(unit,), warnings=(awkward,), titles=(("LDTT", "LĐTT", "individual"),
                                                             ("CSTDCS", "CSTĐCS", "individual")),
                  base_salary=D("2340000"), reward_rule=awkward)


def _without(result: Result, **changes: object) -> Result:
    return Result(**{**result.__dict__, **changes})


def _sample_result(sample: str) -> Result:
    """A hand-built result, or a scored sample folder (the ledger sharing is the scorer's)."""
    if sample == "hand-built":
        return make_result()
    if sample.startswith("edge"):
        edge = _edge_result()
        return {"edge": edge, "edge, no units": _without(edge, units=()),
                "edge, no individuals": _without(edge, individuals=()),
                "edge, no records": _without(edge, individuals=(), units=(),
                                             base_salary=None)}[sample]
    from scoring.run.app import run

    rules = Path("tests/rulesets/rounds") if "rounds" in sample else None
    return run([Path(sample)], rules).result


JSON_SAMPLES = ["hand-built", "edge", "edge, no units", "edge, no individuals",
                "edge, no records", "fixtures/quang-ngai-2021", "fixtures/quang-ngai-2026",
                "tests/data/rounds"]


def _exact(text: bytes | str) -> Any:
    """Parsed JSON in which a float is its text: an int written 50.0 is then not 50."""
    return json.loads(text, parse_float=lambda t: ("float", t))


@pytest.mark.parametrize("sample", JSON_SAMPLES)
def test_format_2_reads_back_as_format_1s_data(sample: str) -> None:
    """The cross-check: format 1 (`to_json_data`, as the standard library writes it) is the
    reference for what the output holds, and format 2 read back gives it, numbers as text."""
    result = _sample_result(sample)
    expected = json.dumps(to_json_data(result, MANIFEST), ensure_ascii=False, indent=2)
    assert read_results(_exact(render_json(result, MANIFEST))) == _exact(expected)
    assert render_json_v1(result, MANIFEST) == (expected + "\n").encode("utf-8")


@pytest.mark.parametrize("sample", JSON_SAMPLES)
def test_format_2_tables_read_with_pandas_one_row_a_line(sample: str) -> None:
    import pandas as pd

    text = render_json(_sample_result(sample), MANIFEST).decode("utf-8")
    data = json.loads(text)
    rows = [line.strip().rstrip(",") for line in text.split("\n") if line.startswith("      [")]
    tables = [data[t] for t in ("individuals", "units", "hits", "decisions")]
    assert [json.loads(row) for row in rows] == [row for t in tables for row in t["data"]]
    # Each row is the standard library's text for it, however its parts were put together.
    assert [json.dumps(json.loads(row), ensure_ascii=False, separators=(", ", ": "))
            for row in rows] == rows
    for t in tables:
        frame = pd.DataFrame(t["data"], columns=t["columns"])
        assert frame.shape == (len(t["data"]), len(t["columns"]))


@pytest.mark.parametrize("sample", JSON_SAMPLES)
def test_hits_and_decisions_are_written_once_each(sample: str) -> None:
    result = _sample_result(sample)
    data = json.loads(render_json(result, MANIFEST))
    for table in ("hits", "decisions"):
        v1 = [json.dumps(x) for r in to_json_data(result, MANIFEST)["individuals"]
              + to_json_data(result, MANIFEST)["units"] for x in r[table]]
        assert len(data[table]["data"]) == len(set(v1))  # by content, whatever the objects


def test_the_hand_built_result_in_format_2(result: Result) -> None:
    data = json.loads(render_json(result, MANIFEST))
    people = data["individuals"]
    assert people["columns"][:7] == ["id", "name", "unit", "cluster", "source.file",
                                     "source.sheet", "source.row"]
    assert "points.task" in people["columns"] and "inputs.task_rating" in people["columns"]
    i01 = dict(zip(people["columns"], people["data"][0], strict=True))
    assert (i01["id"], i01["score"], i01["points.task"], i01["hits"]) == ("I01", 50, 50, [0])
    assert data["hits"]["data"][0][:3] == ["individual.criteria.task[0]", "criteria", "task"]
    assert [d[0] for d in data["decisions"]["data"]][:2] == ["LDTT", "CSTDCS"]


def _in_parts(result: Result, size: int, change: Any = None) -> bytes:
    """The document as `--stream` writes it: people in parts of `size`, each part with its
    own numbering and shape, merged; units, hits and decisions written by the parent."""
    from scoring.explanations.ledger import rewards_data
    from scoring.outputs.jsonout import (
        Merge,
        Numbered,
        Rows,
        columns,
        head_pieces,
        ledger_pieces,
        merged_shape,
        row_separator,
        shape_of,
        table_end,
        table_start,
    )

    people = list(result.individuals)
    parts = []
    for start in range(0, len(people), size):
        records = people[start:start + size]
        rows = Rows(Numbered(), Numbered())
        shape = shape_of(records)
        parts.append((shape, [rows.split(r, shape) for r in records], rows))
    shape = merged_shape(p[0] for p in parts)
    hits, decisions = Numbered(), Numbered()
    merge = Merge(hits, decisions, shape)
    for own, _, rows in parts:
        merge.part(list(rows.hits.rows), list(rows.decisions.rows), own)
    pieces = [*head_pieces(result, MANIFEST, result.warnings, rewards_data(result)),
              table_start("individuals", columns(shape))]
    written = [merge.row(k, *split) for k, (_, splits, _) in enumerate(parts)
               for split in splits]
    pieces += [row_separator(n == 0) + text for n, text in enumerate(written)]
    pieces.append(table_end(not written))
    units = shape_of(result.units)
    rows = Rows(hits, decisions)
    pieces.append(table_start("units", columns(units)))
    pieces += [row_separator(n == 0) + rows.text(u, units) for n, u in enumerate(result.units)]
    pieces += [table_end(not result.units), *ledger_pieces(hits, decisions)]
    return "".join(pieces).encode("utf-8")


@pytest.mark.parametrize("sample", JSON_SAMPLES)
@pytest.mark.parametrize("size", [1, 2, 1000])
def test_rows_written_in_parts_merge_to_the_one_batch_bytes(sample: str, size: int) -> None:
    result = _sample_result(sample)
    assert _in_parts(result, size) == render_json(result, MANIFEST)


def test_a_part_of_another_shape_is_written_in_the_documents() -> None:
    """A part whose people have other inputs than the rest: the merged table keeps each
    record's inputs in one column, as the one-batch writer does, parts spread or not."""
    from dataclasses import replace

    result = make_result()
    odd = replace(result.individuals[3], inputs=(("task_rating", "tot"),))
    changed = _without(result, individuals=(*result.individuals[:3], odd))
    data = json.loads(render_json(changed, MANIFEST))
    assert "inputs" in data["individuals"]["columns"]
    assert "points.task" in data["individuals"]["columns"]
    for size in (1, 2, 3):
        assert _in_parts(changed, size) == render_json(changed, MANIFEST)


def test_json_numbers_at_the_edges() -> None:
    text = render_json(_edge_result(), MANIFEST).decode()
    assert '"n0": 1000000000000000000000000000000,' in text  # 1E+30, as an integer
    assert '"n2": 0,' in text  # -0
    assert '"n3": -1e-06,' in text  # Python's float repr, as json.dumps writes it
    assert '"n5": 0.666667,' in text
    assert '"n6": -12.5,' in text
    assert '"value": 7,' in text and '"value": 5' not in text  # the last of a repeated name
    assert "\\u2028" not in text and "\u2028" in text  # ensure_ascii=False keeps it raw

