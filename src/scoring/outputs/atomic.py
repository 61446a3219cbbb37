"""Writing output files all-or-nothing, and never over an existing file unless asked.

A council's result file is forwarded and archived; a run that crashes, is interrupted or runs
out of disk must leave either the previous file or the complete new one, never half of one.
So data goes to a temporary file in the target's directory (same file system, so the rename is
atomic), is flushed to disk, and is then renamed over the target. Existing files are refused
without `force`, and a batch checks every target before writing any, so a refused run leaves
the folder as it was. A batch (an output and its manifest) first writes every temporary file,
the slow part, and only then renames them one after the other, so a run killed while writing
leaves the previous pair untouched. A temporary file named for a process that no longer exists
(killed with SIGKILL, which no handler sees) is removed by the next write to the same target.
This is the only module of the package that writes files.

Outputs cannot hurt: a target that is an input file, lies in an input folder, or is named
`manifest.json` is refused whatever `force` says (`check_apart`); a sealed folder and every
folder inside it are never written again; and a folder is written by one process at a time
(`folder_lock`, an exclusive `flock` on the folder itself, so no lock file is left behind): a
second run that would write or seal the same folder at the same moment is refused, exit 2.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from scoring.base.errors import OutputError, Problem
from scoring.base.i18n import _

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: folders are not locked
    fcntl = None  # type: ignore[assignment]

__all__ = ["check_apart", "check_targets", "folder_lock", "is_stdout", "write_atomic",
           "write_atomic_many"]

STDOUT = "-"
MANIFEST = "manifest.json"


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


def sealed_above(folder: Path) -> Path | None:
    """The sealed folder that `folder` is, or lies inside, if any."""
    for candidate in (folder, *folder.parents):
        if is_sealed(candidate):
            return candidate
    absolute = Path(os.path.abspath(folder))
    if absolute != folder:
        for candidate in (absolute, *absolute.parents):
            if is_sealed(candidate):
                return candidate
    return None


def _problem(path: Path, force: bool, replace: frozenset[Path] = frozenset()) -> Problem | None:
    if path.is_dir():
        return Problem(str(path), _("is a directory; give a file name"))
    if path.parent.exists() and not path.parent.is_dir():
        return Problem(str(path), _("{path} is not a folder").format(path=path.parent))
    sealed = sealed_above(path.parent)
    if sealed is not None:
        message = (_("the folder {folder} holds a sealed result and is never written again "
                     "(--force included): write to a new folder") if sealed == path.parent else
                   _("the folder {folder} lies inside {sealed}, which holds a sealed result and "
                     "is never written again (--force included): write to a new folder"))
        return Problem(str(path), message.format(folder=path.parent, sealed=sealed))
    if path.exists() and not force and path not in replace:
        return Problem(str(path), _("already exists; use --force to overwrite it"))
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _remove_stale(path: Path) -> None:
    """Remove temporary files of `path` left by writers that were killed (see module doc)."""
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                tmp.unlink()


Content = bytes | Callable[[], Iterable[bytes]]


def _stage(path: Path, data: Content) -> str:
    """Write `data` to a new temporary file beside `path`, flushed to disk; return its name.

    `data` is the bytes, or a function giving them in pieces: called only when the file is
    staged, after the files before it in the batch, so an output too large for memory can be
    streamed, and a manifest can state the digest of the output staged before it."""
    mode = _mode(path)
    _remove_stale(path)
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False,
                                     prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp") as tmp:
        try:
            if isinstance(data, bytes):
                tmp.write(data)
            else:
                for piece in data():
                    tmp.write(piece)
            tmp.flush()
            os.fsync(tmp.fileno())
            os.chmod(tmp.name, mode)
        except BaseException:
            _discard([tmp.name])
            raise
        return tmp.name


def _discard(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            os.unlink(name)


def write_atomic(path: Path, data: bytes, force: bool = False) -> None:
    """Write `data` to `path` atomically; refuse (OutputError, exit 2) if it exists and not force.

    OS errors (permissions, a full disk) become an OutputError naming the path.
    """
    write_atomic_many({path: data}, force)


def check_targets(paths: Iterable[Path], force: bool = False,
                  replace: Iterable[Path] = ()) -> None:
    """Raise OutputError now if any target could not be written (exists without `force`, in a
    sealed folder, a folder itself): for a run long enough that refusing at the end would
    waste it. `write_atomic_many` checks again when it writes. `replace`: targets that may
    exist without `force` (a manifest that is being extended, not overwritten)."""
    kept = frozenset(Path(p) for p in replace)
    problems = [p for path in paths if (p := _problem(Path(path), force, kept)) is not None]
    if problems:
        raise OutputError(problems)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_apart(targets: Iterable[Path], inputs: Iterable[Path]) -> None:
    """Refuse outputs that could hurt an input, `force` or not (OutputError, exit 2): a target
    that is an input file (by path, link or hard link), that lies in an input folder or in
    the folder of an input file (a later run of that folder would read it as input), or that
    a user names `manifest.json` (the run's own record, written beside every output)."""
    problems: list[Problem] = []
    given = [Path(p) for p in inputs]
    for target in (Path(t) for t in targets):
        where = Path(os.path.abspath(target))
        real = where.parent.resolve() / where.name
        if target.name.casefold() == MANIFEST:
            problems.append(Problem(str(target), _("{manifest} is the run's own record, "
                                                   "written beside the outputs: give the output "
                                                   "another name (--force included)").format(
                                                       manifest=MANIFEST)))
            continue
        same = [s for s in given if s.is_file()
                and (real == s.resolve() or _same_file(target, s))]
        inside = [s for s in given
                  if real.is_relative_to((s if s.is_dir() else s.parent).resolve())]
        if same:
            why = _("is the input file {input}; an input is never overwritten (--force "
                    "included)").format(input=same[0])
        elif inside:
            source = inside[0]
            folder = source if source.is_dir() else source.parent
            why = (_("lies in an input folder ({folder}): a later run of it would read the "
                     "output as input; write to a folder outside the inputs (--force included)")
                   if source.is_dir() else
                   _("lies in the folder of the input {input} ({folder}): a later run of it "
                     "would read the output as input; write to a folder outside the inputs "
                     "(--force included)")).format(folder=folder, input=source)
        else:
            continue
        problems.append(Problem(str(target), why))
    if problems:
        raise OutputError(problems)


_HELD: dict[Path, int] = {}  # folders this process has locked, with the depth of nesting


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (made if missing, removed again if the block fails
    and left it empty): a second process that asks while it is held is refused at once with an
    OutputError (exit 2), so two runs can never both write or both seal one folder. The lock
    is an `flock` on the folder itself: the kernel drops it when the process ends, killed or
    not. Re-entrant within one process."""
    key = Path(os.path.abspath(folder))
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    made = [p for p in (key, *key.parents) if not p.exists()]
    try:
        key.mkdir(parents=True, exist_ok=True)
        fd = os.open(key, os.O_RDONLY)
    except OSError as exc:
        raise OutputError.one(str(folder), _("cannot write: {reason}").format(
            reason=exc.strerror or exc)) from exc
    ok = False
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OutputError.one(str(folder), _("another scoring run is writing to this "
                                                     "folder right now; run again when it has "
                                                     "finished, or write to another folder")
                                      ) from None
        _HELD[key] = 1
        try:
            yield
            ok = True
        finally:
            del _HELD[key]
    finally:
        os.close(fd)  # releases the lock
        if not ok:
            for p in made:  # only the folders this call made, and only while empty
                with contextlib.suppress(OSError):
                    p.rmdir()


def write_atomic_many(files: Mapping[Path, Content], force: bool = False,
                      replace: Iterable[Path] = ()) -> None:
    """Write several files, each atomically, after checking that every target can be written.

    All refusals are reported together and nothing is written when there is one. Every file is
    staged before any is renamed, so a failure or a kill while writing (a full disk, SIGKILL)
    leaves every target as it was. Only the renames, which take microseconds, are one after
    the other: a crash between two of them leaves the first target new and the rest old.
    """
    folders = sorted({Path(os.path.abspath(Path(p).parent)) for p in files})
    check_targets(files, force, replace)
    with contextlib.ExitStack() as locks:
        for folder in folders:
            locks.enter_context(folder_lock(folder))
        check_targets(files, force, replace)  # again, now that no other run can write here
        _write_all(files)


def _write_all(files: Mapping[Path, Content]) -> None:
    staged: list[tuple[Path, str]] = []
    try:
        for path, data in files.items():
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                staged.append((Path(path), _stage(Path(path), data)))
            except OSError as exc:
                raise OutputError.one(str(path), _("cannot write: {reason}").format(
                    reason=exc.strerror or exc)) from exc
        while staged:
            path, tmp_name = staged[0]
            try:
                os.replace(tmp_name, path)
            except OSError as exc:
                raise OutputError.one(str(path), _("cannot write: {reason}").format(
                    reason=exc.strerror or exc)) from exc
            staged.pop(0)
            _sync_directory(path.parent)
    finally:
        # BaseException included: an interrupted run (Ctrl-C) leaves no stray temp file either.
        _discard([name for _, name in staged])
