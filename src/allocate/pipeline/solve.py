"""``solve()``: from a validated :class:`~allocate.Problem` to a verified allocation.

This module only orchestrates; each step lives in its own module, in the order the data flows::

    Problem → planning: eligibility → top-slice → fair shares (the rule, exactly)
                        → sub-contract decisions (minimum award, providers per area)
              (a sub-tendered lot: its competition, whose awards are the lot's targets)
            → formulation → engine (the leximin LP, PuLP + HiGHS), or the closed form
            → rounding to pence / whole units → verification (allocate.checks)
            → audit (and diagnosis, prices) → Allocation

``method="auto"`` (the default) takes the closed form whenever it is provably the LP's optimum:
when nothing but capacities and lot budgets constrain the split, the leximin LP's optimum is
every claimant at exactly its fair share (see :mod:`allocate.pipeline.engine`), and the rule
computes those shares exactly.  ``method="lp"`` always builds and solves the programme (and must
agree).  See ``docs/architecture.md`` for the layers and the data between the steps.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

from allocate.checks.verify import raise_on_failure
from allocate.checks.verify import verify as verify_allocation
from allocate.core.certificate import Certificate
from allocate.core.model import Problem
from allocate.core.money import format_money
from allocate.core.outcome import Allocation, Deferred, Diagnosis, SolverError, Status
from allocate.pipeline import audit
from allocate.pipeline.certify import (
    closed_form_certificate,
    farkas_words,
    infeasibility_certificate,
    leximin_certificate,
    shortfall_certificate,
)
from allocate.pipeline.choice import candidates, choose_subcontracts
from allocate.pipeline.diagnosis import (
    capacity_shortfall,
    diagnose_lp,
    least_relaxation,
    no_whole_pence,
    rounding_stopped,
    solver_stopped,
    tender_unsettled,
    whole_undecided,
)
from allocate.pipeline.engine import solve_by_components
from allocate.pipeline.formulation import ease, lp_spec, solution_from_lp
from allocate.pipeline.infeasibility import decide, proof_tree
from allocate.pipeline.plan import (
    LeximinResult,
    LpSpec,
    Method,
    Plan,
    Rounded,
    RowInfo,
    Solution,
)
from allocate.pipeline.planning import plan
from allocate.pipeline.prices import Measure, measure, prices
from allocate.pipeline.repair import RepairTimeLimitError
from allocate.pipeline.rounding import round_awards
from allocate.pipeline.subcontracts import (
    close,
    decisions_of,
    floor_in_quantity,
    keep_providers,
    min_provider_pence,
    provider_areas,
    release_providers,
    reopen,
    restore_decisions,
)
from allocate.pipeline.tender import close_reserve, retender, retender_rounds

__all__ = ["exact_measure", "solve"]

#: Why a sub-contract is not made, under the choice of a whole allocation the search found.
WITNESS_CLOSED = (
    "no sub-contract: with the minimum award, the rule's choice of sub-contracts and the choice "
    "MILP's admit an allocation only in fractions of a penny or a unit; a search over every "
    "choice found this one, which admits an allocation in whole pence and units without it"
)

#: Above this many eligible pairs, side-constraints are not priced unless asked for.
PRICE_PAIRS = 5000


@dataclass
class _Run:
    """One call of :func:`solve`: its options and the seconds each stage took."""

    problem: Problem
    method: Method
    time_limit: float | None
    solver_options: dict[str, Any] | None
    verify: bool = True
    certify: bool = True
    start: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)

    def finish(self, allocation: Allocation) -> Allocation:
        self.timings["total"] = time.perf_counter() - self.start
        return allocation.with_timings(self.timings)


def solve(
    problem: Problem,
    *,
    method: Method = "auto",
    time_limit: float | None = None,
    solver_options: dict[str, Any] | None = None,
    verify: bool = True,
    diagnose: bool = True,
    price_constraints: bool | None = None,
    certificate: bool = True,
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
        Seconds the solver may use (LP only): for the leximin stages, and again for the exact
        rounding repair's integer programmes; a repair out of time gives status ``time_limit``
        with no awards.
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
    certificate
        Attach the leximin optimality certificate (:attr:`Allocation.certificate`), which
        :func:`allocate.check_certificate` verifies without a solver (on by default).

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
    if not isinstance(problem, Problem):
        raise TypeError(f"solve() takes a Problem, not {type(problem).__name__}")
    if method not in ("auto", "closed_form", "lp"):
        raise ValueError(f"method must be 'auto', 'closed_form' or 'lp', not {method!r}")
    run = _Run(problem, method, time_limit, solver_options, verify, certificate)
    p = plan(problem)
    run.timings.update(p.timings)
    if not p.feasible:
        short = _unsolved(p, Status.INFEASIBLE, capacity_shortfall(p))
        cert = _unconditional(run, p, shortfall_certificate(p)) if run.certify else None
        return run.finish(_with_farkas(short, cert))
    if method == "closed_form" and p.needs_lp:
        raise ValueError(
            "method='closed_form' is only exact without side-constraints or pooled capacities; "
            f"this policy sets {', '.join(problem.policy.side_constraints) or 'pooled capacities'}"
        )
    found = _exact(run, p, diagnose)
    if isinstance(found, Allocation):
        return run.finish(found)
    allocation, found = _audited(run, p, found, choose=True)
    if price_constraints is None:
        price_constraints = len(p.pair_lot) <= PRICE_PAIRS
    if price_constraints and found.method == "lp" and p.needs_lp:
        allocation = _with_prices(run, allocation, measure(p, found))
    return run.finish(allocation)


def _exact(run: _Run, p: Plan, diagnose: bool) -> Solution | Allocation:
    """The exact optimum of a feasible plan before rounding, or the allocation saying why none.

    The closed form when it is provably the programme's optimum, else the leximin programme
    (with the sub-contract choice and a sub-tender's pass-down rounds).
    """
    t0 = time.perf_counter()
    if not (run.method == "lp" or p.needs_lp or p.has_floors):
        solution = Solution(
            shares={lot.index: lot.fair for lot in p.lots if lot.fair is not None},
            method="closed_form",
        )
        run.timings["solve"] = time.perf_counter() - t0
        return solution
    spec, info, res = _solve_programme(run, p)
    run.timings["build"] = res.build_seconds
    run.timings["solve"] = res.solve_seconds
    if res.status is not Status.OPTIMAL:
        return _not_solved(run, p, spec, info, res, diagnose)
    solution = solution_from_lp(p, res, spec, info)
    if not p.tenders:
        return solution
    # a tender winner a side-constraint held back: the rest passes down the ranking, one
    # held winner (at least) per round, so the rounds are bounded by the qualifying bids
    for _ in range(retender_rounds(p)):
        if not (retender(p, solution) or close_reserve(p)):
            return solution
        spec, info, res = _solve_programme(run, p)
        if res.status is not Status.OPTIMAL:
            return _not_solved(run, p, spec, info, res, diagnose)
        solution = solution_from_lp(p, res, spec, info)
    return _unsolved(p, Status.SOLVER_ERROR, tender_unsettled(p))


def _solve_programme(run: _Run, p: Plan) -> tuple[LpSpec, dict[str, RowInfo], LeximinResult]:
    """Formulate and solve the leximin programme; choose the sub-contracts when floors conflict."""
    spec, info, res = _programme(run, p, closed_forms=run.method == "auto")
    # the sub-contracts and providers the rule chose conflict with another condition: choose
    # them, among every one that can reach the minimum, as a MILP; then solve again
    if res.status is Status.INFEASIBLE and _chooses(run.problem) and _choose(run, p):
        spec, info, res = _programme(run, p)
    return spec, info, res


def _programme(
    run: _Run, p: Plan, *, closed_forms: bool = False
) -> tuple[LpSpec, dict[str, RowInfo], LeximinResult]:
    """The leximin programme under the plan's decisions, formulated and solved as it stands.

    With ``closed_forms``, lots no side row touches, with every sub-contract open and no floor,
    are taken at the rule's closed form, their programme's proven optimum (every ratio 1).
    """
    spec, info = lp_spec(p)
    exact = None
    if closed_forms:
        exact = {lot.index for lot in p.lots if all(lot.open) and not any(lot.floor)} - {
            p.pair_lot[k] for row in spec.side_rows for k in row.coefficients
        }
    res = solve_by_components(
        spec,
        exact_lots=exact,
        time_limit=run.time_limit,
        solver_options=run.solver_options,
    )
    return spec, info, res


def _chooses(problem: Problem) -> bool:
    """Whether the policy makes sub-contract decisions a choice could change."""
    policy = problem.policy
    return policy.min_award is not None or policy.min_providers_per_area is not None


def _choose(run: _Run, p: Plan) -> bool:
    """Re-make the sub-contract choice by the MILP, among every candidate; whether one was made.

    When the MILP finds none, the plan's decisions are left as they were.
    """
    before = decisions_of(p)
    among, areas, least = candidates(p)
    choice = choose_subcontracts(
        among, time_limit=run.time_limit, areas=areas, provider_floor=least
    )
    if choice is None:
        # no choice keeps every condition: the rule's decisions stand, and so does the
        # verdict on them (the diagnosis explains it)
        restore_decisions(p, before)
        return False
    made, kept = choice
    close(p, made)
    keep_providers(p, kept)
    p.sync_open()
    return True


def _leximin(run: _Run, p: Plan) -> Solution | LeximinResult:
    """The leximin programme's exact solution under the plan's decisions, or the engine's result."""
    spec, info, res = _programme(run, p)
    return solution_from_lp(p, res, spec, info) if res.status is Status.OPTIMAL else res


def _whole_choice(run: _Run, p: Plan) -> tuple[Solution, dict[int, Rounded]] | Allocation:
    """An allocation in whole pence under another sub-contract choice, or the exact verdict.

    Called when the plan's choice admits no whole-number point.  First the choice MILP's choice
    among every candidate; then the branch and bound over every choice and every whole number
    (:func:`~allocate.pipeline.infeasibility.decide`): its witness's choice (made where it
    awards anything, the rest closed; its providers kept) holds a whole point within the
    repair's widest window, so rounding under it succeeds.  Otherwise the tree's proof makes the
    answer infeasible, or its limit makes it infeasible *not proved* (the diagnosis says so).
    """
    before = decisions_of(p)
    if _choose(run, p):
        solution = _leximin(run, p)
        if isinstance(solution, Solution):
            awards = round_awards(p, solution, time_limit=run.time_limit)
            if awards is not None:
                return solution, awards
    restore_decisions(p, before)
    t0 = time.perf_counter()
    decision = decide(p, time_limit=run.time_limit)
    run.timings["proof_tree"] = time.perf_counter() - t0
    if decision.witness is None:
        if decision.certificate is None:
            return _unsolved(p, Status.INFEASIBLE, whole_undecided(decision.stopped))
        none = _unsolved(p, Status.INFEASIBLE, no_whole_pence(p))
        return _with_farkas(none, decision.certificate if run.certify else None)
    _apply_witness(p, decision.witness)
    solution = _leximin(run, p)
    if not isinstance(solution, Solution):
        if solution.status is Status.INFEASIBLE:
            raise SolverError(
                "the leximin programme was reported infeasible under a sub-contract choice that "
                "holds an allocation in whole pence (checked exactly): the solver is wrong"
            )
        return _unsolved(p, solution.status, solver_stopped(solution), solution)
    awards = round_awards(p, solution, time_limit=run.time_limit)
    if awards is None:
        raise SolverError(
            "the rounding repair found no whole-number point under a sub-contract choice whose "
            "widest window holds one (checked exactly): the integer solver is wrong"
        )
    return solution, awards


def _apply_witness(p: Plan, whole: list[int]) -> None:
    """Decide the sub-contracts as a whole allocation does: made where it awards, else closed.

    Under a providers-per-area policy, each area keeps as providers the first members (by
    pair) whose award reaches a provider's least, as many as the area needs.
    """
    release_providers(p)
    if p.problem.policy.min_award is not None:
        reopen(p)
        close(p, [q > 0 for q in whole], WITNESS_CLOSED)
    kept: set[int] = set()
    if p.problem.policy.min_providers_per_area is not None:
        areas, _ = provider_areas(p)
        pence = min_provider_pence(p.problem)

        def provides(k: int) -> bool:
            return whole[k] >= floor_in_quantity(p.lots[p.pair_lot[k]], pence)

        for need, members in areas:
            # each member's first pair whose award reaches a provider's least, if any
            firsts = [next((k for k in pairs if provides(k)), None) for pairs in members]
            kept.update([k for k in firsts if k is not None][:need])
    keep_providers(p, kept)
    p.sync_open()


def _unsolved(
    p: Plan, status: Status, diagnosis: Diagnosis, lp: LeximinResult | None = None
) -> Allocation:
    return audit.build(p, status=status, awards=None, solution=None, lp=lp, diagnosis=diagnosis)


def _not_solved(
    run: _Run,
    p: Plan,
    spec: LpSpec,
    info: dict[str, RowInfo],
    res: LeximinResult,
    diagnose: bool,
) -> Solution | Allocation:
    """The allocation of a programme the engine did not solve, with the diagnosis.

    An "infeasible" is trusted only with a certificate: the elastic programme's least relaxation
    of at least a whole penny.  When it needs less (the rows conflict only within the solver's
    tolerance), the programme is solved again with every side row eased by a penny, and the
    rounding then keeps every row exactly at its true bound (or finds, by the exact integer
    check, that no allocation in whole pence does).
    """
    if res.status is not Status.INFEASIBLE:
        return _unsolved(p, res.status, solver_stopped(res), res)
    t_d = time.perf_counter()
    least, elastic = least_relaxation(p, spec)
    if least != 0:
        diagnosis = (
            diagnose_lp(p, spec, info) if diagnose else Diagnosis(summary=_no_allocation(least))
        )
        run.timings["diagnosis"] = time.perf_counter() - t_d
        cert = (
            _unconditional(run, p, infeasibility_certificate(p, spec, elastic))
            if run.certify
            else None
        )
        return _with_farkas(_unsolved(p, res.status, diagnosis, res), cert)
    eased = solve_by_components(
        ease(spec),
        time_limit=run.time_limit,
        solver_options=run.solver_options,
    )
    if eased.status is not Status.OPTIMAL:
        return _unsolved(p, eased.status, solver_stopped(eased), eased)
    return solution_from_lp(p, eased, spec, info)


def _unconditional(run: _Run, p: Plan, cert: Certificate | None) -> Certificate | None:
    """A certificate that no allocation exists for any sub-contract choice, in whole pence.

    ``cert`` (a combination under the plan's choice) when it states no choice; else the proof
    tree (:func:`allocate.pipeline.infeasibility.proof_tree`), and ``cert`` when the tree finds
    no proof within its limits.
    """
    if cert is not None and not (cert.choice.made or cert.choice.closed):
        return cert
    t0 = time.perf_counter()
    tree = proof_tree(p, time_limit=run.time_limit)
    run.timings["proof_tree"] = time.perf_counter() - t0
    return tree if tree is not None else cert


def _with_farkas(allocation: Allocation, cert: Certificate | None) -> Allocation:
    """An infeasible allocation with its certificate, which its diagnosis then refers to."""
    if cert is None:
        return allocation
    diagnosis = allocation.diagnosis
    if diagnosis is not None:
        diagnosis = diagnosis.model_copy(
            update={"messages": [*diagnosis.messages, farkas_words(cert)]}
        )
    return allocation.model_copy(update={"certificate": cert, "diagnosis": diagnosis})


def _no_allocation(least: int | None) -> str:
    if least is None:
        return "no allocation satisfies every condition (not diagnosed)"
    return (
        "no allocation satisfies every condition: the least relaxation is "
        f"{format_money(least, pence=True)} (not diagnosed)"
    )


def _round_and_audit(run: _Run, p: Plan, solution: Solution) -> Allocation:
    """Round to whole pence and units, build the audit, and verify independently.

    The plan's sub-contract choice is kept (a review's least movement depends on it).
    """
    return _audited(run, p, solution, choose=False)[0]


def _audited(
    run: _Run, p: Plan, solution: Solution, *, choose: bool
) -> tuple[Allocation, Solution]:
    """:func:`_round_and_audit`, and the exact solution the awards round.

    With ``choose``, when the plan's choice has no whole-number point, another sub-contract
    choice's (:func:`_whole_choice`), or the exact verdict that none has one.
    """
    t1 = time.perf_counter()
    try:
        awards = round_awards(p, solution, time_limit=run.time_limit)
        if awards is None and choose and _chooses(run.problem) and not p.tenders:
            t_c = time.perf_counter()
            found = _whole_choice(run, p)
            run.timings["whole_choice"] = time.perf_counter() - t_c
            if isinstance(found, Allocation):
                run.timings["rounding"] = time.perf_counter() - t1
                return found, solution
            solution, awards = found
    except RepairTimeLimitError as stopped:
        run.timings["rounding"] = time.perf_counter() - t1
        return _unsolved(
            p, Status.TIME_LIMIT, rounding_stopped(str(stopped)), solution.lp
        ), solution
    run.timings["rounding"] = time.perf_counter() - t1
    if awards is None:
        none = _unsolved(p, Status.INFEASIBLE, no_whole_pence(p), solution.lp)
        return _with_farkas(none, _unconditional(run, p, None) if run.certify else None), solution
    t2 = time.perf_counter()
    allocation = audit.build(p, status=Status.OPTIMAL, awards=awards, solution=solution)
    run.timings["audit"] = time.perf_counter() - t2
    if run.certify:
        # made when first read (a dump, check_certificate): the stage duals are kept for it
        if solution.lp is not None and solution.spec is not None:
            make = functools.partial(leximin_certificate, p, solution.spec, solution.lp, awards)
        else:
            make = functools.partial(closed_form_certificate, p)
        allocation = allocation.model_copy(update={"certificate": Deferred(make)})
    if not run.verify:
        return allocation, solution
    t3 = time.perf_counter()
    checks = verify_allocation(run.problem, allocation)
    run.timings["verify"] = time.perf_counter() - t3
    raise_on_failure(checks)
    audited = allocation.audit.model_copy(update={"checks": checks})
    return allocation.model_copy(update={"audit": audited}), solution


def _with_prices(run: _Run, allocation: Allocation, with_all: Measure) -> Allocation:
    """The allocation with the price of each side-constraint in its audit.

    Each family switched off is solved to its exact optimum (no rounding, audit, verification or
    diagnosis: :mod:`allocate.pipeline.prices` says why), under the same method and limits.
    """
    t4 = time.perf_counter()
    optimum = functools.partial(
        exact_measure,
        method=run.method,
        time_limit=run.time_limit,
        solver_options=run.solver_options,
    )
    found = prices(run.problem, with_all, optimum)
    run.timings["prices"] = time.perf_counter() - t4
    return allocation.model_copy(
        update={"audit": allocation.audit.model_copy(update={"prices": found})}
    )


def exact_measure(
    problem: Problem,
    *,
    method: Method = "auto",
    time_limit: float | None = None,
    solver_options: dict[str, Any] | None = None,
) -> Measure | None:
    """``problem``'s exact optimum, before rounding, measured against the rule's fair shares.

    What a price compares (:mod:`allocate.pipeline.prices`); None when no allocation exists.
    """
    run = _Run(problem, method, time_limit, solver_options, verify=False, certify=False)
    p = plan(problem)
    if not p.feasible:
        return None
    found = _exact(run, p, diagnose=False)
    return None if isinstance(found, Allocation) else measure(p, found)
