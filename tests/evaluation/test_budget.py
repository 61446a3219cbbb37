"""The reward budget: every amount counted once, per title, per unit (with its members) and per
cluster, in every output that carries it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from scoring import read_results
from scoring.cli import cli
from scoring.evaluation.budget import reward_budget
from scoring.evaluation.result import Result
from scoring.run.app import run


def held(result: Result) -> Decimal:
    """Every reward of every title held, paid or not."""
    return sum((a for r in (*result.individuals, *result.units)
                for a in (*(a for _t, a in r.rewards), *(u.amount for u in r.not_paid))),
               Decimal(0))


def test_budget_adds_up_on_the_2026_sample() -> None:
    result = run([Path("fixtures/quang-ngai-2026")]).result
    budget = reward_budget(result)
    everyone = sum((r.reward for r in (*result.individuals, *result.units)), Decimal(0))
    assert budget.total == everyone
    assert budget.total + sum(budget.not_paid.values(), Decimal(0)) == held(result)
    assert set(budget.not_paid) == {"LDTT", "GIAY_KHEN", "TTLDTT", "TTLDXS", "GIAY_KHEN_TT"}
    assert sum(budget.per_title.values(), Decimal(0)) == budget.total
    assert sum(budget.per_unit.values(), Decimal(0)) == budget.total
    assert sum(budget.per_cluster.values(), Decimal(0)) == budget.total
    unit = result.units[0]
    members = sum((p.reward for p in result.individuals if p.parent == unit.id), Decimal(0))
    assert budget.per_unit.get(unit.id, Decimal(0)) == unit.reward + members


def test_budget_in_json_csv_and_table(tmp_path: Path) -> None:
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(cli, ["score", "fixtures/quang-ngai-2026", "-q", "-o",
                               str(out / "r.json")]).exit_code == 0
    data = read_results((out / "r.json").read_text(encoding="utf-8"))
    total = reward_budget(run([Path("fixtures/quang-ngai-2026")]).result).total
    assert data["rewards"]["total"] == total
    assert data["rewards"]["base_salary"] == 2_340_000
    assert data["rewards"]["decision_date"] == "2027-01-31"
    assert sum(r["reward"] for r in data["individuals"] + data["units"]) == total
    assert sum(u["amount"] for r in data["individuals"] + data["units"]
               for u in r["rewards_not_paid"]) == data["rewards"]["not_paid_total"] > 0
    table = runner.invoke(cli, ["score", "fixtures/quang-ngai-2026", "-q"]).output
    assert "Cộng" in table and f"{int(total):,} VND" in table  # English: the tests' language
    assert "Không chi do cùng thành tích" in table
    csv_out = runner.invoke(cli, ["score", "fixtures/quang-ngai-2026", "-q", "--format", "csv",
                                  "-o", "-"]).output
    assert csv_out.splitlines()[0].split(",")[9:12] == [
        "Tạm thời: còn thiếu điểm chấm", "Xếp loại", "Tiền thưởng được chi"]
    raw = runner.invoke(cli, ["score", "fixtures/quang-ngai-2026", "-q", "--format", "csv",
                              "--raw", "-o", "-"]).output
    assert raw.splitlines()[0].split(",")[9:12] == ["provisional", "rating", "reward"]


def test_what_is_not_paid_shows_in_the_report_and_the_workbook() -> None:
    """The HTML report's reward table has the "not paid" column and the rule's sentence; the
    workbook's details give each record's paid amount and what is not paid, with the title
    paid instead."""
    import io

    import openpyxl

    from scoring.outputs.report.html import render_html
    from scoring.outputs.xlsxout import render_xlsx

    result = run([Path("fixtures/quang-ngai-2026")]).result
    budget = reward_budget(result)
    kept_back = sum(budget.not_paid.values(), Decimal(0))
    page = render_html(result, {})
    html = page.decode("utf-8") if isinstance(page, bytes) else str(page)
    assert "Không chi (cùng thành tích)" in html
    assert f"tổng không chi: {int(kept_back):,} đ".replace(",", ".") in html
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(result, {})))
    rows = list(book["Điểm chi tiết"].iter_rows(values_only=True))
    head = list(rows[0])
    paid, unpaid = head.index("Tiền thưởng được chi"), head.index(
        "Không chi: cùng thành tích")
    holder = next(r for r in result.individuals if "CSTDCS" in r.titles and r.not_paid)
    row = next(x for x in rows[1:] if x[1] == holder.id)
    assert row[paid] == holder.reward == Decimal(2_340_000)
    assert row[unpaid].startswith("Lao động tiên tiến 710.000 đ (đã chi Chiến sĩ thi đua cơ sở)")
