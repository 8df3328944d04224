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
capacity of ``u`` units is ``u`` times the pot's value per unit.

**With side-constraints** (:func:`prepare_planned`) the baseline is the straightforward
alternative to leximin a user would write instead: the same single ``max t`` model, plus the
same side rows, solved once.  Here it does not re-derive the problem on its own; it shares with
:mod:`allocate`, and only shares:

* the plan (:func:`allocate.pipeline.planning.plan`): eligibility, top-slices, the rule's exact
  fair shares, and the sub-contract decisions (which pairs are closed by the minimum award, the
  floors of those made and of the providers an area keeps);
* the side rows of :func:`allocate.pipeline.formulation.lp_spec`, read in their exact form
  (``SideRow.weights`` on awards in pence and ``SideRow.bound`` in pence) and written here in
  pounds: share caps, dependency limits, the ring-fence, case mix, pooled capacities;
* when the rule's decisions leave that model infeasible under a minimum award or providers per
  area, the same choice of sub-contracts :func:`allocate.solve` then makes (its MILP,
  :func:`allocate.pipeline.choice.choose_subcontracts`, through the same public steps), timed
  apart as ``decisions``.

The model itself (variables in raw pounds, one ``t``, ratio rows ``x ≥ t·f`` on every open pair
with a positive fair share, lot budgets, bounds ``floor ≤ x ≤ capacity``, the side rows, one
HiGHS solve with PuLP's defaults) is built here with plain PuLP, no scaling, no progressive
filling: its optimum ``t`` is the max-min level, which must equal ``allocate``'s first leximin
stage (``audit.solver.worst_ratio``) on the same instance.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pulp

from allocate import Problem
from allocate.core.model import Membership
from allocate.pipeline.topslice import compute as top_slices

__all__ = [
    "Pair",
    "ReferenceData",
    "ReferenceResult",
    "Row",
    "prepare",
    "prepare_planned",
    "solve_reference",
    "solve_side",
]


@dataclass(frozen=True, slots=True)
class Pair:
    member: str
    lot: str
    cap: float
    """Capacity in pounds of the lot's member pot."""
    fair: float
    """The rule's fair share in pounds (proportional in :func:`prepare`)."""
    floor: float = 0.0
    """The least award of a sub-contract that is made, in pounds (0: none)."""


@dataclass(frozen=True, slots=True)
class Row:
    """A side row in pounds: ``Σ coef · x[pair] (sense) rhs``."""

    name: str
    family: str
    terms: tuple[tuple[int, float], ...]
    """(index into ``ReferenceData.pairs``, coefficient)."""
    sense: str
    rhs: float


@dataclass
class ReferenceData:
    pairs: list[Pair]
    pots: dict[str, float]
    """Member pot of each lot, in pounds."""
    unit_value: dict[str, float]
    """Pounds of pot per unit on unit-priced lots (the rounding grain there)."""
    seconds: float = 0.0
    rows: list[Row] = field(default_factory=list)
    """Side rows (only from :func:`prepare_planned`)."""
    source: str = "independent"
    """``independent`` (:func:`prepare`) or ``allocate plan`` (:func:`prepare_planned`)."""


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
    decisions: str = "rule"
    """Whose sub-contract decisions the model used: ``rule`` or ``milp`` (see the module)."""
    decision_seconds: float = 0.0
    """Time spent reaching the MILP's decisions: the first (infeasible) solve and the MILP."""


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
    x = [
        prob.add_variable(f"x_{p.member}_{p.lot}", lowBound=min(p.floor, p.cap), upBound=p.cap)
        for p in data.pairs
    ]
    prob += t
    by_lot: dict[str, list[pulp.LpVariable]] = {lot: [] for lot in data.pots}
    for p, var in zip(data.pairs, x, strict=True):
        by_lot[p.lot].append(var)
        if p.fair > 0 and p.cap > 0:
            prob += var >= p.fair * t, f"ratio_{p.member}_{p.lot}"
    for lot, pot in data.pots.items():
        prob += pulp.lpSum(by_lot[lot]) == pot, f"budget_{lot}"
    for row in data.rows:
        expr = pulp.lpSum(c * x[k] for k, c in row.terms)
        if row.sense == "<=":
            prob += expr <= row.rhs, row.name
        elif row.sense == ">=":
            prob += expr >= row.rhs, row.name
        else:
            prob += expr == row.rhs, row.name
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


# -- with side-constraints: the same single max-min model over allocate's own rows -----------


def prepare_planned(problem: Problem, the_plan: Any = None) -> ReferenceData:
    """Pairs, fair shares, floors and side rows in pounds, from :mod:`allocate`'s own plan.

    ``the_plan`` is a plan already made (after a sub-contract choice); by default
    :func:`allocate.pipeline.planning.plan` is called here (and timed).
    """
    from allocate.pipeline.formulation import lp_spec
    from allocate.pipeline.planning import plan

    t0 = time.perf_counter()
    p = plan(problem) if the_plan is None else the_plan
    spec, _ = lp_spec(p)
    ids = p.eligibility.member_ids
    pairs: list[Pair] = []
    where: dict[int, int] = {}  # the plan's pair index -> index into pairs
    for k, j in enumerate(p.pair_lot):
        if not p.pair_open[k]:
            continue  # a sub-contract not made receives nothing
        lot = p.lots[j]
        pos = p.pair_pos[k]
        pounds = lot.unit_value / 100  # pounds per unit of the lot's quantity (pence or units)
        fair = lot.fair_share(pos) * pounds if lot.fair is not None else Fraction(0)
        where[k] = len(pairs)
        pairs.append(
            Pair(
                ids[p.pair_member[k]],
                lot.lot_id,
                cap=float(lot.claims[pos] * pounds),
                fair=float(fair),
                floor=float(lot.floor[pos] * pounds),
            )
        )
    rows = [
        Row(
            name=row.name,
            family=row.family,
            # exact weights on awards in pence: the same weights on pounds, the bound / 100
            terms=tuple((where[k], float(w)) for k, w in row.weights.items() if k in where),
            sense=row.sense,
            rhs=float(row.bound / 100),
        )
        for row in spec.side_rows
    ]
    return ReferenceData(
        pairs=pairs,
        pots={lot.lot_id: lot.pot / 100 for lot in p.lots},
        unit_value={
            lot.lot_id: float(lot.unit_value / 100) for lot in p.lots if lot.units is not None
        },
        seconds=time.perf_counter() - t0,
        rows=rows,
        source="allocate plan",
    )


def _milp_plan(problem: Problem, time_limit: float | None) -> Any:
    """The plan with the sub-contracts and providers :func:`allocate.solve` chooses by MILP.

    The same public steps :func:`allocate.solve` takes when the rule's decisions leave the
    programme infeasible; None when no choice keeps every condition (the rule's stand).
    """
    from allocate.pipeline.choice import candidates, choose_subcontracts
    from allocate.pipeline.planning import plan
    from allocate.pipeline.subcontracts import close, keep_providers

    p = plan(problem)
    among, areas, least = candidates(p)
    choice = choose_subcontracts(among, time_limit=time_limit, areas=areas, provider_floor=least)
    if choice is None:
        return None
    made, kept = choice
    close(p, made)
    keep_providers(p, kept)
    p.sync_open()
    return p


def solve_side(
    problem: Problem, *, time_limit: float | None = None
) -> tuple[ReferenceData, ReferenceResult]:
    """The straightforward max-min model with allocate's side rows, on the same decisions.

    One model, one solve; only when the rule's sub-contract decisions leave it infeasible under
    a minimum award or providers per area is it rebuilt once on the MILP's decisions, as
    :func:`allocate.solve` does (the first solve and the MILP are timed as ``decisions``).
    """
    data = prepare_planned(problem)
    result = solve_reference(data, time_limit=time_limit)
    policy = problem.policy
    choosing = policy.min_award is not None or policy.min_providers_per_area is not None
    if result.status != "infeasible" or not choosing:
        return data, result
    t0 = time.perf_counter()
    chosen = _milp_plan(problem, time_limit)
    if chosen is None:
        return data, result
    spent = result.build_seconds + result.solve_seconds + time.perf_counter() - t0
    data = prepare_planned(problem, chosen)
    result = solve_reference(data, time_limit=time_limit)
    result.decisions = "milp"
    result.decision_seconds = spent
    return data, result
