"""What a scoring run produces: records with their ledger, titles and ranks. Frozen values.

The ledger is the product: every point in a score is a `Hit` naming the rule that the engine
fired, the values it read and the points before and after caps; every title decision names each
prerequisite, the gates that blocked it and, for quota titles, the rank and the cut line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeAlias

from scoring.inputs.records import Origin
from scoring.inputs.rounds import RoundValue
from scoring.language.expr import Value
from scoring.rulesets.schema import Kind


@dataclass(frozen=True)
class Hit:
    rule: str  # ledger id, e.g. "individual.criteria.task[0]"
    section: str  # criteria | bonus | deductions | gates
    item: str  # the criterion, adjustment or gate id
    label: str
    condition: str
    reads: tuple[tuple[str, Value], ...]
    points: Decimal | None = None  # signed contribution to the score, after caps
    raw: Decimal | None = None  # before caps
    cap: Decimal | None = None
    note: str = ""
    rounds: tuple[RoundValue, ...] = ()  # every round's value, in order (judged or overridden)
    computed: Decimal | None = None  # the rules' value when a round overrode it


Shown: TypeAlias = Decimal | str | bool | None


@dataclass(frozen=True)
class Sentence:
    """A condition's words for one record: a rule file's label with the values of its
    placeholders, or (no label) a comparison of one field said from the field's label.
    Language-neutral (numbers stay numbers): `evaluation.conditions` words it when shown."""

    template: str = ""
    values: tuple[tuple[str, Shown], ...] = ()
    subject: str = ""  # the field's (or title's) label, for a comparison said in words
    op: str = ""  # >=, >, <=, <, ==, !=, in, holds (a title)
    need: tuple[Shown, ...] = ()
    value: Shown = None


@dataclass(frozen=True)
class Prerequisite:
    condition: str
    met: bool
    detail: str  # the failing part, with this record's values
    sentence: Sentence | None = None  # in the council's words (scoring.evaluation.conditions)


@dataclass(frozen=True)
class TieBreak:
    """Two neighbours in a ranking with the same leading value (the score, mostly), and the
    first key that put one ahead (see `scoring.evaluation.ties`): "tied at 942 with u1; ahead on nội
    dung, 900 > 880". `key` is `id` when only the record ids differed."""

    other: str  # the neighbour's id
    other_name: str
    lead: str  # the leading key both share (`score`, or the first declared key)
    at: Value  # their common value of it
    key: str  # the key that broke the tie, without its sign
    mine: Value
    theirs: Value
    ahead: bool  # this record ranks before `other`


@dataclass(frozen=True)
class QuotaDecision:
    scope: str  # e.g. "unit_id = U01"
    rank: int
    places: int
    basis_count: int  # how many holders of the counted title (or candidates) the share used
    cut: bool
    rule: str
    share: Decimal | None = None  # the share used (a rating cap's may be the unit's own)
    reading: str = ""  # a rating cap's reading: final_list or before_moves
    on_paper: int = 0  # places taken by holders rated on paper, who are never moved
    ties: tuple[TieBreak, ...] = ()  # its neighbours in the quota's ranking, tied on the lead


@dataclass(frozen=True)
class TitleDecision:
    title: str
    label: str
    awarded: bool
    prerequisites: tuple[Prerequisite, ...]
    gated_by: tuple[str, ...] = ()
    quota: QuotaDecision | None = None

    @property
    def eligible(self) -> bool:
        return all(p.met for p in self.prerequisites) and not self.gated_by


@dataclass(frozen=True)
class RatingDecision:
    """How a record's rating was reached: from points by band, override, quota; or as given."""

    field: str
    final: str | None
    given: str | None
    points: Decimal | None
    band: str | None = None  # the rating the points gave, before overrides and the quota
    band_rule: str = ""
    override: str = ""  # override id that won over the points
    override_reason: str = ""
    quota: QuotaDecision | None = None  # present when the record was ranked under the quota
    moved_to: str | None = None
    warning: str = ""
    outside_cap: bool = False  # rated under another text: not counted by the quota, not moved

    @property
    def from_points(self) -> bool:
        return self.points is not None


@dataclass(frozen=True)
class AggregateValue:
    name: str
    label: str
    value: Value
    members: tuple[str, ...]  # ids of the members counted (where the condition held)


@dataclass(frozen=True)
class HistoryValue:
    """A history function's value for a record (see `language.history`): what counted, when."""

    name: str  # the call as the rule wrote it, e.g. consecutive_years(CSTDCS)
    value: Decimal  # the year being scored included
    years: tuple[int, ...]  # the years that counted, oldest first
    field: str  # the scope field the engine read for the past part: past.<call>
    past: Decimal  # the past part alone, precomputed from the history store
    past_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class UnpaidReward:
    """A title held whose reward is not paid: a higher one rewards the same achievement."""

    title: str
    amount: Decimal
    paid: str  # the title of the same achievement whose (highest) reward is paid
    achievement: str  # the rule set's `same_achievement` id
    label: str  # and its label


@dataclass(frozen=True)
class RecordResult:
    """One individual or unit as scored: its inputs as read (with file and row), computed
    fields, points per criterion after caps, score, rating, titles with every decision's
    reasons, rank in its scope, rewards, and the ledger (`hits`: every rule that fired, with
    the values it read). `parent` is its unit for an individual, its cluster for a unit.
    Frozen: what every output and explanation is rendered from."""

    kind: Kind
    id: str
    name: str
    parent: str  # unit id (individual) or cluster (unit)
    origin: Origin
    inputs: tuple[tuple[str, Value], ...]
    computed: tuple[tuple[str, Value], ...]
    points: tuple[tuple[str, Decimal], ...]  # criterion id → points after cap
    score: Decimal
    titles: tuple[str, ...]
    hits: tuple[Hit, ...]
    decisions: tuple[TitleDecision, ...]
    gates: tuple[str, ...]
    rank: int
    rank_scope: str
    rank_of: int
    aggregates: tuple[AggregateValue, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    rating: RatingDecision | None = None
    rewards: tuple[tuple[str, Decimal], ...] = ()  # title id → amount paid, for awarded titles
    not_paid: tuple[UnpaidReward, ...] = ()  # awarded titles whose reward another one pays
    provisional: tuple[str, ...] = ()  # judged criteria still missing (--allow-incomplete)
    history: tuple[HistoryValue, ...] = ()  # values of the rules' history functions
    ties: tuple[TieBreak, ...] = ()  # its neighbours in the ranking with the same score

    @property
    def reward(self) -> Decimal:
        return sum((amount for _, amount in self.rewards), Decimal(0))

    def point(self, criterion: str) -> Decimal:
        return dict(self.points).get(criterion, Decimal(0))


@dataclass(frozen=True)
class Result:
    """A scored batch: every record's `RecordResult`, the rule set that produced it (id, year,
    content `hash`), the run's warnings, the titles in decision order and the labels outputs
    show. Renderers, explanations, `verify` and `diff` read only this (and `Compiled`)."""

    ruleset: str
    year: int
    name: str
    hash: str
    individuals: tuple[RecordResult, ...]
    units: tuple[RecordResult, ...]
    warnings: tuple[str, ...] = ()
    engine_facts: int = 0
    titles: tuple[tuple[str, str, Kind], ...] = ()  # (id, label, kind) in decision order
    labels: dict[str, str] = field(default_factory=dict)  # criterion/input id → label
    rounds: tuple[tuple[str, str], ...] = ()  # declared review rounds (id, label), in order
    base_salary: Decimal | None = None
    reward_rule: str = ""  # how amounts were computed, with its legal basis
    decision_date: str = ""  # the date whose base salary applies (YYYY-MM-DD), when dated
    achievements: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (id, label, titles)

    def records(self, kind: Kind) -> tuple[RecordResult, ...]:
        return self.individuals if kind == "individual" else self.units
