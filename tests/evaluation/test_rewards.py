"""Rewards, worked by hand: the base salary in force on the decision date, each title's amount
rounded up to 10,000 đồng, and one reward per achievement (Decree 91/2017 art. 66 §2 c).

Amounts used below, each multiple × base salary rounded up to the next 10,000 đồng:
  at 1,490,000 (2021): LĐTT 0.3 → 447,000 → 450,000; CSTĐCS 1,490,000; Giấy khen 0.15 →
  223,500 → 230,000; TTLĐTT 0.8 → 1,192,000 → 1,200,000; TTLĐXS 1.5 → 2,235,000 → 2,240,000;
  Cờ thi đua 8.0 → 11,920,000; Giấy khen tập thể 0.3 → 450,000.
  at 2,340,000 (2026): LĐTT 702,000 → 710,000; CSTĐCS 2,340,000; Giấy khen 351,000 → 360,000;
  TTLĐTT 1,872,000 → 1,880,000; TTLĐXS 3,510,000; Cờ 18,720,000; Giấy khen tập thể 710,000.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_rules_2021 import PERSON

from scoring import read_results
from scoring.base.errors import RuleError, UsageError
from scoring.cli import cli
from scoring.evaluation.budget import reward_budget
from scoring.evaluation.result import RecordResult, Result, UnpaidReward
from scoring.evaluation.rewards import amounts, base_salary, dated, split
from scoring.evaluation.scorer import score
from scoring.explanations.explanation import explain
from scoring.explanations.render import render
from scoring.inputs.batch import Batch
from scoring.inputs.records import Origin, Record
from scoring.rulesets.compile import compile_ruleset
from scoring.rulesets.extends import load
from scoring.rulesets.schema import Achievement
from scoring.run.app import compile_folder

RULES_2021, RULES_2026 = Path("rules/2021"), Path("rules/2026")
YEAR = Achievement(id="year", label="Một năm", titles=("LDTT", "CSTDCS", "GIAY_KHEN"))
UNITS = Achievement(id="unit", label="Tập thể", titles=("TTLDTT", "TTLDXS", "CO_THI_DUA"))
PRICES = {"LDTT": D(710_000), "CSTDCS": D(2_340_000), "GIAY_KHEN": D(360_000),
          "CSTD_TINH": D(7_020_000), "TTLDTT": D(1_880_000), "TTLDXS": D(3_510_000),
          "CO_THI_DUA": D(18_720_000)}


# ------------------------------------------------------------------- one per achievement


@pytest.mark.parametrize(("titles", "paid", "not_paid"), [
    (("LDTT",), {"LDTT": 710_000}, {}),
    (("LDTT", "CSTDCS"), {"CSTDCS": 2_340_000}, {"LDTT": "CSTDCS"}),  # 3,050,000 before
    (("LDTT", "CSTDCS", "GIAY_KHEN"), {"CSTDCS": 2_340_000},
     {"LDTT": "CSTDCS", "GIAY_KHEN": "CSTDCS"}),
    (("LDTT", "GIAY_KHEN"), {"LDTT": 710_000}, {"GIAY_KHEN": "LDTT"}),
    # CSTĐ tỉnh rewards three years' work: paid besides the year's highest
    (("LDTT", "CSTDCS", "CSTD_TINH"), {"CSTDCS": 2_340_000, "CSTD_TINH": 7_020_000},
     {"LDTT": "CSTDCS"}),
    (("TTLDTT", "TTLDXS", "CO_THI_DUA"), {"CO_THI_DUA": 18_720_000},
     {"TTLDTT": "CO_THI_DUA", "TTLDXS": "CO_THI_DUA"}),  # 24,110,000 before
    ((), {}, {}),
])
def test_only_the_highest_of_an_achievement_is_paid(titles: tuple[str, ...],
                                                    paid: dict[str, int],
                                                    not_paid: dict[str, str]) -> None:
    got_paid, got_not = split(titles, PRICES, (YEAR, UNITS))
    assert dict(got_paid) == {t: D(a) for t, a in paid.items()}
    assert {u.title: u.paid for u in got_not} == not_paid
    assert all(u.amount == PRICES[u.title] for u in got_not)


def test_a_tie_pays_the_title_listed_first() -> None:
    same = {"A": D(100), "B": D(100)}
    paid, not_paid = split(("B", "A"), same, (Achievement(id="g", label="g", titles=("A", "B")),))
    assert paid == (("A", D(100)),)
    assert not_paid == (UnpaidReward("B", D(100), "A", "g", "g"),)


# ----------------------------------------------------------------- dated base salaries


@pytest.mark.parametrize(("when", "amount", "since"), [
    ("2019-07-01", 1_490_000, "2019-07-01"),
    ("2022-01-31", 1_490_000, "2019-07-01"),  # the 2021 rule set's default decision date
    ("2023-06-30", 1_490_000, "2019-07-01"),
    ("2023-07-01", 1_800_000, "2023-07-01"),
    ("2024-06-30", 1_800_000, "2023-07-01"),
    ("2024-07-01", 2_340_000, "2024-07-01"),
    ("2027-01-31", 2_340_000, "2024-07-01"),
])
def test_the_base_salary_is_the_one_in_force_on_the_decision_date(when: str, amount: int,
                                                                   since: str) -> None:
    rs = dated(load(RULES_2021), when)
    assert rs.rewards is not None
    salary = base_salary(rs.rewards, {p: v.value for p, v in rs.params.items()})
    assert salary is not None
    assert (salary.amount, salary.since, salary.decision_date) == (D(amount), since, when)


@pytest.mark.parametrize(("when", "message"), [
    ("2019-06-30", "on or after 2019-07-01"),
    ("2023-13-01", "is not a date written YYYY-MM-DD"),
    ("31/01/2022", "is not a date written YYYY-MM-DD"),
])
def test_a_bad_decision_date_is_a_usage_error(when: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        dated(load(RULES_2021), when)


def test_2021_amounts_at_the_2021_base_salary() -> None:
    compiled = compile_folder(RULES_2021)
    rw = compiled.ruleset.rewards
    assert rw is not None
    got = amounts(compiled.ruleset, base_salary(rw, compiled.constants))
    assert {t: int(a) for t, a in got.items()} == {
        "LDTT": 450_000, "CSTDCS": 1_490_000, "GIAY_KHEN": 230_000, "TTLDTT": 1_200_000,
        "TTLDXS": 2_240_000, "CO_THI_DUA": 11_920_000, "CO_CHINH_PHU": 17_880_000,
        "GIAY_KHEN_TT": 450_000, "CSTD_TINH": 4_470_000, "CSTD_TQ": 6_710_000}


# ---------------------------------------------------------- per record and per unit, by hand

PERSON_2021 = PERSON  # a 2021 civil servant rated 'tốt', as in test_rules_2021
UNIT_2021: dict[str, Any] = {
    "task_rating": "xuat_sac", "target_completion_pct": D(125), "covid_cases_controlled": True,
    "supply_plan_pct": D(100), "projects_attracted": D(3), "capital_mobilised_pct": D(100),
    "online_docs_pct": D(95), "movements_joined": D(4), "models_replicated": D(2),
    "late_reports": D(0), "reports_missing": D(0), "campaign_launched": True,
    "pledge_signed": True, "violations_found": D(0), "award_received": "khong",
}


def _record(kind: Any, rid: str, group: str, base: dict[str, Any], **values: Any) -> Record:
    return Record(kind, rid, f"Tên {rid}", group, {**base, **values}, Origin("case", 2))


def _get(result: Result, rid: str) -> RecordResult:
    return next(r for r in (*result.individuals, *result.units) if r.id == rid)


def test_2021_rewards_per_record_and_per_unit() -> None:
    """One leading office of 7: P1 xuất sắc with an initiative (LĐTT, CSTĐCS, Giấy khen), P2
    xuất sắc without (LĐTT, Giấy khen), five at tốt (LĐTT). 15% × 7 = 1.05 → 1 CSTĐCS place.
    The office: TTLĐTT, TTLĐXS, Cờ thi đua, Giấy khen tập thể.
      P1: CSTĐCS 1,490,000 (LĐTT 450,000 and Giấy khen 230,000 not paid)
      P2: LĐTT 450,000 (Giấy khen 230,000 not paid)
      5 × LĐTT 450,000 = 2,250,000
      U1: Cờ 11,920,000 (TTLĐTT 1,200,000, TTLĐXS 2,240,000, Giấy khen 450,000 not paid)
      unit line: 1,490,000 + 450,000 + 2,250,000 + 11,920,000 = 16,110,000
    (before the rule: 2,170,000 + 680,000 + 2,250,000 + 15,810,000 = 20,910,000)."""
    people = [_record("individual", "P1", "U1", PERSON_2021, task_rating="xuat_sac",
                      initiatives_co_so=D(1)),
              _record("individual", "P2", "U1", PERSON_2021, task_rating="xuat_sac"),
              *(_record("individual", f"P{i}", "U1", PERSON_2021) for i in range(3, 8))]
    result = score(people, [_record("unit", "U1", "Khối 1", UNIT_2021)],
                   compile_folder(RULES_2021))
    p1, p2, u1 = _get(result, "P1"), _get(result, "P2"), _get(result, "U1")
    assert set(p1.titles) == {"LDTT", "CSTDCS", "GIAY_KHEN"}
    assert (p1.reward, {u.title: u.amount for u in p1.not_paid}) == (
        D(1_490_000), {"LDTT": D(450_000), "GIAY_KHEN": D(230_000)})
    assert (p2.reward, [u.title for u in p2.not_paid]) == (D(450_000), ["GIAY_KHEN"])
    assert set(u1.titles) == {"TTLDTT", "TTLDXS", "CO_THI_DUA", "GIAY_KHEN_TT"}
    assert u1.reward == D(11_920_000)
    assert {u.title for u in u1.not_paid} == {"TTLDTT", "TTLDXS", "GIAY_KHEN_TT"}
    budget = reward_budget(result)
    assert budget.per_unit["U1"] == budget.total == D(16_110_000)
    assert budget.total + sum(budget.not_paid.values(), D(0)) == D(20_910_000)


PERSON_2026: dict[str, Any] = {
    **{k: v for k, v in PERSON_2021.items() if k not in ("covid_role", "task_rating")},
    "task_rating": None, "general_points": D(26), "task_points": D(54), "task_group": "chung",
    "duty_injury": False, "pending_case": False, "conduct_breach": False,
    "corruption_in_unit": False,
}
UNIT_2026: dict[str, Any] = {
    **{k: v for k, v in UNIT_2021.items()
       if k not in ("covid_cases_controlled", "supply_plan_pct", "task_rating")},
    "task_rating": None, "quality_points": D(95), "tasks_on_time_pct": D(100),
    "pending_case": False, "xuat_sac_share_5b": None,
}


def test_2026_rewards_per_record_and_per_unit() -> None:
    """A leading office: its head at 92 points (xuất sắc: 1 ≤ 20% × 5) with an initiative, five
    at 80 (tốt). Head: CSTĐCS 2,340,000 (LĐTT 710,000, Giấy khen 360,000 not paid); five LĐTT
    710,000 = 3,550,000; office: Cờ 18,720,000 (TTLĐTT 1,880,000, TTLĐXS 3,510,000, Giấy khen
    710,000 not paid). Unit line 2,340,000 + 3,550,000 + 18,720,000 = 24,610,000."""
    people = [_record("individual", "H", "U1", PERSON_2026, is_head=True, general_points=D(28),
                      task_points=D(64), initiatives_co_so=D(1)),
              *(_record("individual", f"P{i}", "U1", PERSON_2026) for i in range(5))]
    result = score(people, [_record("unit", "U1", "Khối 1", UNIT_2026)],
                   compile_folder(RULES_2026))
    head, u1 = _get(result, "H"), _get(result, "U1")
    assert head.rating is not None and head.rating.final == "xuat_sac"
    assert head.reward == D(2_340_000)
    assert {u.title: (u.amount, u.paid) for u in head.not_paid} == {
        "LDTT": (D(710_000), "CSTDCS"), "GIAY_KHEN": (D(360_000), "CSTDCS")}
    assert u1.reward == D(18_720_000)
    assert reward_budget(result).per_unit["U1"] == D(24_610_000)


def test_explain_says_what_is_not_paid_and_why() -> None:
    people = [_record("individual", "H", "U1", PERSON_2026, general_points=D(28),
                      task_points=D(64), initiatives_co_so=D(1)),
              *(_record("individual", f"P{i}", "U1", PERSON_2026) for i in range(5))]
    units = [_record("unit", "U1", "Khối 1", UNIT_2026)]
    compiled = compile_folder(RULES_2026)
    result = score(people, units, compiled)
    text = render(explain(_get(result, "H"), result, compiled, Batch(people, units), changes=0),
                  "text")
    assert "- CSTDCS Chiến sĩ thi đua cơ sở: 2,340,000 paid" in text
    assert "- LDTT 710,000 not paid: CSTDCS rewards the same achievement" in text
    assert "total paid: 2,340,000" in text


# ------------------------------------------------------------------ the rule-file schema

def _with_rewards(tmp_path: Path, rewards: str) -> Path:
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "ruleset.yaml").write_text(
        f'extends: "{Path("rules/2026").resolve()}"\nrewards:\n{rewards}', encoding="utf-8")
    return folder


@pytest.mark.parametrize(("rewards", "message"), [
    ("  base_salary: 2340000\n  base_salaries:\n    - {since: 2024-07-01, amount: 2340000}\n",
     "either 'base_salary' or a dated 'base_salaries' table"),
    ("  base_salaries:\n    - {since: 2024-07-01, amount: 1}\n    - {since: 2023-07-01, "
     "amount: 2}\n", "in date order"),
    ("  base_salaries:\n    - {since: 2024-13-01, amount: 1}\n", "not a date written"),
    ("  same_achievement:\n    - {id: g, label: g, titles: [LDTT, NOPE]}\n",
     "unknown title 'NOPE'"),
    ("  same_achievement:\n    - {id: g, label: g, titles: [LDTT, TTLDTT]}\n",
     "mixes individual and unit titles"),
    ("  same_achievement:\n    - {id: g, label: g, titles: [LDTT, CSTDCS]}\n"
     "    - {id: h, label: h, titles: [LDTT, GIAY_KHEN]}\n", "is in two same_achievement"),
    ("  decision_date: 2019-01-01\n", "before the first base salary"),
    ("  same_achievement:\n    - {id: g, label: g, titles: [LDTT]}\n", "at least two titles"),
])
def test_bad_rewards_sections_are_rule_errors(tmp_path: Path, rewards: str,
                                              message: str) -> None:
    with pytest.raises(RuleError, match=message):
        compile_ruleset(load(_with_rewards(tmp_path, rewards)))


def test_scoring_check_knows_the_new_keys(tmp_path: Path) -> None:
    folder = _with_rewards(tmp_path, "  decison_date: 2027-01-20\n")
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 1  # a checking command that found a problem
    assert "unknown key 'decison_date' (did you mean 'decision_date'?)" in result.output


# --------------------------------------------------------- the run's decision date, recorded


def test_the_decision_date_given_with_the_run_is_used_and_recorded(tmp_path: Path) -> None:
    """The 2021 sample decided on 1 Jul 2023 is paid at 1,800,000: LĐTT 0.3 → 540,000."""
    out = tmp_path / "out" / "r.json"
    result = CliRunner().invoke(cli, ["score", "fixtures/quang-ngai-2021", "-q", "-o", str(out),
                                      "--decision-date", "2023-07-01"])
    assert result.exit_code == 0, result.output
    data = read_results(out.read_text(encoding="utf-8"))
    assert (data["rewards"]["base_salary"], data["rewards"]["decision_date"]) == (
        1_800_000, "2023-07-01")
    ldtt = {r["rewards"].get("LDTT") for r in data["individuals"]} - {None}
    assert ldtt == {540_000}
    manifest = json.loads((out.parent / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["decision_date"] == "2023-07-01"
    assert manifest["rewards"] == {"base_salary": 1_800_000, "decision_date": "2023-07-01"}
    again = CliRunner().invoke(cli, ["verify", str(out.parent)])
    assert again.exit_code == 0, again.output


def test_a_decision_date_before_the_table_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["score", "fixtures/quang-ngai-2021", "-q",
                                      "--decision-date", "2018-12-31"])
    assert result.exit_code == 2
    assert "--decision-date" in result.output and "2019-07-01" in result.output


def test_the_decision_date_streams_to_the_same_bytes(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """--stream reads the decision date from the run's options: same output, same manifest.
    Decided on 30 Jun 2024 the 2026 sample is paid at 1,800,000 (LĐTT 0.3 → 540,000)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    outs = [tmp_path / "one" / "r.json", tmp_path / "streamed" / "r.json"]
    for out, extra in zip(outs, ([], ["--stream", "--workers", "1"]), strict=True):
        result = CliRunner().invoke(cli, ["score", "fixtures/quang-ngai-2026", "-q", "-o",
                                          str(out), "--decision-date", "2024-06-30", *extra])
        assert result.exit_code == 0, result.output
    for name in ("r.json", "manifest.json"):
        assert (outs[0].parent / name).read_bytes() == (outs[1].parent / name).read_bytes()
    data = read_results(outs[0].read_text(encoding="utf-8"))
    assert data["rewards"]["base_salary"] == 1_800_000
    assert {r["rewards"].get("LDTT") for r in data["individuals"]} - {None} == {540_000}
