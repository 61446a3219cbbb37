"""scoring: a rules-based evaluation and scoring engine for emulation and commendation councils.

The library does the work; the `scoring` command and the local web page are two faces of it.
A script scores a batch as `scoring score` does, with the same bytes:

>>> import scoring
>>> run = scoring.score(["fixtures/quang-ngai-2026"])
>>> len(run.result.units) > 0 and run.result.hash == run.compiled.ruleset.content_hash
True
>>> data = scoring.render("json", run)  # the bytes of `scoring score ... --format json`
>>> scoring.read_results(data)["units"][0]["id"] == run.result.units[0].id  # any format
True
>>> why = scoring.explain(run, run.result.units[0].id, "text")  # `scoring explain`
>>> why.startswith(run.result.units[0].id) or run.result.units[0].id in why
True

`Options` carries what the command line's options say (`rules`, `history`,
`allow_incomplete`, `decision_date`); errors are `ScoringError`s whose `exit_code` is what
the command would exit with (2: the files given cannot be used). The stages behind this face,
in the order data flows, are the sub-packages `base`, `language`, `rulesets`, `inputs`,
`evaluation`, `history`, `explain`, `outputs`, `run`, `checks`, `streaming` (README,
"Architecture"). Importing `scoring` loads none of them: each name loads on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scoring.api import (
        Options,
        Run,
        check_rules,
        compile_rules,
        describe,
        explain,
        load_rules,
        publish,
        read_inputs,
        render,
        score,
        test_rules,
        verify,
    )
    from scoring.base.document import read_results
    from scoring.base.errors import (
        InputError,
        OutputError,
        Problem,
        RuleError,
        ScoringError,
        UsageError,
    )
    from scoring.checks.verify import Verification
    from scoring.evaluation.result import RecordResult, Result
    from scoring.explanations.explanation import Explanation
    from scoring.inputs.batch import Batch
    from scoring.inputs.readers import InputSet
    from scoring.inputs.records import Record
    from scoring.rulesets.compile import Compiled
    from scoring.rulesets.schema import RuleSet

    __version__: str

_WHERE = {
    "Options": "scoring.api", "Run": "scoring.api", "check_rules": "scoring.api",
    "compile_rules": "scoring.api", "describe": "scoring.api", "explain": "scoring.api",
    "load_rules": "scoring.api", "publish": "scoring.api", "read_inputs": "scoring.api",
    "render": "scoring.api", "score": "scoring.api", "test_rules": "scoring.api",
    "verify": "scoring.api", "read_results": "scoring.base.document",
    "InputError": "scoring.base.errors", "OutputError": "scoring.base.errors",
    "Problem": "scoring.base.errors", "RuleError": "scoring.base.errors",
    "ScoringError": "scoring.base.errors", "UsageError": "scoring.base.errors",
    "Verification": "scoring.checks.verify", "RecordResult": "scoring.evaluation.result",
    "Result": "scoring.evaluation.result", "Explanation": "scoring.explanations.explanation",
    "Batch": "scoring.inputs.batch", "InputSet": "scoring.inputs.readers",
    "Record": "scoring.inputs.records", "Compiled": "scoring.rulesets.compile",
    "RuleSet": "scoring.rulesets.schema",
}

__all__ = [
    "Batch", "Compiled", "Explanation", "InputError", "InputSet", "Options", "OutputError",
    "Problem", "Record", "RecordResult", "Result", "RuleError", "RuleSet", "Run",
    "ScoringError", "UsageError", "Verification", "__version__", "check_rules",
    "compile_rules", "describe", "explain", "load_rules", "publish", "read_inputs",
    "read_results", "render", "score", "test_rules", "verify",
]


def __getattr__(name: str) -> Any:
    """Load a public name on first use, so that `import scoring` (and `scoring --help`) stays
    fast and imports nothing a caller does not use."""
    if name == "__version__":  # read from the package's metadata only when asked for
        from scoring.base.version import version

        value: Any = version()
    else:
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module 'scoring' has no attribute {name!r}")
        value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE, "__version__"})
