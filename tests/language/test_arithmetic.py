"""Arithmetic at run time (issue #18, part 5): a division by zero is never a silent "missing".

Undeclared, it stops the run naming the rule, the record and the values (the bad-input corpus,
category `arithmetic`, shows the messages); a rule that declares `division_by_zero:` gets what
it declared; a part of a condition that another part makes irrelevant (`planned > 0 and done /
planned >= 0.9`) is no error, in either order, through the engine and the plain evaluator alike.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scoring.base.errors import InputError
from scoring.evaluation.reference import ReferenceEvaluator
from scoring.language import closures, evaluate, expr, normal, parse
from scoring.run.app import run

ROOT = Path(__file__).resolve().parents[2]
MINI_RULES = (ROOT / "tests/rulesets/mini/rules.yaml").read_text(encoding="utf-8")
MINI_DATA = ROOT / "tests/data/mini"
D = Decimal
UNDEFINED = "undefined"


@pytest.mark.parametrize(("text", "scope", "zero", "expected"), [
    ("a / b", {"a": D(1), "b": D(0)}, "error", UNDEFINED),
    ("a / b", {"a": D(0), "b": D(0)}, "error", UNDEFINED),  # 0/0 too
    ("a / b + 1", {"a": D(1), "b": D(0)}, "error", UNDEFINED),
    ("a / (b - 3)", {"a": D(1), "b": D(3)}, "error", UNDEFINED),
    ("a / b", {"a": D(1), "b": None}, "error", None),  # a missing divisor is missing, as before
    ("a / b", {"a": D(1), "b": D(0)}, "missing", None),
    ("a / b + 1", {"a": D(1), "b": D(0)}, "missing", None),
    ("a / b", {"a": D(1), "b": D(0)}, D(0), D(0)),
    ("10 * a / b + 1", {"a": D(1), "b": D(0)}, D(5), D(6)),  # (10 * a) / b is the division
    ("a / b if b != 0 else 7", {"a": D(1), "b": D(0)}, "error", D(7)),
    ("max(a / b, 2)", {"a": D(1), "b": D(0)}, D(3), D(3)),
    ("a / b", {"a": D(3), "b": D(2)}, "error", D("1.5")),
])
def test_a_division_by_zero_gives_what_the_rule_declares(
        text: str, scope: dict[str, expr.Value], zero: expr.Zero, expected: Any) -> None:
    node = parse.parse(text, expr.Where(zero=zero))
    ways = [lambda: evaluate.evaluate(node, scope), lambda: closures.compiled(node)(scope),
            lambda: closures.column(node, [dict(scope), dict(scope), dict(scope)])[2]]
    for way in ways:
        if expected == UNDEFINED:
            with pytest.raises(evaluate.Undefined, match="division by zero"):
                way()
        else:
            assert way() == expected


@pytest.mark.parametrize(("text", "scope", "expected"), [
    ("b > 0 and a / b >= 1", {"a": D(1), "b": D(0)}, False),
    ("a / b >= 1 and b > 0", {"a": D(1), "b": D(0)}, False),
    ("b == 0 or a / b >= 1", {"a": D(1), "b": D(0)}, True),
    ("a / b >= 1 or b == 0", {"a": D(1), "b": D(0)}, True),
    ("not (b > 0 and a / b >= 1)", {"a": D(1), "b": D(0)}, True),
    ("a / b >= 1 if b != 0 else False", {"a": D(1), "b": D(0)}, False),
    ("a / b >= 1 or b > 5", {"a": D(1), "b": D(0)}, UNDEFINED),
    ("a / b >= 1 and b == 0", {"a": D(1), "b": D(0)}, UNDEFINED),
    ("a / b >= 1", {"a": D(1), "b": D(0)}, UNDEFINED),
])
def test_a_condition_is_an_error_only_when_the_undefined_part_decides(
        text: str, scope: dict[str, expr.Value], expected: Any) -> None:
    cond = normal.to_cond(parse.parse(text))
    for way in (lambda: evaluate.holds(cond, scope), lambda: closures.compiled_cond(cond)(scope)):
        if expected == UNDEFINED:
            with pytest.raises(evaluate.Undefined):
                way()
        else:
            assert way() is expected


def _rules(tmp_path: Path, old: str, new: str) -> Path:
    assert MINI_RULES.count(old) == 1
    (tmp_path / "rules.yaml").write_text(MINI_RULES.replace(old, new), encoding="utf-8")
    return tmp_path


_INIT = "      points: 10 * initiatives"
_MONEY = "      when: amount > 0.5"


@pytest.mark.parametrize(("old", "new", "points"), [
    # P1 has 1 initiative, P3 none; `init` is capped at 30.
    (_INIT, "      points: 30 / initiatives\n      division_by_zero: 0", {"P1": 30, "P3": 0}),
    (_INIT, "      points: 30 / initiatives\n      division_by_zero: missing",
     {"P1": 30, "P3": 0}),
    (_INIT, "      points: 30 / initiatives\n      division_by_zero: 12", {"P1": 30, "P3": 12}),
    (_INIT, "      points: '30 / initiatives if initiatives != 0 else 5'", {"P1": 30, "P3": 5}),
    (_INIT, "      when: initiatives > 0 and 30 / initiatives > 5", {"P1": 10, "P3": 0}),
    (_INIT, "      when: 30 / initiatives > 5 and initiatives > 0", {"P1": 10, "P3": 0}),
])
@pytest.mark.parametrize("plain", [False, True], ids=["engine", "plain"])
def test_declared_or_guarded_divisions_score(tmp_path: Path, old: str, new: str,
                                             points: dict[str, int], plain: bool) -> None:
    folder = _rules(tmp_path, old, old + "\n" + new if "when" in new else new)
    r = run([MINI_DATA], folder, ReferenceEvaluator() if plain else None)
    got = {p.id: p.point("init") for p in r.result.individuals if p.id in points}
    assert got == {k: Decimal(v) for k, v in points.items()}


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    (_INIT, "      points: 30 / initiatives", "individuals.csv, row 4",
     "P3 (Lê Văn Cường): division by zero in 30 / initiatives (initiatives = 0)"),
    (_MONEY, "      when: 10 / initiatives > 5 or amount > 0.5", "individuals.csv, row 4",
     "P3 (Lê Văn Cường): division by zero in 10 / initiatives (initiatives = 0)"),
    (_INIT, "      points: 30 / initiatives\n      division_by_zero: error",
     "individuals.csv, row 4", "division by zero in 30 / initiatives"),
])
@pytest.mark.parametrize("plain", [False, True], ids=["engine", "plain"])
def test_an_undeclared_division_by_zero_names_record_rule_and_values(
        tmp_path: Path, old: str, new: str, where: str, message: str, plain: bool) -> None:
    folder = _rules(tmp_path, old, new)
    with pytest.raises(InputError) as caught:
        run([MINI_DATA], folder, ReferenceEvaluator() if plain else None)
    [problem] = caught.value.problems
    assert where in problem.where and message in problem.message
    assert problem.rule in ("init", "money")
    assert "rules.yaml:" in problem.message


_AGG = "    n_best: {fn: count, of: BEST}"


@pytest.mark.parametrize(("fn", "declared", "expected"), [
    ("share", "0", Decimal(0)), ("share", "missing", None), ("share", "0.5", Decimal("0.5")),
    ("mean", "0", Decimal(0)), ("mean", "missing", None),
])
def test_a_share_or_mean_over_no_member_is_what_the_aggregate_declares(
        tmp_path: Path, fn: str, declared: str, expected: Decimal | None) -> None:
    of = "LDTT" if fn == "share" else "initiatives"
    folder = _rules(tmp_path, _AGG, f"{_AGG}\n    none: {{fn: {fn}, of: {of}, where: "
                                    f"months_worked < 3, division_by_zero: {declared}}}")
    r = run([MINI_DATA], folder)
    values = {u.id: {a.name: a.value for a in u.aggregates}["none"] for u in r.result.units}
    assert values == {"U1": expected, "U2": expected, "U3": expected}
