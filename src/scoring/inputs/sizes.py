"""What reading a file may cost, checked before the work it bounds: its size against the limit
(`scoring.base.limits`), and the memory its rows will need against what is free.

A file too big to read is an `InputError` that names it and says how to read it in parts
(`--stream`), rather than a reader that runs out of memory midway; a name that is not a regular
file (a named pipe, a device) is refused before it is opened.
"""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path

from scoring.base.errors import InputError
from scoring.base.i18n import N_, _

__all__ = ["available_memory"]


def _read_bytes(path: Path, shown: str, limit: int) -> bytes:
    """The file's bytes, refused when over `limit`: checked before reading, and again while
    reading in case the file grows (or is not what its size says)."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # opening a FIFO would wait for a writer forever
            raise InputError.one(shown, _("not a regular file ({kind}): give a file saved on "
                                          "disk").format(kind=_file_kind(st.st_mode)))
        size = st.st_size
        if size > limit:
            raise InputError.one(shown, _("file is {size} bytes; the limit is {limit}").format(
                size=size, limit=limit))
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise InputError.one(shown, _("cannot read: {reason}").format(
            reason=e.strerror)) from None
    if len(data) > limit:
        raise InputError.one(shown, _("file is over {limit} bytes, the limit").format(
            limit=limit))
    return data


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, N_("a named pipe")),
                       (stat.S_ISCHR, N_("a character device")),
                       (stat.S_ISBLK, N_("a block device")), (stat.S_ISSOCK, N_("a socket")),
                       (stat.S_ISDIR, N_("a folder"))):
        if test(mode):
            return _(name)
    return _("not a plain file")


# What reading a file holds at once: its bytes, their text (up to twice as many bytes) and the
# cells, each a Python object of about 80 bytes (measured: a CSV file of 11 MB with 2.2 million
# cells took 200 MB). Cells are counted from the separators before the text is decoded.
_MEMORY_PER_BYTE = 3
_MEMORY_PER_CELL = 80
# Cells per unpacked byte of a workbook's XML (a cell takes 30 bytes or more there).
_XML_BYTES_PER_CELL = 30


def _cells_in(data: bytes, separators: Sequence[bytes]) -> int:
    return sum(data.count(s) for s in separators)


def available_memory() -> int | None:
    """Bytes this process may still allocate: the free memory (and swap) the kernel reports,
    and what is left of the address-space limit when one is set; None where unknown."""
    import resource

    found: list[int] = []
    try:
        info = dict(line.split(":", 1) for line in
                    Path("/proc/meminfo").read_text(encoding="ascii").splitlines())
        found.append((int(info["MemAvailable"].split()[0])
                      + int(info.get("SwapFree", "0 kB").split()[0])) * 1024)
        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            status = Path("/proc/self/status").read_text(encoding="ascii")
            used = int(status.split("VmSize:")[1].split()[0]) * 1024
            found.append(soft - used)
    except (OSError, KeyError, IndexError, ValueError):
        pass
    return min(found) if found else None


def _check_memory(shown: str, size: int, need: int) -> None:
    """Stop before reading a file whose rows need more memory than is free (`need` bytes),
    rather than run out midway."""
    free = available_memory()
    if free is not None and need > free:
        raise InputError.one(shown, _too_big(size, _("about {need} GB of memory, and {free} GB "
                                                     "is free").format(
            need=f"{need / 1e9:.1f}", free=f"{max(free, 0) / 1e9:.1f}")))


def _too_big(size: int, detail: str) -> str:
    return _("the file is {size} bytes; reading it needs {detail}: split it into smaller "
             "files and score them together with --stream, which reads and scores a file at a "
             "time").format(size=f"{size:,}", detail=detail)
