"""Writing a run's outputs into a folder: the one write path of every face (`scoring score`,
the web page), so that each gives the same guarantees.

Outputs never touch an input (`atomic.check_apart`), one process at a time decides and writes
a folder (`atomic.folder_lock`), a folder holding another run's results is not mixed with this
one's, several formats of one run share one manifest, and every file is written atomically.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scoring.base.errors import OutputError
from scoring.base.i18n import _
from scoring.outputs.atomic import check_apart, folder_lock, write_atomic_many
from scoring.outputs.manifest import (
    FROM_HERE,
    MANIFEST,
    TIME_FIELD,
    described_manifest,
    file_manifest,
    manifest_bytes,
    output_formats,
    paths_from,
    same_run,
    with_format,
)
from scoring.outputs.render import render

if TYPE_CHECKING:
    from scoring.run.app import Run


def publish(r: Run, manifest: dict[str, Any], options: Mapping[str, object],
            targets: Sequence[Path], formats: Mapping[Path, str | None], *, seal: bool,
            force: bool, history: Path | None) -> None:
    """Render `r` in each target's format and write the targets (all in one folder) with the
    folder's manifest, after refusing any target that could hurt an input."""
    check_apart(targets, [*(Path(p) for p, _, _ in r.inputs.files), r.rules_folder,
                          *([history] if history else [])])
    folder = targets[0].parent
    with folder_lock(folder):  # one run at a time decides, renders and writes this folder
        earlier = no_other_run(folder, list(targets), force, manifest)
        if earlier is not None:  # the same run wrote here before: one time for the folder
            manifest[TIME_FIELD] = earlier[TIME_FIELD]
        data = {t: render(str(formats[t]), r.result, {
            **manifest, "options": with_format(options, str(formats[t]))}, r.compiled)
            for t in targets}
        files: dict[Path, bytes] = dict(data)
        if earlier is None and len(targets) == 1:
            described = file_manifest(manifest, {targets[0].name: data[targets[0]]}, seal)
        else:
            described = _merged(manifest, earlier, data, formats, seal)
        described[FROM_HERE] = paths_from(str(folder), [p for p, _, _ in r.inputs.files],
                                          str(r.rules_folder),
                                          str(history) if history else None)
        files[folder / MANIFEST] = manifest_bytes(described)
        write_atomic_many(files, force, replace=[folder / MANIFEST] if earlier else [])


def no_other_run(folder: Path, targets: list[Path], force: bool,
                  manifest: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The manifest already in `folder`, when it records this same run (its outputs are kept
    and listed with the new ones); None when there is none. A manifest of another run (or, for
    --stream, which cannot tell before its end, of any run) is refused, unless `force` and this
    run rewrites every output it lists (a full replacement): otherwise its outputs would stay
    in the folder, described by nobody."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        earlier = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        earlier = None
    if isinstance(earlier, dict) and manifest is not None and same_run(earlier, manifest):
        return earlier
    listed = set(output_formats(earlier)) if isinstance(earlier, dict) else set()
    if force and listed <= {t.name for t in targets}:
        return None
    others = ", ".join(sorted(listed - {t.name for t in targets})) or _("no readable outputs")
    refusal = (_("the folder holds the results of another run (other inputs, rules or "
                 "options; it lists {outputs}): write to a new folder") if force else
               _("the folder holds the results of another run (other inputs, rules or "
                 "options; it lists {outputs}): write to a new folder, or rewrite every output "
                 "it lists with --force"))
    raise OutputError.one(str(path), refusal.format(outputs=others))


def _merged(manifest: dict[str, Any], earlier: dict[str, Any] | None,
            data: dict[Path, bytes], formats: Mapping[Path, str | None],
            seal: bool) -> dict[str, Any]:
    """The manifest of a folder holding several outputs of one run: the earlier ones it
    listed (unless rewritten now) and this run's, each with its format."""
    entries: dict[str, tuple[str, str, int]] = {}
    kinds: dict[str, str] = {}
    if earlier is not None:
        known = output_formats(earlier)
        for item in earlier.get("outputs") or []:
            name = item.get("path") if isinstance(item, dict) else None
            if isinstance(name, str) and name in known:
                entries[name] = (name, str(item.get("sha256")), int(item.get("bytes") or 0))
                kinds[name] = known[name]
    for t, blob in data.items():
        entries[t.name] = (t.name, hashlib.sha256(blob).hexdigest(), len(blob))
        kinds[t.name] = str(formats[t])
    sealed = seal or (earlier is not None and earlier.get("sealed") is True)
    return described_manifest(manifest, list(entries.values()), sealed, kinds)
