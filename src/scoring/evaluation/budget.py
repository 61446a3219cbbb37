"""The reward budget: what the titles cost, per title, unit, cluster and overall.

Councils must budget the rewards the decree attaches to each title (a multiple of the base
salary, rounded up per award). A person's reward counts toward their unit and that unit's
cluster, so a unit's line is its own awards plus its members'. Only rewards paid count: a
title whose achievement a higher title of the same record already rewards is not paid (one
reward per achievement, `scoring.evaluation.rewards`); those amounts are totalled apart, per title.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain

from scoring.base.text import collation_key
from scoring.evaluation.result import Result


@dataclass(frozen=True)
class Budget:
    per_title: dict[str, Decimal]
    per_unit: dict[str, Decimal]
    per_cluster: dict[str, Decimal]
    total: Decimal
    not_paid: dict[str, Decimal]  # per title: rewards held but not paid (same achievement)


Rewards = Sequence[tuple[str, Decimal]]


def reward_budget(result: Result, people: Iterable[tuple[str, Rewards]] | None = None,
                  people_not_paid: Rewards = ()) -> Budget:
    """The budget of `result`; `people` gives (unit, rewards) for individuals scored apart
    from it (`streaming.stream`), in place of `result.individuals`, and `people_not_paid` their
    (title, amount) not paid. Sums are exact decimals, so the order in which rewards are added
    does not change them."""
    per_title: dict[str, Decimal] = defaultdict(Decimal)
    per_unit: dict[str, Decimal] = defaultdict(Decimal)
    per_cluster: dict[str, Decimal] = defaultdict(Decimal)
    cluster_of = {u.id: u.parent for u in result.units}
    not_paid: dict[str, Decimal] = defaultdict(Decimal)
    if people is None:
        people = ((r.parent, r.rewards) for r in result.individuals)
        people_not_paid = [(u.title, u.amount) for r in result.individuals for u in r.not_paid]
    for tid, amount in chain(people_not_paid, ((u.title, u.amount) for r in result.units
                                                for u in r.not_paid)):
        not_paid[tid] += amount
    owners = chain(people, ((u.id, u.rewards) for u in result.units))
    for unit, rewards in owners:
        for tid, amount in rewards:
            per_title[tid] += amount
            per_unit[unit] += amount
            per_cluster[cluster_of.get(unit, "")] += amount
    order = [t for t, _l, _k in result.titles]
    return Budget(
        {t: per_title[t] for t in order if t in per_title},
        dict(sorted(per_unit.items())),
        dict(sorted(per_cluster.items(), key=lambda kv: collation_key(kv[0]))),
        sum(per_title.values(), Decimal(0)),
        {t: not_paid[t] for t in order if t in not_paid},
    )
