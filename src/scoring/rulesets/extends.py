"""Loading a rule set folder: its files parsed against the schema, merged, `extends` resolved.

Each `.yaml` file of the folder is read with the safe loader and validated (every error located
at its `file:line`, unknown keys with a "did you mean"); the files' headers must agree; an
`extends:` folder is loaded first (cycles and depth refused) and the folder's items replace its
items by id, add new ones, or `remove:` them. Also here: where the `rules/` folder is and which
year's rule set applies to a data year.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from scoring.base.errors import Problem, RuleError
from scoring.base.i18n import N_, _
from scoring.base.suggest import suggest
from scoring.rulesets import schema_text
from scoring.rulesets.safeyaml import LocDict, LocList, parse_yaml, read_bytes
from scoring.rulesets.schema import KINDS, Criterion, KindRules, Param, RuleFile, RuleSet

MAX_EXTENDS_DEPTH = 20


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _locate_error(data: Any, loc: tuple[int | str, ...], fallback: str) -> str:
    where, node = fallback, data
    for part in loc:
        if isinstance(node, LocDict):
            key = str(part)
            where = node.where(key if key in node else None)
            node = node.get(key)
        elif isinstance(node, LocList) and isinstance(part, int) and part < len(node):
            node = node[part]
            if isinstance(node, LocDict | LocList):
                where = f"{node.file}:{node.line}"
        else:
            break
    return where


def _rule_id(data: Any, loc: tuple[int | str, ...]) -> str | None:
    node, found = data, None
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            found = node["id"]
    return found


# Parsed rule files by where they are shown and what they hold: a run, `verify`, the web page
# and the property tests load the same rule set again and again, and PyYAML's pure-Python
# loader takes seconds on a set with many examples. Keyed by the file's bytes, so an edited
# file is always parsed again; errors are never kept.
_PARSED: dict[tuple[str, bytes], RuleFile] = {}
_PARSED_MAX = 256


def parse_file(path: Path) -> RuleFile:
    shown = _display(path)
    raw = read_bytes(path, shown)
    key = (shown, hashlib.sha256(raw).digest())
    known = _PARSED.get(key)
    if known is not None:
        return known
    parsed = _parse(raw, shown)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[key] = parsed
    return parsed


def _parse(raw: bytes, shown: str) -> RuleFile:
    data = parse_yaml(raw, shown)
    if data is None:
        data = LocDict()
    if not isinstance(data, dict):
        raise RuleError.one(f"{shown}:1", _("a rule file is a mapping of sections"))
    try:
        return RuleFile.model_validate(data)
    except ValidationError as e:
        problems = []
        for loc, kind, msg in schema_text.problems(e.errors(), data):
            field = ".".join(str(p) for p in loc)
            if kind == "extra_forbidden":
                msg = _unknown_key_message(str(loc[-1]), loc, data)
            problems.append(Problem(_locate_error(data, loc, f"{shown}:1"),
                                    f"{field}: {msg}" if field else msg, _rule_id(data, loc)))
        raise RuleError(problems) from None


def _unknown_key_message(key: str, loc: tuple[int | str, ...], data: Any) -> str:
    node: Any = RuleFile
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(node, "model_fields", {})
        if part in fields:
            ann = fields[part].annotation
            node = _model_in(ann) or node
    known = list(getattr(node, "model_fields", {}))
    close = suggest(key, [k for k in known if k != "source"])
    hint = _(" (did you mean {close!r}?)").format(close=close[0]) if close else ""
    return _("unknown key {key!r}{hint}").format(key=key, hint=hint)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def rule_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load(folder: Path | str) -> RuleSet:
    """Load, merge and resolve the rule set in `folder` (following `extends`)."""
    return _load(Path(folder), ())


def _load(folder: Path, chain: tuple[Path, ...]) -> RuleSet:
    resolved = folder.resolve()
    shown = _display(folder)
    if resolved in chain:
        cycle = " -> ".join(_display(p) for p in (*chain, resolved))
        raise RuleError.one(shown, _("'extends' forms a cycle: {cycle}").format(cycle=cycle))
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise RuleError.one(shown, _("'extends' is nested more than {depth} deep").format(
            depth=MAX_EXTENDS_DEPTH))
    if not folder.is_dir():
        raise RuleError.one(shown, _("rule set folder not found"))
    paths = rule_files(folder)
    if not paths:
        raise RuleError.one(shown, _("no .yaml rule files in this folder"))
    problems: list[Problem] = []
    files: list[RuleFile] = []
    for p in paths:
        try:
            files.append(parse_file(p))
        except RuleError as e:
            problems.extend(e.problems)
    if problems:
        raise RuleError(problems)
    header = _merge_header(files, shown)
    base: RuleSet | None = None
    if header.get("extends"):
        base = _load((folder / str(header["extends"])), (*chain, resolved))
    merged = _merge(files, base, header, shown)
    return merged.model_copy(update={"folder": str(folder)})


_HEADER = ("ruleset", "year", "name", "extends", "regime", "legal_basis")


def _merge_header(files: list[RuleFile], shown: str) -> dict[str, Any]:
    header: dict[str, Any] = {}
    for f in files:
        for key in _HEADER:
            value = getattr(f, key)
            if value is None:
                continue
            if key in header and header[key] != value:
                raise RuleError.one(f.source or shown, _("{key!r} is given twice with different "
                                                         "values ({first!r}, {second!r})").format(
                    key=key, first=header[key], second=value))
            header[key] = value
    return header


def _by_id(items: tuple[Any, ...], what: str, problems: list[Problem]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        if item.id in out:
            problems.append(Problem(item.source, _("duplicated {what} id {id!r} (also at "
                                                   "{other})").format(
                what=_(what), id=item.id, other=out[item.id].source), item.id))
        out[item.id] = item
    return out


def _override(base: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Items of `new` replace items of `base` with the same id, in place; others append."""
    merged = dict(base)
    merged.update(new)
    return merged


_LIST_SECTIONS = ("criteria", "bonus", "deductions", "gates")
_SINGULAR = {"criteria": N_("criterion"), "bonus": N_("bonus"), "deductions": N_("deduction"),
             "gates": N_("gate")}
_DICT_SECTIONS = ("inputs", "aggregates", "computed")


def _merge(files: list[RuleFile], base: RuleSet | None, header: dict[str, Any],
           shown: str) -> RuleSet:
    problems: list[Problem] = []
    for key in ("ruleset", "year"):
        if key not in header and base is None:
            problems.append(Problem(shown, _("the rule set needs {key!r} in one of its files")
                                    .format(key=key)))
    kinds: dict[str, dict[str, Any]] = {}
    removals = [f.remove for f in files if f.remove is not None]
    for kind in KINDS:
        base_kind = base.kind(kind) if base else KindRules()
        sections: dict[str, Any] = {}
        for sec in _LIST_SECTIONS:
            own: tuple[Any, ...] = tuple(
                item for f in files if getattr(f, kind) for item in getattr(getattr(f, kind), sec)
            )
            items = _override(_by_id(getattr(base_kind, sec), sec, []),
                              _by_id(own, _SINGULAR[sec], problems))
            sections[sec] = items
        for sec in _DICT_SECTIONS:
            merged: dict[str, Any] = dict(getattr(base_kind, sec))
            seen: dict[str, str] = {}
            for f in files:
                kr = getattr(f, kind)
                for name, spec in (getattr(kr, sec) if kr else {}).items():
                    if name in seen:
                        problems.append(Problem(spec.source, _("{section} {name!r} is declared "
                                                               "twice (also at {other})").format(
                            section=sec, name=name, other=seen[name])))
                    seen[name] = spec.source
                    merged[name] = spec
            sections[sec] = merged
        ranking, total, ratings = base_kind.ranking, base_kind.total, base_kind.ratings
        for f in files:
            kr = getattr(f, kind)
            if kr is not None and kr.ranking is not None:
                ranking = kr.ranking
            if kr is not None and kr.total is not None:
                total = kr.total
            if kr is not None and kr.ratings is not None:
                ratings = kr.ratings
        for rem in removals:
            for sec, ids in getattr(rem, kind).items():
                if sec not in sections:
                    problems.append(Problem(rem.source, _("remove.{kind}: unknown section "
                                                          "{section!r}").format(kind=kind,
                                                                                section=sec)))
                    continue
                for rid in ids:
                    if rid not in sections[sec]:
                        problems.append(Problem(rem.source, _("remove.{kind}.{section}: {id!r} "
                                                              "is not in the extended rule set")
                                                .format(kind=kind, section=sec, id=rid), rid))
                    sections[sec].pop(rid, None)
        kinds[kind] = {
            **{sec: tuple(sections[sec].values()) for sec in _LIST_SECTIONS},
            **{sec: sections[sec] for sec in _DICT_SECTIONS},
            "ranking": ranking,
            "total": total,
            "ratings": ratings,
        }
    titles = _override(_by_id(base.titles, "title", []) if base else {},
                       _by_id(tuple(t for f in files for t in f.titles), N_("title"),
                              problems))
    params: dict[str, Param] = dict(base.params) if base else {}
    rewards = base.rewards if base else None
    rounds = base.rounds if base else ()
    for f in files:
        params.update(f.params)
        rewards = f.rewards.inherit(rewards) if f.rewards is not None else rewards
        rounds = f.rounds if f.rounds is not None else rounds
    for rem in removals:
        for tid in rem.titles:
            if tid not in titles:
                problems.append(Problem(rem.source, _("remove.titles: {id!r} is not in the "
                                                      "extended rule set").format(id=tid), tid))
            titles.pop(tid, None)
        for pid in rem.params:
            params.pop(pid, None)
    examples = tuple(e for f in files for e in f.examples)
    for kind in KINDS:
        kinds[kind]["criteria"] = resolve_maxima(kinds[kind]["criteria"], params, problems)
    if problems:
        raise RuleError(problems)
    return RuleSet(
        ruleset=header.get("ruleset", base.ruleset if base else ""),
        year=header.get("year", base.year if base else 0),
        name=header.get("name", base.name if base else ""),
        regime=header.get("regime", base.regime if base else ""),
        legal_basis=header.get("legal_basis", base.legal_basis if base else ()),
        params=params,
        individual=KindRules(**kinds["individual"]),
        unit=KindRules(**kinds["unit"]),
        titles=tuple(titles.values()),
        rewards=rewards,
        rounds=rounds,
        examples=examples,
        lineage=((*base.lineage, base.folder) if base else ()),
    )


def resolve_maxima(criteria: tuple[Criterion, ...], params: Mapping[str, Param],
                   problems: list[Problem]) -> tuple[Criterion, ...]:
    """Criteria whose `max:` names a parameter, with that parameter's value (an extending
    rule set that changes the parameter changes the maximum)."""
    out = []
    for c in criteria:
        if c.max_param is not None:
            p = params.get(c.max_param)
            value = p.value if p is not None else None
            if not isinstance(value, Decimal) or isinstance(value, bool) or value < 0:
                problems.append(Problem(c.source, _(
                    "max: {name!r} is not a parameter holding a number of at least 0").format(
                        name=c.max_param), c.id))
            else:
                c = c.model_copy(update={"max": value})
        out.append(c)
    return tuple(out)


def find_rules_root(start: Path) -> Path | None:
    """The `rules/` folder: in `start` (the current directory) if there is one, else the rule
    sets installed with the package (copied into it by the build, setup.py), else those of the
    source checkout the package runs from (an editable install)."""
    package = Path(__file__).resolve().parents[1]  # src/scoring
    for candidate in (start / "rules", package / "rules", package.parents[1] / "rules"):
        if candidate.is_dir():
            return candidate
    return None


def available_years(root: Path) -> list[int]:
    return sorted(int(p.name) for p in root.iterdir() if p.is_dir() and p.name.isdigit())


def pick_year(root: Path, data_year: int | None) -> Path:
    """The newest rule set not after the data's year (the newest of all when it is unknown)."""
    years = available_years(root)
    if not years:
        raise RuleError.one(str(root), _("no rule sets (folders named by year) here"))
    if data_year is None:
        return root / str(years[-1])
    usable = [y for y in years if y <= data_year]
    if not usable:
        raise RuleError.one(str(root), _("no rule set for {year} or earlier (available: "
                                         "{years})").format(year=data_year,
                                                            years=", ".join(map(str, years))))
    return root / str(usable[-1])
