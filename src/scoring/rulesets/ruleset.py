"""Rule sets: the YAML schema (pydantic), loading a folder of files, `extends`, the content hash.

A rule set is a folder `rules/<year>/` of YAML files that together declare, per record kind
(individual, unit), the inputs, computed fields, criteria with their bands or formulas, bonus,
deductions and gates, then the titles with prerequisites and quotas, parameters and examples.
Everything here is data: expressions stay strings until `compile.py` parses and type-checks them.

Why a custom YAML loader: rule files come from many hands, so tags other than the safe ones are
refused (and of those, only text, numbers, yes/no, null, lists and mappings: a date is read as
the text it is), anchors/aliases are refused (they are the billion-laughs vector and `extends`
already gives reuse), nesting is bounded (PyYAML composes recursively), numbers are exact
decimals (0.15 must stay 0.15) of a sane magnitude (a `max: 1e99999999` would otherwise hang
whatever prints it), and every mapping keeps the line of each key so that every error can say
`file:line`. The file size limit is `limits.Limits.rule_file_bytes`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.functional_validators import BeforeValidator

from scoring.base import limits
from scoring.base.errors import Problem, RuleError
from scoring.base.i18n import N_, _
from scoring.base.suggest import suggest
from scoring.rulesets import schema_text

Kind = Literal["individual", "unit"]
KINDS: tuple[Kind, ...] = ("individual", "unit")
MAX_EXTENDS_DEPTH = 20
MAX_YAML_DEPTH = 50  # rule files nest about 8 deep; PyYAML recurses once per level
# Numbers in rule files are points, shares, months and amounts of money: their magnitude stays
# within 10^-MAX_EXPONENT .. 10^MAX_EXPONENT (whole numbers up to 15 digits).
MAX_EXPONENT = 15
Expr = str | int | Decimal | bool
# What a division by zero means in a rule's expressions (`division_by_zero:`, see
# `language.expr.Zero`): `error` (the default: the run stops, naming the rule, the record and
# the values), `missing` (as an empty cell), or a number (the division's value).
def _division_by_zero(value: Any) -> Any:
    if value in ("error", "missing") or (isinstance(value, int | Decimal)
                                         and not isinstance(value, bool)):
        return value
    raise ValueError(_("division_by_zero takes a number, 'missing' or 'error' (found {value!r})")
                     .format(value=str(value)[:40]))


DivisionByZero = Annotated[Decimal | Literal["error", "missing"],
                           BeforeValidator(_division_by_zero)]

# ------------------------------------------------------------------------------------- YAML


class LocDict(dict[str, Any]):
    """A mapping read from YAML that remembers its file and the line of each key."""

    file: str = ""
    line: int = 0
    key_lines: dict[str, int]

    def where(self, key: str | None = None) -> str:
        line = self.key_lines.get(key, self.line) if key is not None else self.line
        return f"{self.file}:{line}"


class LocList(list[Any]):
    file: str = ""
    line: int = 0


def out_of_range(value: Decimal, shown: str) -> str | None:
    """Why a rule file's number (written `shown`) is unusable (not finite, absurdly large or
    small), or None."""
    if not value.is_finite():
        return _("{value} is not a finite number").format(value=shown)
    if value and not -MAX_EXPONENT <= value.adjusted() < MAX_EXPONENT:
        return _("{value} is out of range: numbers in rule files lie between 10^-{exponent} and "
                 "10^{exponent}").format(value=shown, exponent=MAX_EXPONENT)
    return None


def _sane_number(value: Decimal, text: str, node: yaml.Node) -> Decimal:
    why = out_of_range(value, repr(text[:40]))
    if why is not None:
        raise yaml.MarkedYAMLError(None, None, why, node.start_mark)
    return value


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, deep nesting and exotic types; numbers are checked."""

    file = ""
    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError(
                None, None, _("anchors and aliases (*name) are not allowed in rule files"),
                event.start_mark,
            )
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(
                    None, None, _("nested more than {depth} levels deep").format(
                        depth=MAX_YAML_DEPTH),
                    event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
        text = str(self.construct_scalar(node)).replace("_", "")
        try:
            value = Decimal(text)
        except ArithmeticError:
            raise yaml.MarkedYAMLError(
                None, None, _("{text!r} is not a finite number").format(text=text),
                node.start_mark
            ) from None
        return _sane_number(value, text, node)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        text = str(self.construct_scalar(node)).replace("_", "")
        if len(text.lstrip("+-0")) > MAX_EXPONENT + 2:  # before int(): it refuses 4300 digits
            _sane_number(Decimal("1E99"), text, node)
        value = super().construct_yaml_int(node)
        _sane_number(Decimal(value), text, node)
        return value

    def construct_as_text(self, node: yaml.ScalarNode) -> Any:
        return str(self.construct_scalar(node))

    def construct_refused(self, node: yaml.Node) -> Any:
        raise yaml.MarkedYAMLError(None, None, _("the type {type!r} is not allowed in rule "
                                                 "files (text, numbers, true/false, lists and "
                                                 "mappings)").format(
                                                     type=node.tag.rsplit(":", 1)[-1]),
                                   node.start_mark)

    def construct_loc_mapping(self, node: yaml.MappingNode) -> Iterator[LocDict]:
        result = LocDict()
        result.file, result.line, result.key_lines = self.file, node.start_mark.line + 1, {}
        yield result
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool) or isinstance(key, bool):
                raise yaml.MarkedYAMLError(None, None, _("keys must be text"),
                                           key_node.start_mark)
            key = str(key)
            if key in result:
                raise yaml.MarkedYAMLError(
                    None, None, _("duplicated key {key!r}").format(key=key), key_node.start_mark
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1

    def construct_loc_sequence(self, node: yaml.SequenceNode) -> Iterator[LocList]:
        result = LocList()
        result.file, result.line = self.file, node.start_mark.line + 1
        yield result
        result.extend(self.construct_object(child, deep=True) for child in node.value)


_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_as_text)
for _tag in ("binary", "set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _Loader.construct_refused)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_loc_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_loc_sequence)


def read_yaml(path: Path, shown: str) -> Any:
    """Read one YAML file with the safe loader above; every failure is a located RuleError.

    The size is checked before reading (a rule file over the limit, 1 MB by default, is refused
    whatever it holds), so a mistaken path to a huge file costs nothing.
    """
    limit = limits.current().rule_file_bytes
    try:
        size = path.stat().st_size
        if size > limit:
            raise RuleError.one(shown, _("rule file is {size} bytes; the limit is {limit}")
                                .format(size=size, limit=limit))
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise RuleError.one(shown, _("cannot read rule file: {reason}").format(
            reason=e.strerror)) from None
    if len(data) > limit:
        raise RuleError.one(shown, _("rule file is over {limit} bytes, the limit").format(
            limit=limit))
    return parse_yaml(data, shown)


def parse_yaml(data: bytes, shown: str) -> Any:
    """Parse YAML bytes with the safe loader above (also used for `dataset.yaml`)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise RuleError.one(shown, _("must be UTF-8 (byte {byte} is not)").format(
            byte=e.start)) from None
    loader = _Loader(text)
    loader.file = shown
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise RuleError.one(f"{shown}{line}", schema_text.yaml_problem(
            str(e.problem or e.context))) from None
    except yaml.YAMLError as e:
        raise RuleError.one(shown, _("invalid YAML: {reason}").format(reason=e)) from None
    except RecursionError:  # the depth limit above should make this unreachable
        raise RuleError.one(shown, _("nested more than {depth} levels deep").format(
            depth=MAX_YAML_DEPTH)) from None
    finally:
        loader.dispose()


# ----------------------------------------------------------------------------------- schema


class Model(BaseModel):
    """Base of the schema: frozen, no unknown keys, and each object knows its `file:line`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field(default="", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _locate(cls, data: Any) -> Any:
        if isinstance(data, LocDict) and "source" not in data:
            located = dict(data)
            located["source"] = data.where()
            return located
        return data

    @model_validator(mode="after")
    def _sane_numbers(self) -> Any:
        # A number typed without a decimal point ("1e99999999") reaches pydantic as text, so
        # the YAML loader's range check cannot see it: every numeric field is checked here.
        for name, value in self.__dict__.items():
            if isinstance(value, Decimal | int) and not isinstance(value, bool):
                why = out_of_range(Decimal(value), str(value)[:40])
                if why is not None:
                    raise ValueError(f"{name}: {why}")
        return self


class Param(Model):
    value: Decimal | str | bool
    label: str = ""
    basis: str = ""


class InputSpec(Model):
    type: Literal["int", "number", "bool", "enum", "text"]
    label: str
    aliases: tuple[str, ...] = ()
    values: dict[str, str] | None = None
    value_aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    min: Decimal | None = None
    max: Decimal | None = None
    default: Decimal | str | bool | None = None
    required: bool | None = None
    note: str = ""

    @field_validator("values", mode="before")
    @classmethod
    def _values_list(cls, v: Any) -> Any:
        if isinstance(v, list):
            return {str(x): str(x) for x in v}
        return v

    @model_validator(mode="after")
    def _consistent(self) -> InputSpec:
        if self.type == "enum" and not self.values:
            raise ValueError(_("an enum input needs 'values'"))
        if self.type != "enum" and (self.values or self.value_aliases):
            raise ValueError(_("only enum inputs take 'values'"))
        if self.type == "enum" and self.values:
            for key in self.value_aliases:
                if key not in self.values:
                    raise ValueError(_("value_aliases names {key!r}, which is not in "
                                       "values").format(key=key))
            if isinstance(self.default, str) and self.default not in self.values:
                raise ValueError(_("default {default!r} is not one of the values").format(
                    default=self.default))
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(_("min {min} is greater than max {max}").format(min=self.min,
                                                                              max=self.max))
        return self

    @property
    def is_required(self) -> bool:
        return self.required if self.required is not None else self.default is None


class Computed(Model):
    expr: Expr
    label: str = ""
    division_by_zero: DivisionByZero = "error"


class Aggregate(Model):
    """A unit field computed from its members: count, share, all, any, sum, min, max, mean."""

    fn: Literal["count", "share", "all", "any", "sum", "min", "max", "mean"]
    of: Expr | None = None
    where: Expr | None = None
    label: str = ""
    division_by_zero: DivisionByZero = "error"

    @model_validator(mode="after")
    def _needs_of(self) -> Aggregate:
        if self.fn != "count" and self.of is None:
            raise ValueError(_("aggregate '{fn}' needs 'of'").format(fn=self.fn))
        return self


class Band(Model):
    when: Expr
    points: Expr
    label: str = ""


class Judged(Model):
    """Points given by people within the maximum, in review rounds (tự chấm, thẩm định…)."""

    step: Decimal | None = None
    guidance: str = ""


class Criterion(Model):
    id: str
    label: str
    max: Decimal
    max_param: str | None = None  # `max: <parameter>`: the maximum is that parameter's value
    group: str = ""
    bands: tuple[Band, ...] | None = None
    points: Expr | None = None
    when: Expr | None = None
    judged: Judged | None = None
    basis: str = ""
    division_by_zero: DivisionByZero = "error"

    @model_validator(mode="before")
    @classmethod
    def _max_by_name(cls, data: Any) -> Any:
        # `max: task_max_points` names a parameter; its value is filled in once the rule set's
        # parameters are known (`resolve_maxima`), so `max` stays a number everywhere after.
        if isinstance(data, dict) and isinstance(data.get("max"), str) \
                and data["max"].isidentifier():
            located = dict(data)
            if isinstance(data, LocDict) and "source" not in data:
                located["source"] = data.where()
            located["max_param"], located["max"] = data["max"], 0
            return located
        return data

    @model_validator(mode="after")
    def _one_way(self) -> Criterion:
        ways = sum(x is not None for x in (self.bands, self.points, self.judged))
        if ways != 1:
            raise ValueError(_("a criterion has exactly one of 'bands', 'points' (a formula) "
                               "or 'judged'"))
        if self.bands is not None and self.when is not None:
            raise ValueError(_("'when' goes on each band, not on a banded criterion"))
        if self.max < 0:
            raise ValueError(_("max must not be negative"))
        return self


class Adjustment(Model):
    """A bonus or a deduction: points when a condition holds, capped at `max` if given.

    A judged adjustment (e.g. the board's −8 for not launching the campaign) takes its points
    from the review rounds instead of a formula; it then needs a `max`.
    """

    id: str
    label: str
    when: Expr = True
    points: Expr | None = None
    judged: Judged | None = None
    max: Decimal | None = None
    basis: str = ""
    division_by_zero: DivisionByZero = "error"

    @model_validator(mode="after")
    def _one_way(self) -> Adjustment:
        if (self.points is None) == (self.judged is None):
            raise ValueError(_("an adjustment has either 'points' or 'judged'"))
        if self.judged is not None and self.max is None:
            raise ValueError(_("a judged adjustment needs 'max'"))
        return self


class Gate(Model):
    id: str
    label: str
    when: Expr
    blocks: tuple[str, ...] | Literal["all"] = "all"
    basis: str = ""
    division_by_zero: DivisionByZero = "error"


class Quota(Model):
    """How many candidates may hold a title in each scope, and how they are ranked."""

    share: Decimal | str | None = None
    of: str | tuple[str, ...] | None = None  # a title, several titles, or "candidates"
    count: int | None = None
    per: str | tuple[str, ...] = "unit"  # one field or several (see rulesets.scopes)
    rounding: Literal["floor", "round", "ceil"] = "floor"
    rank_by: tuple[str, ...] = ("-score",)
    basis: str = ""

    @model_validator(mode="after")
    def _shape(self) -> Quota:
        if (self.count is None) == (self.share is None):
            raise ValueError(_("a quota has either 'count' or 'share' (with 'of')"))
        if self.share is not None and self.of is None:
            raise ValueError(_("a share quota needs 'of': the title or 'candidates' it "
                               "counts"))
        if self.count is not None and self.count < 0:
            raise ValueError(_("a quota count must not be negative (found {count})").format(
                count=self.count))
        return self


class Title(Model):
    id: str
    label: str
    of: Kind
    requires: tuple[Expr, ...] = ()
    # The label of each prerequisite, "" where none: written in the file beside its condition
    # (`- {when: "…", label: "…"}`), see rulesets.labels.
    requires_labels: tuple[str, ...] = Field(default=(), exclude=True)
    quota: Quota | None = None
    reward: Decimal | None = None
    basis: str = ""
    division_by_zero: DivisionByZero = "error"


    @model_validator(mode="before")
    @classmethod
    def _labelled_requires(cls, data: Any) -> Any:
        from scoring.rulesets.labels import split_requires

        return split_requires(data)


class Ranking(Model):
    per: str | tuple[str, ...]
    by: tuple[str, ...] = ("-score",)


class RatingBand(Model):
    when: Expr
    rating: str
    label: str = ""


class RatingOverride(Model):
    """A rating that wins over points, e.g. disciplined in the year → không hoàn thành."""

    id: str
    when: Expr
    rating: str
    reason: str
    basis: str = ""


class RatingQuota(Model):
    """At most `share` × (count rated `of`) may hold `rating` per scope; the rest move down.

    `counted` names the reading of the cap. `final_list` (the default, and the design's rule
    for relative quotas): the cap holds on the final ratings, so everyone moved down joins
    `of`: the largest k of `rating` with k ≤ share × (those rated `of` + those moved down) is
    kept. `before_moves`: classes are counted after bands and overrides and before anyone
    moves, and the places are share × that count (a rule set must justify it).

    `counts` says who is counted on either side: `rated_by_points` (only records rated from
    points, i.e. under the text that sets the cap; a record rated on paper is outside the cap
    and never moved) or `all` (paper ratings count in both classes, and are never moved).
    `share_field` names a unit input (read as `unit.<name>`) that, where given, replaces the
    share for that unit (a higher ratio allowed to an outstanding agency).
    """

    rating: str
    share: Decimal | str
    of: str | tuple[str, ...]  # one class, or several ("tốt and above": [tot, xuat_sac])
    per: str | tuple[str, ...] = ("unit_id",)
    rounding: Literal["floor", "round", "ceil"] = "floor"
    demote_to: str
    rank_by: tuple[str, ...] = ("-rating_points",)
    counted: Literal["final_list", "before_moves"] = "final_list"
    counts: Literal["rated_by_points", "all"] = "rated_by_points"
    share_field: str | None = None
    basis: str = ""


class Ratings(Model):
    """Compute a rating field from points (Decree 335/2025 style) before any other rule runs."""

    field: str
    points: Expr
    bands: tuple[RatingBand, ...]
    overrides: tuple[RatingOverride, ...] = ()
    quota: RatingQuota | None = None
    label: str = ""
    basis: str = ""
    division_by_zero: DivisionByZero = "error"


def _iso_date(value: str) -> str:
    """`value` if it is a real calendar date written YYYY-MM-DD, else a ValueError."""
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("{value!r} is not a date written YYYY-MM-DD").format(
            value=value)) from None
    if len(value) != 10:
        raise ValueError(_("{value!r} is not a date written YYYY-MM-DD").format(value=value))
    return value


class BaseSalary(Model):
    """One line of the dated table of base salaries: the amount in force from `since`."""

    since: str
    amount: Decimal
    basis: str = ""

    @field_validator("since")
    @classmethod
    def _date(cls, v: str) -> str:
        return _iso_date(v)

    @model_validator(mode="after")
    def _positive(self) -> BaseSalary:
        if self.amount <= 0:
            raise ValueError(_("a base salary must be positive (found {amount})").format(
                amount=self.amount))
        return self


class Achievement(Model):
    """Titles that reward the same achievement (the same period's work): when a record holds
    several of them, only the highest reward is paid (Decree 91/2017 art. 66 §2 c)."""

    id: str
    label: str
    titles: tuple[str, ...]
    basis: str = ""

    @model_validator(mode="after")
    def _two(self) -> Achievement:
        if len(self.titles) < 2:
            raise ValueError(_("an achievement groups at least two titles"))
        if len(set(self.titles)) != len(self.titles):
            raise ValueError(_("an achievement names a title twice"))
        return self


class Rewards(Model):
    """Title rewards as multiples of the base salary, each rounded up to `round_up_to` đồng.

    The base salary is the one in force on the decision date: either one amount
    (`base_salary`: a number or a parameter's name) or a dated table (`base_salaries`), read
    at `decision_date` (a date or a parameter's name; a run may give another). Titles grouped
    in `same_achievement` pay only the highest of their rewards. An extending rule set's
    `rewards` keeps each of these four that it does not give (see `inherit`).
    """

    base_salary: Decimal | str | None = None
    base_salaries: tuple[BaseSalary, ...] | None = None
    decision_date: str | None = None
    round_up_to: int = 10_000
    currency: str = "đồng"
    same_achievement: tuple[Achievement, ...] | None = None
    basis: str = ""

    @model_validator(mode="after")
    def _one_salary(self) -> Rewards:
        if self.base_salary is not None and self.base_salaries is not None:
            raise ValueError(_("rewards take either 'base_salary' or a dated 'base_salaries' "
                               "table, not both"))
        dates = [b.since for b in self.base_salaries or ()]
        if dates != sorted(set(dates)):
            raise ValueError(_("base_salaries must be in date order, each date once"))
        if self.round_up_to <= 0:
            raise ValueError(_("round_up_to must be positive"))
        ids = [a.id for a in self.same_achievement or ()]
        if len(set(ids)) != len(ids):
            raise ValueError(_("same_achievement: an id is given twice"))
        return self

    def inherit(self, base: Rewards | None) -> Rewards:
        """This section with the salary, the decision date and the achievement groups of
        `base` where it gives none of its own."""
        if base is None:
            return self
        own_salary = self.base_salary is not None or self.base_salaries is not None
        return self.model_copy(update={
            "base_salary": self.base_salary if own_salary else base.base_salary,
            "base_salaries": self.base_salaries if own_salary else base.base_salaries,
            "decision_date": self.decision_date or base.decision_date,
            "same_achievement": (self.same_achievement if self.same_achievement is not None
                                 else base.same_achievement),
        })

    def decision_date_in(self, params: Mapping[str, object]) -> str:
        """The decision date: the date given, or the value of the parameter it names."""
        if self.decision_date is None:
            return ""
        found = params.get(self.decision_date)
        return found if isinstance(found, str) else self.decision_date


class Round(Model):
    """A review round, in order: the latest round that gives a value decides it."""

    id: str
    label: str


class KindRules(Model):
    ratings: Ratings | None = None
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    aggregates: dict[str, Aggregate] = Field(default_factory=dict)
    computed: dict[str, Computed] = Field(default_factory=dict)
    criteria: tuple[Criterion, ...] = ()
    bonus: tuple[Adjustment, ...] = ()
    deductions: tuple[Adjustment, ...] = ()
    gates: tuple[Gate, ...] = ()
    ranking: Ranking | None = None
    total: Decimal | None = None


class Removals(Model):
    individual: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    unit: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    titles: tuple[str, ...] = ()
    params: tuple[str, ...] = ()


class Example(Model):
    """A worked example (`scoring.checks.ruletest`): one subject, or a scenario of several records.

    `base:` names an earlier example whose records this one starts from (its own keys win,
    record by record); `units:`/`people:` (records with an `id`), `rounds:` (review-round
    values per record id and item) and `history:` (past years per record id) make a scenario,
    whose `expect:` is keyed by record id. See `scoring.checks.scenario`.
    """

    name: str
    base: str | None = None
    individual: dict[str, Any] | None = None
    unit: dict[str, Any] | None = None
    members: tuple[dict[str, Any], ...] = ()
    units: tuple[dict[str, Any], ...] = ()
    people: tuple[dict[str, Any], ...] = ()
    rounds: dict[str, dict[str, Any]] = Field(default_factory=dict)
    history: dict[str, dict[Any, Any]] = Field(default_factory=dict)
    expect: dict[str, Any]


class RuleFile(Model):
    """What one YAML file may hold; a rule set is the merge of its folder's files."""

    ruleset: str | None = None
    year: int | None = None
    name: str | None = None
    extends: str | None = None
    regime: str | None = None
    legal_basis: tuple[str, ...] | None = None
    params: dict[str, Param] = Field(default_factory=dict)
    individual: KindRules | None = None
    unit: KindRules | None = None
    titles: tuple[Title, ...] = ()
    rewards: Rewards | None = None
    rounds: tuple[Round, ...] | None = None
    remove: Removals | None = None
    examples: tuple[Example, ...] = ()

    @field_validator("params", mode="before")
    @classmethod
    def _bare_params(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: p if isinstance(p, dict) else {"value": p} for k, p in v.items()}
        return v


class RuleSet(Model):
    """A resolved rule set: what is hashed, compiled and evaluated."""

    ruleset: str
    year: int
    name: str = ""
    regime: str = ""
    legal_basis: tuple[str, ...] = ()
    params: dict[str, Param] = Field(default_factory=dict)
    individual: KindRules = KindRules()
    unit: KindRules = KindRules()
    titles: tuple[Title, ...] = ()
    rewards: Rewards | None = None
    rounds: tuple[Round, ...] = ()
    examples: tuple[Example, ...] = ()
    lineage: tuple[str, ...] = ()
    folder: str = Field(default="", exclude=True)

    def kind(self, kind: Kind) -> KindRules:
        return self.individual if kind == "individual" else self.unit

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of what decides results (not sources or examples)."""
        data = _undeclared(self.model_dump(mode="json", exclude={"examples", "lineage"}))
        blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _undeclared(data: Any) -> Any:
    """The dump without `division_by_zero: error`, the default: a rule set that declares no
    division keeps the hash it had before the key existed (manifests stay verifiable)."""
    if isinstance(data, dict):
        return {k: _undeclared(v) for k, v in data.items()
                if not (k == "division_by_zero" and v == "error")
                and not (k == "max_param" and v is None)}
    if isinstance(data, list):
        return [_undeclared(v) for v in data]
    return data


# ---------------------------------------------------------------------------------- loading


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


def parse_file(path: Path) -> RuleFile:
    shown = _display(path)
    data = read_yaml(path, shown)
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
