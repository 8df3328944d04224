"""The price of each side-constraint: the allocation with it against the allocation without it.

:func:`active` lists the side-constraint families a problem switches on and :func:`without`
gives the problem with some of them switched off (a policy value to its ``off`` value from the
registry, :mod:`allocate.core.families`; pooled capacities declared in full on every lot they
cover).  :func:`prices` re-solves once per family, through the ``resolve`` callable it is given
(the orchestrator passes :func:`allocate.pipeline.solve.solve`, so this step imports no step
above it), and reports what each costs in money moved from the rule and in the worst ratio.
:func:`allocate.scenarios.constraint_prices` builds its scenarios from the same :func:`active`
families and off values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from allocate.core import families as fam
from allocate.core.model import Problem
from allocate.core.outcome import Allocation, ConstraintPrice

__all__ = ["active", "prices", "without", "without_pools"]


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
    problem: Problem, allocation: Allocation, resolve: Callable[[Problem], Allocation]
) -> list[ConstraintPrice]:
    """Each side-constraint of ``problem`` against ``allocation`` re-solved without it.

    ``resolve`` solves a variant of the problem (without verification, diagnosis or prices of
    its own).
    """
    metrics = allocation.audit.metrics
    moved = metrics.moved_from_rule or Decimal(0)
    out = []
    for family in active(problem):
        other = resolve(without(problem, [family]))
        ok = other.status.is_ok
        moved_without = other.audit.metrics.moved_from_rule if ok else None
        out.append(
            ConstraintPrice(
                setting=family.setting or "pooled capacities",
                moved_from_rule=moved,
                moved_without=moved_without,
                price=None if moved_without is None else max(moved - moved_without, Decimal(0)),
                min_ratio=metrics.min_ratio,
                min_ratio_without=other.audit.metrics.min_ratio if ok else None,
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
