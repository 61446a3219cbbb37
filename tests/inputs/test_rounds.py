"""Judged criteria and review rounds, on a hand-worked cluster of four units.

By hand (tests/data/rounds, tests/rulesets/rounds):
- U1: targets 40 (100%); movement 10 → 8 → 8.5 (council); reports 10 → 9: 57.5
- U2: targets computed 30 (95%), set to 35 by the council with a reason; movement 9.5;
  reports 10: 54.5
- U3: targets 40; movement 10 → 9; reports 10 → 9; the board deducts 8: 50
- U4: targets 30 (92%); movement 10; reports 10: 50
U3 and U4 tie at 50; the stated tie-break (-score, -targets, name) puts U3 (40) before U4 (30).
The flag (one per cluster) goes to U1.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring import read_results
from scoring.cli import cli
from scoring.outputs.roundsummary import most_changed, self_vs_final
from scoring.run.app import run

DATA = Path("tests/data/rounds")
RULES = Path("tests/rulesets/rounds")


def test_final_scores_ranks_and_flag() -> None:
    result = run([DATA], RULES).result
    got = {u.id: (u.score, u.rank, u.titles) for u in result.units}
    assert got == {
        "U1": (Decimal("57.5"), 1, ("FLAG",)),
        "U2": (Decimal("54.5"), 2, ()),
        "U3": (Decimal(50), 3, ()),
        "U4": (Decimal(50), 4, ()),
    }


def test_ledger_keeps_every_round_and_the_computed_value() -> None:
    result = run([DATA], RULES).result
    u1 = next(u for u in result.units if u.id == "U1")
    movement = next(h for h in u1.hits if h.item == "movement")
    assert [(v.round, v.points) for v in movement.rounds] == [
        ("tu_cham", Decimal(10)), ("tham_dinh", Decimal(8)), ("hoi_dong", Decimal("8.5"))]
    assert movement.rounds[1].reason == "thiếu minh chứng sơ kết"
    u2 = next(u for u in result.units if u.id == "U2")
    targets = next(h for h in u2.hits if h.item == "targets")
    assert (targets.computed, targets.points) == (Decimal(30), Decimal(35))
    u3 = next(u for u in result.units if u.id == "U3")
    board = next(h for h in u3.hits if h.item == "board")
    assert board.points == Decimal(-8) and board.section == "deductions"


def test_self_score_versus_final() -> None:
    result = run([DATA], RULES).result
    table = self_vs_final(result, "tu_cham")
    assert [(c.item, c.self_points, c.final) for c in table["U1"]] == [
        ("movement", Decimal(10), Decimal("8.5")), ("reports", Decimal(10), Decimal(9))]
    assert [(c.item, c.difference) for c in table["U3"]] == [
        ("board", Decimal(-8)), ("movement", Decimal(-1)), ("reports", Decimal(-1))]
    assert table["U4"] == []
    assert most_changed(result, "tu_cham")[:2] == [
        ("movement", "Chất lượng phong trào thi đua", 2),
        ("reports", "Chế độ thông tin, báo cáo", 2)]


def test_explain_shows_every_round_with_who_and_why() -> None:
    out = CliRunner().invoke(cli, ["explain", str(DATA), "U1", "--rules", str(RULES)]).output
    assert "round Cụm trưởng thẩm định (tham_dinh): 8 by Cụm trưởng (Sở Công Thương C): " \
           "thiếu minh chứng sơ kết" in out
    assert "8.5 by Hội đồng: bổ sung minh chứng được chấp nhận (final)" in out


def _copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    return data


def _rounds(data: Path, old: str, new: str) -> None:
    path = data / "rounds.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [
        ("U1,movement,tu_cham,10,", "U1,movement,tu_cham,11,", "row 2, column 'points'",
         "outside 0..10"),
        ("U1,movement,tu_cham,10,", "U1,movement,tu_cham,9.7,", "row 2, column 'points'",
         "not a multiple of the step 0.5"),
        ("U1,movement,tu_cham,10,", "U1,movment,tu_cham,10,", "row 2, column 'criterion'",
         "did you mean 'movement'"),
        ("U1,movement,tu_cham,10,", "U1,movement,tucham,10,", "row 2, column 'round'",
         "did you mean 'tu_cham'"),
        ("U1,movement,tu_cham,10,", "U9,movement,tu_cham,10,", "row 2, column 'id'",
         "no unit or individual has id 'U9'"),
        ("số liệu quý IV được xác nhận sau thời hạn", "", "row 7, column 'reason'",
         "override it only with a reason"),
        ("U1,reports,tu_cham,10,", "U1,movement,tu_cham,9,", "row 5",
         "a second value for U1, 'movement', round 'tu_cham'"),
        ("U1,movement,tu_cham,10,", "U1,movement,tu_cham,mười,", "row 2, column 'points'",
         "expected a number"),
    ],
)
def test_bad_round_input(tmp_path: Path, old: str, new: str, where: str, fragment: str) -> None:
    data = _copy(tmp_path)
    _rounds(data, old, new)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["score", str(data), "--rules", str(RULES), "-o",
                                      str(out / "results.json")])
    assert result.exit_code == 2, result.output
    line = next(x for x in result.output.splitlines() if fragment in x)
    assert f"rounds.csv, {where}" in line
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_judged_value_blocks_unless_allowed(tmp_path: Path) -> None:
    data = _copy(tmp_path)
    _rounds(data, "U4,reports,tu_cham,10,Sở Công Thương D,\n", "")
    out = tmp_path / "out"
    blocked = CliRunner().invoke(cli, ["score", str(data), "--rules", str(RULES), "-o",
                                       str(out / "results.json")])
    assert blocked.exit_code == 2
    assert "units.csv, row 5: Sở Công Thương D: no value in any round for judged 'reports'" \
        in blocked.output
    assert not out.exists()
    allowed = CliRunner().invoke(cli, ["score", str(data), "--rules", str(RULES), "-o",
                                       str(out / "results.json"), "--allow-incomplete"])
    assert allowed.exit_code == 0, allowed.output
    records = read_results((out / "results.json").read_text(encoding="utf-8"))["units"]
    assert {r["id"]: r["provisional"] for r in records} == {
        "U1": [], "U2": [], "U3": [], "U4": ["reports"]}
    table = CliRunner().invoke(cli, ["score", str(data), "--rules", str(RULES),
                                     "--allow-incomplete"])
    assert "KẾT QUẢ TẠM THỜI" in table.output and "U4" in table.output
