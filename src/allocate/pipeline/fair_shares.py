"""Fair shares: what the policy's rule gives each eligible member of a lot, exactly.

The rule (:mod:`allocate.core.rules`) turns the members' claims (capacities, weighted by a
member score for the weighted rules) into exact shares of the lot's estate: its member pot in
pence, or its units on unit-priced lots.  These are the targets the leximin programme measures
every award against, and, when nothing but capacities and lot budgets constrain the split, the
answer itself.
"""

from __future__ import annotations

from fractions import Fraction

from allocate.core.apportion import ExactShares
from allocate.core.model import Problem, WeightFactor
from allocate.core.rules import lot_shares

__all__ = ["lot_fair_shares", "weight_factor"]


def weight_factor(problem: Problem, member: int) -> Fraction:
    """The member score that weights the weighted rules, exactly (a missing impact counts 1)."""
    m = problem.members[member]
    f = problem.policy.weight_factor
    if f is WeightFactor.QUALITY_SCORE:
        value: float | None = m.quality_score
    elif f is WeightFactor.REPORTING_COMPLIANCE:
        value = m.reporting_compliance
    else:
        value = m.impact_score if m.impact_score is not None else 1.0
    return Fraction(repr(value))


def lot_fair_shares(
    problem: Problem, estate: int, claims: list[int], members: list[int]
) -> ExactShares:
    """The rule's exact shares of ``estate`` among ``members`` with these ``claims``."""
    rule = problem.policy.rule
    factors = [weight_factor(problem, i) for i in members] if rule.is_weighted else None
    return lot_shares(rule.value, estate, claims, factors)
