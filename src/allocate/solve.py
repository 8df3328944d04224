"""``solve()``: from a validated :class:`~allocate.Problem` to a verified allocation.

The data flow, one direction only (design.md)::

    Problem → eligibility → top-slice → fair shares (the rule, exactly)
            → closed form, or the leximin LP (PuLP + HiGHS)
            → exact rounding to pence / whole units → independent verification → Allocation

``method="auto"`` (the default) takes the closed form whenever it is provably the LP's optimum:
when nothing but capacities and lot budgets constrain the split, the leximin LP's optimum is every
claimant at exactly its fair share (see :mod:`allocate.formulation`), and the rule computes those
shares exactly.  ``method="lp"`` always builds and solves the programme (and must agree).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from allocate import eligibility as elig
from allocate import topslice
from allocate.exceptions import SolverError
from allocate.formulation import LeximinResult, LpSpec, solve_leximin
from allocate.model import Problem, Rule
from allocate.result import Allocation, Status
from allocate.rounding import ExactShares, from_floats, largest_remainder
from allocate.rules import water_fill

__all__ = ["LotPlan", "Plan", "plan", "solve"]

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
    """The rule's exact shares of the estate (None when capacity is short)."""

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


@dataclass
class Plan:
    """The problem digested for solving: eligibility, top-slices and per-lot fair shares."""

    problem: Problem
    eligibility: elig.Eligibility
    top_slices: dict[str, topslice.ContractTopSlice]
    lots: list[LotPlan]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        """Whether eligible capacity can absorb every lot."""
        return all(lot.shortfall == 0 for lot in self.lots)


def _weights(problem: Problem, claims: list[int]) -> list[int]:
    if problem.policy.rule is Rule.PROPORTIONAL:
        return claims
    raise ValueError(f"unsupported rule {problem.policy.rule!r}")  # pragma: no cover


def plan(problem: Problem) -> Plan:
    """Eligibility, top-slices and exact fair shares for every lot."""
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
            )
            if lp.shortfall == 0:
                lp.fair = water_fill(lp.estate, lp.claims, _weights(problem, lp.claims))
            lots.append(lp)
            j += 1
    t2 = time.perf_counter()
    return Plan(
        problem=problem,
        eligibility=eligibility,
        top_slices=slices,
        lots=lots,
        timings={"eligibility": t1 - t0, "fair_shares": t2 - t1},
    )


def _has_side_constraints(problem: Problem) -> bool:
    """Whether anything beyond capacities and lot budgets constrains the split."""
    return False


def _lp_spec(p: Plan) -> tuple[LpSpec, list[tuple[int, int]]]:
    """Scale the plan into the LP: every quantity as a fraction of its lot's value."""
    pair_lot: list[int] = []
    pair_names: list[str] = []
    caps: list[float] = []
    targets: list[float] = []
    index: list[tuple[int, int]] = []
    hub_cap: list[float] = []
    ids = p.eligibility.member_ids
    for lot in p.lots:
        assert lot.fair is not None
        scale = lot.unit_value / lot.value  # lot quantity -> fraction of lot value
        for pos, (i, c) in enumerate(zip(lot.members, lot.claims, strict=True)):
            pair_lot.append(lot.index)
            pair_names.append(f"{ids[i]}:{lot.lot_id}")
            caps.append(float(c * scale))
            targets.append(float(Fraction(lot.fair.numerators[pos], lot.fair.denominator) * scale))
            index.append((lot.index, pos))
        hub_cap.append(lot.top_slice / lot.value)
    spec = LpSpec(
        lot_names=[lot.lot_id for lot in p.lots],
        pair_names=pair_names,
        pair_lot=pair_lot,
        pair_cap=caps,
        pair_target=targets,
        hub_cap=hub_cap,
    )
    return spec, index


@dataclass
class Solution:
    """Exact per-lot shares, in each lot's quantity, before rounding."""

    shares: dict[int, ExactShares]
    method: str
    lp: LeximinResult | None = None
    snapped: bool = False


def _from_lp(p: Plan, res: LeximinResult, index: list[tuple[int, int]]) -> Solution:
    per_lot: dict[int, list[float]] = {lot.index: [0.0] * len(lot.members) for lot in p.lots}
    for k, (j, pos) in enumerate(index):
        lot = p.lots[j]
        # back from a fraction of lot value to the lot's quantity
        per_lot[j][pos] = res.pair_values[k] * lot.value / float(lot.unit_value)
    shares: dict[int, ExactShares] = {}
    all_snapped = True
    for lot in p.lots:
        assert lot.fair is not None
        values = per_lot[lot.index]
        fair = lot.fair
        close = all(
            abs(v - n / fair.denominator) <= SNAP_TOLERANCE * max(lot.estate, 1)
            for v, n in zip(values, fair.numerators, strict=True)
        )
        if close:
            shares[lot.index] = fair
        else:
            all_snapped = False
            shares[lot.index] = from_floats(values)
    return Solution(shares=shares, method="lp", lp=res, snapped=all_snapped)


def solve(
    problem: Problem,
    *,
    method: Method = "auto",
    time_limit: float | None = None,
    solver_options: dict[str, Any] | None = None,
    verify: bool = True,
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

    Returns
    -------
    Allocation
        Always returned, also when no allocation exists: ``status`` says so, ``diagnosis``
        explains, and :meth:`~allocate.Allocation.raise_for_status` raises on request.

    Examples
    --------
    >>> from allocate.model import _example_dict
    >>> a = solve(Problem.model_validate(_example_dict()))
    >>> a.status.value, str(a.top_slice), str(a.awards[0].amount)
    ('optimal', '100.00', '900.00')
    """
    from allocate import audit
    from allocate.verify import raise_on_failure
    from allocate.verify import verify as verify_allocation

    if not isinstance(problem, Problem):
        raise TypeError(f"solve() takes a Problem, not {type(problem).__name__}")
    if method not in ("auto", "closed_form", "lp"):
        raise ValueError(f"method must be 'auto', 'closed_form' or 'lp', not {method!r}")
    t_start = time.perf_counter()
    p = plan(problem)
    timings = dict(p.timings)
    if not p.feasible:
        allocation = audit.build(p, status=Status.INFEASIBLE, awards=None, solution=None)
        timings["total"] = time.perf_counter() - t_start
        allocation._timings = timings
        return allocation
    side = _has_side_constraints(problem)
    if method == "closed_form" and side:
        raise ValueError("method='closed_form' is only exact when no side-constraint is set")
    t0 = time.perf_counter()
    if method == "lp" or (method == "auto" and side):
        spec, index = _lp_spec(p)
        res = solve_leximin(spec, time_limit=time_limit, solver_options=solver_options)
        timings["build"] = res.build_seconds
        timings["solve"] = res.solve_seconds
        if res.status != "optimal":
            status = Status(res.status)
            allocation = audit.build(p, status=status, awards=None, solution=None, lp=res)
            timings["total"] = time.perf_counter() - t_start
            allocation._timings = timings
            return allocation
        solution = _from_lp(p, res, index)
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
    timings["total"] = time.perf_counter() - t_start
    allocation._timings = timings
    return allocation


@dataclass(frozen=True, slots=True)
class Rounded:
    """Whole awards of one lot: pence and (unit-priced lots) units, aligned with LotPlan.members."""

    pence: list[int]
    units: list[int] | None


def round_awards(p: Plan, solution: Solution) -> dict[int, Rounded]:
    """Round every lot's exact shares to whole pence and units (largest remainder)."""
    out: dict[int, Rounded] = {}
    for lot in p.lots:
        shares = solution.shares[lot.index]
        try:
            whole = largest_remainder(lot.estate, shares, caps=lot.claims)
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
    return out


def fingerprint(problem: Problem) -> str:
    """SHA-256 of the problem's canonical JSON: the same input always has the same print."""
    return hashlib.sha256(problem.model_dump_json().encode()).hexdigest()
