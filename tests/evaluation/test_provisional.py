"""`--allow-incomplete` marks the records still missing judged points as provisional in every
output a council reads: the terminal, the XLSX workbook and the HTML (of `score` and `report`);
a complete result carries no mark at all."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scoring.cli import cli

DATA = Path("tests/data/rounds")
RULES = "tests/rulesets/rounds"
LABELS = {"movement": "Chất lượng phong trào thi đua", "reports": "Chế độ thông tin, báo cáo"}


def submissions(tmp_path: Path, dropped: dict[str, list[str]]) -> Path:
    """The rounds sample with the judged rows of `dropped` (unit → criteria) taken out."""
    folder = tmp_path / "nop"
    folder.mkdir()
    for name in ("units.csv", "individuals.csv"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    lines = (DATA / "rounds.csv").read_text(encoding="utf-8").splitlines()
    kept = [x for x in lines[1:] if x.split(",")[1] not in dropped.get(x.split(",")[0], [])]
    (folder / "rounds.csv").write_text("\n".join([lines[0], *kept]) + "\n", encoding="utf-8")
    return folder


def html_marks(text: str) -> dict[str, str]:
    """Record id → the missing items its provisional mark names, from candidate rows."""
    marks = {}
    for row in re.findall(r"<tr[^>]*data-id=\"([^\"]+)\"[^>]*>(.*?)</tr>", text, re.S):
        m = re.search(r'class="provisional-mark" title="[^:]*: ([^"]*)"', row[1])
        if m:
            marks[row[0]] = m.group(1)
    return marks


@pytest.mark.parametrize("dropped", [
    {},
    {"U2": ["movement"]},
    {"U1": ["movement", "reports"], "U4": ["reports"]},
])
@pytest.mark.parametrize("output", ["xlsx", "html", "report"])
def test_provisional_records_are_marked_in_every_output(tmp_path: Path, output: str,
                                                         dropped: dict[str, list[str]]) -> None:
    folder = submissions(tmp_path, dropped)
    target = tmp_path / "out" / f"ket-qua.{'html' if output == 'report' else output}"
    command = "report" if output == "report" else "score"
    result = CliRunner().invoke(cli, [command, str(folder), "--rules", RULES, "-o", str(target),
                                      "--allow-incomplete"])
    assert result.exit_code == 0, result.output
    expected = {rid: ", ".join(LABELS[c] for c in LABELS if c in items)
                for rid, items in dropped.items()}
    if output == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(target.read_bytes()))
        summary = [c.value for c in wb.worksheets[0]["A"]]
        banner = [v for v in summary if isinstance(v, str) and v.startswith("KẾT QUẢ TẠM THỜI")]
        details = list(wb["Điểm chi tiết"].iter_rows(values_only=True))
        if not dropped:
            assert banner == [] and details[0][-1] != "Tạm thời: còn thiếu điểm chấm"
            return
        assert banner == [f"KẾT QUẢ TẠM THỜI: {len(dropped)} hồ sơ còn thiếu điểm chấm ở tiêu chí "
                          f"chấm theo đánh giá ({', '.join(sorted(dropped))})"]
        assert details[0][-1] == "Tạm thời: còn thiếu điểm chấm"
        assert {r[1]: r[-1] for r in details[1:] if r[-1]} == expected
    else:
        text = target.read_text(encoding="utf-8")
        banners = re.findall(r'class="provisional" role="alert">([^<]*)<', text)
        assert banners == ([f"Kết quả tạm thời: {len(dropped)} hồ sơ còn thiếu điểm chấm ở tiêu "
                            "chí chấm theo đánh giá; các hồ sơ này được đánh dấu “tạm thời” "
                            "trong báo cáo"] if dropped else [])
        assert html_marks(text) == expected


def test_report_without_allow_incomplete_still_stops(tmp_path: Path) -> None:
    folder = submissions(tmp_path, {"U2": ["movement"]})
    result = CliRunner().invoke(cli, ["report", str(folder), "--rules", RULES, "-o",
                                      str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert not (tmp_path / "r.html").exists()
