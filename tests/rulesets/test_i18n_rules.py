"""Rule errors and `scoring test` speak Vietnamese by default and English with `--lang en`,
naming the same file:line, rule, key path and value in both; pydantic's own English never
reaches a rule author (its errors are told from their type code, `scoring.rulesets.schema_text`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, ValidationError

from scoring.base.i18n import set_language
from scoring.cli import cli
from scoring.rulesets import schema_text

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "rulesets" / "mini"
EXAMPLES = ROOT / "tests" / "rulesets" / "mini-examples"
BROKEN = ROOT / "tests" / "checks" / "broken_rules"
PYDANTIC_ENGLISH = ("Input should", "Field required", "Extra inputs", "valid number",
                    "Value error", "unable to parse")

# (name, folder: a case of tests/checks/broken_rules or the mini rule set edited (old, new)),
# the line on stderr in English, and in Vietnamese: the same location, rule, key path and value.
RULE_ERRORS = [
    ("misspelled_input", None,
     "error: broken_rules/misspelled_input/rules.yaml:14: [task] unknown name 'task_ratng' "
     "(did you mean 'task_rating'?)",
     "lỗi: broken_rules/misspelled_input/rules.yaml:14: [task] tên không xác định 'task_ratng' "
     "(có phải là 'task_rating'?)"),
    ("type_mismatch", None,
     "error: broken_rules/type_mismatch/rules.yaml:15: [task] cannot compare months_worked "
     "(number) with \"hoan_thanh\" (text)",
     "lỗi: broken_rules/type_mismatch/rules.yaml:15: [task] không thể so sánh months_worked "
     "(kiểu số) với \"hoan_thanh\" (kiểu chữ)"),
    ("quota_share_out_of_range", None,
     "error: broken_rules/quota_share_out_of_range/rules.yaml:25: [BEST] quota share 1.5 is "
     "not between 0 and 1",
     "lỗi: broken_rules/quota_share_out_of_range/rules.yaml:25: [BEST] tỷ lệ 1.5 không nằm "
     "trong khoảng từ 0 đến 1"),
    ("forbidden_call", None,
     "error: broken_rules/forbidden_call/rules.yaml:13: [task] call to '__import__' is not "
     "allowed; functions: abs, consecutive_years, count_initiatives, "
     "every_criterion_at_least, max, min, present, years_with",
     "lỗi: broken_rules/forbidden_call/rules.yaml:13: [task] không được gọi '__import__'; các "
     "hàm được dùng: abs, consecutive_years, count_initiatives, every_criterion_at_least, "
     "max, min, present, years_with"),
    ("unknown_key", None,
     "error: broken_rules/unknown_key/rules.yaml:13: [task] individual.criteria.0.bands.0.lable: "
     "unknown key 'lable' (did you mean 'label'?)",
     "lỗi: broken_rules/unknown_key/rules.yaml:13: [task] individual.criteria.0.bands.0.lable: "
     "khóa không xác định 'lable' (có phải là 'label'?)"),
    # PyYAML's problems: its English as it was, a Vietnamese sentence with a hint.
    ("bad_yaml", None,
     "error: broken_rules/bad_yaml/rules.yaml:14: expected ',' or '}', but got '{'",
     "lỗi: broken_rules/bad_yaml/rules.yaml:14: YAML sai cấu trúc ở đây: cần ',' or '}', nhưng "
     "gặp '{' (hãy kiểm tra thụt lề, dấu ngoặc và dấu nháy)"),
    ("python_tag", None,
     "error: broken_rules/python_tag/rules.yaml:17: could not determine a constructor for the "
     "tag 'tag:yaml.org,2002:python/object/apply:os.system'",
     "lỗi: broken_rules/python_tag/rules.yaml:17: tệp quy tắc không được dùng thẻ "
     "'tag:yaml.org,2002:python/object/apply:os.system' (chỉ dùng chữ, số, true/false, danh "
     "sách và ánh xạ)"),
    # pydantic's own errors: "Field required", "Input should be a valid decimal", a literal, a
    # union (one problem, not one per member), and a validator of the schema.
    ("missing_label", ("      label: Hoàn thành nhiệm vụ\n      max: 40\n", "      max: 40\n"),
     "error: mini/rules.yaml:15: [task] individual.criteria.0.label: required, and not given",
     "lỗi: mini/rules.yaml:15: [task] individual.criteria.0.label: bắt buộc nhưng chưa có"),
    ("max_in_words", ("      max: 30\n", "      max: ba mươi\n"),
     "error: mini/rules.yaml:24: [init] individual.criteria.1.max: expected a number "
     "(found 'ba mươi')",
     "lỗi: mini/rules.yaml:24: [init] individual.criteria.1.max: cần một số (gặp 'ba mươi')"),
    ("unknown_kind", ("    label: Lao động tiên tiến\n    of: individual\n",
                      "    label: Lao động tiên tiến\n    of: person\n"),
     "error: mini/rules.yaml:59: [LDTT] titles.0.of: expected one of 'individual', 'unit' "
     "(found 'person')",
     "lỗi: mini/rules.yaml:59: [LDTT] titles.0.of: cần một trong 'individual', 'unit' "
     "(gặp 'person')"),
    ("points_as_a_list", ("      points: 10 * initiatives\n",
                          "      points: [10, initiatives]\n"),
     "error: mini/rules.yaml:25: [init] individual.criteria.1.points: expected one of: text, a "
     "number, true/false (found [10, 'initiatives'])",
     "lỗi: mini/rules.yaml:25: [init] individual.criteria.1.points: cần một trong các dạng: "
     "chữ, một số, true/false (đúng/sai) (gặp [10, 'initiatives'])"),
    ("bands_and_points", ("      points: 10 * initiatives\n",
                          "      points: 10 * initiatives\n      bands: []\n"),
     "error: mini/rules.yaml:22: [init] individual.criteria.1: a criterion has exactly one of "
     "'bands', 'points' (a formula) or 'judged'",
     "lỗi: mini/rules.yaml:22: [init] individual.criteria.1: mỗi tiêu chí có đúng một trong "
     "các khóa 'bands', 'points' (công thức) hoặc 'judged'"),
    ("quota_shares", ("    quota: {share: share,", "    quota: {shares: share,"),
     "error: mini/rules.yaml:65: [BEST] titles.1.quota.shares: unknown key 'shares' (did you "
     "mean 'share'?)",
     "lỗi: mini/rules.yaml:65: [BEST] titles.1.quota.shares: khóa không xác định 'shares' (có "
     "phải là 'share'?)"),
]


def _folder(tmp_path: Path, name: str, edit: tuple[str, str] | None) -> str:
    """The rule set to test, under `tmp_path` (the working directory), as given to the CLI."""
    if edit is None:
        shutil.copytree(BROKEN / name, tmp_path / "broken_rules" / name)
        return f"broken_rules/{name}"
    shutil.copytree(MINI, tmp_path / "mini")
    path = tmp_path / "mini" / "rules.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(edit[0]) == 1, edit[0]
    path.write_text(text.replace(*edit), encoding="utf-8")
    return "mini"


@pytest.mark.parametrize(("name", "edit", "en", "vi"), RULE_ERRORS,
                         ids=[c[0] for c in RULE_ERRORS])
def test_rule_error_in_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str,
                                      edit: tuple[str, str] | None, en: str, vi: str) -> None:
    folder = _folder(tmp_path, name, edit)
    monkeypatch.chdir(tmp_path)
    english = CliRunner().invoke(cli, ["--lang", "en", "test", folder])
    vietnamese = CliRunner(env={"SCORING_LANG": None}).invoke(cli, ["test", folder])
    assert english.exit_code == vietnamese.exit_code == 2
    assert english.stderr.splitlines() == [en]
    assert vietnamese.stderr.splitlines() == [vi]


# `scoring test` on the mini examples with one expectation or example altered: (old, new, the
# failing example, its line in English, in Vietnamese).
AMOUNT = "an amount turned into points"
COLLEAGUE = "excellent with two initiatives and a good colleague"
TEST_OUTPUT = [
    ("      score: 60\n", "      score: 61\n", COLLEAGUE,
     "  score: expected 61, got 60", "  score: mong đợi 61, thực tế 60"),
    ("      score: 40.3\n", "      scor: 40.3\n", AMOUNT,
     "  expect: unknown key 'scor' (did you mean 'score'?); keys: score, points, titles, "
     "not_titles, hits, rating, reward",
     "  expect: khóa không xác định 'scor' (có phải là 'score'?); các khóa: score, points, "
     "titles, not_titles, hits, rating, reward"),
    ("      points: {money: 0.3}\n", "      points: {mony: 0.3}\n", AMOUNT,
     "  expect.points: 'mony' is not an individual criterion (did you mean 'money'?)",
     "  expect.points: 'mony' không phải là tiêu chí cá nhân (có phải là 'money'?)"),
    ("{task_rating: xuat_sac, amount: 0.9}", "{task_rating: xuat_sac, amont: 0.9}", AMOUNT,
     "  individual: unknown input 'amont' (did you mean 'amount'?)",
     "  individual: trường đầu vào không xác định 'amont' (có phải là 'amount'?)"),
    ("      points: {money: 0.3}\n", "      points: {money: 0.3}\n      reward: nhiều\n", AMOUNT,
     "  expect.reward: 'nhiều' is not a number (đồng)",
     "  expect.reward: 'nhiều' không phải là một số (đồng)"),
]


@pytest.mark.parametrize(("old", "new", "name", "en", "vi"), TEST_OUTPUT)
def test_scoring_test_in_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        old: str, new: str, name: str, en: str,
                                        vi: str) -> None:
    shutil.copytree(MINI, tmp_path / "mini")
    shutil.copytree(EXAMPLES, tmp_path / "ex")
    path = tmp_path / "ex" / "rules.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    english = CliRunner().invoke(cli, ["--lang", "en", "test", "ex"])
    vietnamese = CliRunner(env={"SCORING_LANG": None}).invoke(cli, ["test", "ex"])
    assert english.exit_code == vietnamese.exit_code == 1
    shown_en, shown_vi = english.stdout.splitlines(), vietnamese.stdout.splitlines()
    at = shown_en.index(f"FAIL {name}")
    assert shown_en[at + 1].startswith("  at ex/rules.yaml:")
    assert en in shown_en[at + 2:]
    at = shown_vi.index(f"KHÔNG ĐẠT {name}")
    assert shown_vi[at + 1] == "  tại " + shown_en[shown_en.index(f"FAIL {name}") + 1][5:]
    assert vi in shown_vi[at + 2:]
    assert shown_vi[-1] == "7 đạt, 1 không đạt" and shown_en[-1] == "7 passed, 1 failed"
    assert not any(w in line for line in shown_vi for w in ("PASS", "FAIL", "expected", "got"))


class _Shape(BaseModel):
    """Fields of the kinds the rule schema uses, to meet each of pydantic's error types."""

    model_config = {"extra": "forbid"}
    count: int
    share: float
    flag: bool
    words: str
    items: tuple[str, ...]
    nested: dict[str, int]


SHAPES = [  # (a field, a value pydantic refuses, the type code, the Vietnamese message)
    ("count", "hai", "int_parsing", "cần một số nguyên (gặp 'hai')"),
    ("count", 2.5, "int_from_float", "cần một số nguyên (gặp 2.5)"),
    ("share", "nửa", "float_parsing", "cần một số (gặp 'nửa')"),
    ("flag", "có lẽ", "bool_parsing", "cần true/false (đúng/sai) (gặp 'có lẽ')"),
    ("words", 5, "string_type", "cần chữ (gặp 5)"),
    ("items", 5, "tuple_type", "cần một danh sách (gặp 5)"),
    ("nested", [1], "dict_type", "cần một ánh xạ (các dòng khóa: giá trị) (gặp [1])"),
    ("extra_key", 1, "extra_forbidden", "khóa không xác định"),
    ("count", None, "missing", "bắt buộc nhưng chưa có"),
]
VALID = {"count": 1, "share": 0.5, "flag": True, "words": "x", "items": ["a"], "nested": {}}


@pytest.mark.parametrize(("field", "value", "code", "vi"), SHAPES)
def test_pydantic_errors_are_told_in_vietnamese(field: str, value: object, code: str,
                                                vi: str) -> None:
    data = {**VALID, field: value} if value is not None else {
        k: v for k, v in VALID.items() if k != field}
    with pytest.raises(ValidationError) as caught:
        _Shape.model_validate(data)
    set_language("vi")
    try:
        [(loc, kind, message)] = schema_text.problems(caught.value.errors())
    finally:
        set_language(None)
    assert (loc, kind, message) == ((field,), code, vi)
    assert not any(w in message for w in PYDANTIC_ENGLISH)


@pytest.mark.parametrize(("loc", "data", "expected"), [
    (("params", "x", "value", "decimal"), {"params": {"x": [1]}}, ("params", "x", "value")),
    (("params", "Bonus", "value", "str"), {"params": {"Bonus": [1]}},
     ("params", "Bonus", "value")),  # a parameter named like a tag is a key
    (("inputs", "str", "min"), {"inputs": {"str": {"min": "x"}}}, ("inputs", "str", "min")),
    (("gates", 0, "blocks", "tuple[str, ...]"), {"gates": [{"blocks": 5}]},
     ("gates", 0, "blocks")),
    (("gates", 0, "blocks", "literal['all']"), {"gates": [{"blocks": 5}]},
     ("gates", 0, "blocks")),
])
def test_tags_are_not_keys(loc: tuple[int | str, ...], data: object,
                           expected: tuple[int | str, ...]) -> None:
    assert schema_text.without_tags(loc, data) == expected
