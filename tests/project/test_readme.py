"""The README's year-end review, run as a secretary runs it: each `scoring …` command of the
sections "A year-end review, step by step" and "Tuning the rules for a new year", verbatim and
in order, in a temporary copy of the rule sets and samples, through a shell (so `nop/*.xlsx`
expands as it would). Between getting the form and scoring, the units fill it: the form that
`scoring template` wrote is filled with openpyxl, one workbook per unit, from the records of a
shipped sample, in the words a unit types (the enum labels, "có"/"không"). A non-zero exit
fails the test."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from scoring.inputs.template import NO, YES, columns
from scoring.rulesets.extends import load
from scoring.rulesets.schema import InputSpec, Kind

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("A year-end review, step by step", "Tuning the rules for a new year")
SAMPLE = ROOT / "fixtures" / "vong-cham-2026"  # has a "Nguyễn Văn An" for `explain`
SHEETS: dict[Kind, str] = {"unit": "Đơn vị", "individual": "Cá nhân"}


def commands(section: str) -> list[str]:
    """The `scoring …` commands written in a README section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start:end if end != -1 else None]
    return [c for c in re.findall(r"`([^`\n]+)`", body) if c.startswith("scoring ")]


def typed(value: str, spec: InputSpec | None) -> object:
    """A CSV cell as a unit types it in the form."""
    if value == "" or spec is None:
        return value or None
    if spec.type == "enum":
        assert spec.values is not None
        return spec.values[value]
    if spec.type == "bool":
        return YES if value == "true" else NO
    if spec.type in ("int", "number"):
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def fill(form: Path, sample: Path, rules: Path, target: Path) -> list[Path]:
    """One copy of the form per unit, filled with its row and its people's rows."""
    ruleset = load(rules)
    records = {kind: list(csv.DictReader((sample / f"{name}.csv").open(encoding="utf-8")))
               for kind, name in (("unit", "units"), ("individual", "individuals"))}
    target.mkdir()
    books = []
    for unit in records["unit"]:
        wb = openpyxl.load_workbook(form)
        for kind, sheet in SHEETS.items():
            ws = wb[sheet]
            cols = columns(ruleset, kind)
            assert [c.value for c in ws[1]][:len(cols)] == [c.header for c in cols]
            rows = ([unit] if kind == "unit" else
                    [p for p in records["individual"] if p["unit_id"] == unit["id"]])
            for row in rows:
                ws.append([typed(row.get(c.field, ""), c.spec) for c in cols])
        book = target / f"{unit['id']}.xlsx"
        wb.save(book)
        books.append(book)
    return books


@pytest.fixture(scope="module")
def workplace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    place = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "rules", place / "rules")
    shutil.copytree(ROOT / "fixtures", place / "fixtures",
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return place


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    scripts = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def test_the_readme_names_the_commands_it_shows() -> None:
    first = commands(SECTIONS[0])
    assert first[0].startswith("scoring template rules/2026 -o ")
    assert any(c.startswith("scoring verify ") for c in first)
    assert any(c.startswith("scoring new-year ") for c in commands(SECTIONS[1]))


def test_the_year_end_review_runs_as_written(workplace: Path) -> None:
    """Every command exits 0, in order; the form is filled by the units after the first."""
    ran: list[str] = []
    for section in SECTIONS:
        for command in commands(section):
            done = shell(command, workplace)
            assert done.returncode == 0, (f"{command!r} exited {done.returncode}\n"
                                          f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            assert "Traceback" not in done.stderr
            ran.append(command)
            if command.startswith("scoring template "):
                form = workplace / command.split(" -o ")[1].split()[0]
                books = fill(form, SAMPLE, workplace / "rules" / "2026", workplace / "nop")
                assert len(books) == 7
    assert len(ran) >= 10
    assert (workplace / "cong-bo" / "2026" / "manifest.json").is_file()
    assert (workplace / "rules" / "2027" / "examples.yaml").is_file()
