"""The council's HTML report: structure, escaping, determinism, the CLI, and real Chromium.

Structure is checked rather than bytes (the bytes change whenever the data or the rules do):
rank order, counts, quota lines, a breakdown for every candidate, captions and scopes, charts
with text alternatives, and a file that fetches nothing. The Chromium tests render the sample
in Debian's headless `chromium` (dump the DOM, a screenshot, a PDF); they skip when it is absent
and fail when `CI` is set, since CI installs it (.ci/debian-packages).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from scoring import read_results
from scoring.base.errors import InputError
from scoring.cli import cli
from scoring.evaluation.result import Result
from scoring.explanations.ledger import to_json_data
from scoring.outputs.jsonout import dumps_indented
from scoring.outputs.manifest import build_manifest
from scoring.outputs.report import criterion_groups, render_html
from scoring.outputs.report.changes import parse_previous
from scoring.outputs.report.labels import LANGS, labels_for
from scoring.outputs.report.svg import bin_scores
from scoring.outputs.table import cluster_groups, title_summaries
from scoring.run.app import Run, run

ROOT = Path(__file__).resolve().parents[2]
REAL = (ROOT / "fixtures" / "quang-ngai-2021", ROOT / "rules" / "2021")
MINI = (ROOT / "tests" / "data" / "mini", ROOT / "tests" / "rulesets" / "mini")
SAMPLE = REAL if REAL[0].is_dir() and REAL[1].is_dir() else MINI
CREATED = "2021-12-31T00:00:00Z"


# --------------------------------------------------------------------------------- a tiny DOM


@dataclasses.dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = dataclasses.field(default_factory=list)

    def iter(self, tag: str | None = None, cls: str | None = None) -> Iterator[Node]:
        if (tag is None or self.tag == tag) and (cls is None or cls in self.classes):
            yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter(tag, cls)

    def find(self, tag: str | None = None, cls: str | None = None) -> Node:
        found = next(self.iter(tag, cls), None)
        assert found is not None, f"no <{tag} class={cls}> under <{self.tag}>"
        return found

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)


_VOID = {"meta", "br", "hr", "img", "col", "wbr", "link", "input"}


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    b = _Builder()
    b.feed(html)
    b.close()
    assert b.stack == [b.root], "unclosed elements"
    return b.root


# --------------------------------------------------------------------------------- fixtures


def _render(r: Run, **kw: Any) -> bytes:
    manifest = build_manifest(r.result, str(r.rules_folder), r.inputs.files, {"format": "html"},
                              kw.pop("created", CREATED))
    return render_html(r.result, manifest, groups=criterion_groups(r.compiled), **kw)


@pytest.fixture(scope="module")
def sample() -> Run:
    return run([SAMPLE[0]], SAMPLE[1])


@pytest.fixture(scope="module")
def mini() -> Run:
    return run([MINI[0]], MINI[1])


@pytest.fixture(scope="module")
def sample_html(sample: Run) -> str:
    return _render(sample).decode("utf-8")


@pytest.fixture(scope="module")
def sample_dom(sample_html: str) -> Node:
    return parse(sample_html)


# --------------------------------------------------------------------------------- checks shared
# by the static tests and the tests on the DOM that Chromium rendered


def check_clusters(dom: Node, result: Result) -> None:
    sections = list(dom.iter("section", "cluster"))
    expected = cluster_groups(result)
    assert [s.attrs["data-cluster"] for s in sections] == [c for c, _ in expected]
    for section, (_cluster, units) in zip(sections, expected, strict=True):
        rows = list(section.iter("tr", "unit"))
        assert [r.attrs["data-id"] for r in rows] == [u.id for u in units]
        ranks = [int(r.attrs["data-rank"]) for r in rows]
        assert ranks == sorted(ranks) and ranks[0] == 1
        flag_lines = " ".join(p.text for p in section.iter("p", "flag"))
        for row in rows:
            if "flagged" in row.classes:  # proposed for the cluster's flag: named above
                assert f"({row.attrs['data-id']})" in flag_lines


def check_titles(dom: Node, result: Result, places_word: str) -> None:
    sections = {s.attrs["data-title"]: s for s in dom.iter("section", "title")}
    for s in title_summaries(result):
        section = sections[s.id]
        proposed = [t for t in section.iter("table") if "proposed" in t.classes]
        rows = [r for t in proposed for r in t.iter("tr", "candidate")]
        assert len(rows) == s.awarded, s.id
        if s.cut is None:
            continue
        cut_rows = [r for t in section.iter("table") if "cut" in t.classes
                    for r in t.iter("tr", "candidate")]
        assert len(cut_rows) == s.cut, s.id
        lines = list(section.iter("li", "quota"))
        assert lines, s.id
        for li in lines:
            used, places = int(li.attrs["data-used"]), int(li.attrs["data-places"])
            assert used <= places
            assert f"{used} {places_word} {places}" in li.text


def check_breakdowns(dom: Node) -> int:
    """Every candidate row (and unit row) is followed by its breakdown row; returns the count."""
    count = 0
    for tbody in dom.iter("tbody"):
        rows = tbody.elements()
        for i, row in enumerate(rows):
            if {"candidate", "unit"} & set(row.classes):
                nxt = rows[i + 1]
                assert "breakdown" in nxt.classes
                details = nxt.find("details")
                summary = details.elements()[0]
                assert summary.tag == "summary"
                name = row.find("th").children[0]
                assert isinstance(name, str) and name.strip() in summary.text
                count += 1
    return count


def check_counts(dom: Node, result: Result) -> None:
    summary = dom.find("section", "summary")
    counts = [td.text for td in summary.find("table", "counts").iter("td")]
    assert counts == [str(len(result.individuals)), str(len(result.units))]
    rows = [r for r in summary.iter("tr") if list(r.iter("a"))]  # one row per title
    awarded = [int(r.elements()[2].text) for r in rows]
    assert awarded == [s.awarded for s in title_summaries(result)]


# --------------------------------------------------------------------------------- static tests


def test_labels_have_the_same_keys_in_every_language() -> None:
    keys = [set(labels_for(lang)) for lang in LANGS]
    assert all(k == keys[0] for k in keys)
    with pytest.raises(ValueError):
        labels_for("fr")


def test_the_file_fetches_nothing(sample_html: str) -> None:
    html = sample_html
    assert "http://" not in html and "https://" not in html
    assert "//" not in html  # no protocol-relative URL either
    assert not re.search(r"<(script|link|img|iframe|object|embed|base)\b", html, re.I)
    assert "@import" not in html and "@font-face" not in html
    for value in re.findall(r"\b(?:src|href|xlink:href)\s*=\s*\"([^\"]*)\"", html):
        assert value.startswith(("#", "data:")), value
    assert all(u.startswith("#") for u in re.findall(r"url\(\s*([^)]*)\)", html))


def test_structure_of_the_sample(sample: Run, sample_dom: Node) -> None:
    result = sample.result
    html = sample_dom.find("html")
    assert html.attrs["lang"] == "vi"
    assert sample_dom.find("title").text
    header = sample_dom.find("header")
    code = next(c for c in header.iter("code") if c.text == result.hash[:12])
    assert result.hash in code.attrs["title"]
    assert header.find("time").attrs["datetime"] == CREATED
    assert "31/12/2021" in header.text and str(result.year) in header.text
    assert (result.name or result.ruleset) in header.text
    check_counts(sample_dom, result)
    check_clusters(sample_dom, result)
    check_titles(sample_dom, result, "trên")
    candidates = sum(s.awarded + (s.cut or 0) for s in title_summaries(result))
    assert check_breakdowns(sample_dom) == candidates + len(result.units)
    signers = [s.text for s in sample_dom.iter("div", "signer")]
    assert any("Chủ tịch Hội đồng" in t for t in signers)
    assert any("Thư ký" in t for t in signers)


def test_accessibility_basics(sample_dom: Node) -> None:
    for table in sample_dom.iter("table"):
        assert table.elements()[0].tag == "caption", "every table starts with a caption"
        for th in table.iter("th"):
            assert th.attrs.get("scope") in ("col", "row"), th.text
    svgs = list(sample_dom.iter("svg"))
    assert svgs
    for svg in svgs:
        assert svg.attrs["role"] == "img" and svg.attrs["aria-label"].strip()
        assert svg.elements()[0].tag == "title" and svg.elements()[0].text.strip()
    kinds = [f.attrs["data-kind"] for f in sample_dom.iter("figure", "histogram")]
    assert kinds == ["individual", "unit"]


def test_print_styles(sample_html: str) -> None:
    css = sample_html[sample_html.index("<style>"):sample_html.index("</style>")]
    assert re.search(r"@page\s*{\s*size:\s*A4", css)
    assert "break-before: page" in css
    assert re.search(r"tr\s*{\s*break-inside:\s*avoid", css)
    assert "thead { display: table-header-group; }" in css


def test_names_are_escaped(mini: Run) -> None:
    evil = "<script>alert('x')</script> \"Trần\" & <b>"
    result = mini.result
    people = tuple(dataclasses.replace(r, name=evil) if i == 0 else r
                   for i, r in enumerate(result.individuals))
    units = tuple(dataclasses.replace(u, name=evil, parent=evil) if i == 0 else u
                  for i, u in enumerate(result.units))
    bad = dataclasses.replace(result, individuals=people, units=units)
    previous = to_json_data(bad, {})
    previous["individuals"].append({"id": "X1", "name": evil, "titles": [evil]})
    html = render_html(bad, {"created": evil, "inputs": [{"path": evil, "sha256": evil}]},
                       previous=previous).decode()
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &quot;Trần&quot; &amp; &lt;b&gt;" \
        in html
    parse(html)  # still well formed


def test_same_inputs_same_bytes(mini: Run) -> None:
    first, second = _render(mini), _render(mini)
    assert first == second
    later = _render(mini, created="2022-01-05T08:00:00Z")
    assert later != first
    assert later.replace(b"2022-01-05T08:00:00Z", CREATED.encode()).replace(
        b"05/01/2022", b"31/12/2021") == first


def test_english_labels(mini: Run) -> None:
    dom = parse(_render(mini, lang="en").decode())
    assert dom.find("html").attrs["lang"] == "en"
    check_titles(dom, mini.result, "of")
    assert "Council chair" in dom.find("section", "minutes").text


def test_changes_since_last_year(mini: Run) -> None:
    result = mini.result
    previous = to_json_data(result, {})
    people = previous["individuals"]
    p1 = next(p for p in people if p["titles"])  # loses its titles last year: gained now
    gained = list(p1["titles"])
    p1["titles"] = []
    p2 = next(p for p in people if not p["titles"] and p is not p1)  # had LDTT: lost now
    p2["titles"] = ["LDTT", *p2["titles"]]
    people.append({"id": "GONE", "name": "Người Đã Chuyển", "titles": ["LDTT"]})
    previous["ruleset"]["year"] = 2020
    dom = parse(render_html(result, {}, previous=previous).decode())
    section = next(s for s in dom.iter("section", "major")
                   if s.elements()[0].attrs.get("id") == "changes")
    rows = {r.attrs["data-id"]: r for r in section.iter("tr", "change")}
    assert set(rows) == {p1["id"], p2["id"], "GONE"}
    labels = {tid: label for tid, label, _ in result.titles}
    for tid in gained:
        assert labels[tid] in rows[p1["id"]].find("td", "gained").text
    assert labels["LDTT"] in rows[p2["id"]].find("td", "lost").text
    assert "2020" in section.text


def test_previous_that_is_not_a_results_file() -> None:
    with pytest.raises(InputError):
        parse_previous([1, 2])
    with pytest.raises(InputError) as e:
        parse_previous({"individuals": [{"name": "x"}, {"id": "a", "titles": "LDTT"},
                                        {"id": "b"}, {"id": "b"}]})
    assert len(e.value.problems) == 3


@given(st.lists(st.decimals(min_value=-20, max_value=200, places=2), min_size=1, max_size=60))
def test_histogram_bins_hold_every_score_once(scores: list[Decimal]) -> None:
    bins = bin_scores(scores)
    assert sum(b.count for b in bins) == len(scores)
    assert bins[0].low <= min(scores) and max(scores) <= bins[-1].high
    assert len(bins) <= 10
    assert all(a.high == b.low for a, b in itertools.pairwise(bins))


# --------------------------------------------------------------------------------- the CLI


def test_cli_writes_the_report_and_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    args = ["report", str(MINI[0]), "--rules", str(MINI[1]), "-o", str(out)]
    runner = CliRunner()
    first = runner.invoke(cli, args, env={"SOURCE_DATE_EPOCH": "1640908800"})
    assert first.exit_code == 0, first.output
    html = out.read_text("utf-8")
    assert "<html lang=\"vi\">" in html and "31/12/2021" in html
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert manifest["options"]["format"] == "html" and manifest["created"] == "2021-12-31T00:00:00Z"
    again = runner.invoke(cli, args)
    assert again.exit_code == 2 and "--force" in again.output
    forced = runner.invoke(cli, [*args, "--force", "--lang", "en"])
    assert forced.exit_code == 0 and "<html lang=\"en\">" in out.read_text("utf-8")


def test_cli_previous_year(tmp_path: Path) -> None:
    runner = CliRunner()
    prev = tmp_path / "2020" / "results.json"
    prev.parent.mkdir()
    scored = runner.invoke(cli, ["score", str(MINI[0]), "--rules", str(MINI[1]),
                                 "--format", "json", "-o", str(prev)])
    assert scored.exit_code == 0, scored.output
    out = tmp_path / "report.html"
    ok = runner.invoke(cli, ["report", str(MINI[0]), "--rules", str(MINI[1]), "-o", str(out),
                             "--previous", str(prev)])
    assert ok.exit_code == 0, ok.output
    assert 'id="changes"' in out.read_text("utf-8")
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    assert manifest["options"]["previous"]["path"] == prev.as_posix()
    bad = tmp_path / "bad.json"
    bad.write_text('{"units": 3}', "utf-8")
    refused = runner.invoke(cli, ["report", str(MINI[0]), "--rules", str(MINI[1]),
                                  "-o", str(tmp_path / "r2.html"), "--previous", str(bad)])
    assert refused.exit_code == 2 and "bad.json" in refused.output
    assert not (tmp_path / "r2.html").exists()


def _changes(html: str) -> str:
    start = html.index('id="changes"')
    return html[start:html.index("</section>", start)]


def test_cli_previous_year_of_either_format(tmp_path: Path) -> None:
    """Last year's output written before format 2 gives the same changes; a format-2 file
    whose row numbers are broken is refused (exit 2), naming it."""
    runner = CliRunner()
    v2 = tmp_path / "previous" / "2020.json"
    scored = runner.invoke(cli, ["score", str(MINI[0]), "--rules", str(MINI[1]),
                                 "--format", "json", "-o", str(v2)])
    assert scored.exit_code == 0, scored.output
    data = json.loads(v2.read_text("utf-8"))
    v1 = v2.parent / "2020-v1.json"
    v1.write_text(dumps_indented(read_results(data)), "utf-8")
    people = data["individuals"]
    people["data"][0][people["columns"].index("decisions")] = [10_000]
    broken = v2.parent / "broken.json"
    broken.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    shown = {}
    for prev in (v2, v1, broken):
        out = tmp_path / "reports" / prev.stem / "report.html"
        got = runner.invoke(cli, ["report", str(MINI[0]), "--rules", str(MINI[1]), "-o",
                                  str(out), "--previous", str(prev), "--force"])
        if prev is broken:
            assert got.exit_code == 2
            assert "broken.json: 'individuals' row 0, 'decisions': 10000 is not a row number" \
                in got.output
        else:
            assert got.exit_code == 0, got.output
            shown[prev] = _changes(out.read_text("utf-8"))
    assert shown[v1] == shown[v2] and "2021" in shown[v2]


# --------------------------------------------------------------------------------- Chromium

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", '--host-resolver-rules=MAP * ~NOTFOUND']


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and CI is set: .ci/run installs the Debian "
                        "package 'chromium' listed in .ci/debian-packages")
        pytest.skip("headless Chromium not found: install Debian's 'chromium' package "
                    "(apt-get install chromium) to run the rendering tests")
    return exe


def _chromium(exe: str, tmp: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    profile.mkdir()
    return subprocess.run([exe, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)


def _page_requests(netlog: Path) -> list[str]:
    """URLs the page asked for (requests whose isolation key is the file:// page)."""
    data = json.loads(netlog.read_text("utf-8"))
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [e["params"]["url"] for e in data["events"]
            if e["type"] == start and "file://" in e["params"].get("network_isolation_key", "")]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, sample_html: str) -> Path:
    page = tmp_path_factory.mktemp("report") / "report.html"
    page.write_text(sample_html, "utf-8")
    return page


def test_chromium_renders_the_dom_without_network(chromium: str, rendered: Path,
                                                  sample: Run) -> None:
    tmp = rendered.parent
    netlog = tmp / "netlog.json"
    done = _chromium(chromium, tmp, rendered, f"--log-net-log={netlog}", "--dump-dom")
    dom = parse(done.stdout)
    check_clusters(dom, sample.result)
    check_titles(dom, sample.result, "trên")
    assert check_breakdowns(dom) > 0
    assert _page_requests(netlog) == []
    # The detector works: a page with one outside image is caught.
    control = tmp / "control.html"
    control.write_text('<!DOCTYPE html><img src="http://example.invalid/x.png">', "utf-8")
    _chromium(chromium, tmp, control, f"--log-net-log={tmp / 'control.json'}", "--dump-dom")
    assert _page_requests(tmp / "control.json") == ["http://example.invalid/x.png"]


def test_chromium_screenshot_and_pdf(chromium: str, rendered: Path) -> None:
    tmp = rendered.parent
    png, pdf = tmp / "report.png", tmp / "report.pdf"
    _chromium(chromium, tmp, rendered, f"--screenshot={png}", "--window-size=1280,2000")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 2000)
    assert len(data) > 40_000  # text, tables and charts, not a blank page
    _chromium(chromium, tmp, rendered, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    doc = pdf.read_bytes()
    assert doc.startswith(b"%PDF-")
    pages = max(int(n) for n in re.findall(rb"/Count (\d+)", doc))
    assert pages >= 1
    width, height = (float(x) for x in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]",
                                                    doc)[0])
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points


# --------------------------------------------------------------------------------- ties

AHEAD = {"vi": "bằng 50 điểm với u2 (Phòng Hai); xếp trên nhờ Hoàn thành chỉ tiêu, 40 > 30",
         "en": "tied at 50 with u2 (Phòng Hai); ahead on Hoàn thành chỉ tiêu, 40 > 30"}
BEHIND = {"vi": "bằng 50 điểm với u1 (Phòng Một); xếp dưới do Hoàn thành chỉ tiêu, 30 < 40",
          "en": "tied at 50 with u1 (Phòng Một); behind on Hoàn thành chỉ tiêu, 30 < 40"}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_breakdown_says_how_ties_were_broken(lang: str) -> None:
    """Two units tied at 50, u1 ahead on the targets criterion (the ranking's and the flag
    quota's second key): each breakdown says so beside the rank and in the quota's cell, in the
    report's language whatever the process speaks."""
    from scoring.checks import ruletest
    from scoring.run.app import compile_folder

    compiled = compile_folder(ROOT / "tests" / "rulesets" / "scenarios-cluster")
    outcome = ruletest.run_examples(compiled)[0]
    assert outcome.result is not None
    dom = parse(render_html(outcome.result, {"created": CREATED, "inputs": []},
                            lang=lang).decode())
    seen: dict[str, tuple[list[str], list[str]]] = {}
    for body in dom.iter("div", "breakdown-body"):
        by_rank = [li.text for ul in body.elements() if "ties" in ul.classes
                   for li in ul.iter("li")]
        by_quota = [li.text for td in body.iter("td") for ul in td.iter("ul", "ties")
                    for li in ul.iter("li")]
        seen.setdefault(by_rank[0] if by_rank else "", (by_rank, by_quota))
    assert seen == {AHEAD[lang]: ([AHEAD[lang]], [AHEAD[lang]]),
                    BEHIND[lang]: ([BEHIND[lang]], [BEHIND[lang]])}
