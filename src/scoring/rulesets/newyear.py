"""`scoring new-year`: start a year's rule set as a folder that extends an earlier year.

A new year changes a few numbers and criteria; everything else must stay exactly as decided
before. So the new folder holds only a header with `extends:` and the new year's name (the
base's, its year replaced), a commented template showing the three moves (redefine an item by
its id, add one with a new id, remove one by id), written from the base's real items and ids,
and an examples file carrying the base's worked examples: examples are not inherited, and run
against the new rules they show at once which outcomes a change moves.
The scaffold is built here as text; the CLI writes it (writing belongs to `atomic`).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from scoring.base.errors import UsageError
from scoring.base.i18n import _
from scoring.rulesets.extends import available_years, load
from scoring.rulesets.schema import KINDS, Criterion, InputSpec, Kind, RuleSet

RULESET_FILE = "ruleset.yaml"
EXAMPLES_FILE = "examples.yaml"


def default_base(rules_root: Path, year: int) -> Path:
    """The newest year folder under `rules_root` before `year`."""
    earlier = [y for y in available_years(rules_root) if y < year] if rules_root.is_dir() else []
    if not earlier:
        raise UsageError.one(str(rules_root), _("no rule set before {year} here; give --from "
                                                "DIR").format(year=year))
    return rules_root / str(earlier[-1])


def scaffold(year: int, base: Path, rules_root: Path) -> dict[Path, str]:
    """The files of `rules_root/YEAR`, extending the rule set in `base`; nothing is written.

    Refuses (UsageError) when the folder exists or the year is not after the base's year;
    a base that does not load raises its RuleError.
    """
    target = rules_root / str(year)
    if target.exists():
        raise UsageError.one(str(target), _("already exists; a year's rules are never "
                                            "overwritten"))
    rs = load(base)
    if year <= rs.year:
        raise UsageError.one(str(base), _("{base} is the {base_year} rule set; a new year "
                                          "extends an earlier one, so {year} must be after "
                                          "{base_year}").format(base=base, base_year=rs.year,
                                                                year=year))
    extends = Path(os.path.relpath(base.resolve(), target.resolve())).as_posix()
    return {target / RULESET_FILE: _ruleset_text(rs, year, extends, base, target),
            target / EXAMPLES_FILE: _examples_text(rs, year, base, target)}


def _plain(value: Any) -> Any:
    """Model data as YAML-friendly values (exact decimals written as plain numbers)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v not in (None, "", (), [], {})}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _commented(data: Any, indent: int) -> list[str]:
    """YAML for `data`, commented out so that deleting "# " leaves it at `indent`."""
    text = yaml.safe_dump(_plain(data), allow_unicode=True, sort_keys=False,
                          default_flow_style=None, width=10_000)
    pad = " " * indent
    return [f"# {pad}{line}" for line in text.splitlines()]


def _sample_value(spec: InputSpec) -> Any:
    if spec.default is not None:
        return spec.default
    if spec.type == "enum":
        return next(iter(spec.values or {"value": ""}))
    if spec.type in ("int", "number"):
        return spec.max if spec.max is not None else (spec.min or 0)
    return False if spec.type == "bool" else "..."


def _new_criterion(rs: RuleSet, kind: Kind) -> dict[str, Any]:
    """A criterion to add, reading a real input so that uncommenting it compiles."""
    new: dict[str, Any] = {"id": "new_criterion", "label": "Tiêu chí mới", "max": 10}
    inputs = rs.kind(kind).inputs
    flag = next((n for n, s in inputs.items() if s.type == "bool"), None)
    number = next((n for n, s in inputs.items() if s.type in ("int", "number")), None)
    if flag is not None:
        return {**new, "when": flag, "points": 10}
    return {**new, "points": f"min(10, {number})" if number is not None else 0}


def _first_criterion(rs: RuleSet) -> tuple[Kind, Criterion | None]:
    for kind in KINDS:
        criteria = rs.kind(kind).criteria
        if criteria:
            return kind, criteria[0]
    return "individual", None


def _ruleset_text(rs: RuleSet, year: int, extends: str, base: Path, target: Path) -> str:
    kind, criterion = _first_criterion(rs)
    lines = [
        f"# Rule set {year}: extends {extends} ({rs.ruleset} {rs.year}) and holds only what",
        "# changes. Every criterion, title and parameter not redefined here is inherited as it",
        f"# is. Before use: `scoring check {target.as_posix()}`, "
        f"`scoring test {target.as_posix()}`,",
        f"# and `scoring diff {base.as_posix()} {target.as_posix()} DATA` to see the effect.",
        "",
        f"ruleset: {rs.ruleset}",
        f"year: {year}",
        f"extends: {extends}",
        _scalar("name", renamed(rs.name, rs.year, year)),
        "",
        "# Change a criterion: redefine it by its id (the whole criterion is replaced).",
        "# Add one: give a new id in the same list.",
        f"# {kind}:",
        "#   criteria:",
    ]
    if criterion is not None:
        lines += _commented([criterion.model_dump(exclude_defaults=True)], 4)
    lines += _commented([_new_criterion(rs, kind)], 4)
    lines += ["#", "# Remove items by id:", "# remove:"]
    removal: dict[str, Any] = {}
    if criterion is not None:
        removal[kind] = {"criteria": [rs.kind(kind).criteria[-1].id]}
    if rs.titles:
        removal["titles"] = [rs.titles[-1].id]
    if rs.params:
        removal["params"] = [next(iter(rs.params))]
    lines += _commented(removal or {"individual": {"criteria": ["criterion_id"]}}, 2)
    if rs.params:
        name, param = next(iter(rs.params.items()))
        lines += ["#", "# Change a parameter: redefine it by name.", "# params:"]
        lines += _commented({name: param.model_dump(exclude_defaults=True)}, 2)
    return "\n".join(lines) + "\n"


def renamed(name: str, old: int, new: int) -> str:
    """The base's name for the new year: its year replaced, or the new year added."""
    return name.replace(str(old), str(new)) if str(old) in name else f"{name} (năm {new})"


def _scalar(key: str, value: str) -> str:
    return yaml.safe_dump({key: value}, allow_unicode=True, width=10_000).rstrip("\n")


def _examples_text(rs: RuleSet, year: int, base: Path, target: Path) -> str:
    if not rs.examples:
        return _template_examples_text(rs, year, target)
    examples = [e.model_dump(exclude_defaults=True) for e in rs.examples]
    text = yaml.safe_dump({"examples": _plain(examples)}, allow_unicode=True, sort_keys=False,
                          default_flow_style=None, width=10_000)
    lines = [
        f"# Worked examples of the {year} rules: `scoring test {target.as_posix()}` runs them.",
        f"# Carried from {base.as_posix()} ({rs.year}), whose files explain how each expected",
        f"# outcome was computed. Where a change made for {year} moves an outcome, the example",
        "# fails: correct its expectation (and say why), or reconsider the change. Add the new",
        "# year's own examples below: `individual` (or `unit`), `unit` for the person's unit,",
        "# `members` for colleagues in the same unit, and `expect` with score, points, titles,",
        "# not_titles, hits or rating.",
    ]
    return "\n".join(lines) + "\n" + text


def _template_examples_text(rs: RuleSet, year: int, target: Path) -> str:
    person = {n: _sample_value(s) for n, s in list(rs.individual.inputs.items())[:3]}
    titles = [t.id for t in rs.titles if t.of == "individual"][:1]
    sample = [{"name": "what this example shows", "individual": person,
               "expect": {"score": 0, "titles": titles}}]
    lines = [
        f"# Worked examples of the {year} rules: `scoring test {target.as_posix()}` runs them.",
        "# Each gives the inputs a council would type and the outcome expected from them:",
        "# `individual` (or `unit`), `unit` for the person's unit when its rules read unit.*,",
        "# `members` for colleagues in the same unit (quotas count them), and `expect` with",
        "# score, points, titles, not_titles, hits or rating. For instance:",
        "# examples:",
        *_commented(sample, 2),
        "examples: []",
    ]
    return "\n".join(lines) + "\n"
