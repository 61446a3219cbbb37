"""Title rewards: the base salary in force on the decision date, each title's amount, and one
reward per achievement.

Amounts are multiples of the base salary (mức lương cơ sở) rounded up to the declared step
(Decree 91/2017 art. 68 §2: up to the next ten thousand đồng). The base salary is the one in
force on the date of the decision that confers the title, not the one of the data's year, so a
rule set keeps a dated table of amounts and a decision date (a run may give another).

Decree 91/2017 art. 66 §2 c: a person or unit that earns several titles at the same time for the
same achievement is paid only the highest reward; titles for different periods' work are each
paid. A rule set states which titles reward the same achievement (`same_achievement`); a record
holding several of one group is paid the highest amount (ties: the title listed first) and the
others are recorded as not paid, with the title that pays instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from scoring.base.errors import UsageError
from scoring.base.i18n import _
from scoring.evaluation.result import UnpaidReward
from scoring.language import expr, show
from scoring.rulesets.schema import Achievement, Rewards, RuleSet


@dataclass(frozen=True)
class Salary:
    """The base salary a run uses: the amount, the date it was read at and its source."""

    amount: Decimal
    decision_date: str  # "" when the rule set gives one amount without a table
    since: str  # the table line's date, or ""
    basis: str


def dated(rs: RuleSet, when: str) -> RuleSet:
    """`rs` with the decision date a run gives (YYYY-MM-DD); a UsageError when the rule set has
    no dated table of base salaries to read it in, or the date precedes the table."""
    rw = rs.rewards
    if rw is None or not rw.base_salaries:
        raise UsageError.one("--decision-date", _("the rule set {rules} has no dated table of "
                                                  "base salaries (rewards.base_salaries) to "
                                                  "read the date in")
                             .format(rules=rs.folder or rs.ruleset))
    try:
        date.fromisoformat(when)
    except ValueError:
        raise UsageError.one("--decision-date", _("{value!r} is not a date written "
                                                  "YYYY-MM-DD").format(value=when)) from None
    if len(when) != 10 or when < rw.base_salaries[0].since:
        raise UsageError.one("--decision-date", _("{value!r}: expected a date YYYY-MM-DD on or "
                                                  "after {first}, the first base salary of the "
                                                  "table").format(value=when,
                                                                  first=rw.base_salaries[0].since))
    return rs.model_copy(update={"rewards": rw.model_copy(update={"decision_date": when})})


def base_salary(rw: Rewards, constants: Mapping[str, expr.Value]) -> Salary | None:
    """The base salary in force on the decision date (None: no amount can be read)."""
    if rw.base_salary is not None:
        amount = constants.get(rw.base_salary) if isinstance(rw.base_salary, str) \
            else rw.base_salary
        return Salary(amount, "", "", "") if isinstance(amount, Decimal) else None
    when = rw.decision_date_in(constants)
    in_force = [b for b in rw.base_salaries or () if b.since <= when] if when else []
    if not in_force:
        return None
    line = in_force[-1]
    return Salary(line.amount, when, line.since, line.basis)


def amounts(rs: RuleSet, salary: Salary | None) -> dict[str, Decimal]:
    """Each title's reward: multiple × base salary, rounded up to the declared step."""
    rw = rs.rewards
    if rw is None or salary is None:
        return {}
    step = Decimal(rw.round_up_to)
    return {t.id: (t.reward * salary.amount / step).to_integral_value(ROUND_CEILING) * step
            for t in rs.titles if t.reward is not None}


def rule_text(rw: Rewards, salary: Salary) -> str:
    """How the amounts were computed, in one line, with the rule set's basis."""
    base = show.format_number(salary.amount)
    when = (f" in force on {salary.decision_date} (from {salary.since}: {salary.basis})"
            if salary.decision_date else "")
    return (f"multiple × {base} {rw.currency}{when}, rounded up to {rw.round_up_to:,} "
            f"({rw.basis})")


def split(titles: Sequence[str], amounts: Mapping[str, Decimal],
          groups: Sequence[Achievement]) -> tuple[tuple[tuple[str, Decimal], ...],
                                                  tuple[UnpaidReward, ...]]:
    """The rewards paid for `titles` (in their order) and those not paid because a higher
    reward of the same achievement is paid."""
    unpaid: dict[str, UnpaidReward] = {}
    held = [t for t in titles if t in amounts]
    for g in groups:
        mine = [t for t in g.titles if t in held]
        if len(mine) < 2:
            continue
        top = max(mine, key=lambda t: (amounts[t], -g.titles.index(t)))
        for t in mine:
            if t != top:
                unpaid[t] = UnpaidReward(t, amounts[t], top, g.id, g.label)
    paid = tuple((t, amounts[t]) for t in held if t not in unpaid)
    return paid, tuple(unpaid[t] for t in held if t in unpaid)


def explain_line(u: UnpaidReward) -> str:
    """`LDTT 710,000 not paid: CSTDCS rewards the same achievement (…)`."""
    return _("{title} {amount} not paid: {paid} rewards the same achievement "
             "({label}; only the highest reward is paid)").format(
        title=u.title, amount=f"{u.amount:,}", paid=u.paid, label=u.label)
