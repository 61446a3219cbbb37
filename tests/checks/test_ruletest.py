"""`scoring test`: a rule set's worked examples pass, and a wrong or malformed one fails with a
diff of expected against actual and its file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring.cli import cli

EXAMPLES = Path("tests/rulesets/mini-examples")


def _test(*folders: str | Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["test", *map(str, folders)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    """A copy of the examples (and the mini rules they extend) to alter."""
    shutil.copytree("tests/rulesets", tmp_path / "rulesets")
    return tmp_path / "rulesets" / "mini-examples"


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "rules.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _line_of(folder: Path, text: str) -> int:
    lines = (folder / "rules.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if line.endswith(f"- name: {text}"))


def test_examples_pass() -> None:
    code, lines = _test(EXAMPLES)
    assert code == 0, "\n".join(lines)
    assert lines[:-1] == [
        "PASS excellent, one initiative, alone in the unit",
        "PASS excellent with two initiatives and a good colleague",
        "PASS good but only five months",
        "PASS good, nine months and maternity leave",
        "PASS head of a unit on target",
        "PASS an amount turned into points",
        "PASS a unit with two thirds LĐTT",
        "PASS a unit where everyone is LĐTT",
    ]
    assert lines[-1] == "8 passed, 0 failed"


def test_2021_examples_pass() -> None:
    code, lines = _test("rules/2021")
    assert code == 0, "\n".join(lines)
    assert lines[-1].endswith(" passed, 0 failed")


def test_an_altered_example_fails_with_a_diff(edited: Path) -> None:
    _edit(edited, "      score: 60\n", "      score: 61\n")
    _edit(edited, "      points: {task: 30}\n", "      points: {task: 35}\n")
    code, lines = _test(edited)
    assert code == 1
    name = "excellent with two initiatives and a good colleague"
    start = lines.index(f"FAIL {name}")
    assert lines[start + 1] == f"  at {edited}/rules.yaml:{_line_of(edited, name)}"
    assert lines[start + 2] == "  score: expected 61, got 60"
    assert "  points.task: expected 35, got 30" in lines
    assert lines[-1] == "6 passed, 2 failed"


def test_a_title_that_is_not_awarded_says_why(edited: Path) -> None:
    _edit(edited, "      titles: [LDTT]\n      not_titles: [BEST]\n",
          "      titles: [LDTT, BEST]\n")
    code, lines = _test(edited)
    assert code == 1
    assert "  titles: expected [LDTT, BEST], got [LDTT]" in lines
    assert "    BEST: cut by the quota (unit_id = EXU: rank 1, 0 place(s))" in lines


AMOUNT = "an amount turned into points"
HEAD = "head of a unit on target"


@pytest.mark.parametrize(("name", "old", "new", "message"), [
    (AMOUNT, "      score: 40.3\n", "      scor: 40.3\n",
     "  expect: unknown key 'scor' (did you mean 'score'?); keys: score, points, titles, "
     "not_titles, hits, rating, reward"),
    (AMOUNT, "{task_rating: xuat_sac, amount: 0.9}", "{task_rating: xuat_sac, amont: 0.9}",
     "  individual: unknown input 'amont' (did you mean 'amount'?)"),
    (AMOUNT, "{task_rating: xuat_sac, amount: 0.9}", "{task_rating: xuat_sac, amount: -1}",
     "  individual.amount: expected at least 0 (found -1)"),
    (AMOUNT, "      points: {money: 0.3}\n", "      points: {mony: 0.3}\n",
     "  expect.points: 'mony' is not an individual criterion (did you mean 'money'?)"),
    (HEAD, "{task_rating: hoan_thanh, is_head: true}\n    unit: {target: 100}\n",
     "{task_rating: hoan_thanh, is_head: true}\n",
     "  unit.target: the result reads it and it has no default: give it in 'unit:'"),
])
def test_a_malformed_example_fails_at_its_line(edited: Path, name: str, old: str, new: str,
                                               message: str) -> None:
    _edit(edited, old, new)
    code, lines = _test(edited)
    assert code == 1
    start = lines.index(f"FAIL {name}")
    assert lines[start + 1] == f"  at {edited}/rules.yaml:{_line_of(edited, name)}"
    assert message in lines[start + 2:], "\n".join(lines)
    assert lines[-1] == "7 passed, 1 failed"


def test_a_person_without_a_unit_is_fine_when_the_unit_does_not_matter(edited: Path) -> None:
    """Not a head: `is_head and unit.target >= 100` is false whatever the unit's target."""
    _edit(edited, "    individual: {task_rating: tot, months_worked: 9, maternity_leave: có}\n"
                  "    unit: {target: 100}\n",
          "    individual: {task_rating: tot, months_worked: 9, maternity_leave: có}\n")
    code, lines = _test(edited)
    assert code == 0, "\n".join(lines)


def test_several_folders_and_none_without_examples() -> None:
    code, lines = _test(EXAMPLES, "tests/rulesets/mini")
    assert code == 0
    assert lines[0] == f"{EXAMPLES}:"
    assert "tests/rulesets/mini:" in lines
    assert "warning: tests/rulesets/mini has no examples" in lines
    assert lines[-1] == "8 passed, 0 failed"


def test_a_rule_set_that_does_not_load_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["test", "tests/checks/broken_rules/misspelled_input"])
    assert result.exit_code == 2
    assert "unknown name 'task_ratng'" in result.output


@pytest.mark.parametrize(("amount", "passes"), [(710000, True), (702000, False)])
def test_reward_expectation(tmp_path: Path, amount: int, passes: bool) -> None:
    """LĐTT is 0.3 × 2,340,000 = 702,000, rounded up to 710,000: the example checks the
    amount after rounding."""
    shutil.copytree(Path("tests/rulesets"), tmp_path / "rulesets")
    folder = tmp_path / "rulesets" / "rewarded"
    folder.mkdir()
    (folder / "rules.yaml").write_text(
        "extends: ../ratings\n"
        "examples:\n"
        "  - name: LĐTT at 80 points\n"
        "    individual: {general_points: 30, task_points: 50, months_worked: 12}\n"
        "    unit: {target: 100}\n"
        f"    expect: {{titles: [LDTT], reward: {amount}}}\n", encoding="utf-8")
    code, lines = _test(folder)
    assert (code == 0) is passes
    if not passes:
        assert any("reward: expected 702000, got 710000 (LDTT 710000)" in line for line in lines)


# ------------------------------------------------------------------------- scenario examples

SCENARIOS = Path("tests/rulesets/scenarios")


@pytest.mark.parametrize("folder", [SCENARIOS, Path("tests/rulesets/scenarios-cluster")])
def test_scenarios_pass(folder: Path) -> None:
    code, lines = _test(folder)
    assert code == 0, "\n".join(lines)
    assert lines[-1].endswith("passed, 0 failed") and all(
        line.startswith("PASS ") for line in lines[:-1])


@pytest.mark.parametrize(("old", "new", "message"), [
    # a quota cut expected where there is none, and the other way round
    ("p1: {score: 60, titles: [LDTT, BEST], rank: 1, cut: []}",
     "p1: {score: 60, titles: [LDTT, BEST], rank: 1, cut: [BEST]}",
     "p1: cut: expected [BEST], got []"),
    ("p4: {score: 30, titles: [LDTT], rank: 4}", "p4: {score: 30, titles: [LDTT], rank: 3}",
     "p4: rank: expected 3, got 4 of 4 in unit_id = u1"),
    # the tie-break key and the neighbour
    ("p2: {score: 40, titles: [LDTT, BEST], rank: 2, tie: {with: p3, by: name}}",
     "p2: {score: 40, titles: [LDTT, BEST], rank: 2, tie: {with: p3, by: id}}",
     "p2: tie with p3: expected to be broken by id, got name"),
    ("p4: {score: 30, titles: [LDTT], rank: 4}",
     "p4: {score: 30, titles: [LDTT], rank: 4, tie: {with: p3}}",
     "p4: tie: expected a tie with p3, found none"),
    # malformed: an unknown record, an unknown key, an unknown base, a person without a unit
    ("p4: {score: 30, titles: [LDTT], rank: 4}", "p5: {score: 30}",
     "expect: 'p5' is not a record of the example"),
    ("p4: {score: 30, titles: [LDTT], rank: 4}", "p4: {score: 30, rnak: 4}",
     "expect.p4: unknown key 'rnak' (did you mean 'rank'?); keys: score, points, titles, "
     "not_titles, hits, rating, reward, rank, cut, tie"),
    ("base: a unit where two places go to three candidates", "base: a unit where two places",
     "base: no example is named 'a unit where two places' (did you mean 'a unit where two "
     "places go to three candidates'?)"),
    ("- {id: b, unit_id: u2, task_rating: tot}", "- {id: b, task_rating: tot}",
     "people[2]: give its unit_id (one of u1, u2)"),
    ("- {id: b, unit_id: u2, task_rating: tot}", "- {id: a, unit_id: u2, task_rating: tot}",
     "people[2]: id 'a' is given twice"),
])
def test_wrong_scenarios_fail(edited: Path, old: str, new: str, message: str) -> None:
    folder = edited.parent / "scenarios"
    _edit(folder, old, new)
    code, lines = _test(folder)
    assert code == 1, "\n".join(lines)
    assert f"  {message}" in lines, "\n".join(lines)


def test_base_cycle_fails(edited: Path) -> None:
    folder = edited.parent / "scenarios"
    _edit(folder, "  - name: a unit where two places go to three candidates\n",
          "  - name: a unit where two places go to three candidates\n"
          "    base: the same unit where Bình has a second initiative\n")
    code, lines = _test(folder)
    assert code == 1
    assert any("name each other" in line for line in lines), "\n".join(lines)


# -------------------------------------------------------------------------------- --coverage

CLUSTER_SET = "tests/rulesets/scenarios-cluster"


def _coverage(folder: str | Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["test", "--coverage", str(folder)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


@pytest.mark.parametrize(("edit", "code", "missing"), [
    (None, 0, []),
    # without the third unit and the people, the edges they sat on are listed
    (("  # The same cluster with a third unit", None), 1, [
        "NOT COVERED individual criterion task, band 1 (task_rating == \"xuat_sac\"): no example "
        "on the side 'chosen' and no example on the side 'passed over'",
        "NOT COVERED individual criterion task, band 2 (task_rating == \"tot\"): no example on "
        "the side 'chosen'",
        "NOT COVERED unit criterion targets, band 2 (target >= 90): no example on the side "
        "'passed over'",
        "NOT COVERED unit criterion targets, band 3 (True): no example on the side 'chosen'",
        "NOT COVERED unit title FLAG, prerequisite 1 (score >= 50): no example on the side "
        "'not met'",
    ]),
    # a record the example states nothing about does not count
    (("      u3: {score: 20, points: {targets: 0}, titles: [], rank: 3}\n", ""), 1, [
        "NOT COVERED unit criterion targets, band 2 (target >= 90): no example on the side "
        "'passed over'",
        "NOT COVERED unit criterion targets, band 3 (True): no example on the side 'chosen'",
        "NOT COVERED unit title FLAG, prerequisite 1 (score >= 50): no example on the side "
        "'not met'",
    ]),
])
def test_coverage(tmp_path: Path, edit: tuple[str, str | None] | None, code: int,
                  missing: list[str]) -> None:
    """`edit`: a text and its replacement, or None to drop everything from the text on."""
    shutil.copytree("tests/rulesets", tmp_path / "rulesets")
    folder = tmp_path / "rulesets" / "scenarios-cluster"
    if edit is not None:
        path = folder / "rules.yaml"
        text = path.read_text(encoding="utf-8")
        old, new = edit
        assert text.count(old) == 1, old
        text = text[:text.index(old)] if new is None else text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    got, lines = _coverage(folder)
    assert got == code, "\n".join(lines)
    assert [line for line in lines if line.startswith("NOT COVERED")] == missing
    total = 7
    assert f"coverage: {total - len(missing)} of {total} edges have examples on every side" \
        in lines


@pytest.mark.parametrize("folder", ["rules/2021", "rules/2024", "rules/2026"])
def test_shipped_coverage_lists_only_real_edges(folder: str) -> None:
    """Every edge listed names a rule of the set (the edges come from the rules, not examples)."""
    from scoring.checks import coverage, ruletest
    from scoring.run.app import compile_folder

    compiled = compile_folder(Path(folder))
    measured = coverage.measure(compiled, ruletest.run_examples(compiled))
    texts = {r.text for g in compiled.groups() for r in g.rules}
    assert [e.what for e in measured if not e.covered] == []  # full coverage, by hand
    assert measured and all(e.condition in texts or e.what.startswith(("cap", "quota",
                                                                        "rating cap"))
                            for e in measured)


PARAMS_SET = """\
ruleset: coverage-params
year: 2026
name: Một bảng nhỏ có tham số
params:
  min_target: {value: MIN_TARGET, label: Ngưỡng chỉ tiêu}
  top_share: {value: TOP_SHARE, label: Tỷ lệ dẫn đầu}
unit:
  inputs:
    target: {type: number, label: Tỷ lệ hoàn thành chỉ tiêu (%), min: 0, max: 200}
  criteria:
    - id: targets
      label: Hoàn thành chỉ tiêu
      max: 40
      bands:
        - {when: target >= 100, points: 40}
        - {when: true, points: 0}
titles:
  - id: GOOD
    label: Đạt chỉ tiêu tối thiểu
    of: unit
    requires: ["target >= min_target"]
  - id: TOP
    label: Dẫn đầu
    of: unit
    requires: ["target >= 100"]
    quota: {share: top_share, of: candidates, per: all, rounding: ceil, rank_by: ["-score", name]}
examples:
  - name: two units, one above the plan
    units:
      - {id: u1, target: 120}
      - {id: u2, target: 80}
    expect:
      u1: {score: 40, titles: [GOOD, TOP]}
      u2: {score: 0, titles: [GOOD]}
"""
GOOD_ALWAYS = ("UNREACHABLE with these parameters: unit title GOOD, prerequisite 1 (target >= "
               "min_target), side 'not met': the condition always holds with these parameters")
TOP_NEVER_CUTS = ("UNREACHABLE with these parameters: unit quota of TOP (all), side 'cut': a share "
                  "of 1 of the candidates leaves a place for each")


@pytest.mark.parametrize(("min_target", "top_share", "code", "unreachable", "missing"), [
    # target is read from 0 to 200: `target >= 0` always holds; a share of 1 of the candidates
    # always leaves a place for each: both sides are listed apart, and coverage is full
    ("0", "1", 0, [GOOD_ALWAYS, TOP_NEVER_CUTS], []),
    # a threshold inside the input's range: a unit may miss it, and no example does
    ("50", "1", 1, [TOP_NEVER_CUTS], [
        "NOT COVERED unit title GOOD, prerequisite 1 (target >= min_target): no example on the "
        "side 'not met'"]),
    # half the candidates (rounded up: the examples keep their place): a cut is possible now
    ("0", "0.5", 1, [GOOD_ALWAYS], [
        "NOT COVERED unit quota of TOP (all): no example on the side 'cut'"]),
])
def test_coverage_unreachable_with_the_parameters(tmp_path: Path, min_target: str,
                                                  top_share: str, code: int,
                                                  unreachable: list[str],
                                                  missing: list[str]) -> None:
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "rules.yaml").write_text(
        PARAMS_SET.replace("MIN_TARGET", min_target).replace("TOP_SHARE", top_share),
        encoding="utf-8")
    got, lines = _coverage(folder)
    assert got == code, "\n".join(lines)
    assert [line for line in lines if line.startswith("UNREACHABLE")] == unreachable
    assert [line for line in lines if line.startswith("NOT COVERED")] == missing
    assert f"coverage: {5 - len(missing)} of 5 edges have examples on every side" in lines
    assert any(line.startswith("PASS") for line in lines), "\n".join(lines)
