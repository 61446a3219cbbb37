"""The schema of a rule file (pydantic): what each section may hold, and the resolved RuleSet.

A rule set is a folder `rules/<year>/` of YAML files that together declare, per record kind
(individual, unit), the inputs, computed fields, criteria with their bands or formulas, bonus,
deductions and gates, then the titles with prerequisites and quotas, parameters and examples.
Everything here is data: expressions stay strings until `compile.py` parses and type-checks them.
The models are frozen, refuse unknown keys and know the `file:line` they were read from (see
`safeyaml`); `RuleSet.content_hash` is what a manifest records of the rules that decided it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.functional_validators import BeforeValidator

from scoring.base.i18n import _
from scoring.rulesets.safeyaml import LocDict, out_of_range

Kind = Literal["individual", "unit"]
KINDS: tuple[Kind, ...] = ("individual", "unit")
# The parameters by which a rule set declares its typical examples for `scoring review`.
REVIEW_PARAMS: dict[Kind, str] = {"individual": "review_typical_individual",
                                  "unit": "review_typical_unit"}
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
