"""`scoring review`: the five-year summary of the fixture history (src/scoring/outputs/review.py).

Every expectation is read again from the fixture's own files (each year's JSON output and the
hand-kept titles.csv and unit_aliases.csv), independently of the history module.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

import scoring.cli.history  # noqa: F401  (registers `review` until cli/__init__ imports it)
from scoring import read_results
from scoring.base.errors import RuleError, UsageError
from scoring.cli import cli
from scoring.history.load import load_history, title_kinds
from scoring.outputs.review import Review, build_review, parse_period, render_review
from scoring.run.app import compile_folder

FIXTURE = Path("fixtures/history")
RULES = Path("rules/2024")
YEARS = range(2021, 2026)
OLD, NEW = "SCT-QLTM", "SCT-TMDT"


def outputs() -> dict[int, dict[str, Any]]:
    return {y: read_results((FIXTURE / f"{y}.json").read_bytes()) for y in YEARS}


def hand_titles() -> list[dict[str, str]]:
    with (FIXTURE / "titles.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def person_titles() -> dict[str, dict[int, set[str]]]:
    out: dict[str, dict[int, set[str]]] = {}
    for y, doc in outputs().items():
        for p in doc["individuals"]:
            out.setdefault(p["id"], {})[y] = set(p["titles"])
    for row in hand_titles():
        if int(row["year"]) in YEARS:
            held = out.setdefault(row["id"], {}).setdefault(int(row["year"]), set())
            (held.discard if row["status"] == "không công nhận" else held.add)(row["title"])
    return out


def unit_titles() -> dict[str, dict[int, set[str]]]:
    out: dict[str, dict[int, set[str]]] = {}
    for y, doc in outputs().items():
        for u in doc["units"]:
            uid = NEW if u["id"] == OLD and y < 2024 else u["id"]
            out.setdefault(uid, {})[y] = set(u["titles"])
    return out


@pytest.fixture(scope="module")
def review() -> Review:
    compiled = compile_folder(RULES)
    return build_review(load_history(FIXTURE, title_kinds(compiled.ruleset)), compiled, 2021,
                        2025)


@pytest.mark.parametrize(("text", "period"), [("2021..2025", (2021, 2025)),
                                              ("2021-2023", (2021, 2023)),
                                              (" 2024 .. 2024 ", (2024, 2024))])
def test_periods(text: str, period: tuple[int, int]) -> None:
    assert parse_period(text) == period


@pytest.mark.parametrize("text", ["2025..2021", "2021", "2010..2025", "x..y"])
def test_bad_periods(text: str) -> None:
    with pytest.raises(UsageError):
        parse_period(text)


def test_titles_year_by_year_and_their_totals(review: Review) -> None:
    people = person_titles()
    assert {line.id for line in review.individuals} == set(people)
    for line in review.individuals:
        for y, held in zip(YEARS, line.titles, strict=True):
            assert set(held or ()) == people[line.id].get(y, set()), (line.id, y)
        assert dict(line.totals) == dict(Counter(t for y in YEARS
                                                 for t in people[line.id].get(y, set())))


def test_counts_per_title_and_year(review: Review) -> None:
    people, units = person_titles(), unit_titles()
    for (title, year), n in review.counts.items():
        holders = [i for i in (*people, *units)
                   if title in {**people, **units}[i].get(year, set())]
        assert n == len(holders), (title, year)
    assert review.missing == ()


def test_typical_examples_follow_the_rule_sets_selection(review: Review) -> None:
    """rules/2021/history.yaml: CSTĐCS in at least 3 of the 5 years; units TTLĐXS ≥ 3."""
    assert review.rules == {"individual": "years_with(CSTDCS) >= 3",
                            "unit": "years_with(TTLDXS) >= 3"}
    people, units = person_titles(), unit_titles()
    expected = {i for i, ys in people.items() if sum("CSTDCS" in t for t in ys.values()) >= 3}
    assert {line.id for line in review.individuals if line.typical} == expected
    typical_units = {u for u, ys in units.items() if sum("TTLDXS" in t for t in ys.values()) >= 3}
    assert {line.id for line in review.units if line.typical} == typical_units
    assert NEW in typical_units  # only by following the rename: 2023 under the old id
    renamed = next(line for line in review.units if line.id == NEW)
    assert renamed.why == "years_with(TTLDXS) = 3 (2023, 2024, 2025)"


def test_score_trends_and_paths(review: Review) -> None:
    docs = outputs()
    for line in review.individuals[:50]:
        scores = [D(str(p["score"])) for y in YEARS for p in docs[y]["individuals"]
                  if p["id"] == line.id]
        assert line.trend == (scores[0], scores[-1], scores[-1] - scores[0])
    renamed = next(line for line in review.units if line.id == NEW)
    assert renamed.path == f"{OLD} 2021–2023 → {NEW} 2024–2025"
    movers = [line for line in review.individuals if line.path]
    assert [line.path for line in movers] == ["SCT-VP 2021–2023 → TT-XTTM 2024–2025"]


def run_review(*args: str) -> Any:
    return CliRunner().invoke(cli, ["review", "2021..2025", "--history", str(FIXTURE), *args])


def test_table_output() -> None:
    result = run_review()
    assert result.exit_code == 0, result.output
    text = result.stdout
    for heading in ("Tổng kết giai đoạn 2021–2025", "Số danh hiệu theo năm",
                    "Điển hình tiên tiến: cá nhân", "Cá nhân: danh hiệu từng năm",
                    "Đơn vị: danh hiệu từng năm", "CSTD_TINH: Chiến sĩ thi đua cấp tỉnh"):
        assert heading in text
    assert f"{OLD} 2021–2023 → {NEW} 2024–2025" in text


def test_xlsx_output_is_a_byte_stable_workbook(tmp_path: Path, review: Review) -> None:
    result = run_review("-o", str(tmp_path / "review.xlsx"))
    assert result.exit_code == 0, result.output
    data = (tmp_path / "review.xlsx").read_bytes()
    assert data == render_review(review, "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == ["Tổng hợp", "Điển hình tiên tiến", "Cá nhân", "Đơn vị"]
    people = list(wb["Cá nhân"].iter_rows(values_only=True))
    assert people[0][:5] == ("Mã", "Họ và tên", "Đơn vị", "2021", "2022")
    assert len(people) == 1 + len(review.individuals)
    summary = list(wb["Tổng hợp"].iter_rows(values_only=True))
    row = next(r for r in summary if r[0] == "CSTD_TINH")
    assert row[3:8] == tuple(review.counts[("CSTD_TINH", y)] for y in YEARS)


def test_html_output_has_the_reports_look(tmp_path: Path) -> None:
    result = run_review("--format", "html", "-o", str(tmp_path / "review.html"))
    assert result.exit_code == 0, result.output
    html = (tmp_path / "review.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html and "--ink" in html
    for text in ("Tổng kết giai đoạn 2021–2025", "Điển hình tiên tiến", "Danh hiệu theo năm",
                 f"{OLD} 2021–2023 → {NEW} 2024–2025"):
        assert text in html
    assert "<script" not in html


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_review("--format", "xlsx").exit_code == 2  # a workbook needs a file
    bad = CliRunner().invoke(cli, ["review", "2025..2021", "--history", str(FIXTURE)])
    assert bad.exit_code == 2 and "PERIOD" in bad.output
    ext = run_review("-o", str(tmp_path / "review.pdf"))
    assert ext.exit_code == 2 and "give --format" in ext.output


def test_a_missing_year_is_reported(tmp_path: Path) -> None:
    for y in (2021, 2022):
        (tmp_path / f"{y}.json").write_bytes((FIXTURE / f"{y}.json").read_bytes())
    result = CliRunner().invoke(cli, ["review", "2021..2023", "--history", str(tmp_path),
                                      "--rules", "rules/2021"])
    assert result.exit_code == 0, result.output
    assert "warning: no output" in result.stderr and "2023" in result.stderr


def test_a_rule_set_without_a_selection_lists_no_typical_example(tmp_path: Path) -> None:
    compiled = compile_folder(Path("tests/rulesets/mini"))
    h = load_history(FIXTURE, title_kinds(compiled.ruleset))
    r = build_review(h, compiled, 2024, 2025)
    assert r.rules == {"individual": "", "unit": ""}
    assert not any(line.typical for line in r.individuals)
    assert "không khai báo tiêu chí điển hình tiên tiến" in render_review(r, "table").decode()


def test_a_bad_selection_is_a_rule_error(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "x.yaml").write_text('extends: "' + str(Path.cwd() / "rules" / "2024") + '"\n'
                                   "params:\n  review_typical_unit: 'score >= 80'\n",
                                   encoding="utf-8")
    compiled = compile_folder(folder)
    with pytest.raises(RuleError, match="reads history functions only, not 'score'"):
        build_review(load_history(FIXTURE, title_kinds(compiled.ruleset)), compiled, 2021, 2025)
