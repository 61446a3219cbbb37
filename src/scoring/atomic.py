"""Writing output files all-or-nothing, and never over an existing file unless asked.

A council's result file is forwarded and archived; a run that crashes, is interrupted or runs
out of disk must leave either the previous file or the complete new one, never half of one.
So data goes to a temporary file in the target's directory (same file system, so the rename is
atomic), is flushed to disk, and is then renamed over the target. Existing files are refused
without `force`, and a batch checks every target before writing any, so a refused run leaves
the folder as it was. This is the only module of the package that writes files.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from scoring.errors import OutputError, Problem

__all__ = ["is_stdout", "write_atomic", "write_atomic_many"]

STDOUT = "-"


def is_stdout(path: Path | str) -> bool:
    """True when the output path is "-", the Unix spelling of standard output."""
    return str(path) == STDOUT


def is_sealed(folder: Path) -> bool:
    """A folder whose manifest says `sealed`: a published result, never written again."""
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("sealed") is True


def _problem(path: Path, force: bool) -> Problem | None:
    if path.is_dir():
        return Problem(str(path), "is a directory; give a file name")
    if path.parent.exists() and not path.parent.is_dir():
        return Problem(str(path), f"{path.parent} is not a folder")
    if is_sealed(path.parent):
        return Problem(str(path), f"the folder {path.parent} holds a sealed result and is never "
                                  "written again (--force included): write to a new folder")
    if path.exists() and not force:
        return Problem(str(path), "already exists; use --force to overwrite it")
    return None


def _mode(path: Path) -> int:
    """Permissions for the new file: the replaced file's, else the default for new files.

    `NamedTemporaryFile` creates files readable by the owner only; renamed into place unchanged,
    an output that colleagues must read would become private.
    """
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on every platform."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write(path: Path, data: bytes) -> None:
    mode = _mode(path)
    tmp_name = ""
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False,
                                         prefix=f".{path.name}.", suffix=".tmp") as tmp:
            tmp_name = tmp.name
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        # BaseException: an interrupted run (Ctrl-C) must not leave a stray temp file either.
        if tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
        raise
    _sync_directory(path.parent)


def write_atomic(path: Path, data: bytes, force: bool = False) -> None:
    """Write `data` to `path` atomically; refuse (OutputError, exit 2) if it exists and not force.

    OS errors (permissions, a full disk) become an OutputError naming the path.
    """
    write_atomic_many({path: data}, force)


def write_atomic_many(files: Mapping[Path, bytes], force: bool = False) -> None:
    """Write several files, each atomically, after checking that every target can be written.

    All refusals are reported together and nothing is written when there is one. The batch as
    a whole is not atomic: if the disk fails on the third file, the first two stay written.
    """
    problems = [p for path in files if (p := _problem(Path(path), force)) is not None]
    if problems:
        raise OutputError(problems)
    for path, data in files.items():
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            _write(Path(path), data)
        except OSError as exc:
            raise OutputError.one(str(path), f"cannot write: {exc.strerror or exc}") from exc
