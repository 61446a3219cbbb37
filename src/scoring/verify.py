"""Verify an output folder: score its recorded inputs again and compare, byte for byte.

A folder written by `scoring score ... -o DIR/results.json` holds the output and a
`manifest.json` naming the inputs (paths as given, SHA-256, size), the rule set (folder and
content hash) and the options. Verifying it means doing the run again and getting the same
bytes: every input is hashed and compared with the manifest, the rules are loaded and scored
again, the recorded format is rendered with the recorded manifest's `created` time (the one field
allowed to differ between runs), and both files are compared with what is on disk.

Differences are reported in terms a council can act on: which input changed since the run,
whether the rule set changed, and which records now come out differently (score, titles, rank,
ledger). Paths in the manifest are read as given to `score` (relative to the folder it was run
from); a path that does not exist there is also tried relative to the output folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring.app import Run, run
from scoring.errors import UsageError
from scoring.manifest import MANIFEST, TIME_FIELD, build_manifest, file_manifest, manifest_bytes
from scoring.render import render
from scoring.scorer import Evaluator

__all__ = ["MANIFEST", "Verification", "read_manifest", "verify_folder"]

_SUFFIX = {"json": ".json", "csv": ".csv", "xlsx": ".xlsx", "table": ".txt", "html": ".html"}
# Record fields whose change `verify` names; any other difference still fails the byte check.
_FIELDS = ("score", "titles", "rank")
MAX_RECORDS = 20


@dataclass(frozen=True)
class Verification:
    folder: Path
    output: Path
    problems: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return not self.problems


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read and check `manifest.json`; a manifest that cannot be used is a `UsageError`."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError.one(str(folder), f"no {MANIFEST} here: not an output folder of "
                                          "`scoring score -o`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError.one(str(path), f"cannot read the manifest: {e}") from None
    problems = []
    if not isinstance(data, dict):
        raise UsageError.one(str(path), "the manifest is not a JSON object")
    inputs = data.get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(
            isinstance(i, dict) and isinstance(i.get("path"), str)
            and isinstance(i.get("sha256"), str) for i in inputs):
        problems.append("'inputs' must list the input files with their path and sha256")
    ruleset = data.get("ruleset")
    if not isinstance(ruleset, dict) or not isinstance(ruleset.get("folder"), str):
        problems.append("'ruleset' must name the rule set folder")
    options = data.get("options")
    if not isinstance(options, dict) or options.get("format") not in _SUFFIX:
        problems.append(f"'options' must give the format ({', '.join(_SUFFIX)})")
    if not isinstance(data.get(TIME_FIELD), str):
        problems.append(f"'{TIME_FIELD}' is missing")
    if problems:
        raise UsageError.one(str(path), "; ".join(problems))
    return data


def find_output(folder: Path, fmt: str, manifest: Mapping[str, Any]) -> Path:
    """The output file the manifest names (older manifests: the one file of the format)."""
    outputs = manifest.get("outputs")
    if isinstance(outputs, list) and len(outputs) == 1 and isinstance(outputs[0], dict):
        named = folder / str(outputs[0].get("path"))
        if not named.is_file():
            raise UsageError.one(str(folder), f"the output {named.name} named by the manifest "
                                              "is missing")
        return named
    found = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.name != MANIFEST and p.suffix.lower() == _SUFFIX[fmt])
    if len(found) != 1:
        what = ", ".join(p.name for p in found) or "none"
        raise UsageError.one(str(folder), f"expected one {_SUFFIX[fmt]} output beside the "
                                          f"manifest, found {what}")
    return found[0]


def _locate(given: str, folder: Path) -> Path | None:
    for p in (Path(given), folder / given):
        if p.is_file():
            return p
    return None


def _inputs(manifest: Mapping[str, Any], folder: Path
            ) -> tuple[list[Path], list[tuple[str, str, int]], list[str]]:
    """The input files, their (recorded path, sha256, bytes) now, and what changed."""
    paths: list[Path] = []
    files: list[tuple[str, str, int]] = []
    problems: list[str] = []
    for item in manifest["inputs"]:
        given = item["path"]
        path = _locate(given, folder)
        if path is None:
            problems.append(f"input {given} is missing")
            continue
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if sha != item["sha256"]:
            problems.append(f"input {given} changed since the run: sha256 {sha} != "
                            f"{item['sha256']}")
        paths.append(path)
        files.append((given, sha, len(data)))
    return paths, files, problems


def verify_folder(folder: Path, evaluator: Evaluator | None = None) -> Verification:
    """Score the folder's recorded inputs again and compare with its files.

    Raises `UsageError` when the folder is not a readable output folder (exit 2); otherwise
    returns the differences found (none: identical).
    """
    manifest = read_manifest(folder)
    fmt = manifest["options"]["format"]
    output = find_output(folder, fmt, manifest)
    paths, files, problems = _inputs(manifest, folder)
    problems = _changed_outputs(manifest, folder) + problems
    if len(paths) < len(manifest["inputs"]):
        return Verification(folder, output, tuple(problems))
    recorded_rules = manifest["ruleset"]["folder"]
    again = _rerun(paths, manifest, folder, evaluator, problems)
    result = again.result
    old_hash = manifest["ruleset"].get("hash")
    if result.hash != old_hash:
        problems.append(f"rule set {recorded_rules} changed since the run: hash "
                        f"{result.hash} != {old_hash}")
    old_output = output.read_bytes()
    created = _created(fmt, old_output, manifest)
    fresh = build_manifest(result, recorded_rules, files, manifest["options"], created)
    new_output = render(fmt, result, fresh, again.compiled)
    if new_output != old_output:
        problems.append(f"{output.name} differs from a fresh run")
        problems += [f"  {line}" for line in _record_diff(fmt, old_output, new_output)]
    fresh[TIME_FIELD] = manifest[TIME_FIELD]
    if "outputs" in manifest:
        fresh = file_manifest(fresh, {output.name: new_output}, manifest.get("sealed") is True)
    if manifest_bytes(fresh) != (folder / MANIFEST).read_bytes():
        keys = [k for k in fresh if fresh.get(k) != manifest.get(k)]
        keys += [k for k in manifest if k not in fresh]
        problems.append(f"{MANIFEST} differs from a fresh run"
                        + (f" in: {', '.join(keys)}" if keys else " (in its layout)"))
    return Verification(folder, output, tuple(problems))


def _changed_outputs(manifest: Mapping[str, Any], folder: Path) -> list[str]:
    """Outputs whose bytes differ from the SHA-256 the manifest recorded: any changed byte of a
    published (sealed) result is found here, before anything is scored again."""
    out = []
    for item in manifest.get("outputs") or []:
        path = folder / str(item.get("path"))
        if not path.is_file():
            out.append(f"output {path.name} is missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != item.get("sha256"):
            out.append(f"output {path.name} was changed after the run (sha256 differs from the "
                       "manifest)")
    return out


def _rerun(paths: list[Path], manifest: Mapping[str, Any], folder: Path,
           evaluator: Evaluator | None, problems: list[str]) -> Run:
    """Score again choosing the rules as the run did: `--rules` if it was given, else the
    automatic choice by the data's year (which must still pick the recorded folder)."""
    recorded = manifest["ruleset"]["folder"]
    given = manifest["options"].get("rules")
    incomplete = manifest["options"].get("allow_incomplete") is True
    past = manifest["options"].get("history")
    history = Path(past["folder"]) if isinstance(past, dict) else None
    dated = manifest["options"].get("decision_date")
    when = dated if isinstance(dated, str) else None
    if isinstance(given, str):
        return run(paths, Path(given), evaluator, allow_incomplete=incomplete, history=history,
                   decision_date=when)
    try:
        r = run(paths, None, evaluator, allow_incomplete=incomplete, history=history,
                decision_date=when)
    except UsageError:  # not run where `score` ran: no rules/ folder to choose from here
        return run(paths, _locate_folder(recorded, folder), evaluator,
                   allow_incomplete=incomplete, history=history, decision_date=when)
    if r.rules_folder.resolve() != _locate_folder(recorded, folder).resolve():
        problems.append(f"the rules chosen for this data are now {r.rules_folder}; the run "
                        f"used {recorded}")
    return r


def _locate_folder(given: str, folder: Path) -> Path:
    for p in (Path(given), folder / given):
        if p.is_dir():
            return p
    raise UsageError.one(MANIFEST, f"the rule set folder {given} recorded in the manifest "
                                   "is not found")


def _created(fmt: str, output: bytes, manifest: Mapping[str, Any]) -> str:
    """The creation time the output carries (JSON embeds its own copy of the manifest)."""
    recorded = str(manifest[TIME_FIELD])
    if fmt != "json":
        return recorded
    try:
        embedded = json.loads(output)["manifest"][TIME_FIELD]
    except (ValueError, KeyError, TypeError):
        return recorded
    return embedded if isinstance(embedded, str) else recorded


def _record_diff(fmt: str, old: bytes, new: bytes) -> list[str]:
    if fmt == "json":
        try:
            return _json_diff(json.loads(old), json.loads(new))
        except (ValueError, KeyError, TypeError):
            return ["the file on disk is not a results JSON document"]
    if fmt == "csv":
        return _csv_diff(old, new)
    if fmt == "table":
        return _first_line_diff(old.decode("utf-8", "replace"), new.decode("utf-8", "replace"))
    return []


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def _diff_records(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]],
                  kind: str, fields: Sequence[str]) -> list[str]:
    lines = []
    for rid in sorted(old.keys() | new.keys()):
        a, b = old.get(rid), new.get(rid)
        if a is None or b is None:
            name = (a or b or {}).get("name", "")
            lines.append(f"{kind} {rid} {name}: "
                         f"{'new in' if a is None else 'missing from'} a fresh run")
            continue
        parts = [f"{f} {_shown(a.get(f))} → {_shown(b.get(f))}" for f in fields
                 if a.get(f) != b.get(f)]
        if "hits" in a and a.get("hits") != b.get("hits"):
            parts.append("ledger " + _hits_diff(a["hits"], b["hits"]))
        if parts:
            lines.append(f"{kind} {rid} {a.get('name', '')}: {'; '.join(parts)}")
    return lines


def _hits_diff(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> str:
    def pairs(hits: Sequence[Mapping[str, Any]]) -> list[str]:
        return [f"{h.get('rule')} {h.get('points')}" for h in hits]

    a, b = pairs(old), pairs(new)
    gone = [x for x in a if x not in b]
    came = [x for x in b if x not in a]
    if not gone and not came:
        return "differs in the values read"
    return f"{', '.join(gone) or '-'} → {', '.join(came) or '-'}"


def _json_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for section, kind in (("individuals", "individual"), ("units", "unit")):
        a = {r["id"]: r for r in old[section]}
        b = {r["id"]: r for r in new[section]}
        lines += _diff_records(a, b, kind, _FIELDS)
    return _bounded(lines)


def _csv_diff(old: bytes, new: bytes) -> list[str]:
    def rows(data: bytes) -> dict[str, dict[str, Any]]:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig", "replace")))
        return {f"{row.get('kind', '')} {row.get('id', '')}": dict(row) for row in reader}

    a, b = rows(old), rows(new)
    lines: list[str] = []
    for key in sorted(a.keys() | b.keys()):
        kind, _, rid = key.partition(" ")
        lines += _diff_records({rid: a[key]} if key in a else {},
                               {rid: b[key]} if key in b else {}, kind, _FIELDS)
    return _bounded(lines) or ["differs outside the score, titles and rank columns"]


def _first_line_diff(old: str, new: str) -> list[str]:
    for n, (a, b) in enumerate(zip(old.splitlines(), new.splitlines(), strict=False), 1):
        if a != b:
            return [f"first difference at line {n}: {a.strip()!r} → {b.strip()!r}"]
    return ["the fresh output has a different length"]


def _bounded(lines: list[str]) -> list[str]:
    if len(lines) > MAX_RECORDS:
        return [*lines[:MAX_RECORDS], f"and {len(lines) - MAX_RECORDS} more records"]
    return lines
