"""One scoring run from paths on disk: read inputs, choose and compile the rules, score.

This is the application layer shared by `score`, `explain`, `verify` and `diff`: it reads
files, but prints nothing and writes nothing. Rule choice follows the design's decision: the
data states its year and the newest rule set not after that year is used; `--rules` overrides,
and scoring data of one year with another year's rules is refused unless `--rules` was given
explicitly, in which case it is allowed with a warning carried into every output.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from scoring.batch import Batch, build_batch, data_year
from scoring.compile import Compiled, compile_ruleset
from scoring.errors import RuleError, UsageError
from scoring.io.readers import InputSet, read_inputs
from scoring.result import Result
from scoring.ruleset import find_rules_root, load, pick_year
from scoring.scorer import Evaluator, score

_COMPILED: dict[str, Compiled] = {}


@dataclass
class Run:
    result: Result
    compiled: Compiled
    inputs: InputSet
    batch: Batch
    rules_folder: Path


def choose_rules(rules: Path | None, year: int | None) -> tuple[Path, list[str]]:
    """The rule set folder for data of `year`, and any warning about the choice."""
    if rules is not None:
        return rules, []
    root = find_rules_root(Path.cwd())
    if root is None:
        raise UsageError.one("", "no rules/ folder here; give one with --rules DIR")
    return pick_year(root, year), []


def compile_folder(folder: Path | str) -> Compiled:
    """Load and compile a rule set folder (cached per resolved path for this process)."""
    folder = Path(folder)
    key = str(folder.resolve())
    if key not in _COMPILED:
        _COMPILED[key] = compile_ruleset(load(folder))
    return _COMPILED[key]


def run(paths: list[Path], rules: Path | None = None,
        evaluator: Evaluator | None = None) -> Run:
    inputs = read_inputs(paths)
    year = data_year(inputs.tables, inputs.year)
    folder, warnings = choose_rules(rules, year)
    compiled = compile_folder(folder)
    rs_year = compiled.ruleset.year
    if year is not None and rules is not None and rs_year != year:
        warnings.append(f"the data is for {year} but the rules given with --rules are for "
                        f"{rs_year} ({compiled.ruleset.ruleset}); scored with them as asked")
    if year is not None and rules is None and rs_year > year:
        raise RuleError.one(str(folder), f"rules for {rs_year} cannot score {year} data")
    batch = build_batch(inputs.tables, compiled)
    result = score(batch.individuals, batch.units, compiled, evaluator,
                   [*warnings, *batch.warnings])
    return Run(replace(result), compiled, inputs, batch, folder)
