"""Ratings from points (Decree 335/2025 style), worked out by hand on tests/data/ratings.

U1 has ten people rated "tốt" by points (T01–T09 and B03) and three "xuất sắc" (X01–X03). On
the final list (the default reading) k may stay with k ≤ floor(20% × (10 + 3 − k)): k = 3 gives
floor(2) = 2 < 3, k = 2 gives floor(2.2) = 2, so 2 stay: X03 (95) and, of the two at 90, Lê Thị
An before Trần Văn Bình (given names An < Bình), and the final "tốt" count is 11. X04 has 95
points but was disciplined: the override wins. In U2 the only "tốt" is rated on paper, outside
the cap (only ratings from points count), so no place is left for G03, whose 95 points move
down (20% of 0 + 1 = 0.2 → 0); G01's paper rating stays, marked outside the cap.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from scoring.evaluation.result import Result
from scoring.run.app import run


@pytest.fixture(scope="module")
def result() -> Result:
    return run([Path("tests/data/ratings")], Path("tests/rulesets/ratings")).result


@pytest.mark.parametrize(
    ("pid", "points", "band", "final", "moved"),
    [
        ("B04", "49.9", "khong_hoan_thanh", "khong_hoan_thanh", None),
        ("B02", "50", "hoan_thanh", "hoan_thanh", None),
        ("B01", "69.9", "hoan_thanh", "hoan_thanh", None),
        ("T01", "70", "tot", "tot", None),
        ("T09", "89.9", "tot", "tot", None),
        ("X03", "95", "xuat_sac", "xuat_sac", None),
        ("X02", "90", "xuat_sac", "xuat_sac", None),
        ("X01", "90", "xuat_sac", "tot", "tot"),
        ("X04", "95", "xuat_sac", "khong_hoan_thanh", None),
        ("G01", None, None, "xuat_sac", None),
        ("G03", "95", "xuat_sac", "tot", "tot"),
    ],
)
def test_rating(result: Result, pid: str, points: str | None, band: str | None, final: str,
                moved: str | None) -> None:
    r = next(x for x in result.individuals if x.id == pid)
    assert r.rating is not None
    assert r.rating.points == (Decimal(points) if points else None)
    assert (r.rating.band, r.rating.final, r.rating.moved_to) == (band, final, moved)


def test_cut_is_explained(result: Result) -> None:
    r = next(x for x in result.individuals if x.id == "X01")
    q = r.rating.quota if r.rating else None
    assert q is not None
    assert (q.rank, q.places, q.basis_count, q.cut) == (3, 2, 11, True)
    assert (q.share, q.reading, q.on_paper) == (Decimal("0.2"), "final_list", 0)
    assert q.scope == "unit_id = U1, task_group = chung"


@pytest.mark.parametrize(("pid", "outside"), [("G01", True), ("G02", True), ("G03", False),
                                              ("B03", False), ("X01", False)])
def test_paper_ratings_are_outside_the_cap(result: Result, pid: str, outside: bool) -> None:
    r = next(x for x in result.individuals if x.id == pid)
    assert r.rating is not None and r.rating.outside_cap is outside


def test_override_names_its_reason(result: Result) -> None:
    r = next(x for x in result.individuals if x.id == "X04")
    assert r.rating is not None and r.rating.override == "discipline"
    assert r.rating.override_reason == "bị kỷ luật trong năm"
    assert "LDTT" not in r.titles


def test_disagreeing_rating_warns(result: Result) -> None:
    assert any(w.startswith("B03 (Ngô Văn Lệch): task_rating given as 'xuat_sac' but the points "
                            "(80) give 'tot'") for w in result.warnings)


def test_rewards_round_up_to_ten_thousand(result: Result) -> None:
    assert result.base_salary == Decimal(2340000)
    amounts = {t: a for r in result.individuals for t, a in r.rewards}
    assert amounts == {"LDTT": Decimal(710000), "BEST": Decimal(2340000)}  # 702,000 → 710,000
    for r in result.individuals:
        assert r.reward == sum((amounts[t] for t in r.titles), Decimal(0))


def test_cap_never_exceeded(result: Result) -> None:
    """Per unit, on the final list of ratings from points: "xuất sắc" ≤ floor(20% × "tốt")."""
    for unit in ("U1", "U2"):
        rated = [r.rating for r in result.individuals if r.parent == unit and r.rating
                 and r.rating.points is not None]
        tot = sum(1 for d in rated if d.final == "tot")
        xs = sum(1 for d in rated if d.final == "xuat_sac")
        assert xs <= int(Decimal("0.2") * tot)
