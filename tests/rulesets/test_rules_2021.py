"""Hand-worked cases of the 2021 rule set: every boundary the law and the model table draw.

A default person (rated tốt, 12 months, chấp hành COVID rules, 80% digital, 2 movements, no
discipline, not a head) scores 30 + 0 + 10 + 4 + 0 + 3 + 3 = 50. A default unit (tốt, 100% of
targets, COVID controlled, 100% supply, 90% online documents, 4 movements, campaign launched and
pledge signed) scores 9 + 15 + 7 + 8 + 0 + 0 + 10 + 6 + 0 + 5 + 5 = 65 plus its initiatives
points and its discipline points as its members decide them.
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from scoring.evaluation.result import RecordResult, Result
from scoring.evaluation.scorer import score
from scoring.inputs.records import Origin, Record
from scoring.run.app import compile_folder

PERSON: dict[str, Any] = {
    "task_rating": "tot", "months_worked": D(12), "new_hire": "khong", "maternity_leave": False,
    "training_under_year": False, "is_head": False, "initiatives_co_so": D(0),
    "initiatives_tinh": D(0), "initiatives_toan_quoc": D(0), "projects_co_so": D(0),
    "projects_tinh": D(0), "projects_toan_quoc": D(0), "covid_role": "chap_hanh",
    "industry_tasks": D(0), "digital_pct": D(80), "movements_joined": D(2),
    "discipline": "khong", "ad_hoc_award": False,
}
UNIT: dict[str, Any] = {
    "task_rating": "tot", "target_completion_pct": D(100), "covid_cases_controlled": True,
    "supply_plan_pct": D(100), "projects_attracted": D(0), "capital_mobilised_pct": D(0),
    "online_docs_pct": D(90), "movements_joined": D(4), "models_replicated": D(0),
    "late_reports": D(0), "reports_missing": D(0), "campaign_launched": True,
    "pledge_signed": True, "violations_found": D(0), "award_received": "khong",
}


def person(pid: str, unit: str, name: str | None = None, **values: Any) -> Record:
    merged = {**PERSON, **{k: D(v) if isinstance(v, int) and not isinstance(v, bool) else v
                           for k, v in values.items()}}
    return Record("individual", pid, name or f"Người {pid}", unit, merged, Origin("case", 2))


def unit(uid: str, cluster: str = "Khối 1", **values: Any) -> Record:
    merged = {**UNIT, **{k: D(v) if isinstance(v, int) and not isinstance(v, bool) else v
                         for k, v in values.items()}}
    return Record("unit", uid, f"Đơn vị {uid}", cluster, merged, Origin("case", 2))


def scored(people: list[Record], units: list[Record]) -> Result:
    return score(people, units, compile_folder("rules/2021"))


def get(result: Result, rid: str) -> RecordResult:
    return next(r for r in (*result.individuals, *result.units) if r.id == rid)


@pytest.mark.parametrize(
    ("values", "ldtt"),
    [
        ({"months_worked": 9, "new_hire": "co"}, False),  # new hires under 10 months: not LĐTT
        ({"months_worked": 10, "new_hire": "co"}, True),
        ({"months_worked": 4, "new_hire": "khong"}, True),  # transferred in: no months floor
        ({"months_worked": 9, "new_hire": None}, False),  # not said: the floor is not shown met
        ({"months_worked": 12, "new_hire": None}, True),
        ({"months_worked": 9, "new_hire": "co", "maternity_leave": True}, True),  # counts as worked
        ({"months_worked": 9, "new_hire": "co", "training_under_year": True}, True),
        ({"task_rating": "hoan_thanh"}, False),  # at least "hoàn thành tốt"
        ({"task_rating": "xuat_sac"}, True),
        ({"discipline": "khien_trach"}, False),  # khiển trách or above: gated
    ],
)
def test_ldtt_conditions(values: dict[str, Any], ldtt: bool) -> None:
    result = scored([person("P1", "U1", **values), person("P2", "U1")], [unit("U1")])
    assert ("LDTT" in get(result, "P1").titles) is ldtt


def test_default_person_scores_fifty_and_deductions_apply() -> None:
    result = scored([person("P1", "U1"), person("P2", "U1", discipline="khien_trach"),
                     person("P3", "U1", ad_hoc_award=True)], [unit("U1")])
    assert get(result, "P1").score == 50
    assert get(result, "P2").score == 40  # −10 for khiển trách
    assert get(result, "P2").gates == ("disciplined",)
    assert get(result, "P3").score == 55  # +5 ad hoc award


@pytest.mark.parametrize(
    ("unit_values", "points"),
    [
        ({"task_rating": "xuat_sac", "target_completion_pct": 100}, 10),
        ({"task_rating": "xuat_sac", "target_completion_pct": D("99.9")}, 7),
        ({"task_rating": "tot"}, 7),
        ({"task_rating": "hoan_thanh"}, 3),
        ({"task_rating": "khong_hoan_thanh"}, 0),
    ],
)
def test_head_is_judged_by_the_units_result(unit_values: dict[str, Any], points: int) -> None:
    result = scored([person("H", "U1", is_head=True), person("P2", "U1")],
                    [unit("U1", **unit_values)])
    assert get(result, "H").point("head_role") == points
    assert get(result, "P2").point("head_role") == 10  # not a head: the criterion's full points


def test_cstdcs_fifteen_percent_cut_with_a_tie() -> None:
    """Seven LĐTT holders: floor(15% × 7) = 1 place. Three candidates with one base initiative
    each (score 55); Lê An and Trần An tie on score, and the given name 'An' ties too, so the
    family and middle names decide (Lê < Trần); Nguyễn Bình scores the same but Bình > An."""
    people = [person(f"P{i}", "U1") for i in range(4)]
    people += [
        person("C1", "U1", "Trần Văn An", initiatives_co_so=1),
        person("C2", "U1", "Lê Văn An", initiatives_co_so=1),
        person("C3", "U1", "Nguyễn Bình", initiatives_co_so=1),
    ]
    result = scored(people, [unit("U1")])
    assert sum("LDTT" in r.titles for r in result.individuals) == 7
    winners = [r.id for r in result.individuals if "CSTDCS" in r.titles]
    assert winners == ["C2"]
    cut = {r.id: next(d.quota for d in r.decisions if d.title == "CSTDCS")
           for r in result.individuals if r.id in ("C1", "C3")}
    assert {k: (q.rank, q.places, q.basis_count, q.cut) for k, q in cut.items() if q} == {
        "C1": (2, 1, 7, True), "C3": (3, 1, 7, True)}


def test_cstdcs_needs_seven_ldtt_for_one_place() -> None:
    """Six LĐTT holders: floor(0.9) = 0 places, so nobody, however good."""
    people = [person(f"P{i}", "U1") for i in range(5)]
    people.append(person("C1", "U1", initiatives_co_so=1))
    result = scored(people, [unit("U1")])
    assert not any("CSTDCS" in r.titles for r in result.individuals)


@pytest.mark.parametrize(
    ("ldtt", "others", "ttldtt"),
    [(2, 2, False), (3, 1, True)],  # exactly 50% is not "more than 50%"; 75% is
)
def test_ttldtt_needs_more_than_half_ldtt(ldtt: int, others: int, ttldtt: bool) -> None:
    people = [person(f"L{i}", "U1") for i in range(ldtt)]
    people += [person(f"O{i}", "U1", task_rating="hoan_thanh") for i in range(others)]
    result = scored(people, [unit("U1")])
    assert ("TTLDTT" in get(result, "U1").titles) is ttldtt
    assert dict((a.name, a.value) for a in get(result, "U1").aggregates)["share_ldtt"] == (
        D(ldtt) / D(ldtt + others))


def test_ttldtt_blocked_by_a_member_at_canh_cao() -> None:
    people = [person(f"L{i}", "U1") for i in range(3)] + [
        person("K", "U1", discipline="canh_cao")]
    result = scored(people, [unit("U1")])
    assert "TTLDTT" not in get(result, "U1").titles
    assert get(result, "U1").point("u_discipline") == 0


@pytest.mark.parametrize(("ldtt", "ttldxs"), [(7, True), (6, False)])
def test_ttldxs_needs_seventy_percent_ldtt(ldtt: int, ttldxs: bool) -> None:
    """Ten members, all completing their tasks: 70% LĐTT is enough, 60% is not. With 7 LĐTT
    holders, floor(15% × 7) = 1 CSTĐCS place; with 6 there is none, so the 60% unit also
    lacks its CSTĐCS: both prerequisites fail, and the share is among them."""
    people = [person(f"L{i}", "U1", initiatives_co_so=1 if i == 0 else 0) for i in range(ldtt)]
    people += [person(f"O{i}", "U1", task_rating="hoan_thanh") for i in range(10 - ldtt)]
    result = scored(people, [unit("U1", task_rating="xuat_sac", target_completion_pct=110)])
    u = get(result, "U1")
    assert ("TTLDXS" in u.titles) is ttldxs
    decision = next(d for d in u.decisions if d.title == "TTLDXS")
    failed = [p.condition for p in decision.prerequisites if not p.met]
    assert ("share_ldtt >= ttldxs_min_share_ldtt" in failed) is (not ttldxs)


def test_flag_goes_to_one_leader_per_cluster_tie_broken_by_target() -> None:
    """Two units in one cluster meet TTLĐXS with the same score; the one with the higher target
    completion gets the Cờ thi đua (rank_by: -score, -target_completion_pct, name)."""
    people: list[Record] = []
    for uid in ("U1", "U2"):
        people += [person(f"{uid}L{i}", uid, initiatives_co_so=1 if i == 0 else 0)
                   for i in range(7)]
    units = [unit("U1", task_rating="xuat_sac", target_completion_pct=D("115"),
                  capital_mobilised_pct=100, projects_attracted=3),
             unit("U2", task_rating="xuat_sac", target_completion_pct=D("112"),
                  capital_mobilised_pct=100, projects_attracted=3)]
    result = scored(people, units)
    u1, u2 = get(result, "U1"), get(result, "U2")
    assert u1.score == u2.score >= 85
    assert "CO_THI_DUA" in u1.titles and "CO_THI_DUA" not in u2.titles
    assert (u1.rank, u2.rank) == (1, 2)


def test_cstdcs_cap_counted_over_the_department() -> None:
    """Seven offices of 6 LĐTT each, one candidate per office (an initiative). Counted per
    office, 15% × 6 = 0.9 → 0 places everywhere; over the department (the default) 15% × 42 =
    6.3 → 6 places: the six best candidates get CSTĐCS, the seventh (fewest points) is cut."""
    people = []
    for u in range(7):
        people += [person(f"U{u}C", f"U{u}", initiatives_co_so=1, industry_tasks=u),
                   *(person(f"U{u}P{i}", f"U{u}") for i in range(5))]
    result = scored(people, [unit(f"U{u}") for u in range(7)])
    holders = sorted(r.id for r in result.individuals if "CSTDCS" in r.titles)
    assert holders == [f"U{u}C" for u in range(1, 7)]
    cut = next(d for d in get(result, "U0C").decisions if d.title == "CSTDCS")
    assert cut.quota is not None and cut.quota.cut
    assert (cut.quota.scope, cut.quota.places, cut.quota.basis_count) == ("all = all", 6, 42)


def test_the_governments_flag_is_capped_at_twenty_percent_of_the_flags() -> None:
    """Two clusters, each with a leading office that gets the Cờ thi đua: 20% × 2 = 0.4 → 0
    places for the Cờ thi đua của Chính phủ; both are candidates, both cut."""
    people: list[Record] = []
    for uid in ("U1", "U2"):
        people += [person(f"{uid}L{i}", uid, initiatives_co_so=1 if i == 0 else 0)
                   for i in range(7)]
    units = [unit("U1", "Khối 1", task_rating="xuat_sac", target_completion_pct=D("115"),
                  capital_mobilised_pct=100, projects_attracted=3),
             unit("U2", "Khối 2", task_rating="xuat_sac", target_completion_pct=D("112"),
                  capital_mobilised_pct=100, projects_attracted=3)]
    result = scored(people, units)
    for uid in ("U1", "U2"):
        u = get(result, uid)
        assert "CO_THI_DUA" in u.titles and "CO_CHINH_PHU" not in u.titles
        d = next(d for d in u.decisions if d.title == "CO_CHINH_PHU")
        assert d.eligible and d.quota is not None and d.quota.cut
        assert (d.quota.places, d.quota.basis_count) == (0, 2)
