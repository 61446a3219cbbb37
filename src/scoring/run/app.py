"""One scoring run from paths on disk: read inputs, choose and compile the rules, score.

This is the application layer shared by `score`, `explain`, `verify` and `diff`: it reads
files, but prints nothing and writes nothing. Rule choice follows the design's decision: the
data states its year and the newest rule set not after that year is used; `--rules` overrides,
and scoring data of one year with another year's rules is refused unless `--rules` was given
explicitly, in which case it is allowed with a warning carried into every output.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scoring.base.errors import RuleError, UsageError
from scoring.base.i18n import _
from scoring.base.progress import Progress
from scoring.evaluation.counted import counted
from scoring.evaluation.result import Result
from scoring.evaluation.rewards import dated
from scoring.evaluation.scorer import Evaluator, score
from scoring.history.load import load_history, title_kinds
from scoring.history.store import EMPTY, History
from scoring.history.values import attach, check_people, history_fields_for
from scoring.inputs.batch import Batch, build_batch, data_year
from scoring.inputs.readers import InputSet, read_inputs
from scoring.inputs.rounds import parse_rounds
from scoring.rulesets.compile import Compiled, compile_ruleset
from scoring.rulesets.extends import available_years, find_rules_root, load, pick_year
from scoring.rulesets.schema import RuleSet

_COMPILED: dict[tuple[str, str], Compiled] = {}


@dataclass
class Run:
    """One run from files on disk: the result, the compiled rules that made it, what was read
    (files with their SHA-256), the validated batch, the rule set's folder and the history
    store. What `score` returns and what outputs, explanations and `publish` take."""

    result: Result
    compiled: Compiled
    inputs: InputSet
    batch: Batch
    rules_folder: Path
    history: History = EMPTY  # the history store the rules read (empty without --history)


def rules_root() -> Path:
    """The folder of year folders that rule sets are chosen from: `rules/` in the current
    directory if there is one, else the rule sets installed with scoring."""
    root = find_rules_root(Path.cwd())
    if root is None:
        raise UsageError.one("", _("no rules/ folder here; give one with --rules DIR"))
    return root


def choose_rules(rules: Path | None, year: int | None) -> tuple[Path, list[str]]:
    """The rule set folder for data of `year`, and any warning about the choice."""
    if rules is not None:
        return rules, []
    return pick_year(rules_root(), year), []


def rule_sets(root: Path) -> list[tuple[Path, RuleSet]]:
    """Every rule set under `root` (folders named by year), oldest first, loaded."""
    return [(root / str(year), load(root / str(year))) for year in available_years(root)]


def compile_folder(folder: Path | str, decision_date: str | None = None) -> Compiled:
    """Load and compile a rule set folder; compiled rules are reused while the resolved rule
    set's content hash is the same, so an edited rule file is never served stale.

    `decision_date` replaces the rule set's own (the base salary is read on it)."""
    rs = load(Path(folder))
    if decision_date is not None:
        rs = dated(rs, decision_date)
    key = (str(Path(folder).resolve()), rs.content_hash)
    if key not in _COMPILED:
        _COMPILED[key] = compile_ruleset(rs)
    return _COMPILED[key]


def rules_for(year: int | None, rules: Path | None, decision_date: str | None = None,
              warn_year: bool = True) -> tuple[Path, Compiled, list[str]]:
    """The rule set folder for data of `year` (or `rules`), compiled, and any warning.

    `warn_year=False` when the caller chose the rules for another reason than `--rules` (the
    two rule sets `diff` compares), so that no warning speaks of an option nobody gave."""
    folder, warnings = choose_rules(rules, year)
    compiled = compile_folder(folder, decision_date)
    rs_year = compiled.ruleset.year
    if year is not None and rules is not None and rs_year != year and warn_year:
        warnings.append(_("the data is for {year} but the rules given with --rules are for "
                          "{rules_year} ({ruleset}); scored with them as asked").format(
                              year=year, rules_year=rs_year, ruleset=compiled.ruleset.ruleset))
    if year is not None and rules is None and rs_year > year:
        raise RuleError.one(str(folder), _("rules for {rules_year} cannot score {year} data")
                            .format(rules_year=rs_year, year=year))
    return folder, compiled, warnings


def run(paths: list[Path], rules: Path | None = None,
        evaluator: Evaluator | None = None, progress: Progress | None = None,
        allow_incomplete: bool = False, history: Path | None = None,
        decision_date: str | None = None, warn_year: bool = True) -> Run:
    """Score the inputs at `paths`; `history` is the folder of past years the rules may read
    (see `scoring.history.load`): without it every history value is 0. `decision_date` (YYYY-MM-DD)
    is the date of the decision conferring the titles, whose base salary the rewards use
    (default: the rule set's). `warn_year`: see `rules_for`."""
    with without_cycle_collection():
        return _run(paths, rules, evaluator, progress, allow_incomplete, history, decision_date,
                    warn_year)


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused for a run, and resumed as it was.

    A run builds millions of small objects that it keeps (cells, records, hits, decisions,
    (name, value) pairs) and no cycles to speak of: the collector, triggered by the
    allocations, traversed the ever larger heap again and again and freed nothing, a fifth of
    the run at 20,000 people and more the more people (reference counting still frees every
    object that is dropped).

    On the way out the objects the run allocated are moved straight to the oldest generation
    (`gc.freeze` then `gc.unfreeze`, two list splices): resumed as they were, the collector's
    first pass would have traversed every one of them, a tenth of the run. They are collected
    as usual at the next full collection; which generation an object is in changes when the
    collector looks at it, never what it frees."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def _run(paths: list[Path], rules: Path | None, evaluator: Evaluator | None,
         progress: Progress | None, allow_incomplete: bool, history: Path | None,
         decision_date: str | None, warn_year: bool) -> Run:
    inputs = read_inputs(paths, progress)
    year = data_year(inputs.tables, inputs.year)
    folder, compiled, warnings = rules_for(year, rules, decision_date, warn_year)
    batch = build_batch(inputs.tables, compiled)
    batch.rounds = parse_rounds(inputs.rounds, compiled, {
        "individual": {r.id for r in batch.individuals}, "unit": {u.id for u in batch.units}})
    batch.allow_incomplete = allow_incomplete
    if progress is not None:
        evaluator = counted(evaluator, len(compiled.groups()), progress)
    store = EMPTY if history is None else load_history(history, title_kinds(compiled.ruleset),
                                                       compiled.ruleset.ruleset)
    scored_year = year if year is not None else compiled.ruleset.year
    same = check_people(store, [*batch.individuals, *batch.units], scored_year)
    past = history_fields_for(compiled, store, scored_year, batch.individuals, batch.units)
    result = score(batch.individuals, batch.units, compiled, evaluator,
                   [*warnings, *batch.warnings, *store.warnings, *same], batch.rounds,
                   allow_incomplete, past)
    return Run(attach(result, compiled, store, scored_year), compiled, inputs, batch, folder,
               store)
