"""Reallocation at a review: delivered work stays, the remaining value is allocated again.

The steps, in the order the data flows::

    version reviewed + ReviewInput
      → delivered pence per award (units × the members' pence per unit on unit-priced lots)
      → the problem of what remains (remaining_problem): each lot's members' pot less what was
        delivered, each capacity less its delivery (cut further by the review policy), leavers
        and members with no new work excluded by name, joiners added, top-slice 0 (the hub's
        top-slice was taken when the allocation was made and does not change)
      → the leximin programme on it (pipeline.solve's own steps), then the second objective:
        with every claimant held at the level it was frozen at, the least money moved away
        from the awards as made (least_movement), then exact rounding, audit and verification
      → the new version: delivered + remaining, re-checked against the whole problem

Because every claimant is held at its frozen level, the second objective never costs anyone
fairness; it decides only what the leximin levels leave open (pairs the rule gives nothing,
which the engine otherwise settles by least total; and, with the rounding, the pennies).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from allocate.checks.verify import verify
from allocate.core.errors import Issue, ProblemError
from allocate.core.model import Capacity, Contract, Exclusion, Lot, Problem, TopSlicePolicy
from allocate.core.money import format_money
from allocate.core.outcome import Allocation, Award, Check, ContractResult, Status
from allocate.core.review import (
    Delivery,
    OutcomeAction,
    Reallocation,
    RemainingCapacity,
    ReviewInput,
    ReviewLimits,
    ReviewRow,
    TradeDecision,
    Version,
    check_review,
    fingerprint_of,
)
from allocate.pipeline.formulation import solution_from_lp
from allocate.pipeline.milp import ArrayModel
from allocate.pipeline.plan import LeximinResult, LpSpec, Plan
from allocate.pipeline.planning import plan
from allocate.pipeline.solve import (
    _chooses,
    _round_and_audit,
    _Run,
    _solve_programme,
    _whole_choice,
    solve,
)

__all__ = [
    "VersionState",
    "delivered_pence",
    "joined_problem",
    "least_movement",
    "reallocate",
    "remaining_problem",
    "review_limits",
    "solve_least_movement",
    "state_of",
]

#: Slack, in fractions of a lot's value, allowed under a claimant's frozen level (the engine's
#: own answer meets its level only to the solver's tolerance).
LEVEL_SLACK = 1e-9


@dataclasses.dataclass(frozen=True)
class VersionState:
    """A version of an allocation: the awards, the contracts as made, and where it stands."""

    awards: list[Award]
    contracts: list[ContractResult]
    version: Version
    left: tuple[str, ...] = ()
    limits: ReviewLimits | None = None
    """The last review's remaining capacities and no-new-work members (None: no review yet)."""


def state_of(problem: Problem, current: Allocation | Reallocation | TradeDecision) -> VersionState:
    """The version ``current`` stands for: its awards, contracts, number and members who left.

    An allocation is version 1 (the allocation as made); a reallocation or an approved trade's
    decision is the version it made.  Raises ``ValueError`` when ``current`` made no version to
    build on: an allocation or a reallocation whose status is not ok (no awards), or a refused
    trade (its awards are those of the version it was refused on: build on that one instead).
    """
    if isinstance(current, Allocation):
        if not current.status.is_ok:
            raise ValueError(f"the allocation has status {current.status.value}: nothing to review")
        version = Version(
            number=1,
            revises=None,
            kind="allocation",
            fingerprint=fingerprint_of(problem),
            label="as made",
        )
        return VersionState(list(current.awards), list(current.contracts), version)
    if isinstance(current, Reallocation):
        if not current.status.is_ok:
            raise ValueError(f"the reallocation has status {current.status.value}: no new version")
        return VersionState(
            list(current.awards),
            list(current.contracts),
            current.version,
            tuple(current.left),
            current.limits,
        )
    if current.version is None:
        raise ValueError("the trade was refused: it made no version")
    return VersionState(
        list(current.awards),
        list(current.contracts),
        current.version,
        tuple(current.left),
        current.limits,
    )


def _lot_top_slices(contracts: list[ContractResult]) -> dict[str, int]:
    return {lot: int(amount * 100) for c in contracts for lot, amount in c.lot_top_slices.items()}


def _pence_per_unit(problem: Problem, lot: Lot, top_slice: int) -> int:
    """The members' pence per unit of a unit-priced lot; whole pence or a ProblemError."""
    assert lot.units is not None
    pot = int(lot.value * 100) - top_slice
    if pot % lot.units:
        raise ProblemError(
            [
                Issue(
                    "lot",
                    f"the members' pot of unit-priced lot {lot.id!r} "
                    f"({format_money(pot, pence=True)} over {lot.units} units) is not a whole "
                    "number of pence per unit: its remaining value cannot be re-allocated "
                    "exactly in whole units",
                    lot.id,
                    str(lot.value),
                )
            ]
        )
    return pot // lot.units


def delivered_pence(
    problem: Problem, contracts: list[ContractResult], deliveries: Iterable[Delivery]
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """Delivered pence and units per (member, lot) (units only on unit-priced lots)."""
    top = _lot_top_slices(contracts)
    money: dict[tuple[str, str], int] = {}
    units: dict[tuple[str, str], int] = {}
    for d in deliveries:
        lot = problem.lot_index[d.lot][1]
        if d.units is not None:
            units[d.member, d.lot] = d.units
            if d.units:
                money[d.member, d.lot] = d.units * _pence_per_unit(problem, lot, top[lot.id])
            else:
                money[d.member, d.lot] = 0
        else:
            assert d.amount is not None
            money[d.member, d.lot] = int(d.amount * 100)
    return money, units


def joined_problem(problem: Problem, review: ReviewInput) -> Problem:
    """The problem with the review's joiners (and their capacities) added."""
    if not review.joined:
        return problem
    return problem.evolve(
        members=[*problem.members, *(j.member for j in review.joined)],
        capacities=[*problem.capacities, *(c for j in review.joined for c in j.capacities)],
    )


def _covers(cap: Capacity | RemainingCapacity, lot: Lot) -> bool:
    if cap.lot is not None:
        return cap.lot == lot.id
    return (cap.theme is None or cap.theme == lot.theme) and (
        cap.area is None or cap.area == lot.area
    )


def remaining_problem(
    problem: Problem,
    state: VersionState,
    review: ReviewInput,
) -> tuple[Problem | None, dict[str, str]]:
    """The problem of what remains after ``review`` of ``state``, and each member's reason.

    ``problem`` already holds the joiners (:func:`joined_problem`).  None when nothing remains.
    """
    delivered, _ = delivered_pence(problem, state.contracts, review.deliveries)
    top = _lot_top_slices(state.contracts)
    left = set(state.left) | set(review.left)
    outcome = {o.member: o.outcome for o in review.outcomes}
    why: dict[str, str] = {}
    barred: dict[str, str] = {}
    for m in sorted(left):
        barred[m] = why[m] = f"left the consortium (by {review.label}): delivered work kept"
    for m, o in outcome.items():
        action = review.policy.action(o)
        if m in left:
            continue
        if action is OutcomeAction.NO_NEW_WORK:
            barred[m] = why[m] = f"review outcome {o.value}: no new work until a review is passed"
        elif action is OutcomeAction.DELIVERY_RATE:
            why[m] = f"review outcome {o.value}: capacity cut to its demonstrated delivery rate"
    for j in review.joined:
        why[j.member.id] = f"joined the consortium at {review.label}"
    contracts: list[Contract] = []
    unit_price: dict[str, int] = {}
    kept_lots: dict[str, Lot] = {}
    for c in problem.contracts:
        lots: list[Lot] = []
        for lot in c.lots:
            pot = int(lot.value * 100) - top[lot.id]
            rest = pot - sum(v for (_, lid), v in delivered.items() if lid == lot.id)
            if rest <= 0:
                continue
            changes: dict[str, object] = {"value": Decimal(rest) / 100}
            if lot.units is not None:
                unit_price[lot.id] = _pence_per_unit(problem, lot, top[lot.id])
                changes["unit_price"] = Decimal(unit_price[lot.id]) / 100
            new = lot.model_copy(update=changes)
            lots.append(new)
            kept_lots[lot.id] = new
        if lots:
            value = sum((lot.value for lot in lots), Decimal(0))
            contracts.append(c.model_copy(update={"lots": tuple(lots), "value": value}))
    if not contracts:
        return None, why
    kept_contracts = {c.id for c in contracts}
    capacities = [
        cap
        for cap, _, covered in _capacities_left(problem, state, review)
        if any(lot_id in kept_lots for lot_id in covered)
    ]
    exclusions = [
        ex
        for ex in problem.policy.exclusions
        if (ex.lot is not None and ex.lot in kept_lots)
        or (ex.contract is not None and ex.contract in kept_contracts)
    ]
    for m, reason in sorted(barred.items()):
        exclusions += [
            Exclusion(member=m, contract=c, reason=reason) for c in sorted(kept_contracts)
        ]
    remaining = Problem.model_validate(
        {
            **problem.model_dump(),
            "name": f"{problem.name or 'problem'}: what remains after {review.label}",
            "contracts": [c.model_dump() for c in contracts],
            "capacities": [c.model_dump() for c in capacities],
            "top_slice": TopSlicePolicy(
                max_rate=problem.top_slice.max_rate,
                target_rate=min(problem.top_slice.target_rate, problem.top_slice.max_rate),
                rate=Decimal(0),
            ).model_dump(),
            "policy": problem.policy.model_copy(
                update={"exclusions": tuple(exclusions)}
            ).model_dump(),
        }
    )
    return remaining, why


def _capacities_left(
    problem: Problem, state: VersionState, review: ReviewInput
) -> list[tuple[Capacity, RemainingCapacity, list[str]]]:
    """Each capacity as ``review`` leaves it, with its record and the ids of the lots it covers.

    Remaining capacity is the capacity less its member's delivery on the lots it covers; a
    ``delivery_rate`` outcome cuts it further to ``⌊delivered × (1 − elapsed) / elapsed⌋``
    (pence, or units).  Members who left keep theirs here (they are excluded by name).
    """
    delivered, delivered_units = delivered_pence(problem, state.contracts, review.deliveries)
    left = set(state.left) | set(review.left)
    outcome = {o.member: o.outcome for o in review.outcomes}
    elapsed = Fraction(review.elapsed)
    out: list[tuple[Capacity, RemainingCapacity, list[str]]] = []
    for cap in problem.capacities:
        covered = [lot.id for lot in problem.lots if _covers(cap, lot)]
        used = sum(delivered.get((cap.member, lot_id), 0) for lot_id in covered)
        given = outcome.get(cap.member)
        rate_cut = (
            given is not None
            and cap.member not in left
            and review.policy.action(given) is OutcomeAction.DELIVERY_RATE
        )
        reason = "capacity less delivery"
        if rate_cut:
            assert given is not None
            reason = (
                f"review outcome {given.value} at {review.label}: cut to its demonstrated "
                f"delivery rate (delivered × (1 − {review.elapsed}) / {review.elapsed})"
            )
        units_done: int | None = None
        units_left: int | None = None
        amount_left: Decimal | None = None
        if cap.units is not None:
            units_done = delivered_units.get((cap.member, cap.lot or ""), 0)
            units = cap.units - units_done
            if rate_cut:
                units = min(units, math.floor(units_done * (1 - elapsed) / elapsed))
            cut = rate_cut and units < cap.units - units_done
            units_left = max(units, 0)
            remaining = cap.model_copy(update={"units": units_left})
        else:
            assert cap.amount is not None
            amount = int(cap.amount * 100) - used
            if rate_cut:
                amount = min(amount, math.floor(used * (1 - elapsed) / elapsed))
            cut = rate_cut and amount < int(cap.amount * 100) - used
            amount_left = _money(max(amount, 0))
            remaining = cap.model_copy(update={"amount": Decimal(max(amount, 0)) / 100})
        record = RemainingCapacity(
            member=cap.member,
            lot=cap.lot,
            theme=cap.theme,
            area=cap.area,
            delivered=_money(used),
            remaining=amount_left,
            units_delivered=units_done,
            units_remaining=units_left,
            cut=cut,
            reason=reason if cut or not rate_cut else f"{reason}: no cut below it",
        )
        out.append((remaining, record, covered))
    return out


def review_limits(problem: Problem, state: VersionState, review: ReviewInput) -> ReviewLimits:
    """The remaining capacities and no-new-work members ``review`` leaves, for later trades.

    ``problem`` already holds the joiners (:func:`joined_problem`).  Members who have left are
    not listed (a trade to one is refused as ``left``).
    """
    left = set(state.left) | set(review.left)
    barred = sorted(
        o.member
        for o in review.outcomes
        if o.member not in left and review.policy.action(o.outcome) is OutcomeAction.NO_NEW_WORK
    )
    return ReviewLimits(
        review=review.label,
        capacities=[
            record
            for _, record, _ in _capacities_left(problem, state, review)
            if record.member not in left
        ],
        no_new_work=barred,
    )


def least_movement(
    p: Plan, spec: LpSpec, res: LeximinResult, reference: dict[int, float]
) -> tuple[LeximinResult, str]:
    """The second objective: every claimant at its frozen level, the least money moved.

    ``reference`` gives, per pair index, the award as made in the lot's quantity (pence or
    units).  Minimises Σ |y − reference| in money (each lot's fraction times its value), keeping
    every row of ``spec``, each claimant at its frozen level (within :data:`LEVEL_SLACK` either
    side) and the pairs the rule gives
    nothing at most what the engine gave them in total.  Returns the engine's own answer, with a
    note saying so, when HiGHS does not solve it to optimality.
    """
    n = len(spec.pair_names)
    if n == 0:
        return res, "nothing to move"
    m = ArrayModel()
    floors = spec.pair_floor or [0.0] * n
    biggest = max(lot.value for lot in p.lots)
    ys: list[int] = []
    for k in range(n):
        cap = max(0.0, spec.pair_cap[k])
        low = min(floors[k], cap)
        high = cap
        level = res.pair_level[k]
        if not math.isnan(level):
            frozen = level * spec.pair_target[k]
            low = max(low, min(res.pair_values[k], frozen) - LEVEL_SLACK)
            # held above as well: a claimant's leximin award is unique, and the slack left
            # open on one side only lets hundreds of claimants' slack flow to one of them
            high = min(cap, max(res.pair_values[k], frozen) + LEVEL_SLACK)
        low = min(max(low, 0.0), cap)
        ys.append(m.var(low, max(high, low)))
    for j in range(len(spec.lot_names)):
        pairs = [k for k in range(n) if spec.pair_lot[k] == j]
        room = 1.0 - spec.hub_cap[j]
        if pairs:
            m.row([ys[k] for k in pairs], [1.0] * len(pairs), room, room)
    for row in spec.side_rows:
        cols = [ys[k] for k in row.coefficients]
        coefs = list(row.coefficients.values())
        lower = row.rhs if row.sense in (">=", "==") else -math.inf
        upper = row.rhs if row.sense in ("<=", "==") else math.inf
        m.row(cols, coefs, lower, upper)
    zero = [k for k in range(n) if math.isnan(res.pair_level[k]) and spec.pair_cap[k] > 0]
    if zero:
        most = sum(res.pair_values[k] for k in zero) + LEVEL_SLACK * len(zero)
        m.row([ys[k] for k in zero], [1.0] * len(zero), -math.inf, most)
    for k in range(n):
        lot = p.lots[spec.pair_lot[k]]
        r = reference.get(k, 0.0) * float(lot.unit_value) / lot.value
        d = m.var(0.0, math.inf, cost=lot.value / biggest)
        m.row([ys[k], d], [1.0, -1.0], -math.inf, r)
        m.row([ys[k], d], [1.0, 1.0], r, math.inf)
    status = m.solve()
    if status is not Status.OPTIMAL:
        return res, f"second objective not applied (HiGHS: {status.value}); leximin answer kept"
    values = [m.values[y] for y in ys]
    activity = {
        row.name: sum(c * values[k] for k, c in row.coefficients.items()) for row in spec.side_rows
    }
    note = (
        "least money moved from the awards as made, with every claimant held at its leximin level"
    )
    return dataclasses.replace(res, pair_values=values, side_activity=activity), note


def solve_least_movement(
    problem: Problem,
    reference: dict[tuple[str, str], int],
    *,
    time_limit: float | None = None,
) -> tuple[Allocation, str]:
    """``solve(problem)`` with the second objective: least movement from ``reference``.

    ``reference`` gives the award as made per (member, lot), in the lot's quantity.  When no
    allocation exists, :func:`allocate.solve`'s own answer (with its diagnosis) is returned.
    """
    # no certificate: the answer is the least-movement programme's, which the leximin stages'
    # duals do not prove, and the reallocation publishes none
    run = _Run(problem, "lp", time_limit, None, verify=True, certify=False)
    p = plan(problem)
    if not p.feasible:
        return solve(problem, price_constraints=False), "no allocation exists"
    spec, info, res = _solve_programme(run, p)
    if res.status is not Status.OPTIMAL:
        return solve(problem, method="lp", price_constraints=False), "no allocation exists"
    ids = p.eligibility.member_ids
    ref = {
        k: float(reference.get((ids[p.pair_member[k]], p.lots[j].lot_id), 0))
        for k, j in enumerate(p.pair_lot)
    }
    moved, note = least_movement(p, spec, res, ref)
    allocation = _round_and_audit(run, p, solution_from_lp(p, moved, spec, info))
    if allocation.status is Status.INFEASIBLE and _chooses(problem) and not p.tenders:
        # the sub-contracts kept hold no allocation in whole pence: another choice may, as in
        # solve; least movement is then measured under that choice
        return _another_choice(run, p, ref)
    return run.finish(allocation), note


def _another_choice(run: _Run, p: Plan, ref: dict[int, float]) -> tuple[Allocation, str]:
    """The review under another sub-contract choice, when the plan's has no whole point.

    :func:`~allocate.pipeline.solve._whole_choice` re-makes the choice (the choice MILP, else
    the branch and bound's witness) or proves that none has an allocation in whole pence.
    Under its choice the least-movement programme is solved and rounded; should that have no
    whole point, the leximin allocation the choice was found with stands, and the note says so.
    """
    found = _whole_choice(run, p)
    if isinstance(found, Allocation):
        return run.finish(found), "no allocation exists"
    solution, _ = found
    assert solution.spec is not None
    assert solution.lp is not None
    moved, note = least_movement(p, solution.spec, solution.lp, ref)
    why = "the sub-contracts as the rule chose them hold no allocation in whole pence"
    allocation = _round_and_audit(
        run, p, solution_from_lp(p, moved, solution.spec, solution.row_info)
    )
    if allocation.status is Status.OPTIMAL:
        return run.finish(allocation), f"{note}, under another sub-contract choice ({why})"
    allocation = _round_and_audit(run, p, solution)
    return run.finish(allocation), (
        f"the leximin allocation under another sub-contract choice ({why}); least movement "
        "would have no allocation in whole pence under it, so none was sought"
    )


def _money(pence: int) -> Decimal:
    return (Decimal(pence) / 100).quantize(Decimal("0.01"))


def reallocate(
    problem: Problem,
    current: Allocation | Reallocation | TradeDecision,
    review: ReviewInput,
    *,
    time_limit: float | None = None,
) -> Reallocation:
    """Review ``current`` and re-allocate what remains (see the module's docstring).

    ``problem`` is the problem as it stands before the review (with the joiners of earlier
    reviews).  Raises :class:`~allocate.ProblemError` when the review does not fit the version.
    """
    state = state_of(problem, current)
    check_review(problem, state.awards, review, state.left)
    whole = joined_problem(problem, review)
    delivered, delivered_units = delivered_pence(whole, state.contracts, review.deliveries)
    remaining, why = remaining_problem(whole, state, review)
    before = {(a.member, a.lot): a for a in state.awards}
    reference_q: dict[tuple[str, str], int] = {}
    for key, a in before.items():
        if a.units is not None:
            reference_q[key] = a.units - delivered_units.get(key, 0)
        else:
            reference_q[key] = int(a.amount * 100) - delivered.get(key, 0)
    after: dict[tuple[str, str], tuple[int, int | None]] = {}
    note = "nothing remains to allocate"
    status = Status.OPTIMAL
    diagnosis = None
    if remaining is not None:
        rest, note = solve_least_movement(remaining, reference_q, time_limit=time_limit)
        status, diagnosis = rest.status, rest.diagnosis
        after = {(a.member, a.lot): (int(a.amount * 100), a.units) for a in rest.awards}
    version = Version(
        number=state.version.number + 1,
        revises=state.version.number,
        kind="reallocation",
        fingerprint=fingerprint_of(problem, state.version, review),
        label=review.label,
    )
    left = sorted(set(state.left) | set(review.left))
    if not status.is_ok:
        return Reallocation(
            status=status,
            version=version,
            elapsed=review.elapsed,
            contracts=state.contracts,
            awards=state.awards,
            rows=[],
            moved=Decimal(0),
            least_movement=note,
            left=left,
            checks=[],
            diagnosis=diagnosis,
        )
    awards, rows, moved = _combine(whole, before, delivered, delivered_units, after, why)
    checks = _whole_checks(whole, state.contracts, awards)
    limits = review_limits(whole, state, review)
    return Reallocation(
        status=status,
        version=version,
        elapsed=review.elapsed,
        contracts=state.contracts,
        awards=awards,
        rows=rows,
        moved=_money(moved),
        least_movement=note,
        left=left,
        checks=checks,
        limits=limits,
        diagnosis=None,
    )


def _combine(
    problem: Problem,
    before: dict[tuple[str, str], Award],
    delivered: dict[tuple[str, str], int],
    delivered_units: dict[tuple[str, str], int],
    after: dict[tuple[str, str], tuple[int, int | None]],
    why: dict[str, str],
) -> tuple[list[Award], list[ReviewRow], int]:
    keys = set(before) | set(after) | {k for k, v in delivered.items() if v}
    order = {lot.id: n for n, lot in enumerate(problem.lots)}
    awards: list[Award] = []
    rows: list[ReviewRow] = []
    moved = 0
    for member, lot_id in sorted(keys, key=lambda k: (order[k[1]], k[0])):
        contract = problem.lot_index[lot_id][0].id
        made = before.get((member, lot_id))
        made_p = int(made.amount * 100) if made else 0
        made_u = made.units if made else None
        done = delivered.get((member, lot_id), 0)
        done_u = delivered_units.get((member, lot_id), 0 if made_u is not None else None)
        rest_p, rest_u = after.get((member, lot_id), (0, None))
        unit_lot = problem.lot_index[lot_id][1].is_unit_priced
        total_p = done + rest_p
        total_u = ((done_u or 0) + (rest_u or 0)) if unit_lot else None
        change = rest_p - (made_p - done)
        moved += abs(change)
        if total_p or (total_u or 0):
            awards.append(
                Award(
                    member=member,
                    lot=lot_id,
                    contract=contract,
                    amount=_money(total_p),
                    units=total_u,
                )
            )
        rows.append(
            ReviewRow(
                member=member,
                lot=lot_id,
                contract=contract,
                as_made=_money(made_p),
                delivered=_money(done),
                remaining_before=_money(made_p - done),
                remaining_after=_money(rest_p),
                award=_money(total_p),
                moved=_money(change),
                units_as_made=made_u if unit_lot else None,
                units_delivered=done_u if unit_lot else None,
                units_after=total_u,
                reason=_reason(member, change, why),
            )
        )
    return awards, rows, moved


def _reason(member: str, change: int, why: dict[str, str]) -> str:
    if member in why:
        return why[member]
    if change == 0:
        return "no change: on track"
    if change > 0:
        return (
            f"{format_money(change, pence=True)} more: remaining value re-allocated under the rule "
            "(work others will not deliver)"
        )
    return (
        f"{format_money(-change, pence=True)} less: remaining value re-allocated under the rule "
        "on remaining capacities"
    )


def _whole_checks(
    problem: Problem, contracts: list[ContractResult], awards: list[Award]
) -> list[Check]:
    """Every condition but the rule's fair shares, on the version as a whole."""
    as_allocation = _as_allocation(problem, contracts, awards)
    return [c for c in verify(problem, as_allocation) if c.name != "fair_share"]


def _as_allocation(
    problem: Problem, contracts: list[ContractResult], awards: list[Award]
) -> Allocation:
    """A version's awards as an :class:`Allocation` of ``problem``, for the verification only.

    :func:`allocate.checks.verify` reads the awards and the contracts' top-slices, nothing else.
    """
    return Allocation.model_construct(
        status=Status.OPTIMAL,
        problem_name=problem.name,
        rule=problem.policy.rule.value,
        contracts=contracts,
        awards=awards,
        audit=None,  # type: ignore[arg-type]  # verify never reads it
        diagnosis=None,
    )
