"""The run manifest: what produced a result, so that it can be reproduced and verified later.

It records the tool version, the rule set (id, year, content hash, folder), every input file
with its SHA-256 and size, record counts and the options used. The creation time is the only
field that may differ between two runs of the same inputs; it comes from `SOURCE_DATE_EPOCH`
when that is set, and `verify` ignores it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from scoring import __version__
from scoring.result import Result

TIME_FIELD = "created"


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
    """The manifest; `counts` (as `record_counts` gives them) for a result scored in parts."""
    return {
        "tool": "scoring",
        "version": __version__,
        "ruleset": {"id": result.ruleset, "year": result.year, "name": result.name,
                    "hash": result.hash, "folder": rules_folder},
        "inputs": [{"path": p, "sha256": h, "bytes": n} for p, h, n in inputs],
        "counts": dict(record_counts(result) if counts is None else counts),
        "options": dict(options),
        **_rewards(result),
        TIME_FIELD: created,
    }


def _rewards(result: Result) -> dict[str, Any]:
    """The base salary the rewards used and the decision date it was read on (when dated)."""
    if result.base_salary is None:
        return {}
    amount = result.base_salary
    return {"rewards": {"base_salary": int(amount) if amount == int(amount) else str(amount),
                        "decision_date": result.decision_date or None}}


MANIFEST = "manifest.json"


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest file as written beside outputs."""
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def file_manifest(manifest: Mapping[str, Any], outputs: Mapping[str, bytes],
                  sealed: bool) -> dict[str, Any]:
    """The manifest written beside the outputs: with each output's SHA-256 (so any changed byte
    is detected later), and `sealed` for a published result that must never be rewritten."""
    return described_manifest(manifest, [(name, hashlib.sha256(data).hexdigest(), len(data))
                                         for name, data in outputs.items()], sealed)


def described_manifest(manifest: Mapping[str, Any], outputs: Sequence[tuple[str, str, int]],
                       sealed: bool) -> dict[str, Any]:
    """`file_manifest` from each output's (name, SHA-256, size), for an output written in
    pieces and never held whole (`scoring.stream`)."""
    return {
        **manifest,
        "outputs": [{"path": name, "sha256": digest, "bytes": size}
                    for name, digest, size in sorted(outputs)],
        "sealed": sealed,
    }
