"""Several outputs of one run in one folder, verified from anywhere; one writer per folder.

Issue #18 part 7 and #23 part 3. The refusals (an output onto an input, into an input or sealed
folder, several -o done wrong) are in the bad-input corpus, category `outputs`; here are the
folders that must work, what `verify` tells about them, and the lock, with real processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scoring.cli import cli

ROOT = Path(__file__).resolve().parents[2]
MINI_RULES = ROOT / "tests/rulesets/mini"
CLI = [sys.executable, "-c", "from scoring.cli import main; main()"]
HOLDER = """
import sys
from pathlib import Path
from scoring.outputs.atomic import folder_lock
with folder_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def data_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "tests/data/mini", data)
    return data


def score(data: Path, *outputs: Path, extra: tuple[str, ...] = ()) -> Result:
    args = ["score", str(data), "--rules", str(MINI_RULES), "-q"]
    return invoke(*args, *(a for o in outputs for a in ("-o", str(o))), *extra)


def listed(folder: Path) -> dict[str, str]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {o["path"]: o.get("format", manifest["options"].get("format"))
            for o in manifest["outputs"]}


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()} - {"manifest.json"}


# ---------------------------------------------------------------- several outputs, one folder


@pytest.mark.parametrize("runs", [
    [("ketqua.xlsx", "ketqua.json", "ketqua.csv")],  # -o repeated in one run
    [("ketqua.json",), ("ketqua.csv",), ("ketqua.html",)],  # one -o per run
    [("ketqua.json", "ketqua.xlsx"), ("ketqua.csv",)],
])
def test_one_manifest_lists_every_output_of_the_run(tmp_path: Path,
                                                    runs: list[tuple[str, ...]]) -> None:
    data, out = data_copy(tmp_path), tmp_path / "ketqua"
    for names in runs:
        result = score(data, *(out / n for n in names))
        assert result.exit_code == 0, result.output
    every = {n for names in runs for n in names}
    assert listed(out) == {n: n.rsplit(".", 1)[1] for n in every}
    assert files_in(out) == every
    verified = invoke("verify", str(out))
    assert verified.exit_code == 0, verified.output
    assert all(n in verified.output for n in every)


@pytest.mark.parametrize("damaged", ["ketqua.csv", "ketqua.xlsx"])
def test_a_changed_output_among_several_is_named(tmp_path: Path, damaged: str) -> None:
    data, out = data_copy(tmp_path), tmp_path / "ketqua"
    assert score(data, out / "ketqua.json", out / "ketqua.csv", out / "ketqua.xlsx"
                 ).exit_code == 0
    raw = bytearray((out / damaged).read_bytes())
    raw[-3] ^= 1
    (out / damaged).write_bytes(bytes(raw))
    result = invoke("verify", str(out))
    assert result.exit_code == 1
    assert f"output {damaged} was changed after the run" in result.output
    assert "ketqua.json was changed" not in result.output


@pytest.mark.parametrize(("second", "force", "code"), [
    ("ketqua.csv", False, 2),  # the folder holds another run's ketqua.json
    ("ketqua.csv", True, 2),  # --force would leave ketqua.json described by nobody
    ("ketqua.json", False, 2),  # exists
    ("ketqua.json", True, 0),  # every output it lists is rewritten: a full replacement
])
def test_another_run_cannot_join_a_folder(tmp_path: Path, second: str, force: bool,
                                          code: int) -> None:
    data, out = data_copy(tmp_path), tmp_path / "ketqua"
    assert score(data, out / "ketqua.json").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    units = data / "units.csv"
    units.write_text(units.read_text(encoding="utf-8").replace(",95,", ",96,"),
                     encoding="utf-8")
    result = score(data, out / second, extra=("--force",) if force else ())
    assert result.exit_code == code, result.output
    if code == 2:
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    else:
        assert listed(out) == {second: "json"}
        assert invoke("verify", str(out)).exit_code == 0


# ----------------------------------------------------------- verify: from anywhere, 2 versus 1


def test_verify_finds_the_inputs_from_the_manifests_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    data_copy(work)
    monkeypatch.chdir(work)
    assert score(Path("data"), Path("ketqua/ketqua.json"), Path("ketqua/ketqua.csv")
                 ).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "data").mkdir(parents=True)  # a different data set at the same relative path
    (elsewhere / "data" / "units.csv").write_text("id,name\n", encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    result = invoke("verify", str(work / "ketqua"))
    assert result.exit_code == 0, result.output
    shutil.move(work, tmp_path / "moved")  # the whole tree moved: the way there still holds
    result = invoke("verify", str(tmp_path / "moved" / "ketqua"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("damage", "code", "message"), [
    ("delete", 2, "input data/units.csv is missing (looked for"),
    ("edit", 1, "input data/units.csv changed since the run"),
])
def test_a_missing_input_stops_and_a_changed_one_differs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str, code: int,
        message: str) -> None:
    monkeypatch.chdir(tmp_path)
    data = data_copy(tmp_path)
    assert score(Path("data"), Path("ketqua/ketqua.json")).exit_code == 0
    monkeypatch.chdir(tmp_path / "ketqua")
    units = data / "units.csv"
    if damage == "delete":
        units.unlink()
    else:
        units.write_text(units.read_text(encoding="utf-8").replace(",95,", ",96,"),
                         encoding="utf-8")
    result = invoke("verify", ".")
    assert result.exit_code == code, result.output
    assert message in result.output


@pytest.mark.parametrize("extra", ["ghi-chu.txt", "phu-luc/bang.csv", ".an.json"])
def test_verify_reports_a_file_a_sealed_folder_does_not_list(tmp_path: Path,
                                                             extra: str) -> None:
    data, out = data_copy(tmp_path), tmp_path / "cong-bo"
    assert score(data, out / "ketqua.json", out / "ketqua.csv", extra=("--seal",)
                 ).exit_code == 0
    assert invoke("verify", str(out)).exit_code == 0
    (out / extra).parent.mkdir(parents=True, exist_ok=True)
    (out / extra).write_text("x\n", encoding="utf-8")
    result = invoke("verify", str(out))
    assert result.exit_code == 1
    assert f"{extra} is in the sealed folder but not listed in its manifest.json" \
        in result.output


def test_a_sealed_folder_takes_no_further_output_of_the_same_run(tmp_path: Path) -> None:
    data, out = data_copy(tmp_path), tmp_path / "cong-bo"
    assert score(data, out / "ketqua.json", extra=("--seal",)).exit_code == 0
    for target in (out / "ketqua.csv", out / "2027" / "ketqua.csv"):
        result = score(data, target, extra=("--force",))
        assert result.exit_code == 2
        assert "sealed" in result.output
    assert files_in(out) == {"ketqua.json"} and not (out / "2027").exists()


# --------------------------------------------------------- one writer per folder, real processes


def _run(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*CLI, *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"})


def _holder(folder: Path) -> subprocess.Popen[str]:
    """Another process holding the folder's lock until its standard input closes."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def _score_args(data: Path, *outputs: Path, seal: bool = False) -> list[str]:
    return ["score", str(data), "--rules", str(MINI_RULES), "-q",
            *(a for o in outputs for a in ("-o", str(o))), *(["--seal"] if seal else [])]


@pytest.mark.parametrize("seal", [False, True])
def test_a_folder_being_written_by_another_process_is_refused(tmp_path: Path,
                                                              seal: bool) -> None:
    data, out = data_copy(tmp_path), tmp_path / "ketqua"
    holder = _holder(out)
    try:
        proc = _run(_score_args(data, out / "ketqua.json", seal=seal), tmp_path)
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 2, output
        assert "another scoring run is writing to this folder right now" in output
        assert not any(out.iterdir())
    finally:
        holder.communicate("", timeout=30)
    proc = _run(_score_args(data, out / "ketqua.json", seal=seal), tmp_path)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output


def test_a_killed_writer_leaves_the_folder_free(tmp_path: Path) -> None:
    data, out = data_copy(tmp_path), tmp_path / "ketqua"
    holder = _holder(out)
    holder.kill()  # SIGKILL: no handler runs; the kernel drops the lock with the process
    holder.wait(timeout=30)
    proc = _run(_score_args(data, out / "ketqua.json"), tmp_path)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    assert invoke("verify", str(out)).exit_code == 0


def test_runs_that_seal_one_folder_at_once_seal_it_once(tmp_path: Path) -> None:
    data, out = data_copy(tmp_path), tmp_path / "cong-bo"
    names = ["ketqua.json", "ketqua.csv", "ketqua.xlsx"]
    procs = [_run(_score_args(data, out / n, seal=True), tmp_path) for n in names]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    codes = [p.returncode for p in procs]
    assert sorted(codes) == [0, 2, 2], outputs
    for code, output in zip(codes, outputs, strict=True):
        if code == 2:
            assert "sealed" in output or "another scoring run is writing" in output, output
    winner = names[codes.index(0)]
    assert files_in(out) == {winner} and set(listed(out)) == {winner}
    assert invoke("verify", str(out)).exit_code == 0


def test_runs_that_write_one_folder_at_once_leave_it_described(tmp_path: Path) -> None:
    data, out = data_copy(tmp_path), tmp_path / "ketqua"
    names = ["ketqua.json", "ketqua.csv", "ketqua.html"]
    procs = [_run(_score_args(data, out / n), tmp_path) for n in names]
    results = [(p.communicate(timeout=300)[0], p.returncode) for p in procs]
    written = {n for n, (_, code) in zip(names, results, strict=True) if code == 0}
    for output, code in results:
        assert code == 0 or "another scoring run is writing" in output, output
    assert written and files_in(out) == written == set(listed(out))
    assert invoke("verify", str(out)).exit_code == 0


def test_a_run_killed_while_sealing_leaves_a_whole_sealed_folder_or_none(tmp_path: Path) -> None:
    """`score --seal` killed (SIGKILL) at moments spread over its run: the folder is either
    sealed with every output it lists, byte for byte, or not sealed, and then a new run seals
    it. Never a sealed folder with a missing or partial output."""
    sample = ROOT / "fixtures/quang-ngai-2021"
    if not sample.is_dir():
        pytest.skip("fixtures/quang-ngai-2021 not generated")
    outputs = ("ketqua.json", "ketqua.xlsx")

    def sealing(out: Path, force: bool = False) -> subprocess.Popen[str]:
        return _run(["score", str(sample), "-q", "--seal", *(["--force"] if force else []),
                     *(a for n in outputs for a in ("-o", str(out / n)))], ROOT)

    started = time.perf_counter()
    reference = sealing(tmp_path / "reference")
    assert reference.communicate(timeout=300)[1] is None and reference.returncode == 0
    duration = time.perf_counter() - started
    for k, fraction in enumerate((0.6, 0.9, 1.2)):
        out = tmp_path / f"kill{k}"
        proc = sealing(out)
        try:
            proc.wait(timeout=duration * fraction)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.communicate(timeout=60)
        manifest = out / "manifest.json"
        if manifest.exists():
            assert json.loads(manifest.read_text(encoding="utf-8"))["sealed"] is True
            assert invoke("verify", str(out)).exit_code == 0
            continue
        again = sealing(out, force=True)
        output, _ = again.communicate(timeout=300)
        assert again.returncode == 0, output
        assert invoke("verify", str(out)).exit_code == 0
