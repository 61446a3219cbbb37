"""The XLSX output printed: the 2026 sample's workbook converted to PDF by LibreOffice, read back
with poppler's pdfinfo and pdftotext.

Every page must be A4 in its sheet's orientation and start with its sheet's heading (the
header rows repeated; a sheet cut into vertical strips would start pages with other columns),
every sheet must be printed in order, and the page count must stay within what the rows need
when every page holds at least a landscape page's rows at full size. These programs come
from Debian's packages; the tests skip without them, and fail instead when CI is set.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scoring.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path("fixtures/quang-ngai-2026")
# The program, and the Debian package that has it (.ci/debian-packages installs them).
PROGRAMS = {"soffice": "libreoffice-calc-nogui", "pdfinfo": "poppler-utils",
            "pdftotext": "poppler-utils"}
A4 = (595.3, 841.9)  # points
ROWS_PER_PAGE = 30  # a landscape A4 page at 100% holds about 33 rows of 15 points


def program(name: str) -> str:
    """The path of `name`; skip without it, or fail when CI is set (CI must install it)."""
    found = shutil.which(name)
    if found is None:
        package = PROGRAMS[name]
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing; CI must install the Debian package {package} "
                        "(listed in .ci/debian-packages)")
        pytest.skip(f"{name} not installed (Debian package {package}); CI fails here")
    return found


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_a_missing_program_skips_locally_and_fails_in_ci(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=PROGRAMS[name]):
        program(name)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=PROGRAMS[name]):
        program(name)
    assert PROGRAMS[name] in (ROOT / ".ci/debian-packages").read_text().split()


def _pdf(xlsx: Path, tmp_path: Path) -> Path:
    done = subprocess.run(
        [program("soffice"), f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
         "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(xlsx)],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return tmp_path / f"{xlsx.stem}.pdf"


def _page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run([program("pdfinfo"), str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    sizes = subprocess.run([program("pdfinfo"), "-f", "1", "-l", str(pages), str(pdf)],
                           capture_output=True, text=True, check=True).stdout
    found = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", sizes, re.M)
    assert len(found) == pages
    return [(float(w), float(h)) for w, h in found]


def _first_lines(pdf: Path) -> list[str]:
    text = subprocess.run([program("pdftotext"), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]  # every page ends with a form feed
    return [" ".join(next((ln for ln in p.splitlines() if ln.strip()), "").split())
            for p in pages]


def test_the_2026_workbook_prints_one_page_wide_with_headings(tmp_path: Path) -> None:
    program("soffice")
    xlsx = tmp_path / "ketqua.xlsx"
    result = CliRunner().invoke(cli, ["score", str(SAMPLE), "-o", str(xlsx)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(xlsx)
    sheets = [(" ".join(str(ws["A1"].value).split()), ws.page_setup.orientation, ws.max_row)
              for ws in wb]
    pdf = _pdf(xlsx, tmp_path)
    sizes, firsts = _page_sizes(pdf), _first_lines(pdf)
    assert len(sizes) == len(firsts)

    budget = sum(math.ceil(rows / ROWS_PER_PAGE) for _, _, rows in sheets)
    assert len(sheets) <= len(sizes) <= budget, (len(sizes), budget)
    printed: list[int] = []  # the sheet of every page, in order
    for page, (first, (width, height)) in enumerate(zip(firsts, sizes, strict=True), start=1):
        current = printed[-1] if printed else -1
        candidates = [i for i in (current, current + 1) if 0 <= i < len(sheets)
                      and first.startswith(sheets[i][0])]
        assert candidates, f"page {page} starts with {first!r}, not a sheet's heading"
        sheet = candidates[0]
        printed.append(sheet)
        expected = A4 if sheets[sheet][1] == "portrait" else A4[::-1]
        assert (round(width, 1), round(height, 1)) == expected, (page, sheets[sheet][0])
    assert sorted(set(printed)) == list(range(len(sheets)))  # every sheet, each in one run
