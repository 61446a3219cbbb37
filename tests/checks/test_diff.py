"""`scoring diff`: rule changes between two rule sets by id, and their hand-computed effect on
the mini data (tests/data/mini)."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring.checks.diff import flatten, rule_changes
from scoring.cli import cli
from scoring.rulesets.extends import load

MINI = "tests/rulesets/mini"
DATA = "tests/data/mini"


def _diff(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["diff", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _copy(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    folder = tmp_path / "mini"
    shutil.copytree(MINI, folder)
    path = folder / "rules.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return folder


def test_lower_quota_share_costs_one_person_best(tmp_path: Path) -> None:
    """U1 has 3 LĐTT (P1, P2, P4): 0.5 × 3 = 1.5 → 1 BEST place, held by P1 (60.3 points:
    task 40 + init 10 + money 0.9/3 + head 10). At 0.25 × 3 = 0.75 → 0 places, P1 loses it.
    U2 has one LĐTT (P6): no place either way. Scores do not change."""
    after = _copy(tmp_path, ("  share: 0.5\n", "  share: 0.25\n"))
    code, out = _diff(MINI, after, DATA)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == f"rules: {MINI} → {after}"
    assert lines[1:3] == ["changed param share", "  value: 0.5 → 0.25"]
    assert "effect on tests/data/mini (0 scores changed):" in lines
    rows = [line.split() for line in lines if line.strip().startswith("individual  P")]
    assert rows == [["individual", "P1", "Nguyễn", "Văn", "An", "U1", "BEST", "yes", "→", "no"]]
    assert "  none" in lines  # no rank moves


def test_changed_bands_move_ranks_and_titles(tmp_path: Path) -> None:
    """Task points xuất sắc 40 → 0 and tốt 30 → 40, with U1 ranked by -score, name:
    before P1 60.3, P2 50, P4 50, P3 30 (P2 before P4 by name: Bình < Dung);
    after P2 60, P3 40, P1 20.3, P4 10. Moves of 2 places: P1 1 → 3, P3 4 → 2.
    BEST (1 place in U1) goes from P1 to P2, the best-scored candidate after."""
    after = _copy(tmp_path, ('"xuat_sac", points: 40}', '"xuat_sac", points: 0}'),
                  ('"tot", points: 30}', '"tot", points: 40}'))
    code, out = _diff("--format", "json", "--threshold", "2", MINI, after, DATA)
    assert code == 0, out
    data = json.loads(out)
    assert data["changed"] is True
    (change,) = data["rules"]
    assert (change["section"], change["id"], change["status"]) == (
        "individual criterion", "task", "changed")
    assert change["fields"] == [{"path": "bands[0].points", "before": "40", "after": "0"},
                                {"path": "bands[1].points", "before": "30", "after": "40"}]
    effect = data["effect"]
    assert [(t["id"], t["title"], t["before"], t["after"]) for t in effect["titles"]] == [
        ("P1", "BEST", True, False), ("P2", "BEST", False, True)]
    assert [(r["id"], r["rank_before"], r["rank_after"], r["score_before"], r["score_after"])
            for r in effect["ranks"]] == [("P1", 1, 3, 60.3, 20.3), ("P3", 4, 2, 30, 40)]
    individuals = {s["rules"]: s for s in effect["scores"] if s["kind"] == "individual"}
    assert (individuals["before"]["count"], individuals["before"]["max"]) == (7, 60.3)
    assert individuals["after"]["median"] == 40


def test_added_and_removed_items_are_listed(tmp_path: Path) -> None:
    after = _copy(tmp_path,
                  ("  deductions:\n", "  bonus:\n    - {id: extra, label: Thêm, when: is_head, "
                                      "points: 2}\n  deductions:\n"),
                  ("  - id: FLAG\n    label: Cờ\n    of: unit\n    requires: [GOOD_UNIT]\n"
                   "    quota: {count: 1, per: cluster}\n", ""))
    code, out = _diff(MINI, after)
    assert code == 0
    assert f"added individual bonus extra ({after}/rules.yaml:37)" in out
    assert "  points: 2\n" in out
    assert f"removed title FLAG ({MINI}/rules.yaml:70)" in out
    assert "  quota.count: 1\n" in out
    assert "rounding" not in out  # defaults of added or removed items are not listed


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_no_changes(fmt: str) -> None:
    code, out = _diff("--fail-on-change", "--format", fmt, MINI, MINI, DATA)
    assert code == 0
    if fmt == "json":
        assert json.loads(out)["changed"] is False
    else:
        assert out == "no changes\n"


def test_fail_on_change_and_markdown(tmp_path: Path) -> None:
    after = _copy(tmp_path, ("  share: 0.5\n", "  share: 0.25\n"))
    code, out = _diff("--fail-on-change", "--format", "markdown", MINI, after, DATA)
    assert code == 1
    assert "- **changed param share**\n  - `value: 0.5 → 0.25`\n" in out
    assert "| individual | P1   | Nguyễn Văn An | U1             | BEST    | yes → no" in out


def test_lists_show_the_items_that_went_and_came(tmp_path: Path) -> None:
    after = _copy(tmp_path, ("    requires: [LDTT, initiatives >= 1]\n",
                             "    requires: [LDTT, initiatives >= 2]\n"))
    code, out = _diff(MINI, after)
    assert code == 0
    assert "  requires (items): [initiatives >= 1] → [initiatives >= 2]\n" in out


def test_extending_folders_are_compared_resolved() -> None:
    """mini-examples extends mini and adds only examples: the resolved rules are equal."""
    assert rule_changes(load(MINI), load("tests/rulesets/mini-examples")) == []


def test_flatten_names_each_value_by_its_path() -> None:
    (task,) = [c for c in load(MINI).individual.criteria if c.id == "task"]
    flat = flatten(task)
    assert flat["max"] == Decimal(40)
    assert flat["bands[2].when"] == 'task_rating == "hoan_thanh"'


def test_unusable_rule_set_is_a_usage_error(tmp_path: Path) -> None:
    code, out = _diff(MINI, tmp_path / "missing")
    assert code == 2
    assert "rule set folder not found" in out


def test_2024_to_2026_on_the_2026_sample_bridges_ratings_from_points() -> None:
    """2024 rules need a typed rating; 2026 computes it from points. The diff gives the 2024
    rules each points-rated record's band (before override or cap) and says so; the effect is
    then what Decree 335's cap and overrides and the 2026 titles change."""
    from scoring.checks.diff import compare
    from scoring.run.app import run

    report = compare(Path("rules/2024"), Path("rules/2026"), [Path("fixtures/quang-ngai-2026")])
    assert any("cannot compute ratings from points" in w and "381 individuals" in w
               for w in report.warnings)
    assert report.effect is not None
    moves = {(m.id, m.title): (m.before, m.after) for m in report.effect.titles}
    after = run([Path("fixtures/quang-ngai-2026")]).result
    cut = [r for r in after.individuals
           if r.rating and r.rating.moved_to and not r.rating.override
           and dict(r.computed).get("innovations_total") == 0 and "LDTT" in r.titles]
    assert cut  # moved down by the 20% cap, no initiative: excellent was their only route
    for r in cut:
        assert moves[(r.id, "CSTDCS")] == (True, False)


def test_diff_names_no_option_nobody_gave() -> None:
    """The data of 2021 scored with the 2024 rules is what the diff is asked for: the warning of
    `score --rules` (data and rules of different years) would speak of an option not given."""
    result = CliRunner().invoke(cli, ["diff", "rules/2021", "rules/2024",
                                      "fixtures/quang-ngai-2021"])
    assert result.exit_code == 0, result.output
    assert "--rules" not in result.stderr
    assert "effect on fixtures/quang-ngai-2021" in result.stdout


@pytest.mark.parametrize("inputs", [
    ["tests/data/mini/units.csv", "tests/data/mini/individuals.csv"],
    ["tests/data/mini/individuals.csv", "tests/data/mini/units.csv"],
])
def test_diff_takes_several_inputs_like_score(tmp_path: Path, inputs: list[str]) -> None:
    after = _copy(tmp_path, ("  share: 0.5\n", "  share: 0.25\n"))
    code, folder = _diff("--format", "json", MINI, after, DATA)
    code_files, files = _diff("--format", "json", MINI, after, *inputs)
    assert code == code_files == 0, files
    by_folder, by_files = json.loads(folder), json.loads(files)
    assert by_files["effect"]["data"] == ", ".join(inputs)
    by_folder["effect"].pop("data"), by_files["effect"].pop("data")
    assert by_files == by_folder and by_files["effect"]["titles"]
