"""The library's face: what the command line, the web page and a script call.

Each function here is one user moment (score a batch, explain a record, render or publish the
outputs, verify a sealed folder, check and test a rule set) and does exactly what the
matching `scoring` command does, so that a script gives the same bytes. The stages below it
(`base`, `language`, `rulesets`, `inputs`, `evaluation`, `history`, `explanations`, `outputs`,
`run`, `checks`, `streaming`) are the house behind the face; their names may move, these do
not. `scoring/__init__.py` exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scoring.checks.rulecheck import Finding, lint
from scoring.checks.ruletest import Outcome, run_folder
from scoring.checks.verify import Verification, verify_folder
from scoring.evaluation.result import RecordResult
from scoring.explanations.explanation import Explanation, find_record
from scoring.explanations.explanation import explain as explain_record
from scoring.explanations.render import render as render_explanation
from scoring.inputs.readers import InputSet
from scoring.inputs.readers import read_inputs as _read_inputs
from scoring.outputs.manifest import build_manifest, created_now
from scoring.outputs.render import format_for
from scoring.outputs.render import render as _render
from scoring.rulesets.compile import Compiled
from scoring.rulesets.extends import load
from scoring.rulesets.schema import RuleSet
from scoring.run.app import Run, compile_folder, run
from scoring.run.options import Options
from scoring.run.publish import publish as _publish

__all__ = [
    "Options", "Run", "check_rules", "compile_rules", "describe", "explain", "load_rules",
    "publish", "read_inputs", "render", "score", "test_rules", "verify",
]

DEFAULT = Options()
PathLike = str | Path


def read_inputs(paths: Sequence[PathLike], options: Options = DEFAULT) -> InputSet:
    """The records in `paths` (files or folders: CSV, XLSX, XLS, JSON and round files), read
    and checked as `scoring score` reads them, with every file's SHA-256."""
    return _read_inputs([Path(p) for p in paths], options.progress)


def load_rules(folder: PathLike) -> RuleSet:
    """The rule set in `folder` (a year folder under `rules/`), with what it extends,
    validated; its `content_hash` names this exact version."""
    return load(Path(folder))


def compile_rules(folder: PathLike, options: Options = DEFAULT) -> Compiled:
    """The rule set in `folder`, compiled for scoring (on `options.decision_date` if given)."""
    return compile_folder(Path(folder), options.decision_date)


def score(paths: Sequence[PathLike], options: Options = DEFAULT) -> Run:
    """Score the records in `paths` exactly as `scoring score` does: rules chosen by the
    data's year unless `options.rules` says, review rounds and history applied."""
    return run([Path(p) for p in paths], options.rules, evaluator=options.evaluator,
               progress=options.progress, allow_incomplete=options.allow_incomplete,
               history=options.history, decision_date=options.decision_date)


def describe(r: Run, fmt: str = "json", options: Options = DEFAULT,
             created: str | None = None) -> dict[str, Any]:
    """The manifest `scoring score` records for `r` in `fmt`: tool version, rule set and its
    hash, every input's SHA-256, counts, options; `created` defaults to now (or
    SOURCE_DATE_EPOCH)."""
    recorded = options.recorded(fmt)
    if options.history is not None:
        recorded["history"] = {"folder": str(options.history),
                               "files": [{"path": p, "sha256": h, "bytes": n}
                                         for p, h, n in r.history.files]}
    return build_manifest(r.result, str(r.rules_folder), r.inputs.files, recorded,
                          created or created_now())


def render(fmt: str, r: Run, manifest: dict[str, Any] | None = None,
           options: Options = DEFAULT) -> bytes:
    """`r` as the bytes `scoring score --format fmt` prints (table, csv, json, xlsx, html);
    without a `manifest`, the one `describe` gives."""
    return _render(fmt, r.result, manifest or describe(r, fmt, options), r.compiled)


def publish(r: Run, targets: Sequence[PathLike], options: Options = DEFAULT, *,
            seal: bool = False, force: bool = False) -> None:
    """Write `r` into `targets` (files in one folder, each in the format its extension says)
    with the folder's manifest, atomically, as `scoring score -o` does; `seal` forbids any
    later write to the folder."""
    paths = [Path(t) for t in targets]
    formats: dict[Path, str | None] = {t: format_for(None, str(t)) for t in paths}
    fmt = str(formats[paths[0]]) if len(paths) == 1 else "json"
    manifest = describe(r, fmt, options)
    _publish(r, manifest, dict(manifest["options"]), paths, formats, seal=seal, force=force,
             history=options.history)


def explain(r: Run, who: str, fmt: str | None = None,
            options: Options = DEFAULT) -> Explanation | str:
    """The explanation of one record of `r` (an id, or a name typed with or without
    diacritics), as `scoring explain` gives it: every rule that fired or not, with the values
    it read; with `fmt` ("text", "markdown", "json"), rendered."""
    record: RecordResult = find_record(r.result, who)
    ex = explain_record(record, r.result, r.compiled, r.batch, options.evaluator)
    return ex if fmt is None else render_explanation(ex, fmt)


def verify(folder: PathLike, options: Options = DEFAULT) -> Verification:
    """Score a folder written by `publish` again and compare every byte (`scoring verify`)."""
    return verify_folder(Path(folder), options.evaluator)


def check_rules(folder: PathLike) -> list[Finding]:
    """Every problem `scoring check` finds in the rule set in `folder`."""
    return lint(Path(folder))


def test_rules(folder: PathLike, options: Options = DEFAULT) -> list[Outcome]:
    """The rule set's own examples, each scored and compared (`scoring test`)."""
    return run_folder(Path(folder), options.evaluator)


test_rules.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
