"""Verify an output folder: score its recorded inputs again and compare, byte for byte.

A folder written by `scoring score ... -o DIR/results.json` holds the output and a
`manifest.json` naming the inputs (paths as given, SHA-256, size), the rule set (folder and
content hash) and the options. Verifying it means doing the run again and getting the same
bytes: every input is hashed and compared with the manifest, the rules are loaded and scored
again, the recorded format is rendered with the recorded manifest's `created` time (the one field
allowed to differ between runs), and both files are compared with what is on disk.

Differences are reported in terms a council can act on: which input changed since the run,
whether the rule set changed, and which records now come out differently (score, titles, rank,
ledger). Inputs are found relative to the manifest's folder first (`score` records the way
from there to each input, the rule set and the history folder), then as given to `score`
(relative to the folder it was run from), then relative to the output folder. An input found
nowhere stops the check (exit 2: nothing can be compared); an input that changed is a
difference (exit 1). A folder of several outputs of one run has each re-rendered and compared;
a sealed folder must hold nothing its manifest does not list.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring.base.document import read_results
from scoring.base.errors import InputError, Problem, UsageError
from scoring.base.i18n import N_, _, reset_language, use_language
from scoring.evaluation.scorer import Evaluator
from scoring.outputs.csvout import machine_row
from scoring.outputs.jsonout import render_json_v1
from scoring.outputs.manifest import (
    FROM_HERE,
    JSON_FORMAT,
    MANIFEST,
    TIME_FIELD,
    build_manifest,
    described_manifest,
    file_manifest,
    manifest_bytes,
    output_formats,
    with_format,
)
from scoring.outputs.render import render
from scoring.run.app import Run, run

__all__ = ["MANIFEST", "Verification", "read_manifest", "verify_folder"]

_SUFFIX = {"json": ".json", "csv": ".csv", "xlsx": ".xlsx", "table": ".txt", "html": ".html"}
# Record fields whose change `verify` names; any other difference still fails the byte check.
_FIELDS = ("score", "titles", "rank")
_KINDS = (N_("individual"), N_("unit"))  # a record's kind, as the differences name it
MAX_RECORDS = 20


@dataclass(frozen=True)
class Verification:
    """What `verify` found for a result folder: the outputs compared, and the problems (an
    input changed, an output that differs and how, a file a sealed folder does not list);
    `identical` when there are none."""

    folder: Path
    output: Path
    problems: tuple[str, ...]
    outputs: tuple[Path, ...] = ()

    @property
    def identical(self) -> bool:
        return not self.problems


def read_manifest(folder: Path) -> dict[str, Any]:
    """Read and check `manifest.json`; a manifest that cannot be used is a `UsageError`."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError.one(str(folder), _("no {manifest} here: not an output folder of "
                                            "`scoring score -o`").format(
                                                manifest=MANIFEST)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError.one(str(path), _("cannot read the manifest: {reason}").format(
            reason=e)) from None
    problems = []
    if not isinstance(data, dict):
        raise UsageError.one(str(path), _("the manifest is not a JSON object"))
    inputs = data.get("inputs")
    if not isinstance(inputs, list) or not inputs or not all(
            isinstance(i, dict) and isinstance(i.get("path"), str)
            and isinstance(i.get("sha256"), str) for i in inputs):
        problems.append(_("'inputs' must list the input files with their path and sha256"))
    ruleset = data.get("ruleset")
    if not isinstance(ruleset, dict) or not isinstance(ruleset.get("folder"), str):
        problems.append(_("'ruleset' must name the rule set folder"))
    options = data.get("options")
    formats = output_formats(data)
    per_output = bool(formats) and all(f in _SUFFIX for f in formats.values())
    if not isinstance(options, dict) or (options.get("format") not in _SUFFIX
                                         and not per_output):
        problems.append(_("'options' must give the format ({formats})").format(
            formats=", ".join(_SUFFIX)))
    if not isinstance(data.get(TIME_FIELD), str):
        problems.append(_("'{field}' is missing").format(field=TIME_FIELD))
    if problems:
        raise UsageError.one(str(path), "; ".join(problems))
    return data


def find_output(folder: Path, fmt: str, manifest: Mapping[str, Any]) -> Path:
    """The output file the manifest names (older manifests: the one file of the format)."""
    outputs = manifest.get("outputs")
    if isinstance(outputs, list) and len(outputs) == 1 and isinstance(outputs[0], dict):
        named = folder / str(outputs[0].get("path"))
        if not named.is_file():
            raise UsageError.one(str(folder), _("the output {name} named by the manifest is "
                                                "missing").format(name=named.name))
        return named
    found = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.name != MANIFEST and p.suffix.lower() == _SUFFIX[fmt])
    if len(found) != 1:
        what = ", ".join(p.name for p in found) or _("none")
        raise UsageError.one(str(folder), _("expected one {suffix} output beside the manifest, "
                                            "found {found}").format(suffix=_SUFFIX[fmt],
                                                                    found=what))
    return found[0]


def _here(manifest: Mapping[str, Any], key: str) -> Any:
    """What `score` recorded of the way from the manifest's folder to its inputs (FROM_HERE)."""
    found = manifest.get(FROM_HERE)
    return found.get(key) if isinstance(found, dict) else None


def _candidates(given: str, folder: Path, relative: object) -> list[Path]:
    """Where an input may be: from the manifest's folder, as given, beside the outputs."""
    first = [folder / relative] if isinstance(relative, str) else []
    return [*first, Path(given), folder / given]


def _locate(given: str, folder: Path, relative: object = None) -> Path | None:
    for p in _candidates(given, folder, relative):
        if p.is_file():
            as_given = Path(given)  # the same file by the path the run gave: its very name
            return as_given if as_given.is_file() and os.path.samefile(p, as_given) else p
    return None


def _inputs(manifest: Mapping[str, Any], folder: Path
            ) -> tuple[list[Path], list[tuple[str, str, int]], list[str]]:
    """The input files, their (recorded path, sha256, bytes) now, and what changed; an input
    found nowhere is a `UsageError` (exit 2), every one of them named."""
    paths: list[Path] = []
    files: list[tuple[str, str, int]] = []
    problems: list[str] = []
    missing: list[Problem] = []
    relative = _here(manifest, "inputs")
    for n, item in enumerate(manifest["inputs"]):
        given = item["path"]
        rel = relative[n] if isinstance(relative, list) and n < len(relative) else None
        path = _locate(given, folder, rel)
        if path is None:
            tried = ", ".join(dict.fromkeys(str(p) for p in _candidates(given, folder, rel)))
            missing.append(Problem(str(folder / MANIFEST), _(
                "input {input} is missing (looked for {tried}): nothing to compare; run verify "
                "where the inputs are").format(input=given, tried=tried)))
            continue
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if sha != item["sha256"]:
            problems.append(_("input {input} changed since the run: sha256 {now} != "
                              "{then}").format(input=given, now=sha, then=item["sha256"]))
        paths.append(path)
        files.append((given, sha, len(data)))
    if missing:
        raise UsageError(missing)
    return paths, files, problems


def _outputs(folder: Path, manifest: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """Each output to compare, with its format: those the manifest lists that are there (a
    missing one is reported by `_changed_outputs`), or for an older manifest its one file."""
    formats = output_formats(manifest)
    if len(formats) > 1:
        found = [(folder / name, fmt) for name, fmt in sorted(formats.items())
                 if (folder / name).is_file()]
        if not found:
            raise UsageError.one(str(folder), _("none of the outputs the manifest names is "
                                                "here"))
        return found
    fmt = manifest["options"]["format"]
    return [(find_output(folder, fmt, manifest), fmt)]


def _unlisted(folder: Path, manifest: Mapping[str, Any]) -> list[str]:
    """Files in a sealed folder (at any depth) that its manifest does not list: nothing may be
    added to a published result."""
    if manifest.get("sealed") is not True:
        return []
    listed = {MANIFEST, *output_formats(manifest)}
    return [_("{file} is in the sealed folder but not listed in its {manifest}").format(
                file=p.relative_to(folder).as_posix(), manifest=MANIFEST)
            for p in sorted(folder.rglob("*"))
            if not p.is_dir() and p.relative_to(folder).as_posix() not in listed]


@contextmanager
def _speaking(lang: str) -> Iterator[None]:
    """The scoring and rendering inside speak `lang` (the messages around them do not)."""
    token = use_language(lang)
    try:
        yield
    finally:
        reset_language(token)


def verify_folder(folder: Path, evaluator: Evaluator | None = None) -> Verification:
    """Score the folder's recorded inputs again and compare with its files.

    Raises `UsageError` when the folder is not a readable output folder (exit 2); otherwise
    returns the differences found (none: identical).
    """
    manifest = read_manifest(folder)
    outputs = _outputs(folder, manifest)
    output = outputs[0][0]
    paths, files, problems = _inputs(manifest, folder)
    problems = _changed_outputs(manifest, folder) + _unlisted(folder, manifest) + problems
    recorded_rules = manifest["ruleset"]["folder"]
    # The run's notes and warnings are in the language it spoke (before manifests recorded
    # it, every run spoke English): score and render again in it.
    spoke = str(manifest.get("language", "en"))
    with _speaking(spoke):
        again = _rerun(paths, manifest, folder, evaluator, problems)
    moved = {str(p): given for p, (given, _, _) in zip(paths, files, strict=True)
             if str(p) != given}
    result = _as_recorded(again.result, moved) if moved else again.result
    old_hash = manifest["ruleset"].get("hash")
    if result.hash != old_hash:
        problems.append(_("rule set {rules} changed since the run: hash {now} != {then}")
                        .format(rules=recorded_rules, now=result.hash, then=old_hash))
    fresh_outputs: dict[str, bytes] = {}
    for path, fmt in outputs:
        old_output = path.read_bytes()
        created = _created(fmt, old_output, manifest)
        options = with_format(manifest["options"], fmt)
        with _speaking(spoke):
            embedded = _as_before(build_manifest(result, recorded_rules, files, options,
                                                 created), manifest)
            new_output = (render_json_v1(result, embedded)
                          if fmt == "json" and JSON_FORMAT not in manifest
                          else render(fmt, result, embedded, again.compiled))
        fresh_outputs[path.name] = new_output
        if new_output != old_output:
            problems.append(_("{file} differs from a fresh run").format(file=path.name))
            problems += [f"  {line}" for line in _record_diff(fmt, old_output, new_output)]
    with _speaking(spoke):
        fresh = build_manifest(result, recorded_rules, files, manifest["options"],
                               manifest[TIME_FIELD])
    fresh = _as_before(fresh, manifest)
    if "outputs" in manifest:
        formats = output_formats(manifest)
        several = len(formats) > 1
        if several:  # an output not there now keeps its recorded entry: the rest is compared
            described = [(name, hashlib.sha256(fresh_outputs[name]).hexdigest(),
                          len(fresh_outputs[name])) if name in fresh_outputs
                         else (name, str(item.get("sha256")), int(item.get("bytes") or 0))
                         for item in manifest["outputs"] for name in [str(item.get("path"))]]
            fresh = described_manifest(fresh, described, manifest.get("sealed") is True,
                                       formats)
        else:
            fresh = file_manifest(fresh, fresh_outputs, manifest.get("sealed") is True)
    if FROM_HERE in manifest:
        fresh[FROM_HERE] = manifest[FROM_HERE]
    if manifest_bytes(fresh) != (folder / MANIFEST).read_bytes():
        keys = [k for k in fresh if fresh.get(k) != manifest.get(k)]
        keys += [k for k in manifest if k not in fresh]
        problems.append(_("{manifest} differs from a fresh run in: {keys}").format(
            manifest=MANIFEST, keys=", ".join(keys)) if keys else
            _("{manifest} differs from a fresh run (in its layout)").format(manifest=MANIFEST))
    return Verification(folder, output, tuple(problems), tuple(p for p, _ in outputs))


def _as_before(fresh: dict[str, Any], manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A fresh manifest without the fields added since `manifest` was written: the language
    (before it, every run spoke English) and the JSON output's format (before it, format 1)."""
    return {k: v for k, v in fresh.items()
            if k not in ("language", JSON_FORMAT) or k in manifest}


def _as_recorded(value: Any, moved: Mapping[str, str]) -> Any:
    """`value` (a result) with every input path as the run recorded it: inputs found from
    another folder than the run's (see the module doc) are named as they were then, so that
    the outputs, which cite each record's file, can be compared byte for byte."""
    if isinstance(value, str):
        for found, given in moved.items():
            value = value.replace(found, given)
        return value
    if isinstance(value, tuple):
        return tuple(_as_recorded(v, moved) for v in value)
    if isinstance(value, list):
        return [_as_recorded(v, moved) for v in value]
    if isinstance(value, dict):
        return {k: _as_recorded(v, moved) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _as_recorded(getattr(value, f.name), moved)
                   for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value


def _changed_outputs(manifest: Mapping[str, Any], folder: Path) -> list[str]:
    """Outputs whose bytes differ from the SHA-256 the manifest recorded: any changed byte of a
    published (sealed) result is found here, before anything is scored again."""
    out = []
    for item in manifest.get("outputs") or []:
        path = folder / str(item.get("path"))
        if not path.is_file():
            out.append(_("output {file} is missing").format(file=path.name))
        elif hashlib.sha256(path.read_bytes()).hexdigest() != item.get("sha256"):
            out.append(_("output {file} was changed after the run (sha256 differs from the "
                         "manifest)").format(file=path.name))
    return out


def _rerun(paths: list[Path], manifest: Mapping[str, Any], folder: Path,
           evaluator: Evaluator | None, problems: list[str]) -> Run:
    """Score again choosing the rules as the run did: `--rules` if it was given, else the
    automatic choice by the data's year (which must still pick the recorded folder)."""
    recorded = manifest["ruleset"]["folder"]
    given = manifest["options"].get("rules")
    incomplete = manifest["options"].get("allow_incomplete") is True
    past = manifest["options"].get("history")
    history = (_locate_folder(past["folder"], folder, _here(manifest, "history"))
               if isinstance(past, dict) else None)
    rules_here = _here(manifest, "rules")
    dated = manifest["options"].get("decision_date")
    when = dated if isinstance(dated, str) else None
    if isinstance(given, str):
        return run(paths, _locate_folder(given, folder, rules_here), evaluator,
                   allow_incomplete=incomplete, history=history, decision_date=when)
    try:
        r = run(paths, None, evaluator, allow_incomplete=incomplete, history=history,
                decision_date=when)
    except UsageError:  # not run where `score` ran: no rules/ folder to choose from here
        return run(paths, _locate_folder(recorded, folder, rules_here), evaluator,
                   allow_incomplete=incomplete, history=history, decision_date=when)
    if r.rules_folder.resolve() != _locate_folder(recorded, folder, rules_here).resolve():
        problems.append(_("the rules chosen for this data are now {now}; the run used "
                          "{then}").format(now=r.rules_folder, then=recorded))
    return r


def _locate_folder(given: str, folder: Path, relative: object = None) -> Path:
    for p in _candidates(given, folder, relative):
        if p.is_dir():
            return p
    raise UsageError.one(MANIFEST, _("the rule set folder {folder} recorded in the manifest "
                                     "is not found").format(folder=given))


def _created(fmt: str, output: bytes, manifest: Mapping[str, Any]) -> str:
    """The creation time the output carries (JSON embeds its own copy of the manifest)."""
    recorded = str(manifest[TIME_FIELD])
    if fmt != "json":
        return recorded
    try:
        embedded = read_results(output)["manifest"][TIME_FIELD]
    except (InputError, KeyError, TypeError):
        return recorded
    return embedded if isinstance(embedded, str) else recorded


def _record_diff(fmt: str, old: bytes, new: bytes) -> list[str]:
    if fmt == "json":
        try:
            return _json_diff(read_results(old), read_results(new))
        except (InputError, KeyError, TypeError):
            return [_("the file on disk is not a results JSON document")]
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
            lines.append((_("{kind} {id} {name}: new in a fresh run") if a is None else
                          _("{kind} {id} {name}: missing from a fresh run")).format(
                              kind=_(kind), id=rid, name=name))
            continue
        parts = [f"{f} {_shown(a.get(f))} → {_shown(b.get(f))}" for f in fields
                 if a.get(f) != b.get(f)]
        if "hits" in a and a.get("hits") != b.get("hits"):
            parts.append("ledger " + _hits_diff(a["hits"], b["hits"]))
        if parts:
            lines.append(f"{_(kind)} {rid} {a.get('name', '')}: {'; '.join(parts)}")
    return lines


def _hits_diff(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> str:
    def pairs(hits: Sequence[Mapping[str, Any]]) -> list[str]:
        return [f"{h.get('rule')} {h.get('points')}" for h in hits]

    a, b = pairs(old), pairs(new)
    gone = [x for x in a if x not in b]
    came = [x for x in b if x not in a]
    if not gone and not came:
        return _("differs in the values read")
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
        machine = map(machine_row, reader)  # the CSV for people names its columns in words
        return {f"{row.get('kind', '')} {row.get('id', '')}": row for row in machine}

    a, b = rows(old), rows(new)
    lines: list[str] = []
    for key in sorted(a.keys() | b.keys()):
        kind, _sep, rid = key.partition(" ")
        lines += _diff_records({rid: a[key]} if key in a else {},
                               {rid: b[key]} if key in b else {}, kind, _FIELDS)
    return _bounded(lines) or [_("differs outside the score, titles and rank columns")]


def _first_line_diff(old: str, new: str) -> list[str]:
    for n, (a, b) in enumerate(zip(old.splitlines(), new.splitlines(), strict=False), 1):
        if a != b:
            return [_("first difference at line {line}: {then!r} → {now!r}").format(
                line=n, then=a.strip(), now=b.strip())]
    return [_("the fresh output has a different length")]


def _bounded(lines: list[str]) -> list[str]:
    if len(lines) > MAX_RECORDS:
        return [*lines[:MAX_RECORDS], _("and {count} more records").format(
            count=len(lines) - MAX_RECORDS)]
    return lines
