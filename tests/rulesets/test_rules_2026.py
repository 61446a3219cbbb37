"""The 2026 rule set on the 2026 sample (fixtures/quang-ngai-2026): ratings from points under
Decree 335/2025, the 20% share on the final list (civil servants only), paper ratings outside
it, the pending-case gate and the rewards of Decree 152/2025, one per achievement.

Every check recomputes what it checks from the inputs and the RatingDecisions, independently of
the scorer: the bands from the points, the share per unit and task group, who should have been
moved down, and each reward as multiple × base salary rounded up to 10,000 đồng, only the
highest of the year's titles paid.
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

import pytest

from scoring.base.text import name_sort_key
from scoring.evaluation.quotas import final_list_places
from scoring.evaluation.result import RecordResult, Result
from scoring.evaluation.rewards import base_salary
from scoring.evaluation.scorer import score
from scoring.explanations.explanation import explain
from scoring.explanations.render import render
from scoring.inputs.batch import Batch
from scoring.inputs.records import Origin, Record
from scoring.rulesets.compile import Compiled, compile_ruleset
from scoring.run.app import compile_folder, run

RULES = Path("rules/2026")
SAMPLE = Path("fixtures/quang-ngai-2026")
SHARE = Decimal("0.2")  # Decree 335/2025: "xuất sắc" ≤ 20% of those rated "tốt"
BASE_SALARY = Decimal(2_340_000)  # Decree 73/2024/NĐ-CP
MULTIPLES = {"LDTT": Decimal("0.3"), "CSTDCS": Decimal("1.0"), "TTLDTT": Decimal("0.8"),
             "TTLDXS": Decimal("1.5"), "CO_THI_DUA": Decimal("8.0"), "CSTD_TINH": Decimal("3.0"),
             "CSTD_TQ": Decimal("4.5"), "CO_CHINH_PHU": Decimal("12.0"),
             "GIAY_KHEN": Decimal("0.15"), "GIAY_KHEN_TT": Decimal("0.3")}
# The year's titles reward one achievement (Decree 91/2017 art. 66 §2 c): only the highest paid.
SAME_YEAR = ({"LDTT", "CSTDCS", "GIAY_KHEN"},
             {"TTLDTT", "TTLDXS", "CO_THI_DUA", "CO_CHINH_PHU", "GIAY_KHEN_TT"})


@pytest.fixture(scope="module")
def compiled() -> Compiled:
    return compile_folder(RULES)


@pytest.fixture(scope="module")
def result() -> Result:
    return run([SAMPLE]).result


def inputs(r: RecordResult) -> dict[str, object]:
    return dict(r.inputs)


def band(points: Decimal) -> str:
    if points >= 90:
        return "xuat_sac"
    if points >= 70:
        return "tot"
    if points >= 50:
        return "hoan_thanh"
    return "khong_hoan_thanh"


def before_share(r: RecordResult) -> str:
    """The class a person is counted in by the share: override, else band, else as given."""
    d = r.rating
    assert d is not None
    if d.points is None:
        return str(d.given)
    return "khong_hoan_thanh" if d.override else str(d.band)


def share_groups(result: Result) -> dict[tuple[str, str], list[RecordResult]]:
    groups: dict[tuple[str, str], list[RecordResult]] = defaultdict(list)
    for r in result.individuals:
        groups[(r.parent, str(inputs(r)["task_group"]))].append(r)
    return groups


# ------------------------------------------------------------------------ loading, compiling


def test_loads_and_compiles(compiled: Compiled) -> None:
    rs = compiled.ruleset
    assert rs.year == 2026
    assert len(compiled.hash) == 64
    assert [Path(p).name for p in rs.lineage] == ["2021", "2024"]
    assert rs.individual.ratings is not None and rs.unit.ratings is not None
    assert not rs.individual.inputs["task_rating"].is_required
    assert not rs.unit.inputs["task_rating"].is_required


def test_rewards_declared(compiled: Compiled) -> None:
    rs = compiled.ruleset
    assert rs.rewards is not None and rs.rewards.round_up_to == 10_000
    assert rs.rewards.decision_date_in(compiled.constants) == "2027-01-31"
    salary = base_salary(rs.rewards, compiled.constants)
    assert salary is not None and (salary.amount, salary.since) == (BASE_SALARY, "2024-07-01")
    assert {t.id: t.reward for t in rs.titles if t.reward is not None} == MULTIPLES
    assert [set(a.titles) for a in rs.rewards.same_achievement or ()] == list(SAME_YEAR)


def test_examples_pass(compiled: Compiled) -> None:
    ruletest = pytest.importorskip("scoring.checks.ruletest")
    outcomes = ruletest.run_examples(compiled)
    assert len(outcomes) >= 20
    failed = [line for o in outcomes if not o.passed for line in o.report()]
    assert not failed, "\n".join(failed)


# --------------------------------------------------------------------------- the sample


def test_sample_picks_the_2026_rules(result: Result) -> None:
    assert result.year == 2026
    assert len(result.individuals) >= 600 and len(result.units) >= 20
    assert len({u.parent for u in result.units}) >= 3


def test_ratings_computed_from_points(result: Result) -> None:
    by_points = 0
    for r in result.individuals:
        d = r.rating
        assert d is not None and d.final is not None, r.id
        v = inputs(r)
        if v["general_points"] is None:
            continue
        by_points += 1
        points = v["general_points"] + v["task_points"]  # type: ignore[operator]
        assert d.points == points, r.id
        assert d.band == band(points), r.id
        overridden = v["discipline"] != "khong" or v["conduct_breach"] or (
            v["is_head"] and v["corruption_in_unit"])
        assert bool(d.override) == bool(overridden), r.id
        if overridden:
            assert d.final == "khong_hoan_thanh", r.id
    assert by_points > len(result.individuals) / 2  # most are rated from points


def test_boundaries_in_the_sample(result: Result) -> None:
    seen = {r.rating.points: r.rating.band for r in result.individuals
            if r.rating and r.rating.points is not None}
    for p, b in (("49.9", "khong_hoan_thanh"), ("50", "hoan_thanh"), ("69.9", "hoan_thanh"),
                 ("70", "tot"), ("89.9", "tot"), ("90", "xuat_sac")):
        assert seen[Decimal(p)] == b


def by_points(people: list[RecordResult], cls: str, final: bool = False) -> int:
    """How many civil servants rated from points are in `cls`, before the share or after."""
    return sum(1 for r in people if r.rating and r.rating.points is not None
               and (r.rating.final if final else before_share(r)) == cls)


def kept_places(tot: int, xs: int) -> int:
    """The most "xuất sắc" the final list allows: k ≤ floor(20% × (tốt + the xs − k moved))."""
    return max(k for k in range(xs + 1) if k <= math.floor(SHARE * (tot + xs - k)))


def test_share_never_exceeded_on_the_final_list(result: Result) -> None:
    """Per unit and task group, the final "xuất sắc" from points ≤ floor(20% × the final "tốt"
    from points), and one more kept would break it (the largest number is kept)."""
    for scope, people in share_groups(result).items():
        xs, tot = by_points(people, "xuat_sac", True), by_points(people, "tot", True)
        assert xs <= math.floor(SHARE * tot), scope
        if any(r.rating and r.rating.moved_to for r in people):
            assert xs + 1 > math.floor(SHARE * (tot - 1)), scope


@pytest.mark.parametrize(("tot", "xs", "kept"), [
    (4, 9, 2),  # the case: 20% of 11 = 2.2 → 2 (counted before moves: 0)
    (0, 1, 0), (5, 1, 1), (5, 2, 1), (10, 3, 2), (0, 6, 1), (20, 0, 0), (14, 7, 3),
])
def test_kept_places_by_hand(tot: int, xs: int, kept: int) -> None:
    assert kept_places(tot, xs) == final_list_places(SHARE, tot, xs, 0, "floor") == kept


def test_exactly_the_right_people_moved_down(result: Result) -> None:
    """Recompute who the share moves: by points, then name (given name first), then id."""
    expected: set[str] = set()
    for people in share_groups(result).values():
        room = kept_places(by_points(people, "tot"), by_points(people, "xuat_sac"))
        candidates = sorted(
            ((r.rating.points, r) for r in people if r.rating and r.rating.points is not None
             and before_share(r) == "xuat_sac"),
            key=lambda pr: (-pr[0], name_sort_key(pr[1].name), pr[1].id))
        expected |= {r.id for _, r in candidates[room:]}
    moved = {r.id for r in result.individuals if r.rating and r.rating.moved_to}
    assert moved == expected
    assert len(moved) >= 10
    assert len({r.parent for r in result.individuals if r.id in moved}) >= 3  # several units


def test_paper_ratings_are_outside_the_share(result: Result) -> None:
    """Public employees, enterprise workers and contract staff (rated on paper) are counted on
    neither side of the share and marked so when they are "xuất sắc" or "tốt"."""
    marked = 0
    for r in result.individuals:
        d = r.rating
        assert d is not None
        if d.points is None:
            assert d.quota is None and d.moved_to is None, r.id
            assert d.outside_cap is (d.final in ("xuat_sac", "tot")), r.id
            marked += d.outside_cap
        else:
            assert not d.outside_cap, r.id
    assert marked >= 100
    contract = [r for r in result.individuals if r.rating and r.rating.points is None
                and r.parent.startswith(("SCT-", "QLTT-"))]
    assert contract  # contract staff inside the agencies, rated on paper


def test_moved_down_is_explained(result: Result) -> None:
    moved = [r for r in result.individuals if r.rating and r.rating.moved_to]
    for r in moved:
        d = r.rating
        assert d is not None and d.quota is not None
        assert d.quota.cut and d.quota.rank > d.quota.places
        assert (d.band, d.moved_to, d.final) == ("xuat_sac", "tot", "tot")
        assert d.quota.scope == f"unit_id = {r.parent}, task_group = {inputs(r)['task_group']}"
        if inputs(r)["initiatives_co_so"] == 0 and not any(
                inputs(r)[k] for k in ("initiatives_tinh", "initiatives_toan_quoc",
                                       "projects_co_so", "projects_tinh", "projects_toan_quoc")):
            assert "CSTDCS" not in r.titles, r.id  # lost the "xuất sắc" path
    kept = [r for r in result.individuals if r.rating and r.rating.quota
            and not r.rating.quota.cut]
    assert all(r.rating and r.rating.final == "xuat_sac" and not r.rating.moved_to
               for r in kept)


def test_ties_at_the_cut_are_broken_by_name(result: Result) -> None:
    ties = 0
    for people in share_groups(result).values():
        ranked = {r.rating.quota.rank: (r.rating.quota.cut, r.rating.points, r.name)
                  for r in people if r.rating and r.rating.quota}
        for rank, (cut, points, name) in ranked.items():
            above = ranked.get(rank - 1)
            if cut and above is not None and not above[0] and above[1] == points:
                ties += 1
                assert name_sort_key(above[2]) < name_sort_key(name)
    assert ties >= 1


def test_paper_ratings_kept(result: Result) -> None:
    paper_units = [u for u in result.units if inputs(u)["quality_points"] is None]
    assert paper_units
    for u in paper_units:
        assert u.rating is not None and u.rating.final == inputs(u)["task_rating"]
    paper_people = [r for r in result.individuals if inputs(r)["general_points"] is None]
    assert len(paper_people) >= 100
    for r in paper_people:
        assert r.rating is not None
        assert (r.rating.final, r.rating.moved_to) == (inputs(r)["task_rating"], None), r.id


def test_unit_ratings_from_points_and_tasks_on_time(result: Result) -> None:
    for u in result.units:
        v = inputs(u)
        if v["quality_points"] is None:
            continue
        p, on_time = v["quality_points"], v["tasks_on_time_pct"]
        assert isinstance(p, Decimal) and isinstance(on_time, Decimal)
        if p >= 90 and on_time >= 100:
            want = "xuat_sac"
        elif p >= 70 and on_time >= 100:
            want = "tot"
        elif p >= 50 and on_time >= 80:
            want = "hoan_thanh"
        else:
            want = "khong_hoan_thanh"
        assert u.rating is not None and u.rating.final == want, u.id


def test_pending_case_blocks_titles(result: Result) -> None:
    pending = [r for r in (*result.individuals, *result.units) if inputs(r)["pending_case"]]
    assert len(pending) >= 3 and any(r.kind == "unit" for r in pending)
    would_qualify = 0
    for r in pending:
        assert r.titles == (), r.id
        gate = "pending_review" if r.kind == "individual" else "unit_pending_review"
        assert gate in r.gates, r.id
        for d in r.decisions:
            assert gate in d.gated_by
            would_qualify += all(p.met for p in d.prerequisites)
    assert would_qualify >= 1  # the gate, not the prerequisites, is what stops them


def test_reward_amounts(result: Result) -> None:
    assert result.base_salary == BASE_SALARY
    assert result.decision_date == "2027-01-31"
    step = Decimal(10_000)
    amount = {t: (m * BASE_SALARY / step).to_integral_value(ROUND_CEILING) * step
              for t, m in MULTIPLES.items()}
    assert amount == {"LDTT": Decimal(710_000), "CSTDCS": Decimal(2_340_000),
                      "TTLDTT": Decimal(1_880_000), "TTLDXS": Decimal(3_510_000),
                      "CO_THI_DUA": Decimal(18_720_000), "CSTD_TINH": Decimal(7_020_000),
                      "CSTD_TQ": Decimal(10_530_000), "CO_CHINH_PHU": Decimal(28_080_000),
                      "GIAY_KHEN": Decimal(360_000), "GIAY_KHEN_TT": Decimal(710_000)}
    total = held_total = Decimal(0)
    counts: dict[str, int] = defaultdict(int)
    for r in (*result.individuals, *result.units):
        held = set(r.titles)
        paid = {t: amount[t] for t in held if not any(t in g for g in SAME_YEAR)}
        for group in SAME_YEAR:
            mine = held & group
            if mine:
                top = max(mine, key=lambda t: amount[t])
                paid[top] = amount[top]
        assert dict(r.rewards) == paid, r.id
        assert {u.title for u in r.not_paid} == held - set(paid), r.id
        assert all(u.paid in paid and u.amount == amount[u.title] for u in r.not_paid), r.id
        total += r.reward
        held_total += sum((amount[t] for t in held), Decimal(0))
        for t in paid:
            counts[t] += 1
    assert total == sum((amount[t] * n for t, n in counts.items()), Decimal(0))
    assert counts["LDTT"] > 0 and counts["CSTDCS"] > 0 and counts["CO_THI_DUA"] > 0
    assert total < held_total  # before the rule, every title held was paid


def test_heads_are_judged_by_their_units_final_rating() -> None:
    """Units are rated before people, so a head reads the rating the unit's points gave."""
    result = run([Path("fixtures/quang-ngai-2026")]).result
    units = {u.id: u for u in result.units}
    checked = 0
    for person in result.individuals:
        unit = units[person.parent]
        hit = next(h for h in person.hits if h.item == "head_role")
        reads = dict(hit.reads)
        if "unit.task_rating" not in reads or unit.rating is None:
            continue
        assert reads["unit.task_rating"] == unit.rating.final
        checked += 1 if unit.rating.points is not None else 0
    assert checked >= 3  # heads of units rated from points, not on paper


# ------------------------------------------- the 20% share by hand: readings, who it counts

PERSON: dict[str, Any] = {
    "task_rating": None, "general_points": Decimal(26), "task_points": Decimal(54),
    "task_group": "chung", "months_worked": Decimal(12), "new_hire": "khong",
    "maternity_leave": False, "training_under_year": False, "duty_injury": False,
    "is_head": False, "initiatives_co_so": Decimal(0), "initiatives_tinh": Decimal(0),
    "initiatives_toan_quoc": Decimal(0), "projects_co_so": Decimal(0),
    "projects_tinh": Decimal(0), "projects_toan_quoc": Decimal(0),
    "industry_tasks": Decimal(0), "digital_pct": Decimal(80), "movements_joined": Decimal(2),
    "discipline": "khong", "ad_hoc_award": False, "pending_case": False,
    "conduct_breach": False, "corruption_in_unit": False,
}
OFFICE: dict[str, Any] = {
    "task_rating": "tot", "quality_points": None, "tasks_on_time_pct": None,
    "target_completion_pct": Decimal(100), "projects_attracted": Decimal(0),
    "capital_mobilised_pct": Decimal(0), "online_docs_pct": Decimal(85),
    "movements_joined": Decimal(3), "models_replicated": Decimal(0), "late_reports": Decimal(0),
    "reports_missing": Decimal(0), "campaign_launched": True, "pledge_signed": True,
    "violations_found": Decimal(0), "award_received": "khong", "pending_case": False,
    "xuat_sac_share_5b": None,
}


def civil(pid: str, total: int | None = None, **values: Any) -> Record:
    """A civil servant of office U1; `total` points split 30 + the rest (80 by default)."""
    points = {} if total is None else {"general_points": Decimal(30),
                                       "task_points": Decimal(total - 30)}
    return Record("individual", pid, f"Người {pid}", "U1", {**PERSON, **points, **values},
                  Origin("case", 2))


def office(**values: Any) -> Record:
    return Record("unit", "U1", "Phòng Một", "Khối 1", {**OFFICE, **values}, Origin("case", 2))


def rated(people: list[Record], compiled: Compiled, **unit: Any) -> dict[str, RecordResult]:
    result = score(people, [office(**unit)], compiled)
    return {r.id: r for r in result.individuals}


def reading(compiled: Compiled, **changes: Any) -> Compiled:
    """The 2026 rule set with its rating cap read another way (`counted`, `counts`)."""
    rs = compiled.ruleset
    ratings = rs.individual.ratings
    assert ratings is not None and ratings.quota is not None
    quota = ratings.quota.model_copy(update=changes)
    individual = rs.individual.model_copy(
        update={"ratings": ratings.model_copy(update={"quota": quota})})
    return compile_ruleset(rs.model_copy(update={"individual": individual}))


NINE_AND_FOUR = [civil(f"X{i}", 99 - i) for i in range(9)] + [civil(f"T{i}") for i in range(4)]


@pytest.mark.parametrize(("counted", "kept"), [("final_list", 2), ("before_moves", 0)])
def test_nine_at_ninety_and_four_tot(compiled: Compiled, counted: str, kept: int) -> None:
    """9 at 90–99 points, 4 at 80. Final list: 2 stay (2 ≤ 20% × 11 = 2.2; 3 > 20% × 10 = 2).
    Counted before any move: 20% × 4 = 0.8 → 0."""
    people = rated(NINE_AND_FOUR, reading(compiled, counted=counted))
    stay = sorted(r.id for r in people.values() if r.rating and r.rating.final == "xuat_sac")
    assert stay == [f"X{i}" for i in range(kept)]
    x2 = people["X2"].rating
    assert x2 is not None and x2.quota is not None and x2.quota.cut
    assert x2.quota.basis_count == (11 if counted == "final_list" else 4)


def test_the_default_2026_reading_is_the_final_list(compiled: Compiled) -> None:
    ratings = compiled.ruleset.individual.ratings
    assert ratings is not None and ratings.quota is not None
    assert (ratings.quota.counted, ratings.quota.counts) == ("final_list", "rated_by_points")
    people = rated(NINE_AND_FOUR, compiled)
    assert sum(1 for r in people.values() if r.rating and r.rating.final == "xuat_sac") == 2


def test_explain_shows_the_cap_arithmetic(compiled: Compiled) -> None:
    people = list(NINE_AND_FOUR)
    result = score(people, [office()], compiled)
    x2 = next(r for r in result.individuals if r.id == "X2")
    text = render(explain(x2, result, compiled, Batch(people, [office()]), changes=0), "text")
    assert "cap: 20% of 11 'tot' = 2.2 → 2 places (rounded down)" in text
    assert "read on the final list" in text
    assert "moved down to tot" in text


@pytest.mark.parametrize(("counts", "moved"), [("rated_by_points", False), ("all", True)])
def test_a_contract_employee_is_outside_the_cap(compiled: Compiled, counts: str,
                                                moved: bool) -> None:
    """C rated "xuất sắc" on paper (contract staff), X at 95, five at 80. Only civil servants
    count: 1 ≤ 20% × 5, X stays. Counting everyone (the old reading), C takes the one place
    and X moves down. C is never moved and, outside the cap, marked so."""
    people = [civil("C", task_rating="xuat_sac", general_points=None, task_points=None),
              civil("X", 95), *(civil(f"T{i}") for i in range(5))]
    got = rated(people, reading(compiled, counts=counts))
    x, c = got["X"].rating, got["C"].rating
    assert x is not None and c is not None
    assert (x.final, bool(x.moved_to)) == (("tot", True) if moved else ("xuat_sac", False))
    assert (c.final, c.moved_to, c.outside_cap) == ("xuat_sac", None, counts == "rated_by_points")


@pytest.mark.parametrize(("share", "kept"), [(None, ["X1"]), (Decimal("0.4"), ["X1", "X2"])])
def test_a_higher_share_for_one_unit(compiled: Compiled, share: Decimal | None,
                                     kept: list[str]) -> None:
    """§5 b: 95 and 93 points, five at 80. At 20%: 1 ≤ 20% × 5 = 1, 2 > 20% × 4 = 0.8 → 1.
    At the unit's 40%: 2 ≤ 40% × 5 = 2 → both."""
    people = [civil("X1", 95), civil("X2", 93), *(civil(f"T{i}") for i in range(5))]
    got = rated(people, compiled, xuat_sac_share_5b=share)
    assert sorted(r.id for r in got.values() if r.rating and r.rating.final == "xuat_sac") == kept


# ------------------------------------------------------------- months for new hires only


@pytest.mark.parametrize(("months", "new_hire", "ldtt"), [
    (4, "khong", True),   # transferred in after the merger: 4 months at the unit
    (5, "co", False),     # a new hire under 6 months
    (6, "co", True),
    (5, None, False),     # not said: the floor is not shown to be met
    (12, None, True),
])
def test_months_worked_apply_to_new_hires_only(compiled: Compiled, months: int,
                                               new_hire: str | None, ldtt: bool) -> None:
    people = [civil("P", months_worked=Decimal(months), new_hire=new_hire),
              *(civil(f"T{i}") for i in range(3))]
    assert ("LDTT" in rated(people, compiled)["P"].titles) is ldtt


# ------------------------------------------------------------------ the flag, by hand


def test_the_flag_without_ttldxs(compiled: Compiled) -> None:
    """An agency at 95 points, all on time, 125% of target, 4 of 6 LĐTT (< 70%): no TTLĐXS, and
    the flag all the same (no lower title needed first); paid the flag's 18,720,000 only."""
    people = [civil("H", 92, is_head=True, initiatives_co_so=Decimal(1)),
              *(civil(f"T{i}") for i in range(3)), civil("L1", 60), civil("L2", 60)]
    unit = office(task_rating=None, quality_points=Decimal(95), tasks_on_time_pct=Decimal(100),
                  target_completion_pct=Decimal(125), projects_attracted=Decimal(3),
                  capital_mobilised_pct=Decimal(100), online_docs_pct=Decimal(95),
                  movements_joined=Decimal(4), models_replicated=Decimal(2))
    result = score(people, [unit], compiled)
    u = result.units[0]
    assert "CO_THI_DUA" in u.titles and "TTLDXS" not in u.titles
    assert u.reward == Decimal(18_720_000)


def test_the_template_asks_whether_each_person_is_a_new_hire(compiled: Compiled) -> None:
    import io

    import openpyxl

    from scoring.inputs.template import render_template

    form = openpyxl.load_workbook(io.BytesIO(render_template(compiled.ruleset)))
    people = [c.value for c in form["Cá nhân"][1]]
    units = [c.value for c in form["Đơn vị"][1]]
    assert "Mới tuyển dụng trong năm" in people
    assert any(str(h).startswith("Tỷ lệ công chức xếp loại Hoàn thành xuất sắc được cấp") for h
               in units)
