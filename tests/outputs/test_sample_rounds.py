"""The shipped review-rounds sample (fixtures/vong-cham-2026): each judged item takes the value
of its latest round, every round stays in the ledger, and a missing one stops the run unless
`--allow-incomplete`."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring.cli import cli
from scoring.run.app import run

SAMPLE = Path("fixtures/vong-cham-2026")
RULES = SAMPLE / "rules"
ORDER = ("tu_cham", "tham_dinh", "hoi_dong")


def rounds_csv() -> list[dict[str, str]]:
    with (SAMPLE / "rounds.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_judged_item_takes_its_latest_round() -> None:
    result = run([SAMPLE], RULES).result
    latest: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for row in rounds_csv():
        key, order = (row["id"], row["criterion"]), ORDER.index(row["round"])
        if key not in latest or order > latest[key][0]:
            latest[key] = (order, Decimal(row["points"]))
    units = {u.id: u for u in result.units}
    assert set(units) == {rid for rid, _item in latest}
    for (rid, item), (_order, points) in latest.items():
        hit = next(h for h in units[rid].hits if h.item == item)
        assert abs(hit.points or 0) == points
        assert [v.round for v in hit.rounds] == sorted(
            (r["round"] for r in rounds_csv() if (r["id"], r["criterion"]) == (rid, item)),
            key=ORDER.index)
    assert not any(r.provisional for r in (*result.units, *result.individuals))


def test_the_sample_rule_set_checks_clean() -> None:
    result = CliRunner().invoke(cli, ["check", str(RULES)])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("0 errors, 0 warnings\n")


@pytest.mark.parametrize(("unit", "item"), [("SCT-VP", "phong_trao"), ("SCT-QLCN", "bao_cao")])
def test_a_missing_round_stops_the_run_unless_allowed(tmp_path: Path, unit: str,
                                                      item: str) -> None:
    folder = tmp_path / "nop"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns("rules", "*.md"))
    rows = [r for r in rounds_csv() if (r["id"], r["criterion"]) != (unit, item)]
    with (folder / "rounds.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    stopped = CliRunner().invoke(cli, ["score", str(folder), "--rules", str(RULES)])
    assert stopped.exit_code == 2
    assert (f"no value in any round for judged {item!r} (give it in a round file, or "
            f"--allow-incomplete to score {unit} as provisional)") in stopped.stderr
    allowed = CliRunner().invoke(cli, ["score", str(folder), "--rules", str(RULES),
                                       "--allow-incomplete"])
    assert allowed.exit_code == 0, allowed.output
    assert (f"KẾT QUẢ TẠM THỜI: 1 hồ sơ còn thiếu điểm chấm ở tiêu chí chấm theo đánh giá "
            f"({unit})") in allowed.stdout
