"""``solve()``: from a validated :class:`~allocate.Problem` to a verified allocation.

The data flow, one direction only (design.md)::

    Problem → eligibility → top-slice → fair shares (the rule, exactly)
            → which sub-contracts are made (minimum award, providers per area)
            → closed form, or the leximin LP (PuLP + HiGHS) with the side-constraints
            → exact rounding to pence / whole units → independent verification → Allocation

``method="auto"`` (the default) takes the closed form whenever it is provably the LP's optimum:
when nothing but capacities and lot budgets constrain the split, the leximin LP's optimum is every
claimant at exactly its fair share (see :mod:`allocate.formulation`), and the rule computes those
shares exactly.  ``method="lp"`` always builds and solves the programme (and must agree).

**Minimum award** (a sub-contract is made only if it is worth at least ``min_award``): the rule
decides which sub-contracts are made.  On each lot the smallest fair shares are dropped, one by
one in order of fair share (ties by member id), until the rule applied to the remaining members
gives each of them at least the minimum; the kept sub-contracts then have the minimum as a floor
in the programme.  **Providers per area**: where fewer than the required number of members would
receive an award in an area, the eligible members with the largest fair shares there are kept as
providers at the minimum award (at least a penny, or one unit).  Both decisions are reported in
the audit, member by member.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from allocate.core.apportion import ExactShares, from_floats, largest_remainder
from allocate.core.errors import SolverError
from allocate.core.model import Problem, WeightFactor
from allocate.core.outcome import Allocation, ConstraintPrice, Status
from allocate.core.rules import lot_shares
from allocate.pipeline import eligibility as elig
from allocate.pipeline import topslice
from allocate.pipeline.engine import (
    LeximinResult,
    LpSpec,
    choose_subcontracts,
    solve_by_components,
)

__all__ = ["LotPlan", "Plan", "fingerprint", "plan", "solve"]

Method = Literal["auto", "closed_form", "lp"]
#: The LP's answer is read as the rule's exact shares when every pair is this close (relative to
#: the lot) — far below a penny at any realistic lot size, far above the solver's noise.
SNAP_TOLERANCE = 1e-7


@dataclass
class LotPlan:
    """Everything about one lot that the solve needs, in exact integers."""

    index: int
    lot_id: str
    contract_id: str
    value: int
    """Lot value in pence."""
    top_slice: int
    """The hub's entitlement from this lot, in pence."""
    pot: int
    """Money for the members: value − top-slice, in pence."""
    units: int | None
    """Whole units the lot buys (unit-priced lots)."""
    members: list[int]
    """Indices of the eligible members, sorted by member id (the tie-break order)."""
    claims: list[int]
    """Their capacities, in the lot's quantity (pence, or units)."""
    fair: ExactShares | None = None
    """The rule's exact shares of the estate, with no side-constraint (None when capacity is
    short)."""
    open: list[bool] = field(default_factory=list)
    """Whether each member's sub-contract may be made (False: below the minimum award)."""
    floor: list[int] = field(default_factory=list)
    """Smallest award of each made sub-contract, in the lot's quantity (0: none)."""
    decisions: dict[int, str] = field(default_factory=dict)
    """Why a position was closed or given a floor, by position."""

    @property
    def estate(self) -> int:
        """What the members share, in the lot's quantity: pence, or units."""
        return self.units if self.units is not None else self.pot

    @property
    def unit_value(self) -> Fraction:
        """Pence of member pot per lot quantity (1 for money lots)."""
        return Fraction(self.pot, self.units) if self.units is not None else Fraction(1)

    @property
    def shortfall(self) -> int:
        """How much of the estate eligible capacity cannot absorb (0 when it can)."""
        return max(0, self.estate - sum(self.claims))

    def fair_share(self, pos: int) -> Fraction:
        """Exact fair share of a position, in the lot's quantity."""
        assert self.fair is not None
        return Fraction(self.fair.numerators[pos], self.fair.denominator)


@dataclass
class Plan:
    """The problem digested for solving: eligibility, top-slices, fair shares, decisions."""

    problem: Problem
    eligibility: elig.Eligibility
    top_slices: dict[str, topslice.ContractTopSlice]
    lots: list[LotPlan]
    pair_lot: list[int] = field(default_factory=list)
    pair_pos: list[int] = field(default_factory=list)
    pair_member: list[int] = field(default_factory=list)
    pair_open: list[bool] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        """Whether eligible capacity can absorb every lot (before side-constraints)."""
        return all(lot.shortfall == 0 for lot in self.lots)

    @property
    def needs_lp(self) -> bool:
        """Whether anything beyond capacities and lot budgets constrains the split."""
        policy = self.problem.policy
        return bool(policy.side_constraints) or bool(self.eligibility.pools)


def _factor(problem: Problem, member: int) -> Fraction:
    m = problem.members[member]
    f = problem.policy.weight_factor
    if f is WeightFactor.QUALITY_SCORE:
        value: float | None = m.quality_score
    elif f is WeightFactor.REPORTING_COMPLIANCE:
        value = m.reporting_compliance
    else:
        value = m.impact_score if m.impact_score is not None else 1.0
    return Fraction(repr(value))


def _shares(problem: Problem, estate: int, claims: list[int], members: list[int]) -> ExactShares:
    rule = problem.policy.rule
    factors = [_factor(problem, i) for i in members] if rule.is_weighted else None
    return lot_shares(rule.value, estate, claims, factors)


def _apply_min_award(problem: Problem, lot: LotPlan) -> None:
    """Close the smallest sub-contracts until every remaining fair share reaches the minimum."""
    policy = problem.policy
    if policy.min_award is None or lot.fair is None:
        return
    floor = _floor_in_quantity(lot, int(policy.min_award * 100))
    n = len(lot.members)
    order = sorted(range(n), key=lambda pos: (lot.fair_share(pos), pos))

    def ok(dropped: int) -> bool:
        keep = sorted(order[dropped:])
        claims = [lot.claims[pos] for pos in keep]
        if sum(claims) < lot.estate:
            return False
        shares = _shares(problem, lot.estate, claims, [lot.members[pos] for pos in keep])
        return all(Fraction(x, shares.denominator) >= floor for x in shares.numerators)

    if ok(0):
        dropped = 0
    else:
        lo, hi = 0, n  # ok(hi) may still be False: then keep as many as capacity needs
        while lo < hi:
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid + 1
        dropped = lo
        # never drop so many that the rest cannot absorb the lot
        while dropped > 0 and sum(lot.claims[pos] for pos in order[dropped:]) < lot.estate:
            dropped -= 1
    money = f"£{policy.min_award:,}"
    for pos in order[:dropped]:
        lot.open[pos] = False
        share = float(lot.fair_share(pos) * lot.unit_value) / 100
        lot.decisions[pos] = (
            f"no sub-contract: its fair share £{share:,.2f} is among the smallest, and the rule "
            f"cannot give it the minimum award {money}"
        )
    for pos in order[dropped:]:
        if lot.claims[pos] >= floor:
            lot.floor[pos] = floor
        else:
            lot.open[pos] = False
            lot.decisions[pos] = f"no sub-contract: its capacity is below the minimum award {money}"


def _floor_in_quantity(lot: LotPlan, pence: int) -> int:
    """The smallest award in the lot's quantity that is still worth ``pence`` after rounding."""
    if lot.units is None:
        return pence
    # money follows units to within a penny: ask for a penny more
    return max(1, math.ceil((pence + 1) / lot.unit_value)) if pence > 0 else 1


def _apply_min_providers(problem: Problem, p: Plan) -> None:
    """Keep at least k providers in every area where enough members are eligible.

    The k eligible members with the largest fair shares in the area (then the largest capacity,
    then the smallest id) each keep a sub-contract with a floor: the minimum award, or at least a
    penny (one unit on a unit-priced lot).  A floor that the rule's share already exceeds changes
    nothing; it only stops rounding or another condition from leaving the area short.
    """
    k = problem.policy.min_providers_per_area
    if k is None:
        return
    min_pence = int(problem.policy.min_award * 100) if problem.policy.min_award else 1
    areas: dict[str, list[LotPlan]] = {}
    for lot in p.lots:
        areas.setdefault(problem.lot_index[lot.lot_id][1].area, []).append(lot)
    for area, lots in sorted(areas.items()):
        best: dict[int, tuple[Fraction, int, int, int, LotPlan]] = {}
        for lot in lots:
            for pos, i in enumerate(lot.members):
                option = (
                    lot.fair_share(pos) * lot.unit_value if lot.fair else Fraction(0),
                    lot.claims[pos],
                    -lot.index,
                    pos,
                    lot,
                )
                if lot.claims[pos] >= _floor_in_quantity(lot, min_pence) and (
                    i not in best or option[:3] > best[i][:3]
                ):
                    best[i] = option
        ranked = sorted(
            best.items(), key=lambda kv: (-kv[1][0], -kv[1][1], problem.members[kv[0]].id)
        )
        for _, (share, _, _, pos, lot) in ranked[:k]:
            floor = _floor_in_quantity(lot, min_pence)
            kept_by_rule = lot.open[pos] and share >= floor * lot.unit_value
            lot.open[pos] = True
            lot.floor[pos] = max(lot.floor[pos], floor)
            if not kept_by_rule:
                lot.decisions[pos] = (
                    f"kept as a provider so that area {area!r} has {k} provider(s): at least "
                    f"£{min_pence / 100:,.2f}"
                )


def plan(problem: Problem) -> Plan:
    """Eligibility, top-slices, exact fair shares and sub-contract decisions for every lot."""
    t0 = time.perf_counter()
    eligibility = elig.assess(problem)
    t1 = time.perf_counter()
    slices = topslice.compute(problem)
    order = sorted(range(len(problem.members)), key=lambda i: problem.members[i].id)
    eligible = eligibility.eligible
    lots: list[LotPlan] = []
    j = 0
    for contract in problem.contracts:
        ts = slices[contract.id]
        for lot in contract.lots:
            row = eligible[j]
            members = [i for i in order if row[i]]
            caps = eligibility.capacity[j]
            value = int(lot.value * 100)
            top = ts.lot_amounts_pence[lot.id]
            lp = LotPlan(
                index=j,
                lot_id=lot.id,
                contract_id=contract.id,
                value=value,
                top_slice=top,
                pot=value - top,
                units=lot.units,
                members=members,
                claims=[int(caps[i]) for i in members],
                open=[True] * len(members),
                floor=[0] * len(members),
            )
            if lp.shortfall == 0:
                lp.fair = _shares(problem, lp.estate, lp.claims, members)
                _apply_min_award(problem, lp)
            lots.append(lp)
            j += 1
    p = Plan(problem=problem, eligibility=eligibility, top_slices=slices, lots=lots)
    if p.feasible:
        _apply_min_providers(problem, p)
    for planned in lots:
        for pos, i in enumerate(planned.members):
            p.pair_lot.append(planned.index)
            p.pair_pos.append(pos)
            p.pair_member.append(i)
            p.pair_open.append(planned.open[pos])
    t2 = time.perf_counter()
    p.timings = {"eligibility": t1 - t0, "fair_shares": t2 - t1}
    return p


def _reopen(p: Plan) -> None:
    """Make every sub-contract that can reach the minimum award a candidate again."""
    assert p.problem.policy.min_award is not None
    pence = int(p.problem.policy.min_award * 100)
    for lot in p.lots:
        floor = _floor_in_quantity(lot, pence)
        for pos, claim in enumerate(lot.claims):
            if claim >= floor:
                lot.open[pos] = True
                lot.floor[pos] = max(lot.floor[pos], floor)
                lot.decisions.pop(pos, None)
    p.pair_open = [p.lots[j].open[pos] for j, pos in zip(p.pair_lot, p.pair_pos, strict=True)]


def _close(p: Plan, made: list[bool]) -> None:
    """Apply the MILP's choice: sub-contracts not made are closed, with the reason."""
    for k, keep in enumerate(made):
        if keep or not p.pair_open[k]:
            continue
        lot = p.lots[p.pair_lot[k]]
        pos = p.pair_pos[k]
        lot.open[pos] = False
        lot.floor[pos] = 0
        p.pair_open[k] = False
        lot.decisions[pos] = (
            "no sub-contract: the minimum award cannot be met together with the other "
            "conditions; the choice of sub-contracts keeps as much of the fair shares as possible"
        )


def lp_spec(p: Plan) -> tuple[LpSpec, dict[str, Any]]:
    """Scale the plan into the LP: every quantity as a fraction of its lot's value."""
    from allocate.pipeline.constraints import side_rows

    ids = p.eligibility.member_ids
    caps: list[float] = []
    targets: list[float] = []
    floors: list[float] = []
    names: list[str] = []
    for k, j in enumerate(p.pair_lot):
        lot = p.lots[j]
        pos = p.pair_pos[k]
        scale = lot.unit_value / lot.value  # lot quantity -> fraction of lot value
        names.append(f"{ids[p.pair_member[k]]}:{lot.lot_id}")
        if p.pair_open[k]:
            caps.append(float(lot.claims[pos] * scale))
            floors.append(float(lot.floor[pos] * scale))
        else:
            caps.append(0.0)
            floors.append(0.0)
        targets.append(float(lot.fair_share(pos) * scale) if lot.fair is not None else 0.0)
    rows, info = side_rows(p)
    spec = LpSpec(
        lot_names=[lot.lot_id for lot in p.lots],
        pair_names=names,
        pair_lot=list(p.pair_lot),
        pair_cap=caps,
        pair_target=targets,
        hub_cap=[lot.top_slice / lot.value for lot in p.lots],
        pair_floor=floors,
        side_rows=rows,
    )
    return spec, {"rows": info}


@dataclass
class Solution:
    """Exact per-lot shares, in each lot's quantity, before rounding."""

    shares: dict[int, ExactShares]
    method: str
    lp: LeximinResult | None = None
    spec: LpSpec | None = None
    row_info: dict[str, Any] = field(default_factory=dict)
    snapped: bool = False


def _from_lp(p: Plan, res: LeximinResult, spec: LpSpec, info: dict[str, Any]) -> Solution:
    per_lot: dict[int, list[float]] = {lot.index: [0.0] * len(lot.members) for lot in p.lots}
    for k, j in enumerate(p.pair_lot):
        lot = p.lots[j]
        # back from a fraction of lot value to the lot's quantity
        per_lot[j][p.pair_pos[k]] = res.pair_values[k] * lot.value / float(lot.unit_value)
    shares: dict[int, ExactShares] = {}
    all_snapped = True
    for lot in p.lots:
        assert lot.fair is not None
        values = per_lot[lot.index]
        fair = lot.fair
        close = all(lot.open) and all(
            abs(v - n / fair.denominator) <= SNAP_TOLERANCE * max(lot.estate, 1)
            for v, n in zip(values, fair.numerators, strict=True)
        )
        if close:
            shares[lot.index] = fair
        else:
            all_snapped = False
            shares[lot.index] = from_floats(values)
    return Solution(
        shares=shares, method="lp", lp=res, spec=spec, row_info=info, snapped=all_snapped
    )


def solve(
    problem: Problem,
    *,
    method: Method = "auto",
    time_limit: float | None = None,
    solver_options: dict[str, Any] | None = None,
    verify: bool = True,
    diagnose: bool = True,
    price_constraints: bool | None = None,
) -> Allocation:
    """Allocate every contract of ``problem``: top-slice, awards and audit.

    Parameters
    ----------
    problem
        A validated problem (it is never modified).
    method
        ``"auto"`` (closed form when provably optimal, else the LP), ``"closed_form"`` or
        ``"lp"``.
    time_limit
        Seconds the solver may use in total (LP only).
    solver_options
        Extra HiGHS options (``{"presolve": "off"}`` ...).
    verify
        Re-check the rounded allocation independently (on by default; a failure raises
        :class:`~allocate.VerificationError`, never a silent wrong answer).
    diagnose
        When no allocation exists, compute the least relaxation of each condition that would
        make one (extra solves of the elastic programme).
    price_constraints
        Price each side-constraint in fairness terms by solving again without it (one extra solve
        per constraint).  ``None`` (default) does so for problems of up to 5,000 eligible pairs.

    Returns
    -------
    Allocation
        Always returned, also when no allocation exists: ``status`` says so, ``diagnosis``
        explains, and :meth:`~allocate.Allocation.raise_for_status` raises on request.

    Examples
    --------
    >>> from allocate.examples import example_dict
    >>> a = solve(Problem.model_validate(example_dict()))
    >>> a.status.value, str(a.top_slice), str(a.awards[0].amount)
    ('optimal', '100.00', '900.00')
    """
    from allocate.checks.verify import raise_on_failure
    from allocate.checks.verify import verify as verify_allocation
    from allocate.pipeline import audit

    if not isinstance(problem, Problem):
        raise TypeError(f"solve() takes a Problem, not {type(problem).__name__}")
    if method not in ("auto", "closed_form", "lp"):
        raise ValueError(f"method must be 'auto', 'closed_form' or 'lp', not {method!r}")
    t_start = time.perf_counter()
    p = plan(problem)
    timings = dict(p.timings)

    def finish(allocation: Allocation) -> Allocation:
        timings["total"] = time.perf_counter() - t_start
        allocation._timings = timings
        return allocation

    if not p.feasible:
        return finish(audit.build(p, status=Status.INFEASIBLE, awards=None, solution=None))
    if method == "closed_form" and p.needs_lp:
        raise ValueError(
            "method='closed_form' is only exact without side-constraints or pooled capacities; "
            f"this policy sets {', '.join(problem.policy.side_constraints) or 'pooled capacities'}"
        )
    has_floors = any(any(lot.floor) or not all(lot.open) for lot in p.lots)
    t0 = time.perf_counter()
    if method == "lp" or p.needs_lp or has_floors:
        spec, info = lp_spec(p)
        exact = None
        if method == "auto":
            # lots no side row touches, with every sub-contract open and no floor: their
            # programme's optimum is the rule's closed form (every ratio 1)
            exact = {lot.index for lot in p.lots if all(lot.open) and not any(lot.floor)} - {
                p.pair_lot[k] for row in spec.side_rows for k in row.coefficients
            }
        res = solve_by_components(
            spec, exact_lots=exact, time_limit=time_limit, solver_options=solver_options
        )
        if res.status == "infeasible" and problem.policy.min_award is not None:
            # the sub-contracts the rule chose conflict with another condition: choose which
            # to make, among every one that can reach the minimum, as a MILP; then solve again
            _reopen(p)
            spec, info = lp_spec(p)
            choice = choose_subcontracts(spec, time_limit=time_limit)
            if choice is not None:
                _close(p, choice)
                # the choice knows nothing of providers per area: keep them again
                _apply_min_providers(problem, p)
                p.pair_open = [
                    p.lots[j].open[pos] for j, pos in zip(p.pair_lot, p.pair_pos, strict=True)
                ]
                spec, info = lp_spec(p)
                res = solve_by_components(
                    spec, exact_lots=None, time_limit=time_limit, solver_options=solver_options
                )
        timings["build"] = res.build_seconds
        timings["solve"] = res.solve_seconds
        if res.status != "optimal":
            from allocate.pipeline.diagnosis import diagnose_lp

            diagnosis = None
            if res.status == "infeasible" and diagnose:
                t_d = time.perf_counter()
                diagnosis = diagnose_lp(p, spec, info)
                timings["diagnosis"] = time.perf_counter() - t_d
            return finish(
                audit.build(
                    p,
                    status=Status(res.status),
                    awards=None,
                    solution=None,
                    lp=res,
                    diagnosis=diagnosis,
                )
            )
        solution = _from_lp(p, res, spec, info)
    else:
        solution = Solution(
            shares={lot.index: lot.fair for lot in p.lots if lot.fair is not None},
            method="closed_form",
        )
        timings["solve"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    awards = round_awards(p, solution)
    timings["rounding"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    allocation = audit.build(p, status=Status.OPTIMAL, awards=awards, solution=solution)
    timings["audit"] = time.perf_counter() - t2
    if verify:
        t3 = time.perf_counter()
        checks = verify_allocation(problem, allocation)
        timings["verify"] = time.perf_counter() - t3
        raise_on_failure(checks)
        allocation = allocation.model_copy(
            update={"audit": allocation.audit.model_copy(update={"checks": checks})}
        )
    if price_constraints is None:
        price_constraints = len(p.pair_lot) <= 5000
    if price_constraints and solution.method == "lp" and p.needs_lp:
        t4 = time.perf_counter()
        prices = _prices(problem, allocation, time_limit, solver_options)
        timings["prices"] = time.perf_counter() - t4
        allocation = allocation.model_copy(
            update={"audit": allocation.audit.model_copy(update={"prices": prices})}
        )
    return finish(allocation)


def _prices(
    problem: Problem,
    allocation: Allocation,
    time_limit: float | None,
    solver_options: dict[str, Any] | None,
) -> list[ConstraintPrice]:
    """Each side-constraint against the allocation without it."""
    metrics = allocation.audit.metrics
    moved = metrics.moved_from_rule or Decimal(0)
    variants: list[tuple[str, Problem]] = []
    for setting in problem.policy.side_constraints:
        variants.append(
            (setting, problem.evolve(policy=problem.policy.model_copy(update={setting: None})))
        )
    if any(c.lot is None for c in problem.capacities):
        variants.append(("pooled capacities", _without_pools(problem)))
    out = []
    for setting, variant in variants:
        other = solve(
            variant,
            time_limit=time_limit,
            solver_options=solver_options,
            verify=False,
            diagnose=False,
            price_constraints=False,
        )
        ok = other.status.is_ok
        without = other.audit.metrics.moved_from_rule if ok else None
        out.append(
            ConstraintPrice(
                setting=setting,
                moved_from_rule=moved,
                moved_without=without,
                price=None if without is None else max(moved - without, Decimal(0)),
                min_ratio=metrics.min_ratio,
                min_ratio_without=other.audit.metrics.min_ratio if ok else None,
            )
        )
    return out


def _without_pools(problem: Problem) -> Problem:
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


@dataclass(frozen=True, slots=True)
class Rounded:
    """Whole awards of one lot: pence and (unit-priced lots) units, aligned with LotPlan.members."""

    pence: list[int]
    units: list[int] | None


class _RowGuard:
    """Keeps the side-constraints' sum bounds while rounding, lot by lot.

    Before each lot is rounded, a row's projected sum is what earlier lots were rounded to plus
    the solver's exact values for the lots still to come.  Largest-remainder rounding then skips
    a penny or unit that would push a ``<=`` row past its bound, and prefers one that a ``>=``
    row below its bound needs.
    """

    def __init__(self, p: Plan, solution: Solution) -> None:
        self.p = p
        self.rows: list[tuple[str, dict[int, float], int]] = []  # sense, weights, bound
        self.of_pair: dict[int, list[int]] = {}
        self.money: list[float] = [0.0] * len(p.pair_lot)
        spec, info = solution.spec, solution.row_info.get("rows", {})
        if spec is None or solution.lp is None:
            return
        for k, j in enumerate(p.pair_lot):
            self.money[k] = solution.lp.pair_values[k] * p.lots[j].value
        for row in spec.side_rows:
            if row.family == "case_mix" or row.name not in info:
                continue
            weights = {
                k: c * row.scale / p.lots[p.pair_lot[k]].value for k, c in row.coefficients.items()
            }
            r = len(self.rows)
            self.rows.append((row.sense, weights, info[row.name].bound_pence))
            for k in row.coefficients:
                self.of_pair.setdefault(k, []).append(r)
        self.sums = [sum(w * self.money[k] for k, w in ws.items()) for _, ws, _ in self.rows]
        self.index = {
            (j, pos): k for k, (j, pos) in enumerate(zip(p.pair_lot, p.pair_pos, strict=True))
        }

    def key(self, lot: LotPlan, shares: ExactShares) -> Callable[[int], tuple[int, int]] | None:
        """Ordering hint for the lot: 0 for positions a >= row needs, 1 otherwise.

        A ``>=`` row needs this lot's pennies (units) when, with the lot's shares rounded down,
        it would fall below its bound.
        """
        if not self.rows:
            return None
        per = float(lot.unit_value)
        floored = dict(enumerate(self.sums))
        for pos, num in enumerate(shares.numerators):
            k = self.index.get((lot.index, pos))
            if k is None:
                continue
            down = (num // shares.denominator) * per - self.money[k]
            for r in self.of_pair.get(k, ()):
                floored[r] = floored[r] + self.rows[r][1][k] * down
        # for each row short of its bound, the fewest positions (largest remainders first) whose
        # extra penny or unit makes up the shortfall
        preferred: set[int] = set()
        den = shares.denominator
        for r, (sense, weights, bound) in enumerate(self.rows):
            if sense != ">=" or floored[r] >= bound:
                continue
            members = [
                pos
                for pos in range(len(shares.numerators))
                if self.index.get((lot.index, pos)) in weights
            ]
            members.sort(key=lambda pos: (-(shares.numerators[pos] % den), pos))
            short = bound - floored[r]
            for pos in members:
                if short <= 0:
                    break
                preferred.add(pos)
                short -= weights[self.index[lot.index, pos]] * per

        def rank(pos: int) -> tuple[int, int]:
            return (0 if pos in preferred else 1, pos)

        return rank

    def allows(self, lot: LotPlan, pos: int, *, extra_pence: float) -> bool:
        k = self.index[lot.index, pos]
        for r in self.of_pair.get(k, ()):
            sense, weights, bound = self.rows[r]
            if sense == "<=" and self.sums[r] + weights[k] * extra_pence > bound:
                return False
        return True

    def settle(self, lot: LotPlan, pence: list[int]) -> None:
        """Replace the lot's exact values by its rounded ones in every row's sum."""
        for pos, value in enumerate(pence):
            k = self.index.get((lot.index, pos))
            if k is None:
                continue
            for r in self.of_pair.get(k, ()):
                self.sums[r] += self.rows[r][1][k] * (value - self.money[k])


def round_awards(p: Plan, solution: Solution) -> dict[int, Rounded]:
    """Round every lot's exact shares to whole pence and units (largest remainder).

    With side-constraints, the rounding keeps their sum bounds (see :class:`_RowGuard`).
    """
    out: dict[int, Rounded] = {}
    guard = _RowGuard(p, solution)
    for lot in p.lots:
        shares = solution.shares[lot.index]
        caps = [c if o else 0 for c, o in zip(lot.claims, lot.open, strict=True)]
        # a floor holds only for sub-contracts the solver made
        floors = [
            f if o and n >= f * shares.denominator * (1 - 1e-9) else 0
            for f, o, n in zip(lot.floor, lot.open, shares.numerators, strict=True)
        ]
        allow: Callable[[int], bool] | None = None
        if guard.rows:
            allow = functools.partial(guard.allows, lot, extra_pence=float(lot.unit_value))
        try:
            whole = largest_remainder(
                lot.estate,
                shares,
                caps=caps,
                floors=floors,
                prefer=guard.key(lot, shares),
                allow=allow,
            )
        except ValueError as exc:  # pragma: no cover - excluded by the feasibility check
            raise SolverError(
                f"lot {lot.lot_id!r}: cannot round the solver's shares: {exc}"
            ) from exc
        if lot.units is None:
            out[lot.index] = Rounded(pence=whole, units=None)
        else:
            money = largest_remainder(
                lot.pot, ExactShares(tuple(u * lot.pot for u in whole), lot.units)
            )
            out[lot.index] = Rounded(pence=money, units=whole)
        if guard.rows:
            guard.settle(lot, out[lot.index].pence)
    return out


def fingerprint(problem: Problem) -> str:
    """SHA-256 of the problem's canonical JSON: the same input always has the same print."""
    return hashlib.sha256(problem.model_dump_json().encode()).hexdigest()
