"""`scoring diff`: what changed between two rule sets, and what it does to a year's candidates.

The rule changes are read from the two *resolved* rule sets (`extends` applied), item by item
and by id, so a criterion redefined in an extending year shows as changed even though its text
lives in another folder. Each item is flattened into `path: value` pairs (`bands[1].points`,
`quota.share`), so a change is shown as the one value that moved, with both values, and new
schema fields appear without code here.

With input data, the data is scored with both rule sets and the effect is shown the way a
council discusses it: who gains or loses which title, who moves at least a few places, and how
the scores are spread before and after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel
from tabulate import tabulate

from scoring.base.errors import InputError
from scoring.base.i18n import N_, _
from scoring.evaluation.result import Result
from scoring.evaluation.scorer import score
from scoring.explanations.ledger import json_number
from scoring.inputs.batch import build_batch
from scoring.inputs.readers import read_inputs
from scoring.inputs.records import RawTable, blank, map_columns
from scoring.inputs.rounds import parse_rounds
from scoring.language.show import format_number
from scoring.rulesets.schema import KINDS, InputSpec, RuleSet
from scoring.run.app import Run

Status = Literal["added", "removed", "changed"]
_HEADER = ("ruleset", "year", "name", "regime", "legal_basis")
_KIND_ITEMS = ("inputs", "aggregates", "computed", "criteria", "bonus", "deductions", "gates")
_KIND_SINGLE = ("ratings", "ranking", "total")
_SINGULAR = {"inputs": "input", "aggregates": "aggregate", "computed": "computed field",
             "criteria": "criterion", "bonus": "bonus", "deductions": "deduction",
             "gates": "gate", "ratings": "ratings", "ranking": "ranking", "total": "total"}


@dataclass(frozen=True)
class Change:
    """One item added, removed or changed; `fields` are (path, before, after) as text."""

    section: str  # e.g. "individual criterion", "title", "param"
    id: str
    status: Status
    fields: tuple[tuple[str, str, str], ...]
    where: str = ""


@dataclass(frozen=True)
class TitleMove:
    kind: str
    id: str
    name: str
    group: str
    title: str
    before: bool
    after: bool


@dataclass(frozen=True)
class RankMove:
    kind: str
    id: str
    name: str
    group: str
    rank_before: int
    rank_after: int
    score_before: Decimal
    score_after: Decimal


@dataclass(frozen=True)
class Spread:
    """The distribution of one kind's scores under one rule set."""

    kind: str
    rules: str  # "before" or "after"
    count: int
    min: float
    mean: float
    median: float
    max: float


@dataclass(frozen=True)
class Effect:
    data: str
    titles: tuple[TitleMove, ...]
    ranks: tuple[RankMove, ...]
    spread: tuple[Spread, ...]
    scores_changed: int
    threshold: int


@dataclass(frozen=True)
class Report:
    before: str
    after: str
    changes: tuple[Change, ...]
    effect: Effect | None = None
    warnings: tuple[str, ...] = ()  # from scoring the data (e.g. rules of another year)

    @property
    def changed(self) -> bool:
        e = self.effect
        return bool(self.changes) or (e is not None and bool(e.titles or e.ranks
                                                              or e.scores_changed))


# -------------------------------------------------------------------------------- rule changes


def rule_changes(a: RuleSet, b: RuleSet) -> list[Change]:
    """Every item that differs between the resolved rule sets `a` (before) and `b` (after)."""
    out: list[Change] = []
    header = _compare("rule set", "", {k: getattr(a, k) for k in _HEADER},
                      {k: getattr(b, k) for k in _HEADER}, "")
    out += [header] if header else []
    out += _items("param", a.params, b.params)
    out += _single("rewards", a.rewards, b.rewards)
    for kind in KINDS:
        ka, kb = a.kind(kind), b.kind(kind)
        for sec in _KIND_ITEMS:
            out += _items(f"{kind} {_SINGULAR[sec]}", _keyed(getattr(ka, sec)),
                          _keyed(getattr(kb, sec)))
        for sec in _KIND_SINGLE:
            out += _single(f"{kind} {_SINGULAR[sec]}", getattr(ka, sec), getattr(kb, sec))
    out += _items("title", _keyed(a.titles), _keyed(b.titles))
    return out


def _keyed(items: Any) -> Mapping[str, Any]:
    return items if isinstance(items, Mapping) else {item.id: item for item in items}


def _items(section: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Change]:
    out: list[Change] = []
    for key in [*a, *(k for k in b if k not in a)]:
        change = _compare(section, key, a.get(key), b.get(key),
                          _source(b.get(key)) or _source(a.get(key)))
        if change is not None:
            out.append(change)
    return out


def _single(section: str, a: Any, b: Any) -> list[Change]:
    change = _compare(section, "", a, b, _source(b) or _source(a))
    return [change] if change is not None else []


def _source(item: Any) -> str:
    return str(getattr(item, "source", "") or "")


def _compare(section: str, key: str, a: Any, b: Any, where: str) -> Change | None:
    if a is None and b is None:
        return None
    if a is None or b is None:
        status: Status = "added" if a is None else "removed"
        shown = {p: _text(v) for p, v in flatten(b if a is None else a, defaults=False).items()}
        fields = tuple((p, "", v) if a is None else (p, v, "") for p, v in shown.items() if v)
        return Change(section, key, status, fields, where)
    fa, fb = flatten(a), flatten(b)
    paths = [*fa, *(p for p in fb if p not in fa)]
    fields = tuple(_field(p, fa.get(p), fb.get(p)) for p in paths
                   if _text(fa.get(p)) != _text(fb.get(p)))
    return Change(section, key, "changed", fields, where) if fields else None


def _field(path: str, before: Any, after: Any) -> tuple[str, str, str]:
    """One changed value as text; of two lists only the items that went and came are shown."""
    if isinstance(before, list | tuple) and isinstance(after, list | tuple):
        gone = [x for x in before if x not in after]
        came = [x for x in after if x not in before]
        if gone or came:
            return f"{path} (items)", _text(gone), _text(came)
    return path, _text(before), _text(after)


def flatten(item: Any, prefix: str = "", defaults: bool = True) -> dict[str, Any]:
    """`path: value` for every scalar of an item; lists of mappings are indexed (`bands[1]`).

    Without `defaults`, fields left at their default are not listed (for added and removed
    items, where only what was written is worth reading).
    """
    if isinstance(item, BaseModel):
        item = item.model_dump(exclude_defaults=not defaults)
    if isinstance(item, Mapping):
        out: dict[str, Any] = {}
        for k, v in item.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(item, list | tuple) and any(isinstance(v, Mapping | BaseModel) for v in item):
        out = {}
        for i, v in enumerate(item):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix or "value": item}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]" if value else ""
    return str(value)


# ------------------------------------------------------------------------------------ effect


def effect(before: Result, after: Result, data: str, threshold: int = 3) -> Effect:
    """Who gains or loses titles, who moves `threshold` places or more, and the spreads."""
    titles: list[TitleMove] = []
    ranks: list[RankMove] = []
    changed = 0
    for kind in KINDS:
        after_by_id = {r.id: r for r in after.records(kind)}
        order = [t for t, _, k in (*before.titles, *after.titles) if k == kind]
        order = list(dict.fromkeys(order))
        for ra in before.records(kind):
            rb = after_by_id.get(ra.id)
            if rb is None:
                continue
            changed += ra.score != rb.score
            for t in order:
                held_a, held_b = t in ra.titles, t in rb.titles
                if held_a != held_b:
                    titles.append(TitleMove(kind, ra.id, ra.name, ra.parent, t, held_a, held_b))
            if abs(ra.rank - rb.rank) >= threshold:
                ranks.append(RankMove(kind, ra.id, ra.name, ra.parent, ra.rank, rb.rank,
                                      ra.score, rb.score))
    return Effect(data, tuple(titles), tuple(ranks), tuple(_spread(before, after)), changed,
                  threshold)


def _spread(before: Result, after: Result) -> Iterator[Spread]:
    rows = [{"kind": kind, "rules": label, "score": float(r.score)}
            for kind in KINDS for label, result in (("before", before), ("after", after))
            for r in result.records(kind)]
    if not rows:
        return
    frame = pd.DataFrame(rows)
    stats = frame.groupby(["kind", "rules"], sort=False)["score"].agg(
        ["count", "min", "mean", "median", "max"])
    for row in stats.reset_index().to_dict("records"):
        yield Spread(str(row["kind"]), str(row["rules"]), int(row["count"]), float(row["min"]),
                     float(row["mean"]), float(row["median"]), float(row["max"]))


# --------------------------------------------------------------------------------- rendering


def _yes(held: bool) -> str:
    return _("yes") if held else _("no")


# The report's words for the machine names it shows (JSON keeps the machine names).
_WORDS: dict[str, str] = {
    "added": N_("added"), "removed": N_("removed"), "changed": N_("changed"),
    "unit": N_("unit"), "individual": N_("individual"),
    "before": N_("before"), "after": N_("after"),
    "param": N_("param"), "rewards": N_("rewards"), "title": N_("title"),
    "rule set": N_("rule set"), "input": N_("input"), "aggregate": N_("aggregate"),
    "computed field": N_("computed field"), "criterion": N_("criterion"), "bonus": N_("bonus"),
    "deduction": N_("deduction"), "gate": N_("gate"), "ratings": N_("ratings"),
    "ranking": N_("ranking"), "total": N_("total"),
}


def _word(name: str) -> str:
    return _(_WORDS[name]) if name in _WORDS else name


def _section(section: str) -> str:
    """`unit criterion` in the chosen language (`tiêu chí (đơn vị)`)."""
    kind, _sep, item = section.partition(" ")
    if kind in KINDS and item in _WORDS:
        return _("{kind} {item}").format(item=_word(item), kind=_word(kind))
    return _word(section)


def _title_rows(e: Effect) -> list[list[str]]:
    return [[_word(m.kind), m.id, m.name, m.group, m.title,
             f"{_yes(m.before)} → {_yes(m.after)}"]
            for m in e.titles]


def _rank_rows(e: Effect) -> list[list[str]]:
    return [[_word(m.kind), m.id, m.name, m.group, f"{m.rank_before} → {m.rank_after}",
             f"{format_number(m.score_before)} → {format_number(m.score_after)}"]
            for m in e.ranks]


def _spread_rows(e: Effect) -> list[list[Any]]:
    return [[_word(s.kind), _word(s.rules), s.count, f"{s.min:.2f}", f"{s.mean:.2f}",
             f"{s.median:.2f}", f"{s.max:.2f}"] for s in e.spread]


_TITLE_HEAD = [N_("kind"), N_("id"), N_("name"), N_("unit/cluster"), N_("title"),
               N_("before → after")]
_RANK_HEAD = [N_("kind"), N_("id"), N_("name"), N_("unit/cluster"), N_("rank"), N_("score")]
_SPREAD_HEAD = [N_("kind"), N_("rules"), N_("count"), N_("min"), N_("mean"), N_("median"),
                N_("max")]


def _head(names: Sequence[str]) -> list[str]:
    return [_(n) for n in names]


def _change_title(c: Change) -> str:
    name = f" {c.id}" if c.id else ""
    where = f" ({c.where})" if c.where else ""
    return _("{status} {section}{name}{where}").format(status=_word(c.status),
                                                         section=_section(c.section),
                                                         name=name, where=where)


def _change_lines(c: Change) -> list[str]:
    if c.status == "changed":
        none = _("(none)")  # outside the f-string: Python 3.12+ lets extractors see inside it
        return [f"{p}: {before or none} → {after or none}" for p, before, after in c.fields]
    return [f"{p}: {after or before}" for p, before, after in c.fields]


def render_text(report: Report) -> str:
    if not report.changed:
        return _("no changes") + "\n"
    lines = [_("rules: {before} → {after}").format(before=report.before, after=report.after)]
    for c in report.changes:
        lines.append(_change_title(c))
        lines += [f"  {line}" for line in _change_lines(c)]
    e = report.effect
    if e is not None:
        lines += ["", _("effect on {data} ({count} scores changed):")
                  .format(data=e.data, count=e.scores_changed), "", _("titles:")]
        lines += (_indent(tabulate(_title_rows(e), _head(_TITLE_HEAD))) if e.titles
                  else ["  " + _("nobody gains or loses a title")])
        lines += ["", _("rank moves of {threshold} places or more:")
                  .format(threshold=e.threshold)]
        lines += (_indent(tabulate(_rank_rows(e), _head(_RANK_HEAD))) if e.ranks
                  else ["  " + _("none")])
        lines += ["", _("scores:"), *_indent(tabulate(_spread_rows(e), _head(_SPREAD_HEAD)))]
    return "\n".join(lines) + "\n"


def _indent(block: str) -> list[str]:
    return [f"  {line}" for line in block.splitlines()]


def render_markdown(report: Report) -> str:
    if not report.changed:
        return _("no changes") + "\n"
    lines = [_("# Rule changes: `{before}` → `{after}`").format(before=report.before,
                                                               after=report.after), ""]
    for c in report.changes:
        lines.append(f"- **{_change_title(c)}**")
        lines += [f"  - `{line}`" for line in _change_lines(c)]
    e = report.effect
    if e is not None:
        lines += ["", _("## Effect on `{data}`").format(data=e.data), "",
                  _("{count} scores changed.").format(count=e.scores_changed), "",
                  _("### Titles"), ""]
        lines.append(tabulate(_title_rows(e), _head(_TITLE_HEAD), tablefmt="github")
                     if e.titles else _("Nobody gains or loses a title."))
        lines += ["", _("### Rank moves of {threshold} places or more")
                  .format(threshold=e.threshold), ""]
        lines.append(tabulate(_rank_rows(e), _head(_RANK_HEAD), tablefmt="github") if e.ranks
                     else _("None."))
        lines += ["", _("### Scores"), "", tabulate(_spread_rows(e), _head(_SPREAD_HEAD),
                                                     tablefmt="github")]
    return "\n".join(lines) + "\n"


def to_json_data(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = {
        "before": report.before, "after": report.after, "changed": report.changed,
        "rules": [{"section": c.section, "id": c.id, "status": c.status, "where": c.where,
                   "fields": [{"path": p, "before": b, "after": a} for p, b, a in c.fields]}
                  for c in report.changes],
    }
    e = report.effect
    if e is not None:
        data["effect"] = {
            "data": e.data,
            "scores_changed": e.scores_changed,
            "titles": [{"kind": m.kind, "id": m.id, "name": m.name, "group": m.group,
                        "title": m.title, "before": m.before, "after": m.after}
                       for m in e.titles],
            "rank_threshold": e.threshold,
            "ranks": [{"kind": m.kind, "id": m.id, "name": m.name, "group": m.group,
                       "rank_before": m.rank_before, "rank_after": m.rank_after,
                       "score_before": json_number(m.score_before),
                       "score_after": json_number(m.score_after)} for m in e.ranks],
            "scores": [{"kind": s.kind, "rules": s.rules, "count": s.count, "min": s.min,
                        "mean": s.mean, "median": s.median, "max": s.max} for s in e.spread],
        }
    return data


def render_json(report: Report) -> str:
    return json.dumps(to_json_data(report), ensure_ascii=False, indent=2) + "\n"


def compare(before: Path, after: Path, data: Sequence[Path] = (), threshold: int = 3
            ) -> Report:
    """Load both rule sets, list their differences, and score `data` (the inputs, as for
    `scoring score`) with both if given.

    The data is scored with rule sets chosen by the caller, whatever its year: that is the
    point of the comparison, so no warning says the years differ."""
    from scoring.rulesets.extends import load
    from scoring.run.app import run

    changes = rule_changes(load(before), load(after))
    if not data:
        return Report(str(before), str(after), tuple(changes))
    paths = list(data)
    run_b = run(paths, rules=after, warn_year=False)
    bridge: list[str] = []
    try:
        result_a = run(paths, rules=before, warn_year=False).result
    except InputError as refused:
        result_a, bridge = _bridged(paths, before, run_b, refused)
    warnings = dict.fromkeys((*bridge, *result_a.warnings, *run_b.result.warnings))
    shown = ", ".join(map(str, paths))
    return Report(str(before), str(after), tuple(changes),
                  effect(result_a, run_b.result, shown, threshold), tuple(warnings))


def _bridged(data: list[Path], before: Path, run_b: Run, refused: InputError
             ) -> tuple[Result, list[str]]:
    """Score data that only the newer rules can read (ratings given as points) with the older.

    Rules without a ratings step need the rating typed in; rules with one compute it from
    points. To compare them on the same data, each record the newer rules rated from points is
    given, for the older rules, the rating its points give before any override or quota (the
    older rules have neither), and the report says so. Any other problem stays an error.
    """
    from scoring.run.app import compile_folder

    compiled = compile_folder(before)
    inputs = read_inputs(data)
    bands: dict[str, dict[str, str]] = {}
    for kind in KINDS:
        newer = run_b.compiled.kind(kind).ratings
        if newer is None or compiled.kind(kind).ratings is not None:
            continue
        bands[kind] = {r.id: str(r.rating.band) for r in run_b.result.records(kind)
                       if r.rating is not None and r.rating.points is not None and r.rating.band}
    if not bands:
        raise refused
    tables = [_fill(t, compiled.kind(t.kind).inputs, bands.get(t.kind), run_b)
              for t in inputs.tables]
    try:
        batch = build_batch(tables, compiled)
        rounds = parse_rounds(inputs.rounds, compiled, {
            "individual": {r.id for r in batch.individuals}, "unit": {u.id for u in batch.units}})
    except InputError:
        raise refused from None
    result = score(batch.individuals, batch.units, compiled, None, batch.warnings, rounds,
                   allow_incomplete=True)
    counts = ", ".join((_("{count} units") if kind == "unit" else _("{count} individuals"))
                       .format(count=len(ids)) for kind, ids in bands.items())
    note = _("{before} cannot compute ratings from points: for it, {counts} rated from points "
             "by {after} were given the rating their points give, before any override or "
             "quota").format(before=before, counts=counts, after=run_b.rules_folder)
    return result, [note]


def _fill(table: RawTable, inputs: Mapping[str, InputSpec], bands: Mapping[str, str] | None,
          run_b: Run) -> RawTable:
    """The table with blank ratings filled from `bands` (by record id), the column added if
    the file has none."""
    if not bands:
        return table
    field = run_b.compiled.kind(table.kind).ratings
    assert field is not None
    columns, _problems, _warnings = map_columns(table, inputs)
    by_field = {f: i for i, f in columns.items()}
    id_col = by_field.get("id")
    if id_col is None:
        return table
    col = by_field.get(field.field)
    header = table.header if col is not None else (*table.header, field.field)
    rows = []
    for row in table.rows:
        cells = list(row) + ([None] if col is None else [])
        at = col if col is not None else len(header) - 1
        rid = str(row[id_col]).strip() if id_col < len(row) and row[id_col] is not None else ""
        if rid in bands and blank(cells[at]):
            cells[at] = bands[rid]
        rows.append(tuple(cells))
    return replace(table, header=tuple(header), rows=tuple(rows))

