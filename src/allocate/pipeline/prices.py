"""The price of each side-constraint: the exact optimum with it against the optimum without it.

:func:`active` lists the side-constraint families a problem switches on and :func:`without`
gives the problem with some of them switched off (a policy value to its ``off`` value from the
registry, :mod:`allocate.core.families`; pooled capacities declared in full on every lot they
cover).  :func:`prices` re-solves once per family, through the ``optimum`` callable it is given
(the orchestrator passes its own exact solve, so this step imports no step above it), and
reports what each costs in money moved from the rule and in the worst ratio.

A price compares **exact optima, before rounding to whole pence** (:func:`measure`): what a
condition costs is a property of the condition, not of the pennies rounding moves, and a
re-solve then never waits on the rounding's integer search (deciding whether whole units can
meet every case-mix band exactly is an integer programme, which at county scale can run for
minutes on a variant nobody will be paid by).  The allocation's own audit metrics stay those of
its rounded awards; the two differ by at most the rounding, a penny (or a unit's worth) per
award.  :func:`allocate.scenarios.constraint_prices` builds its scenarios from the same
:func:`active` families and off values, and solves each in full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from allocate.core import families as fam
from allocate.core.model import Problem
from allocate.core.outcome import ConstraintPrice
from allocate.pipeline.plan import Plan, Solution

__all__ = ["Measure", "active", "measure", "prices", "without", "without_pools"]

_PENNY = Decimal("0.01")
_Q6 = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Measure:
    """How far an exact optimum (before rounding) lies from the rule's fair shares."""

    moved: Fraction
    """Money moved away from the rule's fair shares, in pence: half the sum of
    |award − fair share| over every eligible pair (exact)."""
    min_ratio: Fraction | None
    """The smallest award / fair share over the pairs with a fair share (None without one)."""


def measure(p: Plan, solution: Solution) -> Measure:
    """The exact optimum ``solution`` of plan ``p`` against the rule's fair shares, exactly.

    Awards and fair shares are in each lot's quantity (pence, or units at the lot's exact pence
    per unit); a lot without fair shares (its rule gives nothing) counts every award as moved.
    """
    moved = Fraction(0)
    least: Fraction | None = None
    for lot in p.lots:
        shares = solution.shares.get(lot.index)
        if shares is None:
            continue
        den = shares.denominator
        fair = lot.fair
        per = lot.unit_value
        if fair is None:
            moved += Fraction(sum(shares.numerators), den) * per
            continue
        fden = fair.denominator
        # |a/den − f/fden| summed over the lot, over the common denominator den·fden
        gap = 0
        for a, f in zip(shares.numerators, fair.numerators, strict=True):
            gap += abs(a * fden - f * den)
            if f > 0:
                ratio = Fraction(a * fden, den * f)
                if least is None or ratio < least:
                    least = ratio
        moved += Fraction(gap, den * fden) * per
    return Measure(moved=moved / 2, min_ratio=least)


def _money(pence: Fraction) -> Decimal:
    """Exact pence as pounds to the nearest penny (half to even)."""
    return (Decimal(pence.numerator) / Decimal(pence.denominator * 100)).quantize(
        _PENNY, rounding=ROUND_HALF_EVEN
    )


def _ratio(x: Fraction | None) -> Decimal | None:
    return None if x is None else (Decimal(x.numerator) / Decimal(x.denominator)).quantize(_Q6)


def active(problem: Problem, *, exclusions: bool = False, pools: bool = True) -> list[fam.Family]:
    """The side-constraint families ``problem`` switches on, in the registry's order.

    ``exclusions`` and ``pools`` say whether exclusions (which narrow eligibility) and pooled
    capacities (set by the data) count.
    """
    out = []
    for family in fam.FAMILIES:
        if family is fam.POOLED_CAPACITY:
            if pools and any(c.lot is None for c in problem.capacities):
                out.append(family)
        elif family is fam.EXCLUSIONS:
            if exclusions and family.is_on(problem.policy):
                out.append(family)
        elif family.is_on(problem.policy):
            out.append(family)
    return out


def without(problem: Problem, families: Iterable[fam.Family]) -> Problem:
    """``problem`` with each of ``families`` switched off."""
    chosen = list(families)
    off = {f.setting: f.off for f in chosen if f.setting is not None}
    out = problem.evolve(policy=problem.policy.model_copy(update=off)) if off else problem
    if fam.POOLED_CAPACITY in chosen:
        out = without_pools(out)
    return out


def prices(
    problem: Problem, with_all: Measure, optimum: Callable[[Problem], Measure | None]
) -> list[ConstraintPrice]:
    """Each side-constraint of ``problem``: its exact optimum against the one without it.

    ``with_all`` measures the optimum with every constraint in force; ``optimum`` solves a
    variant of the problem to its exact optimum and measures it (None when the variant has no
    allocation).  Figures are exact until stated: money to the nearest penny, ratios to six
    places, and a price is the difference of the exact movements, never below zero.
    """
    moved = _money(with_all.moved)
    out = []
    for family in active(problem):
        other = optimum(without(problem, [family]))
        out.append(
            ConstraintPrice(
                setting=family.setting or "pooled capacities",
                moved_from_rule=moved,
                moved_without=None if other is None else _money(other.moved),
                price=None
                if other is None
                else _money(max(with_all.moved - other.moved, Fraction(0))),
                min_ratio=_ratio(with_all.min_ratio),
                min_ratio_without=None if other is None else _ratio(other.min_ratio),
            )
        )
    return out


def without_pools(problem: Problem) -> Problem:
    """The problem with each pooled capacity declared in full on every lot it covers."""
    caps = [c.model_dump() for c in problem.capacities if c.lot is not None]
    have = {(c["member"], c["lot"]) for c in caps}
    for c in problem.capacities:
        if c.lot is not None:
            continue
        for lot in problem.lots:
            covered = (c.theme is None or lot.theme == c.theme) and (
                c.area is None or lot.area == c.area
            )
            if covered and (c.member, lot.id) not in have:
                caps.append({"member": c.member, "lot": lot.id, "amount": c.amount})
                have.add((c.member, lot.id))
    return problem.evolve(capacities=caps)
