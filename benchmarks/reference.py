"""The straightforward PuLP model of the allocation, as a baseline to measure against.

What a careful newcomer would write first, with the usual PuLP idioms: one variable per eligible
(member, lot) pair in raw pounds (no scaling), one level ``t``, and

    maximise t
    subject to  x_ij >= t * f_ij            for every eligible pair   (ratio to fair share)
                sum_i x_ij == pot_j         for every lot             (lot budget)
                0 <= x_ij <= cap_ij                                    (capacity)

solved once by HiGHS.  ``f_ij`` is the proportional rule's fair share ``pot_j * c_ij / sum_i c_ij``.
With only capacities and lot budgets the optimum is ``t = 1`` with every member at its fair share,
which is what :func:`allocate.solve` must also return.

The data preparation (eligibility, fair shares) is independent of :mod:`allocate`'s pipeline;
only the lot pots (lot value less the hub's top-slice) come from :mod:`allocate.topslice`, so
both sides split exactly the same money.  On unit-priced lots the model works in pounds too: a
capacity of ``u`` units is ``u`` times the pot's value per unit.  Side-constraints and pooled
capacities are not modelled (the baseline is only run on problems without them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import pulp

from allocate import Problem
from allocate.core.model import Membership
from allocate.pipeline.topslice import compute as top_slices

__all__ = ["Pair", "ReferenceData", "ReferenceResult", "prepare", "solve_reference"]


@dataclass(frozen=True, slots=True)
class Pair:
    member: str
    lot: str
    cap: float
    """Capacity in pounds of the lot's member pot."""
    fair: float
    """The proportional fair share in pounds."""


@dataclass
class ReferenceData:
    pairs: list[Pair]
    pots: dict[str, float]
    """Member pot of each lot, in pounds."""
    unit_value: dict[str, float]
    """Pounds of pot per unit on unit-priced lots (the rounding grain there)."""
    seconds: float = 0.0


@dataclass
class ReferenceResult:
    status: str
    level: float | None
    """The optimal ``t``: the smallest ratio of award to fair share."""
    awards: dict[tuple[str, str], float] = field(default_factory=dict)
    variables: int = 0
    constraints: int = 0
    prepare_seconds: float = 0.0
    build_seconds: float = 0.0
    solve_seconds: float = 0.0


def prepare(problem: Problem) -> ReferenceData:
    """Eligible pairs, capacities in pounds and proportional fair shares, in plain Python."""
    t0 = time.perf_counter()
    policy = problem.policy
    excluded = {(e.member, e.lot) for e in policy.exclusions if e.lot is not None}
    for e in policy.exclusions:
        if e.contract is not None:
            contract = next(c for c in problem.contracts if c.id == e.contract)
            excluded |= {(e.member, lot.id) for lot in contract.lots}
    members = {m.id: m for m in problem.members}
    lots = {lot.id: lot for c in problem.contracts for lot in c.lots}
    slices = top_slices(problem)
    pots: dict[str, Fraction] = {}
    for c in problem.contracts:
        for lot in c.lots:
            pots[lot.id] = Fraction(lot.value) - Fraction(
                slices[c.id].lot_amounts_pence[lot.id], 100
            )
    claims: dict[str, list[tuple[str, Fraction]]] = {lot_id: [] for lot_id in lots}
    unit_value: dict[str, float] = {}
    for cap in problem.capacities:
        if cap.lot is None:
            continue
        m = members[cap.member]
        lot = lots[cap.lot]
        ok = (
            m.membership is Membership.FULL
            and m.qa_passed
            and m.quality_score >= policy.quality_threshold
            and m.reporting_compliance >= policy.reporting_threshold
            and lot.theme in m.themes
            and lot.area in m.areas
            and (m.id, lot.id) not in excluded
        )
        if not ok:
            continue
        if lot.unit_price is not None:
            by_amount = int((cap.amount or 0) // lot.unit_price)
            units = cap.units if cap.units is not None else by_amount
            per_unit = pots[lot.id] / Fraction(lot.value / lot.unit_price)
            unit_value[lot.id] = float(per_unit)
            amount = units * per_unit
        else:
            amount = Fraction(cap.amount or 0)
        if amount > 0:
            claims[lot.id].append((m.id, amount))
    pairs: list[Pair] = []
    for lot_id, cl in claims.items():
        total = sum((a for _, a in cl), Fraction(0))
        for member_id, amount in cl:
            fair = pots[lot_id] * amount / total
            pairs.append(Pair(member_id, lot_id, float(amount), float(fair)))
    return ReferenceData(
        pairs=pairs,
        pots={k: float(v) for k, v in pots.items()},
        unit_value=unit_value,
        seconds=time.perf_counter() - t0,
    )


def solve_reference(data: ReferenceData, *, time_limit: float | None = None) -> ReferenceResult:
    """Build the straightforward model with PuLP and solve it once with HiGHS."""
    t0 = time.perf_counter()
    prob = pulp.LpProblem("reference", pulp.LpMaximize)
    t = prob.add_variable("t", lowBound=0)
    x = [prob.add_variable(f"x_{p.member}_{p.lot}", lowBound=0, upBound=p.cap) for p in data.pairs]
    prob += t
    by_lot: dict[str, list[pulp.LpVariable]] = {lot: [] for lot in data.pots}
    for p, var in zip(data.pairs, x, strict=True):
        by_lot[p.lot].append(var)
        prob += var >= p.fair * t, f"ratio_{p.member}_{p.lot}"
    for lot, pot in data.pots.items():
        prob += pulp.lpSum(by_lot[lot]) == pot, f"budget_{lot}"
    build = time.perf_counter() - t0
    solver = pulp.HiGHS(msg=False, timeLimit=time_limit)
    t1 = time.perf_counter()
    stats = prob.solve(solver)
    solve = time.perf_counter() - t1
    status = stats.status
    name = getattr(status, "name", str(status)).lower()
    result = ReferenceResult(
        status="optimal" if status == pulp.LpSolveStatus.Optimal else name,
        level=None,
        variables=prob.numVariables(),
        constraints=prob.numConstraints(),
        prepare_seconds=data.seconds,
        build_seconds=build,
        solve_seconds=solve,
    )
    if status == pulp.LpSolveStatus.Optimal:
        result.level = float(t.varValue or 0.0)
        result.awards = {
            (p.member, p.lot): float(var.varValue or 0.0)
            for p, var in zip(data.pairs, x, strict=True)
        }
    return result
