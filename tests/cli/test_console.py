"""What `scoring score` prints on a terminal: a summary per cluster and title, each cluster's
units with the reason of a well-scored unit that holds no title, each title's holders per
cluster (the first rows, or all with --full), and a clean banner for provisional results."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from scoring.base.text import collation_key
from scoring.cli import cli
from scoring.evaluation import conditions
from scoring.evaluation.result import Result
from scoring.explanations.vocab import Vocab
from scoring.outputs.report import render_html
from scoring.outputs.table import (
    TERMINAL_ROWS,
    holders_by_cluster,
    provisional_line,
    render_tables,
    title_summaries,
)
from scoring.run.app import run

SAMPLES = ["fixtures/quang-ngai-2021", "fixtures/quang-ngai-2026"]


@pytest.fixture(scope="module", params=SAMPLES)
def sample(request: pytest.FixtureRequest) -> tuple[str, Result]:
    return request.param, run([Path(request.param)]).result


def score(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["score", *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_terminal_shows_a_summary_and_the_first_rows(sample: tuple[str, Result]) -> None:
    folder, result = sample
    code, out, err = score(folder)
    assert code == 0, err
    english = Vocab.of(result, lang="en")  # the tests' language: money as 4,260,000 VND
    assert out == render_tables(result, shown=TERMINAL_ROWS, vocab=english)
    code, full, err = score(folder, "--full")
    assert code == 0, err
    assert full == render_tables(result, vocab=english)
    people = len(result.individuals)
    assert len(out.splitlines()) < 300 < people < len(full.splitlines())
    for r in result.individuals:  # every holder of a title is in the full listing
        if r.titles:
            assert f"  {r.id}  " in full
    hidden = sum(max(0, len(h) - TERMINAL_ROWS) for s in title_summaries(result)
                 for _c, h in holders_by_cluster(result, s.id, s.kind))
    counted = sum(int(n) for n in re.findall(r"… và (\d+) (?:cá nhân|đơn vị) khác", out))
    assert hidden == counted > 0


def test_the_summary_counts_each_cluster_and_title(sample: tuple[str, Result]) -> None:
    _folder, result = sample
    clusters = {u.id: u.parent for u in result.units}
    expected: Counter[tuple[str, str]] = Counter()
    for r in (*result.units, *result.individuals):
        for t in r.titles:
            expected[(r.parent if r.kind == "unit" else clusters[r.parent], t)] += 1
    text = render_tables(result, shown=TERMINAL_ROWS)
    summary = text.split("\n\n")[1].splitlines()
    assert summary[0] == "Tóm tắt theo khối/cụm thi đua"
    labels = {tid: label for tid, label, _kind in result.titles}
    cluster = ""
    seen: Counter[tuple[str, str]] = Counter()
    for line in summary[3:]:
        for name in sorted(set(clusters.values()), key=len, reverse=True):
            if line.startswith(name):
                cluster = name
                break
        tid = next(t for t, label in labels.items() if f"  {label}  " in line)
        count = int(line.split(f"  {labels[tid]}  ")[1].split()[0])
        seen[(cluster, tid)] = count
    assert +seen == expected


def test_individual_titles_are_listed_per_cluster(sample: tuple[str, Result]) -> None:
    _folder, result = sample
    clusters = {u.id: u.parent for u in result.units}
    for s in title_summaries(result):
        groups = holders_by_cluster(result, s.id, s.kind)
        assert sum(len(h) for _c, h in groups) == s.awarded
        names = [c for c, _h in groups]
        assert names == sorted(names, key=collation_key)
        for cluster, holders in groups:
            for h in holders:
                r = h.record
                assert (r.parent if r.kind == "unit" else clusters[r.parent]) == cluster
            if all(h.scope == "" for h in holders):  # no quota: placed by score in the cluster
                assert [h.rank for h in holders] == list(range(1, len(holders) + 1))
                assert [h.record.score for h in holders] == sorted(
                    (h.record.score for h in holders), reverse=True)


def test_a_well_scored_unit_without_a_title_shows_why_in_one_line(
        sample: tuple[str, Result]) -> None:
    _folder, result = sample
    text = render_tables(result)
    lines = [line for line in text.splitlines() if " không có danh hiệu: " in line]
    units = {u.id: u for u in result.units}
    for cluster in {u.parent for u in result.units}:
        members = [u for u in result.units if u.parent == cluster]
        titled = [u.score for u in members if u.titles]
        for u in members:
            shown = [line for line in lines if line.startswith(f"{u.id} (")]
            high = not u.titles and bool(titled) and u.score >= min(titled)
            assert len(shown) == (1 if high else 0), u.id
    for line in lines:
        u = units[line.split(" ")[0]]
        assert not u.titles
        why = line.split(" không có danh hiệu: ")[1]
        decision = next(d for d in u.decisions if why.startswith(f"{d.label}: "))
        assert not decision.awarded
        unmet = [conditions.said(p) for p in decision.prerequisites if not p.met]
        assert all(c in why for c in unmet)
        assert len(decision.gated_by) == why.count("bị chặn bởi")


def test_the_2026_unit_under_inspection_is_told_why() -> None:
    """SCT-KTAT scores 81, second of its cluster, but has a pending case (units.csv)."""
    result = run([Path("fixtures/quang-ngai-2026")]).result
    line = next(x for x in render_tables(result).splitlines() if x.startswith("SCT-KTAT ("))
    assert line == ("SCT-KTAT (81 điểm) không có danh hiệu: Tập thể lao động tiên tiến: bị chặn "
                    "bởi Tập thể đang bị thanh tra, kiểm tra hoặc có đơn thư khiếu nại, tố cáo "
                    "đang xác minh: chưa đề nghị khen thưởng")


@pytest.mark.parametrize("missing", [1, 4])
def test_the_provisional_banner_prints_cleanly(tmp_path: Path, missing: int) -> None:
    data = Path("tests/data/rounds")
    for name in ("units.csv", "individuals.csv"):
        (tmp_path / name).write_bytes((data / name).read_bytes())
    lines = (data / "rounds.csv").read_text(encoding="utf-8").splitlines()
    units = [f"U{i}" for i in range(1, 5)]
    incomplete = units[:missing]
    kept = [line for line in lines[1:] if line.split(",")[0] not in incomplete
            or line.split(",")[1] != "movement"]
    (tmp_path / "rounds.csv").write_text("\n".join([lines[0], *kept]) + "\n", encoding="utf-8")
    code, out, err = score(str(tmp_path), "--rules", "tests/rulesets/rounds",
                           "--allow-incomplete")
    assert code == 0, err
    head = out.splitlines()[:3]
    assert "\ufffd" not in out
    assert head[1] == ""
    assert head[2] == (f"KẾT QUẢ TẠM THỜI: {missing} hồ sơ còn thiếu điểm chấm ở tiêu chí chấm "
                       f"theo đánh giá ({', '.join(incomplete)})")
    result = run([tmp_path], Path("tests/rulesets/rounds"), allow_incomplete=True).result
    assert provisional_line(result, shown=1) == (
        f"KẾT QUẢ TẠM THỜI: {missing} hồ sơ còn thiếu điểm chấm ở tiêu chí chấm theo đánh giá "
        f"(U1{f' và {missing - 1} hồ sơ khác' if missing > 1 else ''})")


def test_the_report_lists_each_title_per_cluster_too(sample: tuple[str, Result]) -> None:
    """The same lists as on the terminal: one table of proposals per title and cluster."""
    _folder, result = sample
    html = render_html(result, {}).decode("utf-8")
    clusters = {u.id: u.parent for u in result.units}
    records = {(r.kind, r.id): r for r in (*result.units, *result.individuals)}
    kinds = {tid: kind for tid, _label, kind in result.titles}
    labels = {tid: label for tid, label, _kind in result.titles}
    seen = {}
    for table in html.split('<table class="proposed" ')[1:]:
        # up to the list of those cut by the quota, or the end of the title's section
        table = table.split("</section>")[0].split('<table class="cut" ')[0]
        m = re.match(r'data-title="([^"]+)">\s*<caption>([^<]*)</caption>', table)
        assert m is not None
        tid, caption = m.groups()
        label, _, cluster = caption.rpartition(": danh sách đề nghị, ")
        assert label == labels[tid] and cluster
        ids = re.findall(r'<tr class="candidate" data-id="([^"]+)"', table)
        for rid in ids:
            r = records[(kinds[tid], rid)]
            assert (r.parent if r.kind == "unit" else clusters[r.parent]) == cluster
        seen[(tid, cluster)] = len(ids)
    expected = {(s.id, c): len(h) for s in title_summaries(result)
                for c, h in holders_by_cluster(result, s.id, s.kind)}
    assert seen == expected
