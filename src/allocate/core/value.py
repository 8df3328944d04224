"""Full cost and social value of an allocation, exactly, in whole pence.

* :func:`award_costs` — each award on a capacity that declares its full cost: the award, its full
  cost (``⌈κ·A⌉`` pence, ``κ`` from :func:`allocate.core.cashflow.cost_ratio`) and the margin;
* :func:`social_value` — per contract and in total: the members' awards, the part going to micro
  and small organisations and to organisations based in the lot's area, the organisations funded,
  the hub's top-slice, and the targets of ``policy.social_value`` each row misses.

The audit (:mod:`allocate.pipeline.audit`) and the tables of
:mod:`allocate.analysis.money_over_time` both read these, so they never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from allocate.core import cashflow
from allocate.core.model import Problem, SizeBand

__all__ = [
    "SMALL_BANDS",
    "AwardCost",
    "SocialValue",
    "award_costs",
    "social_value",
    "uses_cash_flow",
    "uses_full_cost",
    "uses_social_value",
]

#: The size bands the social value counts as micro and small organisations.
SMALL_BANDS: tuple[SizeBand, ...] = (SizeBand.MICRO, SizeBand.SMALL)

#: ``(member, lot, contract, amount)`` of every award.
AwardRow = tuple[str, str, str, Decimal]


def uses_cash_flow(problem: Problem) -> bool:
    """Whether the problem asks for a cash-flow forecast (terms, or the reserves condition)."""
    return problem.cash_flow is not None or problem.policy.max_reserves_share is not None


def uses_full_cost(problem: Problem) -> bool:
    """Whether any per-lot capacity declares a full cost, or the policy asks for recovery."""
    return problem.policy.full_cost_recovery or bool(cashflow.declared_costs(problem))


def uses_social_value(problem: Problem) -> bool:
    """Whether the policy sets social value targets or any member says where it is based."""
    return problem.policy.social_value is not None or any(
        m.based_in is not None for m in problem.members
    )


@dataclass(frozen=True, slots=True)
class AwardCost:
    """One award's full cost, in pence."""

    member: str
    lot: str
    contract: str
    award: int
    cost: int
    """The award × the full cost of a pound, rounded up to the penny."""

    @property
    def margin(self) -> int:
        """Award less full cost (negative: a loss the member would subsidise)."""
        return self.award - self.cost

    @property
    def subsidy(self) -> int:
        """What the member would have to put in (0 when the award covers its cost)."""
        return max(0, -self.margin)


def award_costs(
    problem: Problem, awards: Iterable[AwardRow], lot_top_slices: Mapping[str, Decimal]
) -> list[AwardCost]:
    """The full cost of each award on a capacity that declares one, in the awards' order.

    ``lot_top_slices`` is each lot's top-slice (what a unit pays the members depends on it).
    """
    costs = cashflow.declared_costs(problem)
    out: list[AwardCost] = []
    for member, lot_id, contract, amount in awards:
        if (member, lot_id) not in costs:
            continue
        _, lot = problem.lot_index[lot_id]
        pot = int((lot.value - lot_top_slices.get(lot_id, Decimal(0))) * 100)
        kappa, _ = cashflow.cost_ratio(costs, member, lot, pot)
        pence = int(amount * 100)
        out.append(AwardCost(member, lot_id, contract, pence, math.ceil(kappa * pence)))
    return out


@dataclass(slots=True)
class SocialValue:
    """Where one contract's money (or, for ``contract`` = ``total``, every contract's) goes."""

    contract: str
    value: int
    """Contract value, pence."""
    top_slice: int
    """The hub's top-slice, pence."""
    awards: int = 0
    """The members' awards, pence."""
    small: int = 0
    """Awards to micro and small organisations, pence."""
    local: int = 0
    """Awards to organisations whose ``based_in`` is the lot's area, pence."""
    funded: set[str] = field(default_factory=set)
    """The members with an award."""
    targets_missed: list[str] = field(default_factory=list)
    """The ``policy.social_value`` targets the row misses, by field name."""

    @property
    def hub_share(self) -> Fraction | None:
        """Top-slice over value (None for a contract of no value)."""
        return Fraction(self.top_slice, self.value) if self.value else None

    @property
    def small_share(self) -> Fraction | None:
        """Share of the members' awards to micro and small organisations (None: no awards)."""
        return Fraction(self.small, self.awards) if self.awards else None

    @property
    def local_share(self) -> Fraction | None:
        """Share of the members' awards to organisations based in the lot's area."""
        return Fraction(self.local, self.awards) if self.awards else None

    @property
    def organisations(self) -> int:
        """How many members have an award."""
        return len(self.funded)


def social_value(
    problem: Problem, awards: Iterable[AwardRow], top_slices: Mapping[str, Decimal]
) -> list[SocialValue]:
    """Per contract (in the problem's order) and in total: where the money goes.

    ``top_slices`` is each contract's top-slice in pounds.  With ``policy.social_value``, each
    row lists the targets it misses (a share target is missed by a row with no awards).
    """
    rows = {
        c.id: SocialValue(c.id, int(c.value * 100), int(top_slices.get(c.id, Decimal(0)) * 100))
        for c in problem.contracts
    }
    total = SocialValue(
        "total",
        sum(r.value for r in rows.values()),
        sum(r.top_slice for r in rows.values()),
    )
    members = problem.member_index
    for member_id, lot_id, contract, amount in awards:
        pence = int(amount * 100)
        if pence <= 0:
            continue
        _, lot = problem.lot_index[lot_id]
        m = members[member_id]
        for row in (rows[contract], total):
            row.awards += pence
            row.small += pence if m.size_band in SMALL_BANDS else 0
            row.local += pence if m.based_in is not None and m.based_in == lot.area else 0
            row.funded.add(member_id)
    out = [*rows.values(), total]
    targets = problem.policy.social_value
    if targets is not None:
        for row in out:
            small, local = row.small_share, row.local_share
            if targets.min_small_share is not None and not (
                small is not None and small >= Fraction(targets.min_small_share)
            ):
                row.targets_missed.append("min_small_share")
            if targets.min_local_share is not None and not (
                local is not None and local >= Fraction(targets.min_local_share)
            ):
                row.targets_missed.append("min_local_share")
            if targets.min_organisations is not None and (
                row.organisations < targets.min_organisations
            ):
                row.targets_missed.append("min_organisations")
            hub = row.hub_share
            if (
                targets.max_hub_share is not None
                and hub is not None
                and (hub > Fraction(targets.max_hub_share))
            ):
                row.targets_missed.append("max_hub_share")
    return out
