"""Outputs are all-or-nothing even when the writer is killed (SIGKILL: no handler runs), and an
existing output is never overwritten without --force.

A writer is a real process killed at spread-out moments: a small script that writes a big
payload through `write_atomic_many` slowly (so that kills land while the temporary file is half
written), and `scoring score` itself on a large generated input. After each kill the target is
the old file, or the complete new one, or (when there was none) absent: never part of one.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_properties import _batch, _compiled, write_folder

from scoring.cli import cli
from scoring.outputs.atomic import write_atomic

ROOT = Path(__file__).resolve().parents[2]
MONOTONE = "tests/rulesets/monotone"
OLD, OLD_MANIFEST = b"old results\n" * 1000, b'{"old": true}\n'
NEW_SIZE, CHUNK = 8_000_000, 65_536
# The new payload is written in chunks with a pause after each: a disk that takes its time.
WRITER = f"""
import sys, tempfile, time
from pathlib import Path
from scoring.outputs import atomic

real = tempfile.NamedTemporaryFile

def slow(*args, **kwargs):
    f = real(*args, **kwargs)
    write = f.file.write
    def chunked(data):
        for i in range(0, len(data), {CHUNK}):
            write(data[i:i + {CHUNK}])
            f.file.flush()
            time.sleep(0.001)
        return len(data)
    f.write = chunked
    return f

atomic.tempfile.NamedTemporaryFile = slow
folder = Path(sys.argv[1])
print("writing", flush=True)
atomic.write_atomic_many({{folder / "results.json": b"N" * {NEW_SIZE},
                          folder / "manifest.json": b'{{"new": true}}\\n'}}, force=True)
print("done", flush=True)
"""
NEW, NEW_MANIFEST = b"N" * NEW_SIZE, b'{"new": true}\n'


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_after(proc: subprocess.Popen[bytes], delay: float) -> None:
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)


def _temps(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def _run_writer(folder: Path, delay: float | None, script: Path) -> float:
    """Run the slow writer into `folder`; kill it `delay` seconds after it starts writing (None:
    let it finish). Returns how long it wrote."""
    proc = _start([sys.executable, str(script), str(folder)])
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"writing\n", proc.stderr.read() if proc.stderr else b""
    started = time.perf_counter()
    if delay is None:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        return time.perf_counter() - started
    _kill_after(proc, delay)
    return time.perf_counter() - started


@pytest.mark.parametrize("existing", [True, False], ids=["over-old-files", "first-write"])
def test_a_killed_writer_leaves_the_old_file_or_the_new_one_never_part(
        tmp_path: Path, existing: bool) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    duration = _run_writer(tmp_path / "timing", None, script)
    rnd = random.Random(10)
    seen: set[str] = set()
    attempts = 10
    for k in range(attempts):
        folder = tmp_path / f"attempt{k}"
        folder.mkdir()
        if existing:
            (folder / "results.json").write_bytes(OLD)
            (folder / "manifest.json").write_bytes(OLD_MANIFEST)
        # Kill moments spread over the whole write, one per slice, jittered within it.
        _run_writer(folder, duration * (k + rnd.random()) / attempts * 1.1, script)
        results, manifest = folder / "results.json", folder / "manifest.json"
        if existing:
            assert results.read_bytes() in (OLD, NEW)
            assert manifest.read_bytes() in (OLD_MANIFEST, NEW_MANIFEST)
            seen.add("old" if results.read_bytes() == OLD else "new")
        else:
            assert not results.exists() or results.read_bytes() == NEW
            assert not manifest.exists() or manifest.read_bytes() == NEW_MANIFEST
            seen.add("new" if results.exists() else "none")
        if _temps(folder):
            seen.add("killed mid-write")
    assert "killed mid-write" in seen and ("old" in seen or "none" in seen), seen


def test_the_next_write_removes_temporary_files_of_killed_writers(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".results.json.{dead_pid}.abc123.tmp"
    stale.write_bytes(b"NNNN")  # what a killed writer leaves behind
    alive = tmp_path / f".results.json.{os.getppid()}.def456.tmp"
    alive.write_bytes(b"NN")  # a writer still at work: not ours to remove
    other = tmp_path / f".summary.json.{dead_pid}.ghi789.tmp"
    other.write_bytes(b"N")  # another target's: removed when that target is written
    write_atomic(tmp_path / "results.json", b"new", force=True)
    assert (tmp_path / "results.json").read_bytes() == b"new"
    assert not stale.exists() and alive.exists() and other.exists()


def test_scoring_killed_at_any_moment_leaves_old_or_new_results(tmp_path: Path) -> None:
    compiled = _compiled(MONOTONE)
    people, units = _batch(compiled, 3000, 30, seed=1)
    data = write_folder(tmp_path / "in", compiled, people, units)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}

    def score(out: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-c", "from scoring.cli import main; main()", "score", str(data),
             "--rules", MONOTONE, "-o", str(out / "results.json"), "--force", "-q"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    reference = tmp_path / "reference"
    started = time.perf_counter()
    proc = score(reference)
    _, err = proc.communicate(timeout=300)
    duration = time.perf_counter() - started
    assert proc.returncode == 0, err
    new = (reference / "results.json").read_bytes()
    new_manifest = (reference / "manifest.json").read_bytes()
    for k, fraction in enumerate((0.5, 0.8, 0.95, 1.1)):
        out = tmp_path / f"kill{k}"
        out.mkdir()
        (out / "results.json").write_bytes(OLD)
        (out / "manifest.json").write_bytes(OLD_MANIFEST)
        _kill_after(score(out), duration * fraction)
        assert (out / "results.json").read_bytes() in (OLD, new)
        assert (out / "manifest.json").read_bytes() in (OLD_MANIFEST, new_manifest)


def test_an_existing_output_is_kept_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.json").write_bytes(OLD)
    (out / "manifest.json").write_bytes(OLD_MANIFEST)
    args = ["score", "tests/data/mini", "--rules", "tests/rulesets/mini", "-o",
            str(out / "results.json")]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2
    assert "results.json: already exists; use --force to overwrite it" in refused.output
    assert (out / "results.json").read_bytes() == OLD
    assert (out / "manifest.json").read_bytes() == OLD_MANIFEST
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "results.json"]
    forced = CliRunner().invoke(cli, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert (out / "results.json").read_bytes().startswith(b"{")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "results.json"]
