"""The reward budget: every amount counted once, per title, per unit (with its members) and per
cluster, in every output that carries it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from scoring.app import run
from scoring.budget import reward_budget
from scoring.cli import cli


def test_budget_adds_up_on_the_2026_sample() -> None:
    result = run([Path("fixtures/quang-ngai-2026")]).result
    budget = reward_budget(result)
    everyone = sum((r.reward for r in (*result.individuals, *result.units)), Decimal(0))
    assert budget.total == everyone == Decimal(789_350_000)
    assert sum(budget.per_title.values(), Decimal(0)) == budget.total
    assert sum(budget.per_unit.values(), Decimal(0)) == budget.total
    assert sum(budget.per_cluster.values(), Decimal(0)) == budget.total
    unit = result.units[0]
    members = sum((p.reward for p in result.individuals if p.group == unit.id), Decimal(0))
    assert budget.per_unit.get(unit.id, Decimal(0)) == unit.reward + members


def test_budget_in_json_csv_and_table(tmp_path: Path) -> None:
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(cli, ["score", "fixtures/quang-ngai-2026", "-q", "-o",
                               str(out / "r.json")]).exit_code == 0
    data = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert data["rewards"]["total"] == 789_350_000
    assert data["rewards"]["base_salary"] == 2_340_000
    assert sum(r["reward"] for r in data["individuals"] + data["units"]) == 789_350_000
    table = runner.invoke(cli, ["score", "fixtures/quang-ngai-2026", "-q"]).output
    assert "Cộng" in table and "789.350.000" in table
    csv_out = runner.invoke(cli, ["score", "fixtures/quang-ngai-2026", "-q", "--format", "csv",
                                  "-o", "-"]).output
    assert csv_out.splitlines()[0].split(",")[9:12] == ["provisional", "rating", "reward"]
