"""Which files a command reads: a folder's workbooks, CSV, JSON and round files; the round files
beside workbooks named one by one; and the folders refused because reading them would count a
record twice or read results as submissions."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scoring import read_results
from scoring.cli import cli
from scoring.inputs.readers import InputSet, plan_parts

MINI = (Path("tests/data/mini"), Path("tests/rulesets/mini"))
ROUNDS = (Path("tests/data/rounds"), Path("tests/rulesets/rounds"))
SHEETS = {"units.csv": "Đơn vị", "individuals.csv": "Cá nhân", "rounds.csv": "Vòng chấm"}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def outcome(paths: list[Path], rules: Path) -> dict[str, object]:
    """What `score` makes of `paths`: each record's score, rank and titles."""
    code, out, err = invoke("score", *map(str, paths), "--rules", str(rules), "--format",
                            "json", "-o", "-")
    assert code == 0, err
    doc = read_results(out)
    return {r["id"]: (r["score"], r["rank"], r["titles"]) for r in doc["individuals"]
            + doc["units"]}


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def per_unit_workbooks(data: Path, target: Path) -> list[Path]:
    """One workbook per unit, as units send them: its own row and its people's rows."""
    target.mkdir(parents=True, exist_ok=True)
    units, people = rows(data / "units.csv"), rows(data / "individuals.csv")
    unit_col = people[0].index("unit_id")
    books = []
    for unit in units[1:]:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for title, table in (("Đơn vị", [units[0], unit]),
                             ("Cá nhân", [people[0], *(p for p in people[1:]
                                                       if p[unit_col] == unit[0])])):
            ws = wb.create_sheet(title)
            for row in table:
                ws.append(row)
        wb.save(target / f"{unit[0]}.xlsx")
        books.append(target / f"{unit[0]}.xlsx")
    return books


def rounds_workbook(data: Path, target: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Vòng chấm"
    for row in rows(data / "rounds.csv"):
        wb.active.append(row)
    wb.save(target)


def workbooks_with_their_rounds_sheet(data: Path, tmp: Path) -> list[Path]:
    """Each unit's workbook carries its own rounds in a "Vòng chấm" sheet."""
    books = per_unit_workbooks(data, tmp / "nop")
    table = rows(data / "rounds.csv")
    for book in books:
        wb = openpyxl.load_workbook(book)
        ws = wb.create_sheet("Vòng chấm")
        for row in [table[0], *(r for r in table[1:] if r[0] == book.stem)]:
            ws.append(row)
        wb.save(book)
    return books


def workbooks_only(data: Path, tmp: Path) -> list[Path]:
    per_unit_workbooks(data, tmp / "nop")
    return [tmp / "nop"]


def workbooks_and_rounds_csv(data: Path, tmp: Path) -> list[Path]:
    per_unit_workbooks(data, tmp / "nop")
    shutil.copy(data / "rounds.csv", tmp / "nop" / "rounds.csv")
    return [tmp / "nop"]


def named_workbooks_rounds_beside(data: Path, tmp: Path) -> list[Path]:
    books = per_unit_workbooks(data, tmp / "nop")
    shutil.copy(data / "rounds.csv", tmp / "nop" / "rounds.csv")
    return books  # as the shell expands nop/*.xlsx: rounds.csv is not named


def workbooks_and_rounds_workbook(data: Path, tmp: Path) -> list[Path]:
    per_unit_workbooks(data, tmp / "nop")
    rounds_workbook(data, tmp / "nop" / "vong-cham.xlsx")
    return [tmp / "nop"]


def json_folder(data: Path, tmp: Path) -> list[Path]:
    (tmp / "nop").mkdir()
    for name in ("units.csv", "individuals.csv", "rounds.csv"):
        if (data / name).exists():
            table = rows(data / name)
            doc = {name.removesuffix(".csv"): [dict(zip(table[0], r, strict=True))
                                               for r in table[1:]]}
            (tmp / "nop" / name.replace(".csv", ".json")).write_text(
                json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return [tmp / "nop"]


def csv_folder_and_editor_leftovers(data: Path, tmp: Path) -> list[Path]:
    shutil.copytree(data, tmp / "nop")
    (tmp / "nop" / "~$units.xlsx").write_bytes(b"lock file of an open workbook")
    (tmp / "nop" / ".units.csv.swp").write_bytes(b"an editor's swap file")
    (tmp / "nop" / "README.md").write_text("notes", encoding="utf-8")
    return [tmp / "nop"]


Layout = Callable[[Path, Path], list[Path]]


@pytest.mark.parametrize(("sample", "layout"), [
    (MINI, workbooks_only),
    (MINI, json_folder),
    (MINI, csv_folder_and_editor_leftovers),
    (ROUNDS, workbooks_and_rounds_csv),
    (ROUNDS, named_workbooks_rounds_beside),
    (ROUNDS, workbooks_and_rounds_workbook),
    (ROUNDS, workbooks_with_their_rounds_sheet),
    (ROUNDS, json_folder),
], ids=["folder of workbooks", "folder of JSON files", "CSV folder with leftovers",
        "workbooks and rounds.csv", "named workbooks, rounds.csv beside",
        "workbooks and a rounds workbook", "a rounds sheet in each workbook",
        "JSON with rounds"])
def test_every_form_of_a_folder_scores_like_its_csv_files(
        tmp_path: Path, sample: tuple[Path, Path], layout: Layout) -> None:
    data, rules = sample
    assert outcome(layout(data, tmp_path), rules) == outcome([data], rules)


@pytest.mark.parametrize(("command", "shows"), [
    (["score"], "Cờ thi đua"),
    (["explain", "{nop}", "U3"], "Cụm trưởng thẩm định"),
    (["report", "{nop}", "-o", "-"], "<html"),
    (["diff", "{rules}", "{rules}"], "no changes"),
])
def test_every_command_reads_a_folder_of_workbooks_with_its_rounds(
        tmp_path: Path, command: list[str], shows: str) -> None:
    data, rules = ROUNDS
    [nop] = workbooks_and_rounds_csv(data, tmp_path)
    args = [a.format(nop=nop, rules=rules) for a in command]
    if "{nop}" not in command:
        args.append(str(nop))
    if command[0] != "diff":
        args += ["--rules", str(rules)]
    code, out, err = invoke(*args)
    assert code == 0, err
    assert shows in out


def test_rounds_beside_named_workbooks_are_recorded_in_the_manifest(tmp_path: Path) -> None:
    data, rules = ROUNDS
    books = named_workbooks_rounds_beside(data, tmp_path)
    code, _, err = invoke("score", *map(str, books), "--rules", str(rules), "-o",
                          str(tmp_path / "out" / "results.json"))
    assert code == 0, err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [i["path"] for i in manifest["inputs"]] == [*map(str, books),
                                                       str(tmp_path / "nop" / "rounds.csv")]
    code, out, err = invoke("verify", str(tmp_path / "out"))
    assert code == 0, out + err


@pytest.mark.parametrize("names", [
    ["units.xlsx", "individuals.xls", "rounds.csv"],
    ["a.json", "b.JSON", "vong_cham.csv"],
    ["DN-A.xlsx", "DN-B.XLSX", "Vòng chấm.xlsx"],
])
def test_discovery_hands_every_workbook_to_the_reader(tmp_path: Path, names: list[str]) -> None:
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "~$DN-A.xlsx").write_bytes(b"x")
    (tmp_path / "notes.txt").write_bytes(b"x")
    parts, problems = plan_parts([tmp_path], InputSet())
    assert sorted(p.name for part in parts for p in part) == sorted(names)
    assert not problems


@pytest.mark.parametrize(("files", "expected"), [
    ({"units.csv": "", "individuals.csv": "", "nop.xlsx": ""},
     "holds records in CSV files (individuals.csv, units.csv) and in workbooks (nop.xlsx): a "
     "folder is read in one form, so that records kept twice do not count twice"),
    ({"units.csv": "", "a.json": "", "rounds.csv": ""},
     "holds records in CSV files (units.csv) and in JSON files (a.json)"),
    ({"sang_kien.csv": "", "DN-A.xlsx": ""},
     "holds records in CSV files (sang_kien.csv) and in workbooks (DN-A.xlsx)"),
    ({"results.xlsx": "", "manifest.json": "{}"},
     "holds manifest.json: it is an output folder of `scoring score` or `scoring report`, not "
     "submissions"),
    ({"README.md": "", "~$a.xlsx": ""},
     "no submissions in this folder: expected CSV files, workbooks (.xlsx, .xls) or JSON files"),
])
@pytest.mark.parametrize("command", [["score"], ["report", "-o", "-"], ["explain"], ["diff"]])
def test_folders_that_cannot_be_read_are_refused_before_reading(
        tmp_path: Path, files: dict[str, str], expected: str, command: list[str]) -> None:
    folder = tmp_path / "nop"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    rules = str(MINI[1])
    if command[0] == "explain":
        args = ["explain", str(folder), "P1", "--rules", rules]
    elif command[0] == "diff":
        args = ["diff", rules, rules, str(folder)]
    else:
        args = [*command, str(folder), "--rules", rules]
    code, _, err = invoke(*args)
    assert code == 2
    assert f"error: {folder}: {expected}" in err
    assert "Traceback" not in err


def test_a_result_is_never_written_into_the_submissions_folder_nor_read_as_submissions(
        tmp_path: Path) -> None:
    data, rules = MINI
    shutil.copytree(data, tmp_path / "nop")
    before = sorted(p.name for p in (tmp_path / "nop").iterdir())
    code, _, err = invoke("score", str(tmp_path / "nop"), "--rules", str(rules), "-o",
                          str(tmp_path / "nop" / "ket-qua.xlsx"))
    assert code == 2 and "lies in an input folder" in err
    assert sorted(p.name for p in (tmp_path / "nop").iterdir()) == before
    # An output folder copied among the submissions is refused as input, not scored twice.
    code, _, err = invoke("score", str(tmp_path / "nop"), "--rules", str(rules), "-o",
                          str(tmp_path / "ket-qua" / "ket-qua.xlsx"))
    assert code == 0, err
    shutil.copy(tmp_path / "ket-qua" / "manifest.json", tmp_path / "nop" / "manifest.json")
    code, _, err = invoke("score", str(tmp_path / "nop"), "--rules", str(rules))
    assert code == 2 and "holds manifest.json: it is an output folder" in err


@pytest.mark.parametrize("layout", [workbooks_and_rounds_csv, named_workbooks_rounds_beside])
def test_stream_reads_a_folder_of_workbooks_like_the_whole_run(tmp_path: Path,
                                                               layout: Layout) -> None:
    data, rules = ROUNDS
    paths = [str(p) for p in layout(data, tmp_path)]
    written = {}
    for name, extra in (("whole", []), ("stream", ["--stream", "--workers", "1"])):
        result = CliRunner(env={"SOURCE_DATE_EPOCH": "1767225600"}).invoke(
            cli, ["score", *paths, "--rules", str(rules), "-o",
                  str(tmp_path / name / "results.json"), "-q", *extra])
        assert result.exit_code == 0, result.output
        written[name] = [(tmp_path / name / f).read_bytes()
                         for f in ("results.json", "manifest.json")]
    assert written["stream"] == written["whole"]
