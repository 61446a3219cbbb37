"""The 2024 rule set (Luật Thi đua, khen thưởng 2022, Nghị định 98/2023, Thông tư 01/2024).

What changed from 2021 is checked by scoring the same small batch with both rule sets through
`evaluation.scorer.score`: LĐTT from 6 months instead of 10, CSTĐCS through "xuất sắc" without an
initiative (and no 15% cap), TTLĐXS no longer blocked by a member disciplined at cảnh cáo. The
worked examples of rules/2024/examples.yaml run too, when the examples runner is present.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scoring.evaluation.result import RecordResult, Result
from scoring.evaluation.scorer import score
from scoring.inputs.records import RawTable, Record, validate
from scoring.rulesets.compile import Compiled
from scoring.rulesets.schema import Kind
from scoring.run.app import compile_folder

RULES_2021 = Path("rules/2021")
RULES_2024 = Path("rules/2024")


@pytest.fixture(scope="module")
def c2021() -> Compiled:
    return compile_folder(RULES_2021)


@pytest.fixture(scope="module")
def c2024() -> Compiled:
    return compile_folder(RULES_2024)


# ------------------------------------------------------------------------ loading, compiling


def test_loads_and_compiles(c2024: Compiled) -> None:
    rs = c2024.ruleset
    assert rs.year == 2024
    assert len(c2024.hash) == 64
    assert any(p.endswith("2021") for p in rs.lineage)


def test_covid_retired_and_points_rebalanced(c2024: Compiled) -> None:
    rs = c2024.ruleset
    ind = {c.id: c.max for c in rs.individual.criteria}
    unit = {c.id: c.max for c in rs.unit.criteria}
    assert "covid" not in ind and "covid_role" not in rs.individual.inputs
    assert not {"u_covid_control", "u_covid_supply"} & set(unit)
    assert not {"covid_cases_controlled", "supply_plan_pct"} & set(rs.unit.inputs)
    assert sum(ind.values()) == rs.individual.total == 100
    assert sum(unit.values()) == rs.unit.total == 100
    assert (ind["industry"], ind["digital"]) == (Decimal(15), Decimal(10))
    assert (unit["u_projects"], unit["u_capital"], unit["u_digital"]) == (
        Decimal(12), Decimal(11), Decimal(17))


def test_every_condition_cites_its_basis(c2024: Compiled) -> None:
    rs = c2024.ruleset
    for t in rs.titles:
        assert "2022" in t.basis, t.id  # each title cites the 2022 law
    assert rs.params["ldtt_min_months"].value == 6
    assert "01/2024/TT-BNV" in rs.params["ldtt_min_months"].basis


def test_examples_pass(c2024: Compiled) -> None:
    ruletest = pytest.importorskip("scoring.checks.ruletest")
    outcomes = ruletest.run_examples(c2024)
    assert outcomes, "rules/2024 has worked examples"
    failed = [line for o in outcomes if not o.passed for line in o.report()]
    assert not failed, "\n".join(failed)


# ------------------------------------------------------- the same batch under 2021 and 2024

PLAIN = {"months_worked": 12, "industry_tasks": 0, "digital_pct": 80, "movements_joined": 2,
         "discipline": "khong", "covid_role": "chap_hanh"}
UNIT = {"target_completion_pct": 105, "online_docs_pct": 90, "movements_joined": 3,
        "campaign_launched": True, "pledge_signed": True, "covid_cases_controlled": True,
        "supply_plan_pct": 100}

PEOPLE: list[dict[str, Any]] = [
    # U1: the months line and CSTĐCS through "xuất sắc"
    {**PLAIN, "id": "P1", "name": "Nguyễn Văn Sáu", "unit_id": "U1", "task_rating": "tot",
     "months_worked": 6, "new_hire": "co"},
    {**PLAIN, "id": "P2", "name": "Trần Thị Năm", "unit_id": "U1", "task_rating": "tot",
     "months_worked": 5, "new_hire": "co"},
    {**PLAIN, "id": "P3", "name": "Lê Văn Mười", "unit_id": "U1", "task_rating": "tot",
     "months_worked": 10, "new_hire": "co"},
    {**PLAIN, "id": "P4", "name": "Phạm Thị Xuất", "unit_id": "U1", "task_rating": "xuat_sac"},
    # U2: a unit excellent in every way but one member disciplined at cảnh cáo
    {**PLAIN, "id": "Q1", "name": "Hồ Văn Trưởng", "unit_id": "U2", "task_rating": "xuat_sac",
     "is_head": True, "initiatives_co_so": 1},
    *({**PLAIN, "id": f"Q{i}", "name": f"Võ Thị Thành Viên {i}", "unit_id": "U2",
       "task_rating": "tot"} for i in range(2, 8)),
    {**PLAIN, "id": "Q8", "name": "Đặng Văn Cảnh", "unit_id": "U2", "task_rating": "tot",
     "discipline": "canh_cao"},
]
UNITS: list[dict[str, Any]] = [
    {**UNIT, "id": "U1", "name": "Phòng Một", "cluster": "Khối A", "task_rating": "tot"},
    {**UNIT, "id": "U2", "name": "Phòng Hai", "cluster": "Khối B", "task_rating": "xuat_sac"},
]


def records(compiled: Compiled, kind: Kind, rows: Sequence[Mapping[str, Any]]) -> list[Record]:
    """Rows → validated records, keeping only the columns the rule set declares (the 2021 set
    still asks for the COVID-19 inputs, the 2024 set no longer knows them)."""
    inputs = compiled.kind(kind).inputs
    identity = ("id", "name", "unit_id") if kind == "individual" else ("id", "name", "cluster")
    header = [*identity, *(k for k in inputs if any(k in r for r in rows))]
    table = RawTable(kind, f"{kind}.csv", tuple(header),
                     tuple(tuple(r.get(h) for h in header) for r in rows))
    return validate(table, inputs).records


def scored(compiled: Compiled) -> Result:
    return score(records(compiled, "individual", PEOPLE), records(compiled, "unit", UNITS),
                 compiled)


@pytest.fixture(scope="module")
def r2021(c2021: Compiled) -> Result:
    return scored(c2021)


@pytest.fixture(scope="module")
def r2024(c2024: Compiled) -> Result:
    return scored(c2024)


def rec(result: Result, rid: str) -> RecordResult:
    return next(r for r in (*result.individuals, *result.units) if r.id == rid)


def test_ldtt_from_six_months(r2021: Result, r2024: Result) -> None:
    assert "LDTT" in rec(r2024, "P1").titles  # 6 months, tốt: LĐTT under the 2022 law …
    assert "LDTT" not in rec(r2021, "P1").titles  # … but not under the 10-month rule of 2021
    for result in (r2021, r2024):
        assert "LDTT" not in rec(result, "P2").titles  # 5 months: neither
        assert "LDTT" in rec(result, "P3").titles  # 10 months: both


def test_six_months_fails_in_2021_on_the_months_condition(r2021: Result) -> None:
    d = next(d for d in rec(r2021, "P1").decisions if d.title == "LDTT")
    failed = [p.condition for p in d.prerequisites if not p.met]
    assert failed == ['new_hire == "khong" or months_worked >= ldtt_min_months or '
                      "maternity_leave or training_under_year"]


def test_cstdcs_through_excellence_without_initiative(r2021: Result, r2024: Result) -> None:
    assert set(rec(r2024, "P4").titles) == {"LDTT", "CSTDCS", "GIAY_KHEN"}
    assert rec(r2021, "P4").titles == ("LDTT", "GIAY_KHEN")  # 2021 wanted an initiative
    assert "CSTDCS" not in rec(r2024, "P1").titles  # tốt without initiative: still not


def test_no_cstdcs_cap_in_2024(r2024: Result) -> None:
    """U1 has 4 LĐTT: 15% would leave no place in 2021; with no cap, P4 is not cut."""
    d = next(d for d in rec(r2024, "P4").decisions if d.title == "CSTDCS")
    assert d.awarded and (d.quota is None or not d.quota.cut)


def test_ttldxs_no_longer_blocked_by_canh_cao(r2021: Result, r2024: Result) -> None:
    assert rec(r2024, "Q8").titles == ()  # the member at cảnh cáo is gated himself
    assert "TTLDXS" in rec(r2024, "U2").titles
    old = next(d for d in rec(r2021, "U2").decisions if d.title == "TTLDXS")
    assert not old.awarded
    assert [p.condition for p in old.prerequisites if not p.met] == ["members_canh_cao_plus == 0"]


def test_scores_use_the_rebalanced_table(r2024: Result) -> None:
    # tốt 30 + 0 + 10 + industry 0 + digital 80% → 6 + 2 movements → 3 = 49
    assert rec(r2024, "P1").score == Decimal(49)
    assert "covid" not in dict(rec(r2024, "P1").points)


# ------------------------------------------------- pending cases (Decree 98/2023) and the flag


def test_a_pending_case_blocks_every_proposal_from_2024(c2021: Compiled, c2024: Compiled) -> None:
    """The same excellent civil servant with an initiative, a discipline case pending: nothing
    proposed from 2024 (the gate `pending_review`); 2021 had no such input."""
    person = {**PLAIN, "id": "P1", "name": "Nguyễn Văn Chờ", "unit_id": "U1",
              "task_rating": "xuat_sac", "initiatives_co_so": 1, "pending_case": True}
    others = [{**PLAIN, "id": f"P{i}", "name": f"Người {i}", "unit_id": "U1",
               "task_rating": "tot"} for i in range(2, 5)]
    unit = {**UNIT, "id": "U1", "name": "Phòng Một", "cluster": "Khối A", "task_rating": "tot",
            "pending_case": True}
    result = score(records(c2024, "individual", [person, *others]),
                   records(c2024, "unit", [unit]), c2024)
    p1, u1 = rec(result, "P1"), rec(result, "U1")
    assert p1.titles == () and "pending_review" in p1.gates
    assert all("pending_review" in d.gated_by for d in p1.decisions)
    assert next(d for d in p1.decisions if d.title == "LDTT").eligible is False
    assert u1.titles == () and "unit_pending_review" in u1.gates
    assert "pending_case" not in c2021.kind("individual").inputs


def test_the_flag_needs_no_ttldxs_from_2024(c2024: Compiled) -> None:
    """The flag's prerequisites name no lower title, and the worked example of an office with
    5 of 8 LĐTT (no TTLĐXS) that still leads its cluster passes."""
    ruletest = pytest.importorskip("scoring.checks.ruletest")
    flag = next(t for t in c2024.ruleset.titles if t.id == "CO_THI_DUA")
    assert not {"TTLDXS", "TTLDTT"} & set(flag.requires)
    outcomes = [o for o in ruletest.run_examples(c2024) if "không TTLĐXS" in o.name]
    assert len(outcomes) == 1 and outcomes[0].passed, outcomes
