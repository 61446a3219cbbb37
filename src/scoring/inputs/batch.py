"""Tables read from disk → one validated batch of individuals and units, with its year.

Pure (no file access): the CLI reads the files, this module validates every table against the
rule set's declared inputs, runs the cross-record checks and collects every problem of every
file before raising, so nothing is silently dropped and a secretary sees all mistakes at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scoring.base.errors import InputError, Problem, input_location
from scoring.base.i18n import _
from scoring.inputs.keys import check_keys
from scoring.inputs.onekind import check_kinds
from scoring.inputs.records import RawTable, Record, validate
from scoring.inputs.rounds import RoundData
from scoring.rulesets.compile import Compiled


@dataclass
class Batch:
    """What one run scores: the validated individuals and units (ids unique, every person in
    a known unit), the warnings found while reading, and the review rounds' judged values."""

    individuals: list[Record] = field(default_factory=list)
    units: list[Record] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rounds: RoundData = field(default_factory=RoundData)  # judged values, once validated
    allow_incomplete: bool = False


def build_batch(tables: Sequence[RawTable], compiled: Compiled) -> Batch:
    """Validate every table; raise one InputError with every problem found."""
    batch = Batch()
    problems: list[Problem] = []
    for table in tables:
        inputs = compiled.kind(table.kind).inputs
        try:
            loaded = validate(table, inputs)
        except InputError as e:
            problems.extend(e.problems)
            continue
        target = batch.individuals if table.kind == "individual" else batch.units
        target.extend(loaded.records)
        batch.warnings.extend(loaded.warnings)
    if problems:
        raise InputError(problems)

    batch.individuals, batch.units, keys = check_keys(batch.individuals, batch.units,
                                                      compiled.ruleset)
    batch.warnings.extend(keys.warnings)
    problems.extend(keys.problems)
    problems.extend(check_kinds(compiled, batch.individuals, batch.units))
    if problems:
        raise InputError(problems)
    return batch


def data_year(tables: Sequence[RawTable], stated: int | None) -> int | None:
    """The year the data states (a `year`/`Năm` column or the folder's dataset.yaml).

    Only the year column is looked at here, before validation: the rule set is chosen by it.
    Several different years in one batch are an error, because one run applies one rule set.
    """
    years: dict[str, str] = {}
    for t in tables:
        stated_years(t, years)
    return decide_year(years, stated)


def stated_years(t: RawTable, years: dict[str, str]) -> None:
    """Add the years a table's year column states to `years` (year → where first seen)."""
    from scoring.base.text import match_key
    from scoring.inputs.records import YEAR_ALIASES

    names = {match_key(a) for a in ("year", *YEAR_ALIASES)}
    cols = [i for i, h in enumerate(t.header) if match_key(str(h)) in names]
    for i in cols:
        for offset, row in enumerate(t.rows):
            v = row[i] if i < len(row) else None
            text = str(v).strip() if v is not None else ""
            if text.endswith(".0"):
                text = text[:-2]
            if text:
                years.setdefault(text, input_location(t.file, t.first_row + offset))


def decide_year(years: dict[str, str], stated: int | None) -> int | None:
    """The one year of `stated_years` (and dataset.yaml's `stated`), or an InputError."""
    if stated is not None:
        years.setdefault(str(stated), "dataset.yaml")
    if len(years) > 1:
        shown = "; ".join(f"{y} ({w})" for y, w in sorted(years.items()))
        raise InputError.one("", _("the data states several years: {years}; score one year "
                                   "per run").format(years=shown))
    if not years:
        return None
    (text, where), = years.items()
    if not text.isdigit() or not 1990 <= int(text) <= 2100:
        raise InputError.one(where, _("year: expected a year such as 2026, found {value!r}")
                             .format(value=text))
    return int(text)
