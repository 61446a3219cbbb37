"""The run manifest: what produced a result, so that it can be reproduced and verified later.

It records the tool version, the rule set (id, year, content hash, folder), every input file
with its SHA-256 and size, record counts and the options used. The creation time is the only
field that may differ between two runs of the same inputs; it comes from `SOURCE_DATE_EPOCH`
when that is set, and `verify` ignores it.

The manifest written beside the outputs (`file_manifest`) adds each output's SHA-256 and size,
`sealed`, and `from_this_folder`: the relative way from the manifest's folder to the inputs,
the rule set and the history folder, which `verify` follows first. One folder may hold several
outputs of one run (`-o k/ketqua.xlsx -o k/ketqua.json`, or one `-o` per run of the same
inputs, rules and options): each output then names its own format, the options none, and all
share the first run's `created`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from scoring.base.document import FORMAT
from scoring.base.files import MANIFEST as MANIFEST  # re-exported: named here since 0.1
from scoring.base.i18n import language
from scoring.base.version import version
from scoring.evaluation.result import Result

TIME_FIELD = "created"
# The format of the JSON output this version writes (`scoring.base.document`); a manifest
# without it was written before format 2, whose JSON output is format 1.
JSON_FORMAT = "json_format"


def created_now() -> str:
    """The run's timestamp: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        moment = datetime.fromtimestamp(int(epoch), UTC)
    else:
        moment = datetime.now(UTC)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def record_counts(result: Result) -> dict[str, int]:
    """The manifest's counts: records per kind, then holders of each title."""
    return {"individuals": len(result.individuals), "units": len(result.units),
            **{f"title:{tid}": sum(1 for r in result.records(kind) if tid in r.titles)
               for tid, _label, kind in result.titles}}


def build_manifest(result: Result, rules_folder: str, inputs: Sequence[tuple[str, str, int]],
                   options: Mapping[str, Any], created: str,
                   counts: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The manifest; `counts` (as `record_counts` gives them) for a result scored in parts.

    It states the JSON output's format whatever the run's formats: a folder may gain a JSON
    output of the same run later, and `verify` renders the format its manifest names.

    `language` is the language the run spoke: the notes and warnings stored in a result are
    in it, so `verify` scores again in the same language."""
    return {
        "tool": "scoring",
        "version": version(),
        JSON_FORMAT: FORMAT,
        "ruleset": {"id": result.ruleset, "year": result.year, "name": result.name,
                    "hash": result.hash, "folder": rules_folder},
        "inputs": [{"path": p, "sha256": h, "bytes": n} for p, h, n in inputs],
        "counts": dict(record_counts(result) if counts is None else counts),
        "options": dict(options),
        **_rewards(result),
        "language": language(),
        TIME_FIELD: created,
    }


def _rewards(result: Result) -> dict[str, Any]:
    """The base salary the rewards used and the decision date it was read on (when dated)."""
    if result.base_salary is None:
        return {}
    amount = result.base_salary
    return {"rewards": {"base_salary": int(amount) if amount == int(amount) else str(amount),
                        "decision_date": result.decision_date or None}}


# The way from the manifest's folder to the inputs, the rule set and the history folder, as
# relative paths (`score` records it; `verify` looks there first, wherever it is run from).
FROM_HERE = "from_this_folder"


def paths_from(folder: str, inputs: Sequence[str], rules: str, history: str | None
               ) -> dict[str, Any]:
    """FROM_HERE for outputs in `folder`, all paths relative to the current directory."""
    def rel(p: str) -> str:
        return os.path.relpath(os.path.abspath(p), os.path.abspath(folder)).replace(os.sep, "/")
    here: dict[str, Any] = {"inputs": [rel(p) for p in inputs], "rules": rel(rules)}
    if history is not None:
        here["history"] = rel(history)
    return here


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest file as written beside outputs."""
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def file_manifest(manifest: Mapping[str, Any], outputs: Mapping[str, bytes],
                  sealed: bool, formats: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The manifest written beside the outputs: with each output's SHA-256 (so any changed byte
    is detected later), and `sealed` for a published result that must never be rewritten.
    `formats` (output name → format) for a folder of several outputs (see `described_manifest`).
    """
    return described_manifest(manifest, [(name, hashlib.sha256(data).hexdigest(), len(data))
                                         for name, data in outputs.items()], sealed, formats)


def described_manifest(manifest: Mapping[str, Any], outputs: Sequence[tuple[str, str, int]],
                       sealed: bool, formats: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`file_manifest` from each output's (name, SHA-256, size), for an output written in
    pieces and never held whole (`scoring.streaming.stream`).

    One output: its format is the options' `format`, as it always was. Several outputs of one
    run in one folder (`-o k/ketqua.xlsx -o k/ketqua.json`, or one `-o` per run of the same
    inputs, rules and options): each output names its own format and the options name none."""
    if formats is None or len(outputs) <= 1:
        return {
            **manifest,
            "outputs": [{"path": name, "sha256": digest, "bytes": size}
                        for name, digest, size in sorted(outputs)],
            "sealed": sealed,
        }
    options = {k: v for k, v in dict(manifest.get("options") or {}).items() if k != "format"}
    return {
        **manifest,
        "options": options,
        "outputs": [{"path": name, "format": formats[name], "sha256": digest, "bytes": size}
                    for name, digest, size in sorted(outputs)],
        "sealed": sealed,
    }


def output_formats(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Each output the manifest lists, with its format (older and one-output manifests: the
    options' format)."""
    options = manifest.get("options")
    default = options.get("format") if isinstance(options, dict) else None
    out: dict[str, str] = {}
    for item in manifest.get("outputs") or []:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            fmt = item.get("format", default)
            if isinstance(fmt, str):
                out[item["path"]] = fmt
    return out


def with_format(options: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """The options as one output records them (its JSON embeds them): the format first, as a
    one-output run always wrote them."""
    return {"format": fmt, **{k: v for k, v in options.items() if k != "format"}}


_PER_OUTPUT = (TIME_FIELD, "outputs", "sealed", FROM_HERE)


def same_run(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two manifests record the same run (tool, rules, inputs, counts and options),
    whatever format each wrote: their outputs may share one folder and one manifest."""
    def core(m: Mapping[str, Any]) -> dict[str, Any]:
        options = m.get("options")
        kept = {k: v for k, v in m.items() if k not in _PER_OUTPUT}
        if isinstance(options, dict):
            kept["options"] = {k: v for k, v in options.items() if k != "format"}
        return kept
    return core(a) == core(b)
