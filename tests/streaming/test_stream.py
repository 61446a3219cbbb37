"""`score --stream` gives the bytes `score` gives, a few units at a time, on several processes.

Each case scores the same inputs both ways and compares the output and the manifest byte for
byte: the samples cut into parts of a few units, and 20,000 generated people (values on the
rules' own boundaries, some rated on paper, some by points) in parts of 3,000 on 2 processes.
Mistakes in the inputs give the one-batch run's problems; a rule set whose steps over people
reach beyond a unit is refused rather than scored wrongly.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from scoring import read_results
from scoring.base.errors import InputError, RuleError
from scoring.cli import cli
from scoring.outputs.manifest import created_now
from scoring.run.options import Options
from scoring.streaming.stream import run_stream

sys.path.insert(0, str(ROOT / "benchmarks"))

OPTIONS = {"format": "json", "rules": None, "allow_incomplete": False}


@pytest.fixture(autouse=True)
def _fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _one_batch(folder: Path, out: Path, rules: Path | None = None) -> Path:
    args = ["score", str(folder), "-o", str(out / "results.json"), "--format", "json", "-q"]
    if rules is not None:
        args += ["--rules", str(rules)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


def _streamed(folder: Path, out: Path, part_people: int, workers: int,
              rules: Path | None = None) -> Path:
    options = {**OPTIONS, "rules": str(rules) if rules is not None else None}
    run_stream([folder], out / "results.json", Options(rules=rules), options=options,
               created=created_now(), workers=workers, part_people=part_people)
    return out


def _same(a: Path, b: Path) -> None:
    for name in ("results.json", "manifest.json"):
        left, right = (a / name).read_bytes(), (b / name).read_bytes()
        assert left == right, f"{name} differs at byte " \
            f"{next(i for i, (x, y) in enumerate(zip(left, right, strict=False)) if x != y)}"


PER_UNIT_2021 = ROOT / "tests" / "rulesets" / "per-unit-2021"


@pytest.mark.parametrize(("fixture", "part_people", "workers", "rules"), [
    # 8 parts: the 15% CSTĐCS quota (counted per unit, the option) and ranks per unit
    ("quang-ngai-2021", 40, 2, PER_UNIT_2021),
    ("quang-ngai-2026", 50, 2, None),      # 13 parts: the rating quota per unit and task group
    ("quang-ngai-2026", 10**6, 1, None),   # one part, in this process
])
def test_the_samples_stream_to_the_same_bytes(tmp_path: Path, fixture: str, part_people: int,
                                              workers: int, rules: Path | None) -> None:
    folder = ROOT / "fixtures" / fixture
    _same(_one_batch(folder, tmp_path / "one", rules),
          _streamed(folder, tmp_path / "streamed", part_people, workers, rules))


def test_the_2021_cap_over_the_department_is_refused(tmp_path: Path) -> None:
    """rules/2021 counts the CSTĐCS cap over the whole batch: not exact a few units at a time."""
    with pytest.raises(RuleError, match="title CSTDCS's quota counts per all"):
        _streamed(ROOT / "fixtures" / "quang-ngai-2021", tmp_path / "out", 40, 1)


def test_twenty_thousand_generated_people_stream_to_the_same_bytes(tmp_path: Path) -> None:
    from data import write  # benchmarks/data.py

    from scoring.run.app import compile_folder

    rules = ROOT / "rules" / "2026"
    folder = write(compile_folder(rules), tmp_path / "in", 20_000, 1_000, seed=7)
    _same(_one_batch(folder, tmp_path / "one", rules),
          _streamed(folder, tmp_path / "streamed", 3_000, 2, rules))


def test_the_command_streams(tmp_path: Path) -> None:
    out = tmp_path / "streamed" / "results.json"
    result = CliRunner().invoke(cli, ["score", "fixtures/quang-ngai-2026", "-o", str(out),
                                      "--stream", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "632 individuals, 25 units, scored in 1 part)" in result.output
    _same(_one_batch(Path("fixtures/quang-ngai-2026"), tmp_path / "one"), out.parent)


def test_history_streams_to_the_same_bytes(tmp_path: Path) -> None:
    """Titles over past years (`--history`): each person's history values are attached in
    their part, the manifest names the history files as the one-batch run does."""
    one, streamed = tmp_path / "one" / "results.json", tmp_path / "streamed" / "results.json"
    common = ["score", "fixtures/history/inputs/2025", "--history", "fixtures/history", "-q"]
    for out, extra in ((one, []), (streamed, ["--stream", "--workers", "2"])):
        result = CliRunner().invoke(cli, [*common, "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
    _same(one.parent, streamed.parent)
    people = read_results(one.read_bytes())["individuals"]
    assert any(p["history"] for p in people)  # the values are there to compare


def test_an_existing_output_is_refused_before_any_work(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "results.json"
    out.write_text("the previous result", encoding="utf-8")
    import scoring.streaming.stream

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("read the inputs before checking the output")
    monkeypatch.setattr(scoring.streaming.stream, "_read", never)
    result = CliRunner().invoke(cli, ["score", "fixtures/quang-ngai-2026", "-o", str(out),
                                      "--stream"])
    assert result.exit_code == 2
    assert "already exists; use --force" in result.output
    assert out.read_text(encoding="utf-8") == "the previous result"


@pytest.mark.parametrize(("args", "message"), [
    (["--stream"], "--stream writes the JSON output to a file"),
    (["--stream", "-o", "x.csv"], "--stream writes the JSON output to a file"),
    (["--workers", "2", "-o", "x.json"], "--workers is for --stream"),
])
def test_stream_options_are_checked(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["score", "fixtures/quang-ngai-2026", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (ROOT / "x.json").exists() and not (ROOT / "x.csv").exists()


def _sample_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    shutil.copytree(ROOT / "fixtures" / "quang-ngai-2026", folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("mistake", ["duplicate id", "unknown unit", "bad cell"])
def test_mistakes_give_the_one_batch_problems(tmp_path: Path, mistake: str) -> None:
    folder = _sample_copy(tmp_path)
    people = folder / "individuals.csv"
    if mistake == "duplicate id":  # the same person in a second file, filed in another part
        lines = people.read_text(encoding="utf-8").splitlines(keepends=True)
        (folder / "individuals_more.csv").write_text(lines[0] + lines[1], encoding="utf-8")
    elif mistake == "unknown unit":
        _edit(people, ",DN-CKST,2026,", ",DN-CKSTX,2026,")
    else:
        _edit(people, ",12,khong,false,false,false,true,2,",
              ",twelve,khong,false,false,false,true,2,")
    with pytest.raises(InputError) as one:
        from scoring.run.app import run

        run([folder])
    with pytest.raises(InputError) as streamed:
        _streamed(folder, tmp_path / "out", 50, 2)
    assert streamed.value.problems == one.value.problems
    assert not (tmp_path / "out").exists()


def test_a_ranking_wider_than_a_unit_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    (rules / "2027").mkdir()
    (rules / "2027" / "ruleset.yaml").write_text(
        "ruleset: wide-2027\nyear: 2027\nname: ranked per cluster\nextends: ../2026\n"
        "individual:\n  ranking:\n    per: cluster\n    by: [\"-score\", \"name\"]\n",
        encoding="utf-8")
    with pytest.raises(RuleError, match="people are ranked per cluster"):
        _streamed(ROOT / "fixtures" / "quang-ngai-2026", tmp_path / "out", 50, 1,
                  rules / "2027")


@pytest.mark.parametrize(("count", "lines", "last"), [
    (3, 3, "warning: w2"),
    (50, 50, "warning: w49"),
    (5_000, 51, "warning: … and 4,950 more, not shown here; the JSON output lists every one"),
])
def test_a_flood_of_warnings_is_cut_on_the_terminal(count: int, lines: int, last: str) -> None:
    import click

    from scoring.cli.group import echo_warnings

    @click.command()
    def warn() -> None:
        echo_warnings([f"w{i}" for i in range(count)])

    shown = CliRunner().invoke(warn).output.splitlines()
    assert len(shown) == lines
    assert shown[-1].startswith(last)


def test_a_full_disk_while_spilling_is_a_clear_error(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    import scoring.streaming.stream

    class FullDisk:
        HIGHEST_PROTOCOL = 5

        @staticmethod
        def dump(*args: object, **kwargs: object) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(scoring.streaming.stream, "pickle", FullDisk)
    out = tmp_path / "out" / "results.json"
    result = CliRunner().invoke(cli, ["score", "fixtures/quang-ngai-2026", "-o", str(out),
                                      "--stream", "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert "cannot keep the run's parts here: No space left on device; set TMPDIR" \
        in result.output
    assert not out.exists() and "Traceback" not in result.output


def test_keys_typed_differently_stream_to_the_same_bytes(tmp_path: Path) -> None:
    """Task groups and a cluster spelt several ways are merged, and warned about, alike."""
    folder = _sample_copy(tmp_path)
    _edit(folder / "individuals.csv", "CN0203,Huỳnh Thanh Xuân,QLTT-D01,2026,23.5,56.0,,kiem_soat",
          "CN0203,Huỳnh Thanh Xuân,QLTT-D01,2026,23.5,56.0,,Kiem Soat")
    _edit(folder / "individuals.csv", "CN0207,Phan Hoài Hương,QLTT-D01,2026,23.6,55.6,,kiem_soat",
          "CN0207,Phan Hoài Hương,QLTT-D01,2026,23.6,55.6,,kiem\u200b_soat")
    _edit(folder / "units.csv", ",Khối đơn vị sự nghiệp và doanh nghiệp,2026,,,hoan_thanh,83.5",
          ",khối đơn vị sự nghiệp và  doanh nghiệp,2026,,,hoan_thanh,83.5")
    one = _one_batch(folder, tmp_path / "one")
    warnings = json.loads((one / "results.json").read_text(encoding="utf-8"))["warnings"]
    assert sum("differ only by" in w for w in warnings) == 2, warnings
    _same(one, _streamed(folder, tmp_path / "streamed", 50, 2))


def test_group_keys_differing_in_diacritics_give_the_one_batch_problems(tmp_path: Path) -> None:
    from scoring.run.app import run

    folder = _sample_copy(tmp_path)
    _edit(folder / "individuals.csv", "CN0203,Huỳnh Thanh Xuân,QLTT-D01,2026,23.5,56.0,,kiem_soat",
          "CN0203,Huỳnh Thanh Xuân,QLTT-D01,2026,23.5,56.0,,kiểm soát")
    with pytest.raises(InputError) as one:
        run([folder])
    with pytest.raises(InputError) as streamed:
        _streamed(folder, tmp_path / "out", 50, 2)
    assert streamed.value.problems == one.value.problems
    assert "only in its diacritics" in one.value.problems[0].message


def test_near_ids_are_warned_about_in_a_stream_as_in_one_batch(tmp_path: Path) -> None:
    """An id differing from another by case, one by leading zeros in its unit, one name in a
    unit under two ids: the same warnings (in this data the same order too)."""
    folder = _sample_copy(tmp_path)
    people = folder / "individuals.csv"
    _edit(people, "CN0203,Huỳnh Thanh Xuân,QLTT-D01", "cn0202,Huỳnh Thanh Xuân,QLTT-D01")
    _edit(people, "CN0207,Phan Hoài Hương,QLTT-D01", "CN00206,Phan Hoài Hương,QLTT-D01")
    _edit(people, "CN0205,Phan Thanh Trang,QLTT-D01", "CN0205,Trần Thanh Vân,QLTT-D01")
    one = _one_batch(folder, tmp_path / "one")
    warnings = json.loads((one / "results.json").read_text(encoding="utf-8"))["warnings"]
    assert sum("differs from 'CN0202'" in w for w in warnings) == 1, warnings
    assert sum("leading zeros" in w for w in warnings) == 1, warnings
    assert sum("is also 'CN0204'" in w for w in warnings) == 1, warnings
    _same(one, _streamed(folder, tmp_path / "streamed", 50, 2))


@pytest.mark.parametrize(("pieces", "size", "chunks"), [
    ([], 4, []),
    ([b"ab"], 4, [b"ab"]),
    ([b"ab", b"cd"], 4, [b"abcd"]),
    ([b"ab", b"cd", b"e"], 4, [b"abcd", b"e"]),
    ([b"abcdef", b"g"], 4, [b"abcdef", b"g"]),
])
def test_the_document_is_written_in_chunks_of_whole_pieces(pieces: list[bytes], size: int,
                                                           chunks: list[bytes]) -> None:
    from scoring.streaming.stream import _chunks

    assert list(_chunks(pieces, size)) == chunks
