"""Ratings from points (Decree 335/2025 style), worked out by hand on tests/data/ratings.

U1 has ten people rated "tốt" by points (T01–T09 and B03), so at most floor(20% × 10) = 2 may
stay "xuất sắc": X03 (95) and, of the two at 90, Lê Thị An before Trần Văn Bình (given names
An < Bình). X04 has 95 points but was disciplined: the override wins. In U2 the only "tốt" is
rated on paper, so no place is left for G03, whose 95 points move down; G01's paper rating stays.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from scoring.app import run
from scoring.result import Result


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
    assert (q.rank, q.places, q.basis_count, q.cut) == (3, 2, 10, True)
    assert q.scope == "unit_id = U1, task_group = chung"


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
    """Per unit: "xuất sắc" from points ≤ floor(20% × "tốt" before moves) − paper "xuất sắc"."""
    for unit in ("U1", "U2"):
        rated = [r.rating for r in result.individuals if r.group == unit and r.rating]
        tot_before = sum(1 for d in rated if d.final == "tot" and d.moved_to is None)
        paper = sum(1 for d in rated if d.final == "xuat_sac" and d.points is None)
        from_points = sum(1 for d in rated if d.final == "xuat_sac" and d.points is not None)
        assert from_points <= max(0, int(Decimal("0.2") * tot_before) - paper)
