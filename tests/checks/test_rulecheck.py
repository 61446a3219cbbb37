"""`scoring check`: every deliberately broken rule set is caught, at its file:line, with a clear
message; sound rule sets pass; `new-year` scaffolds a folder that checks cleanly."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring.checks.ranges import Domain, Interval, interval
from scoring.checks.rulecheck import lint
from scoring.cli import cli
from scoring.language import parse
from scoring.rulesets.extends import load
from scoring.rulesets.newyear import renamed

BROKEN = Path("tests/checks/broken_rules")
INF = Decimal("Infinity")

# folder under tests/checks/broken_rules, exit code, location (after that folder), fragment
CASES = [
    ("unknown_key", 1, "unknown_key/rules.yaml:13",
     "error: [task] individual.criteria.0.bands.0.lable: unknown key 'lable' "
     "(did you mean 'label'?)"),
    ("misspelled_input", 1, "misspelled_input/rules.yaml:14",
     "error: [task] unknown name 'task_ratng' (did you mean 'task_rating'?)"),
    ("type_mismatch", 1, "type_mismatch/rules.yaml:15",
     'error: [task] cannot compare months_worked (number) with "hoan_thanh" (text)'),
    ("unknown_enum_value", 1, "unknown_enum_value/rules.yaml:13",
     "error: [task] 'xuat_sc' is not a value of task_rating (did you mean 'xuat_sac'?)"),
    ("enum_gap", 0, "enum_gap/rules.yaml:9",
     'warning: [task] no band covers task_rating = "hoan_thanh"'),
    ("numeric_gap", 0, "numeric_gap/rules.yaml:17",
     "warning: [plan] no band covers result_pct in [85, 90), between values that are covered"),
    ("unreachable_band", 0, "unreachable_band/rules.yaml:22",
     "warning: [plan] band 2 (`result_pct >= 90`) is unreachable: earlier bands match every "
     "value it would: band 1 (`result_pct >= 70`)"),
    ("band_points_above_max", 0, "band_points_above_max/rules.yaml:13",
     'warning: [task] band 1 (`task_rating == "xuat_sac"`) gives 50 points, above the maximum 40'),
    ("formula_above_max", 0, "formula_above_max/rules.yaml:17",
     "warning: [init] the formula `10 * initiatives` can reach 50 (initiatives in [0, 5]), "
     "above the maximum 30"),
    ("total_above_declared", 0, "total_above_declared/rules.yaml:20",
     "warning: [individual] the criteria's maxima add up to 64, above the declared total 50"),
    ("title_cycle", 1, "title_cycle/rules.yaml:17",
     "error: [LDTT] titles require each other in a cycle: LDTT, BEST"),
    ("title_never_met", 0, "title_never_met/rules.yaml:21",
     "warning: [TRON_NAM] the title can never be met: `months_worked >= 13` can never hold "
     "(months_worked is always in [0, 12])"),
    ("quota_unknown_title", 1, "quota_unknown_title/rules.yaml:25",
     "error: [BEST] quota counts unknown title 'LDTTT'"),
    ("unknown_gate_block", 1, "unknown_gate_block/rules.yaml:17",
     "error: [short] gate blocks unknown title 'LDDT'"),
    ("duplicate_criterion", 1, "duplicate_criterion/rules.yaml:16",
     "id 'task' (also at tests/checks/broken_rules/duplicate_criterion/rules.yaml:9)"),
    ("extends_cycle", 1, "extends_cycle/a",
     "error: 'extends' forms a cycle: tests/checks/broken_rules/extends_cycle/a -> "
     "tests/checks/broken_rules/extends_cycle/b -> tests/checks/broken_rules/extends_cycle/a"),
    ("dangling_remove", 1, "dangling_remove/rules.yaml:5",
     "error: [taks] remove.individual.criteria: 'taks' is not in the extended rule set"),
    ("dangling_extends", 1, "mini-2020", "error: rule set folder not found"),
    ("yaml_alias", 1, "yaml_alias/rules.yaml:14",
     "error: anchors and aliases (*name) are not allowed in rule files"),
    ("python_tag", 1, "python_tag/rules.yaml:17",
     "error: could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("bad_yaml", 1, "bad_yaml/rules.yaml:14", "error: expected ',' or '}', but got '{'"),
    ("unused_input", 0, "unused_input/rules.yaml:8",
     "warning: [phone] individual input 'phone' is declared but no rule reads it"),
    ("unused_param", 0, "unused_param/rules.yaml:17",
     "warning: [ldtt_months] parameter 'ldtt_months' is never used"),
    ("quota_share_out_of_range", 1, "quota_share_out_of_range/rules.yaml:25",
     "error: [BEST] quota share 1.5 is not between 0 and 1"),
    ("forbidden_call", 1, "forbidden_call/rules.yaml:13",
     "error: [task] call to '__import__' is not allowed"),
    ("condition_never_holds", 0, "condition_never_holds/rules.yaml:17",
     "warning: [overtime] the condition `months_worked > 12` can never hold"),
    # What only the engine refuses, when it compiles a group, is reported by check too.
    ("constant_too_long", 1, "constant_too_long/rules.yaml:26",
     "error: [individual.criteria.money] constant 1234567890.0000000001 is too large to "
     "compare with 10 decimals exactly"),
]


def _check(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


def _folder(case: str) -> Path:
    return BROKEN / case / "a" if case == "extends_cycle" else BROKEN / case


@pytest.mark.parametrize(("case", "code", "where", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_broken_rule_set_is_caught(case: str, code: int, where: str, fragment: str) -> None:
    exit_code, lines = _check(str(_folder(case)))
    assert exit_code == code, "\n".join(lines)
    matching = [line for line in lines if fragment in line]
    assert matching, "\n".join(lines)
    assert matching[0].startswith(f"{BROKEN.as_posix()}/{where}: "), matching[0]
    assert lines[-1].endswith(("warning", "warnings")) and " error" in lines[-1]


def test_every_broken_folder_is_in_the_table() -> None:
    assert sorted(p.name for p in BROKEN.iterdir() if p.is_dir()) == sorted(c[0] for c in CASES)


@pytest.mark.parametrize("folder", ["tests/rulesets/mini", "tests/rulesets/mini-examples",
                                    "tests/rulesets/ratings", "rules/2021"])
def test_sound_rule_sets_pass(folder: str) -> None:
    code, lines = _check(folder)
    assert code == 0, "\n".join(lines)
    assert lines[-1].startswith("0 errors, ")


def test_mini_has_one_known_warning() -> None:
    _, lines = _check("tests/rulesets/mini")
    assert lines == ['tests/rulesets/mini/rules.yaml:15: warning: [task] no band covers '
                     'task_rating = "khong_hoan_thanh"', "0 errors, 1 warning"]


def test_strict_turns_warnings_into_errors() -> None:
    code, lines = _check("--strict", str(BROKEN / "enum_gap"))
    assert code == 1
    assert lines == [f'{BROKEN.as_posix()}/enum_gap/rules.yaml:9: error: [task] no band covers '
                     'task_rating = "hoan_thanh"', "1 error, 0 warnings"]


def test_several_folders_and_json() -> None:
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(BROKEN / "enum_gap"),
                                      str(BROKEN / "numeric_gap")])
    assert result.exit_code == 0  # score runs both: what the analyses find is a warning
    data = json.loads(result.output)
    assert (data["errors"], data["warnings"]) == (0, 2)
    assert [f["rule"] for f in data["findings"]] == ["task", "plan"]
    assert data["findings"][1]["where"] == f"{BROKEN.as_posix()}/numeric_gap/rules.yaml:17"


@pytest.mark.parametrize("args", [["nowhere"], ["tests/data"], ["tests/rulesets/mini", "nope"]])
def test_no_rule_set_at_all_is_a_usage_error(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["check", *args])
    assert result.exit_code == 2
    assert "error: " in result.output


def test_gaps_are_warnings_holes_said_between_covered_values(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("""ruleset: t
year: 2021
individual:
  inputs:
    x: {type: number, label: x, min: 0, max: 100}
    n: {type: int, label: n, min: 0}
  criteria:
    - id: a
      label: a
      max: 40
      bands:
        - {when: x >= 90, points: 40}
        - {when: x > 50 and x <= 60, points: 10}
        - {when: x > 60 and x < 90, points: 20}
    - id: b
      label: b
      max: 10
      bands:
        - {when: n == 1, points: 5}
        - {when: n >= 3, points: 10}
""", encoding="utf-8")
    messages = [(f.severity, f.message) for f in lint(tmp_path)]
    assert messages == [
        ("warning", "no band covers x in [0, 50] (no catch-all band)"),
        ("warning", "no band covers n = 2, between values that are covered"),
        ("warning", "no band covers n = 0 (no catch-all band)"),
    ]


def test_combinations_titles_and_gates(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("""ruleset: t
year: 2021
individual:
  inputs:
    r: {type: enum, label: r, values: [a, b, c]}
    m: {type: int, label: m, min: 0, max: 12}
    h: {type: bool, label: h, default: false}
    x: {type: number, label: x, min: 0, max: 100}
  criteria:
    - id: two
      label: two
      max: 40
      bands:
        - {when: r == "a" and m >= 10, points: 40}
        - {when: r == "b", points: 30}
        - {when: r == "c" and h, points: 10}
    - id: capped
      label: capped
      max: 50
      bands:
        - {when: x < 10, points: 5 * x}
        - {when: true, points: 50}
  gates:
    - {id: g, label: g, when: m >= 0}
titles:
  - {id: T, label: T, of: individual, requires: [two >= 41]}
  - {id: U, label: U, of: individual, requires: [T]}
  - {id: V, label: V, of: individual, requires: [score > 90]}
""", encoding="utf-8")
    assert [str(f).partition(": ")[2] for f in lint(tmp_path)] == [
        'warning: [two] no band covers r = "a" and m in [0, 9]; r = "c" and h = false',
        "warning: [g] the gate's condition `m >= 0` always holds: it blocks T, U, V for all",
        "warning: [T] the title can never be met: `two >= 41` can never hold "
        "(two is always in [0, 40])",
        "warning: [U] the title can never be met: `T` can never hold (title T can never be "
        "met)",
        "warning: [V] the title can never be met: `score > 90` can never hold "
        "(score is always in [0, 90])",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("10 * a + 20 * b", Interval(Decimal(0), Decimal(40))),
    ("min(a, 1) - b", Interval(Decimal(-1), Decimal(1))),
    ("abs(c)", Interval(Decimal(0), Decimal(3))),
    ("a / (b + 1)", Interval(Decimal(0), Decimal(2))),
    ("a / b", Interval(-INF, INF)),
    ("c * c", Interval(Decimal(-6), Decimal(9))),
    ("(a if c > 0 else 5) + n", Interval(Decimal(0), INF)),
    ("-c", Interval(Decimal(-2), Decimal(3))),
])
def test_interval_arithmetic(text: str, expected: Interval) -> None:
    domains = {"a": Domain("number", Decimal(0), Decimal(2)),
               "b": Domain("number", Decimal(0), Decimal(1)),
               "c": Domain("number", Decimal(-3), Decimal(2)),
               "n": Domain("number", Decimal(0), INF)}
    assert interval(parse.parse(text), domains) == expected


# ---------------------------------------------------------------------------------- new-year


def test_new_year_scaffold_loads_and_checks_like_its_base(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    result = CliRunner().invoke(cli, ["new-year", "2024", "--from", "tests/rulesets/mini",
                                      "--rules-root", str(root)])
    assert result.exit_code == 0, result.output
    text = (root / "2024" / "ruleset.yaml").read_text(encoding="utf-8")
    assert "\nruleset: mini\nyear: 2024\nextends: " in text
    assert "#     - id: task" in text and "# remove:" in text
    assert (root / "2024" / "examples.yaml").read_text(encoding="utf-8").endswith(
        "examples: []\n")
    assert lint(root / "2024") == lint("tests/rulesets/mini")
    code, lines = _check(str(root / "2024"))
    assert code == 0 and lines[-1] == "0 errors, 1 warning"


def test_new_year_defaults_to_the_newest_earlier_year(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    root.mkdir()
    for year in ("2021", "2022"):
        (root / year).mkdir()
        (root / year / "rules.yaml").write_text(
            (Path("tests/rulesets/mini/rules.yaml").read_text(encoding="utf-8")
             .replace("year: 2021", f"year: {year}")), encoding="utf-8")
    result = CliRunner().invoke(cli, ["new-year", "2024", "--rules-root", str(root)])
    assert result.exit_code == 0, result.output
    assert "extends: ../2022\n" in (root / "2024" / "ruleset.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("year", "fragment"), [("2021", "already exists"),
                                                ("2020", "2020 must be after 2021")])
def test_new_year_refuses(tmp_path: Path, year: str, fragment: str) -> None:
    root = tmp_path / "rules"
    (root / "2021").mkdir(parents=True)
    result = CliRunner().invoke(cli, ["new-year", year, "--from", "tests/rulesets/mini",
                                      "--rules-root", str(root)])
    assert result.exit_code == 2
    assert fragment in result.output


@pytest.mark.parametrize("base", ["rules/2021", "rules/2024", "rules/2026"])
def test_new_year_renames_the_set_and_carries_its_examples(tmp_path: Path, base: str) -> None:
    """The new year is named for its year, and `scoring test` runs the base's examples on it:
    unchanged rules pass every one of them."""
    root = tmp_path / "rules"
    result = CliRunner().invoke(cli, ["new-year", "2031", "--from", base, "--rules-root",
                                      str(root)])
    assert result.exit_code == 0, result.output
    old, new = load(Path(base)), load(root / "2031")
    assert str(old.year) in old.name
    assert new.name == old.name.replace(str(old.year), "2031")
    assert [e.name for e in new.examples] == [e.name for e in old.examples]
    tested = CliRunner().invoke(cli, ["test", str(root / "2031")])
    assert tested.exit_code == 0, tested.output
    assert tested.output.endswith(f"\n{len(old.examples)} passed, 0 failed\n")
    assert len(old.examples) > 10


@pytest.mark.parametrize(("name", "expected"), [
    ("Bảng chấm điểm năm 2026", "Bảng chấm điểm năm 2027"),
    ("Bảng chấm điểm 2026 (NĐ 335/2025)", "Bảng chấm điểm 2027 (NĐ 335/2025)"),
    ("Bảng chấm điểm", "Bảng chấm điểm (năm 2027)"),
])
def test_renamed(name: str, expected: str) -> None:
    assert renamed(name, 2026, 2027) == expected


@pytest.mark.parametrize(("edits", "expected"), [
    # an unknown name and points above the maximum in one criterion: both at once
    ([('task_rating == "xuat_sac", points: 40', 'task_ratng == "xuat_sac", points: 45')],
     ["rules.yaml:19: error: [task] unknown name 'task_ratng' (did you mean 'task_rating'?)",
      'rules.yaml:19: error: [task] band 1 (`task_ratng == "xuat_sac"`) gives 45 points, above '
      "the maximum 40"]),
    # a formula that cannot be parsed, a constant above the maximum elsewhere, a deduction
    ([("points: 10 * initiatives", "points: 10 *"), ("      points: 10\n", "      points: 12\n"),
      ("when: months_worked < 6, points: 5}", "when: months_worked < 6, points: 5, max: 4}")],
     ["rules.yaml:22: error: [init] cannot parse expression '10 *': invalid syntax",
      "rules.yaml:31: error: [head] the formula gives 12 points, above the maximum 10",
      "rules.yaml:37: error: [short] the points gives 5 points, above the maximum 4"]),
    # a title renamed: every rule naming the old id, and no cycle that is not there
    ([("  - id: LDTT\n", "  - id: LDTX\n")],
     ["rules.yaml:43: error: [share_ldtt] unknown name 'LDTT' (did you mean 'LDTX'?)",
      "rules.yaml:61: error: [BEST] unknown name 'LDTT' (did you mean 'LDTX'?)",
      "rules.yaml:65: error: [BEST] quota counts unknown title 'LDTT'"]),
])
def test_check_reports_every_error_at_once_in_the_file_of_the_rule(
        tmp_path: Path, edits: list[tuple[str, str]], expected: list[str]) -> None:
    """Errors that compiling finds do not hide those that need no compiling: a secretary fixes
    a criterion in one pass, each line naming the file and line of the rule."""
    folder = tmp_path / "mini"
    folder.mkdir()
    text = Path("tests/rulesets/mini/rules.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (folder / "rules.yaml").write_text(text, encoding="utf-8")
    code, lines = _check(str(folder))
    assert code == 1
    assert lines[:-1] == [f"{folder}/{line}" for line in expected]
