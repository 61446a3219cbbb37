"""Conditions in the council's words: prerequisite labels with placeholders, simple comparisons
said from the inputs' labels, the shipped rule sets labelled (see scoring.evaluation.conditions)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scoring.base.i18n import set_language
from scoring.cli import cli
from scoring.evaluation import conditions
from scoring.evaluation.result import Prerequisite, Result
from scoring.explanations.ledger import to_json_data
from scoring.rulesets.compile import compile_ruleset
from scoring.rulesets.extends import load
from scoring.run.app import run

MINI = Path("tests/rulesets/mini/rules.yaml")
DATA = Path("tests/data/mini")
LDTT = ("""    requires: ['task_rating in ("xuat_sac", "tot")', """
        """months_worked >= 10 or maternity_leave]""")


def _rules(tmp_path: Path, requires: str) -> Path:
    """The mini rule set with LDTT's prerequisites replaced by `requires` (YAML lines)."""
    text = MINI.read_text(encoding="utf-8")
    assert LDTT in text
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "rules.yaml").write_text(text.replace(LDTT, "    requires:\n" + requires),
                                       encoding="utf-8")
    return folder


def _ldtt(result: Result, person: str) -> tuple[Prerequisite, ...]:
    record = next(r for r in result.individuals if r.id == person)
    return next(d for d in record.decisions if d.title == "LDTT").prerequisites


# requires (YAML), the prerequisite of P3 (tot, 9 months, no leave, amount 0) as said in
# English and in Vietnamese; None: no sentence, the failing part with its values is shown.
SAID = [
    ('      - {when: "months_worked >= 10", label: "Công tác từ {need} tháng (có {value} tháng)"}',
     "Công tác từ 10 tháng (có 9 tháng)", "Công tác từ 10 tháng (có 9 tháng)"),
    ('      - when: "months_worked >= 10 or maternity_leave"\n'
     '        label: "Công tác đủ (có {months_worked} tháng, nghỉ thai sản: {maternity_leave})"',
     "Công tác đủ (có 9 tháng, nghỉ thai sản: no)",
     "Công tác đủ (có 9 tháng, nghỉ thai sản: không)"),
    ('      - {when: "months_worked >= 10", label: "Tỷ lệ {share:%}, tiền {amount}"}',
     "Tỷ lệ 50%, tiền 0", "Tỷ lệ 50%, tiền 0"),
    ('      - {when: "months_worked >= 10", label: "Không có chỗ điền {{value}}"}',
     "Không có chỗ điền {value}", "Không có chỗ điền {value}"),
    ('      - {when: \'task_rating == "xuat_sac"\', label: "Xuất sắc ({value}; cần {need})"}',
     "Xuất sắc (Hoàn thành tốt nhiệm vụ; cần Hoàn thành xuất sắc nhiệm vụ)",
     "Xuất sắc (Hoàn thành tốt nhiệm vụ; cần Hoàn thành xuất sắc nhiệm vụ)"),
    ("      - months_worked >= 10",
     "Số tháng công tác: 9 (needs 10 or more)", "Số tháng công tác: 9 (cần từ 10 trở lên)"),
    ("      - months_worked > 9",
     "Số tháng công tác: 9 (needs more than 9)", "Số tháng công tác: 9 (cần trên 9)"),
    ("      - months_worked <= 8",
     "Số tháng công tác: 9 (needs at most 8)", "Số tháng công tác: 9 (cần không quá 8)"),
    ("      - months_worked < 9",
     "Số tháng công tác: 9 (needs less than 9)", "Số tháng công tác: 9 (cần dưới 9)"),
    ("      - months_worked != 9",
     "Số tháng công tác: 9 (needs other than 9)", "Số tháng công tác: 9 (cần khác 9)"),
    ("      - 'task_rating == \"xuat_sac\"'",
     "Xếp loại: Hoàn thành tốt nhiệm vụ (needs Hoàn thành xuất sắc nhiệm vụ)",
     "Xếp loại: Hoàn thành tốt nhiệm vụ (cần Hoàn thành xuất sắc nhiệm vụ)"),
    ("      - 'task_rating in (\"xuat_sac\", \"hoan_thanh\")'",
     "Xếp loại: Hoàn thành tốt nhiệm vụ (needs Hoàn thành xuất sắc nhiệm vụ or Hoàn thành "
     "nhiệm vụ)",
     "Xếp loại: Hoàn thành tốt nhiệm vụ (cần Hoàn thành xuất sắc nhiệm vụ hoặc Hoàn thành "
     "nhiệm vụ)"),
    ("      - maternity_leave",
     "Nghỉ thai sản: no (needs yes)", "Nghỉ thai sản: không (cần có)"),
    ("      - months_worked >= 10 or maternity_leave", None, None),
    ("      - months_worked + initiatives >= 10", None, None),
]


@pytest.mark.parametrize(("requires", "english", "vietnamese"), SAID,
                         ids=[c[0].strip()[:60] for c in SAID])
def test_a_prerequisite_is_said_in_words(tmp_path: Path, requires: str, english: str | None,
                                         vietnamese: str | None) -> None:
    result = run([DATA], _rules(tmp_path, requires)).result
    (p,) = _ldtt(result, "P3")
    assert not p.met
    if english is None:
        assert p.sentence is None
        assert conditions.said(p) == p.detail != ""
        return
    assert conditions.said(p) == english
    set_language("vi")
    assert conditions.said(p) == vietnamese
    line = conditions.explain_line(p)
    assert line.startswith(f"CHƯA đạt: {vietnamese} [{p.condition}: ") and p.detail in line


def test_a_met_prerequisite_keeps_its_words_and_records_share_them(tmp_path: Path) -> None:
    result = run([DATA], _rules(
        tmp_path, '      - {when: "months_worked >= 9", label: "Đủ {need} tháng ({value})"}'
    )).result
    found = {r.id: _ldtt(result, r.id)[0] for r in result.individuals}
    assert conditions.said(found["P1"]) == "Đủ 9 tháng (12)"
    assert conditions.explain_line(found["P3"]) == "met: Đủ 9 tháng (9) [months_worked >= 9]"
    assert found["P2"] is found["P3"]  # equal values, one shared object
    assert found["P1"] is not found["P3"]


def test_json_keeps_the_expression_and_adds_the_words(tmp_path: Path) -> None:
    result = run([DATA], _rules(tmp_path, "      - months_worked >= 10")).result

    def prerequisites(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if "condition" in node and "met" in node:
                yield node
            for v in node.values():
                yield from prerequisites(v)
        elif isinstance(node, list):
            for v in node:
                yield from prerequisites(v)

    data = to_json_data(result, {})
    found = list(prerequisites(data))
    assert {"condition": "months_worked >= 10", "met": False,
            "detail": "months_worked >= 10 was 9 >= 10",
            "label": "Số tháng công tác: 9 (cần từ 10 trở lên)"} in found
    assert {"condition": "LDTT", "met": False, "detail": "LDTT was LDTT = False",
            "label": "chưa đạt Lao động tiên tiến"} in found
    set_language("vi")
    assert to_json_data(result, {}) == data  # the same whatever the language


# requires (YAML), the fragment `scoring check` reports (exit 1) at the title's line.
BAD = [
    ('      - {when: "months_worked >= 10", label: "Có {months} tháng"}',
     "unknown placeholder {months}"),
    ('      - {when: "months_worked >= 10", label: "{value.__class__}"}',
     "{value.__class__} is not a placeholder"),
    ('      - {when: "months_worked >= 10", label: "{value!r}"}', "{value!r} is not a placeholder"),
    ('      - {when: "months_worked >= 10", label: "{value:>99}"}',
     "{value:>99} is not a placeholder"),
    ('      - {when: "months_worked >= 10", label: "{0}"}', "{0} is not a placeholder"),
    ('      - {when: "months_worked >= 10", label: "{}"}', "{} is not a placeholder"),
    ('      - {when: "months_worked >= 10", label: "{value"}', "braces do not pair up"),
    ('      - {when: "months_worked >= 10 or maternity_leave", label: "{value} tháng"}',
     "{value} needs a condition that compares one expression"),
    ('      - {when: "months_worked >= 10 and initiatives >= 1", label: "cần {need}"}',
     "{need} needs a condition that compares one expression"),
    ('      - {when: "months_worked >= 10", lable: "x"}',
     "has 'when' (its condition) and 'label' (its words); found when, lable"),
    ('      - {label: "x"}', "has 'when' (its condition) and 'label' (its words); found label"),
    ('      - {when: "months_worked >= 10", label: 3}', "a prerequisite's label is text"),
    ('      - months_worked >= 10\n    requires_labels: ["x"]',
     "write a prerequisite's label beside its condition"),
]


@pytest.mark.parametrize(("requires", "fragment"), BAD, ids=[c[1][:40] for c in BAD])
def test_check_reports_a_bad_label(tmp_path: Path, requires: str, fragment: str) -> None:
    folder = _rules(tmp_path, requires)
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if fragment in line]
    assert lines, result.output
    assert f"{folder.as_posix()}/rules.yaml:" in lines[0]


@pytest.mark.parametrize(("value", "english", "vietnamese"), [
    (Decimal("1234.5"), "1,234.5", "1.234,5"),
    (Decimal("0.60526"), "0.61", "0,61"),
    (Decimal("-1500000"), "-1,500,000", "-1.500.000"),
    (Decimal("12.00"), "12", "12"),
])
def test_numbers_read_as_the_council_writes_them(value: Decimal, english: str,
                                                 vietnamese: str) -> None:
    assert conditions.number(value) == english
    set_language("vi")
    assert conditions.number(value) == vietnamese


# ----------------------------------------------------------------------- the shipped rule sets


def _visible(folder: str) -> Iterator[tuple[str, str, bool]]:
    """Every condition of a rule set a council member reads (title prerequisites, gates,
    rating bands and overrides, criterion bands), with whether it is in words."""
    compiled = compile_ruleset(load(Path(folder)))
    for kind, ck in compiled.kinds.items():
        titles = {t.spec.id for t in ck.titles}
        labels = conditions.fields_of(compiled, kind)
        for t in ck.titles:
            for rule in t.group.rules:
                words = conditions.comparison(rule.cond, ck, labels, titles)
                yield rule.key, rule.text, bool(rule.label) or (
                    words is not None and words[1] == "holds")
        for g in ck.gates:
            yield g.group.name, g.id, bool(g.label)
        if ck.ratings is not None:
            for rule in (*ck.ratings.bands.rules, *ck.ratings.overrides.rules):
                yield rule.key, rule.text, bool(rule.label)
        for c in ck.criteria:
            if c.banded:
                for rule in c.group.rules:
                    yield rule.key, rule.text, bool(rule.label)


@pytest.mark.parametrize("folder", ["rules/2021", "rules/2024", "rules/2026"])
def test_every_visible_condition_of_a_shipped_rule_set_is_labelled(folder: str) -> None:
    found = list(_visible(folder))
    assert sum(1 for key, _text, _ok in found if ".titles." in key) >= 15
    unlabelled = [f"{key}: {text}" for key, text, ok in found if not ok]
    assert not unlabelled, "\n".join(unlabelled)


@pytest.mark.parametrize("folder", ["rules/2021", "rules/2024", "rules/2026"])
def test_the_shipped_labels_fill_every_placeholder(folder: str) -> None:
    result = CliRunner().invoke(cli, ["check", folder])
    assert result.exit_code == 0, result.output
    compiled = compile_ruleset(load(Path(folder)))
    shown = [rule.label for ck in compiled.kinds.values() for t in ck.titles
             for rule in t.group.rules if rule.label]
    assert any("{value}" in label for label in shown)
    assert any("{need" in label for label in shown)
