r"""Assertion helpers: check any allocation against its problem, independently of the solver.

Every helper recomputes its conditions from the :class:`~allocate.Problem` and the
:class:`~allocate.Allocation` alone, with its own straightforward code (it shares nothing with the
solve pipeline but the input model and the exact rules of :mod:`allocate.rules`), so a consortium
system that embeds ``allocate`` — or post-processes its allocations — can hold the result to the
documented conditions in its own tests.

A failed helper raises :class:`AllocationAssertionError` (an :class:`AssertionError`) that lists
*every* failed condition by its documented name, and ends with the problem as JSON: save it as
``problem.json`` and ``allocate solve problem.json`` replays the case.

Conditions (:data:`CONDITIONS`; the names follow :func:`allocate.verify`):

==========================  =====================================================================
``status``                  the status is ``optimal`` or ``infeasible``; an infeasible allocation
                            has no awards and a diagnosis
``budget_balance``          awards plus top-slice equal every contract's and lot's value exactly;
                            the lot top-slices add up to the contract's
``top_slice_cap``           no top-slice above ``max_rate`` × value (nor below zero)
``top_slice_method``        each top-slice equals its method's rate × value rounded down to the
                            penny, and is spread over the lots in proportion to lot value (each
                            lot within a penny of its exact part)
``non_negative``            no negative award; every listed award is positive
``capacity``                no award above the declared capacity on its lot (money, or units);
                            awards over a pooled capacity's lots within the pool
``eligibility``             awards only to eligible members: full, QA passed, above the
                            thresholds, delivering the lot's theme in its area, with capacity,
                            not excluded (nor, with ``policy.full_cost_recovery``, paid less
                            than their declared full cost)
``whole_units``             on unit-priced lots whole units that add up to the lot's units, the
                            money within a penny of the units' share of the pot; no units
                            elsewhere
``fair_share``              with no side-constraint and no pooled capacity, every award within
                            one penny (one unit on unit-priced lots) of the rule's exact share
``min_award``               every award is 0 or at least ``min_award``
``max_member_share``        per contract and across the portfolio, no member above its share cap
``max_dependency``          no member's total above ``max_dependency`` × its annual income
``small_org_share``         members in ``small_org_bands`` receive at least their ring-fence of
                            every contract's member total
``case_mix``                ``|h − R·w| ≤ τ·w`` for every member and service with both client
                            groups, up to one penny (one unit's price on unit-priced lots)
                            per lot of the service (rounding)
``min_providers_per_area``  at least ``min(k, members eligible there)`` providers in every area
``cash_flow``               every member's peak working capital (the cash-flow forecast of
                            :mod:`allocate.core.cashflow`) within ``max_reserves_share`` × its
                            reserves
``full_cost``               with ``policy.full_cost_recovery``, every award at least its full
                            cost: ``⌈κ·A⌉ ≤ A`` pence, ``κ`` the declared cost ratio or the unit
                            cost × units over the lot's member pot
``audit``                   the audit agrees with the awards: pair table, member totals, largest
                            member, contract results, checks (all passed), fingerprint, rule
==========================  =====================================================================

Examples
--------
>>> from allocate import Problem, solve
>>> from allocate.examples import example_dict
>>> problem = Problem.model_validate(example_dict())
>>> allocation = solve(problem)
>>> assert_valid_allocation(problem, allocation)

A tampered allocation is caught, by name:

>>> award = allocation.awards[0]
>>> bad = allocation.model_copy(
...     update={"awards": [award.model_copy(update={"amount": award.amount + 1})]})
>>> try:
...     assert_budget_balance(problem, bad)
... except AllocationAssertionError as exc:
...     print(exc.conditions)
('budget_balance',)
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from allocate.checks.verify import CONDITIONS as VERIFY_CONDITIONS
from allocate.checks.verify import verify
from allocate.core import cashflow, families
from allocate.core.families import FAMILIES
from allocate.core.model import (
    Bid,
    Capacity,
    Contract,
    Lot,
    Member,
    Membership,
    Problem,
    Rule,
    TopSliceMethod,
    WeightFactor,
)
from allocate.core.outcome import Allocation, Status
from allocate.core.rules import RULES

__all__ = [
    "CONDITIONS",
    "AllocationAssertionError",
    "Failure",
    "allocation_failures",
    "assert_audit_consistent",
    "assert_budget_balance",
    "assert_capacity",
    "assert_eligibility",
    "assert_fair_shares",
    "assert_side_constraints",
    "assert_top_slice",
    "assert_valid_allocation",
    "assert_verified",
    "assert_whole_units",
    "exact_shares",
    "is_eligible",
    "lot_claims",
    "replay_json",
    "top_slice_rate",
]

#: Every condition the helpers check, with what it means.
CONDITIONS: dict[str, str] = {
    "status": "status optimal or infeasible; infeasible means no awards and a diagnosis",
    # the library's own conditions, in the same words (allocate.verify.CONDITIONS)
    **VERIFY_CONDITIONS,
    "non_negative": "no negative award; every listed award positive",
    "audit": "the audit agrees with the awards",
}

PENNY = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Failure:
    """One failed condition: its documented name and what was wrong, naming member and lot."""

    condition: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.condition}] {self.detail}"


def replay_json(problem: Problem) -> str:
    """The problem as indented JSON, ready to save and replay with ``allocate solve FILE``.

    >>> from allocate.examples import example_dict
    >>> Problem.model_validate_json(replay_json(Problem.model_validate(example_dict()))).name
    ''
    """
    return problem.model_dump_json(indent=2)


class AllocationAssertionError(AssertionError):
    """An allocation broke one or more documented conditions.

    Attributes
    ----------
    failures
        Every failure found, in the order of :data:`CONDITIONS`.
    problem
        The problem the allocation was checked against (its JSON ends the message).
    """

    def __init__(self, failures: Iterable[Failure], problem: Problem) -> None:
        self.failures = tuple(failures)
        self.problem = problem
        shown = "\n".join(f"  {f}" for f in self.failures[:25])
        more = len(self.failures) - 25
        if more > 0:
            shown += f"\n  ... and {more} more"
        super().__init__(
            f"allocation breaks {len(self.conditions)} condition(s) "
            f"({', '.join(self.conditions)}):\n{shown}\n"
            "Replay: save this problem as problem.json and run `allocate solve problem.json`:\n"
            f"{replay_json(problem)}"
        )

    @property
    def conditions(self) -> tuple[str, ...]:
        """Names of the failed conditions, each once, in documented order."""
        seen = {f.condition for f in self.failures}
        return tuple(name for name in CONDITIONS if name in seen)


# -- the facts every check needs, computed once ------------------------------------------------


def _pence(amount: Decimal) -> int:
    return int(amount * 100)


def _covers(cap: Capacity, lot: Lot) -> bool:
    if cap.lot is not None:
        return cap.lot == lot.id
    return (cap.theme is None or cap.theme == lot.theme) and (
        cap.area is None or cap.area == lot.area
    )


def _units_of(cap: Capacity, lot: Lot) -> int:
    """A capacity on a unit-priced lot in whole units (an amount buys its whole units)."""
    assert lot.unit_price is not None
    if cap.units is not None:
        return cap.units
    return _pence(cap.amount or Decimal(0)) // _pence(lot.unit_price)


def top_slice_rate(problem: Problem, contract: Contract) -> Fraction:
    """The exact top-slice rate a contract's method gives (before rounding the amount down).

    ``fixed``: ``rate`` (``max_rate`` when none); ``glide_path``: ``max − (max − target) ·
    (year − 1) / (target_year − 1)``, the target from ``target_year`` on; ``cost_recovery``:
    ``min(max_rate, hub.annual_cost / Σ value / term_years)``.

    >>> from allocate.examples import example_dict
    >>> p = Problem.model_validate(example_dict())
    >>> top_slice_rate(p, p.contracts[0])
    Fraction(1, 10)
    """
    ts = problem.top_slice
    top, target = Fraction(ts.max_rate), Fraction(ts.target_rate)
    if ts.method is TopSliceMethod.FIXED:
        return Fraction(ts.rate) if ts.rate is not None else top
    if ts.method is TopSliceMethod.GLIDE_PATH:
        if ts.target_year is None:  # pragma: no cover - excluded by validation
            raise ValueError("glide_path needs a target_year")
        if contract.year >= ts.target_year:
            return target
        return top - (top - target) * Fraction(contract.year - 1, ts.target_year - 1)
    if problem.hub.annual_cost is None:  # pragma: no cover - excluded by validation
        raise ValueError("cost_recovery needs the hub's annual_cost")
    annual = sum((Fraction(c.value) / c.term_years for c in problem.contracts), Fraction(0))
    return min(top, Fraction(problem.hub.annual_cost) / annual)


def _excluded(problem: Problem, member: str, lot: Lot, contract: str) -> bool:
    return any(
        ex.member == member and (ex.lot == lot.id or ex.contract == contract)
        for ex in problem.policy.exclusions
    )


def _why_not(problem: Problem, m: Member, lot: Lot, contract: str) -> list[str]:
    pol = problem.policy
    why = []
    if m.membership is not Membership.FULL:
        why.append("associate member")
    if not m.qa_passed:
        why.append("QA not passed")
    if m.quality_score < pol.quality_threshold:
        why.append(f"quality {m.quality_score} below {pol.quality_threshold}")
    if m.reporting_compliance < pol.reporting_threshold:
        why.append(f"reporting {m.reporting_compliance} below {pol.reporting_threshold}")
    if lot.theme not in m.themes:
        why.append(f"does not deliver theme {lot.theme!r}")
    if lot.area not in m.areas:
        why.append(f"does not serve area {lot.area!r}")
    if _excluded(problem, m.id, lot, contract):
        why.append("excluded by policy")
    if lot.id in problem.tendered:
        bid = _bid(problem, m.id, lot)
        if bid is None:
            why.append("did not bid for the sub-tendered lot")
        elif bid.quality < pol.tender.min_quality:
            why.append(f"bid quality {bid.quality} below {pol.tender.min_quality}")
    if not _claim(problem, m.id, lot):
        why.append("no capacity declared (or none in whole units)")
    if pol.full_cost_recovery and _costs_more_than_paid(problem, m.id, lot, contract):
        why.append("every award would be below its full cost")
    return why


def _bid(problem: Problem, member: str, lot: Lot) -> Bid | None:
    return next((b for b in problem.bids if b.member == member and b.lot == lot.id), None)


def _lot_top_slice(problem: Problem, contract: Contract, lot: Lot) -> int:
    """The hub's entitlement on a lot in pence.

    The contract's rate × value rounded down, spread over its lots in proportion to value, the
    pennies left to the largest remainders (the earlier lot first among equal ones).
    """
    value = _pence(contract.value)
    exact = top_slice_rate(problem, contract) * value
    amount = exact.numerator // exact.denominator
    parts = [amount * _pence(x.value) for x in contract.lots]
    floors = [v // value for v in parts]
    left = amount - sum(floors)
    order = sorted(range(len(parts)), key=lambda k: (-(parts[k] % value), k))
    k = next(k for k, x in enumerate(contract.lots) if x.id == lot.id)
    return floors[k] + (1 if k in order[:left] else 0)


def _costs_more_than_paid(problem: Problem, member: str, lot: Lot, contract: str) -> bool:
    """Whether the member's declared full cost on the lot is above what an award there pays.

    A cost ratio above 1, or a unit cost above the lot's member pot over its units.
    """
    cap = next((c for c in problem.capacities if c.member == member and c.lot == lot.id), None)
    if cap is None:
        return False
    if cap.cost_ratio is not None:
        return cap.cost_ratio > 1
    if cap.unit_cost is None or lot.unit_price is None:
        return False
    c = problem.lot_index[lot.id][0]
    assert c.id == contract
    pot = _pence(lot.value) - _lot_top_slice(problem, c, lot)
    units = _pence(lot.value) // _pence(lot.unit_price)
    return pot > 0 and _pence(cap.unit_cost) * units > pot


def _claim(problem: Problem, member: str, lot: Lot) -> int:
    """A member's claim on a lot in its quantity: the least of every capacity covering it.

    Pence on money lots, whole units on unit-priced lots; a pooled capacity bounds every lot it
    covers, so the claim is the smallest of the per-lot capacity and the pools.  0 when none.
    """
    found: list[int] = []
    for cap in problem.capacities:
        if cap.member != member or not _covers(cap, lot):
            continue
        if lot.unit_price is not None:
            found.append(_units_of(cap, lot))
        else:
            found.append(_pence(cap.amount or Decimal(0)))
    if lot.id in problem.tendered:
        # a bid's capacity, or the declared one when smaller or when the bid gives none, or the
        # whole lot; no bid, no claim
        bid = _bid(problem, member, lot)
        if bid is None:
            return 0
        if bid.capacity_units is not None:
            found.append(bid.capacity_units)
        elif bid.capacity is not None:
            pence = _pence(bid.capacity)
            found.append(pence if lot.unit_price is None else pence // _pence(lot.unit_price))
        if not found:
            return lot.units if lot.units is not None else _pence(lot.value)
    return min(found, default=0)


def is_eligible(problem: Problem, member_id: str, lot_id: str) -> bool:
    """Whether a member may receive a share of a lot, decided from the input alone.

    A full member that passed QA, meets the quality and reporting thresholds, delivers the lot's
    theme in its area, declared a positive capacity on it (or a pool covering it) and is not
    excluded from the lot or its contract.

    >>> from allocate.examples import example_dict
    >>> is_eligible(Problem.model_validate(example_dict()), "a", "l1")
    True
    """
    contract, lot = problem.lot_index[lot_id]
    return not _why_not(problem, problem.member_index[member_id], lot, contract.id)


@dataclass
class _Facts:
    """Indices over one problem and one allocation, shared by the checks."""

    problem: Problem
    allocation: Allocation
    failures: list[Failure] = field(default_factory=list)

    def fail(self, condition: str, detail: str) -> None:
        self.failures.append(Failure(condition, detail))

    @cached_property
    def lots(self) -> dict[str, tuple[Contract, Lot]]:
        return {lot.id: (c, lot) for c in self.problem.contracts for lot in c.lots}

    @cached_property
    def members(self) -> dict[str, Member]:
        return {m.id: m for m in self.problem.members}

    @cached_property
    def results(self) -> dict[str, Decimal]:
        """Top-slice per contract id, as the allocation reports it."""
        return {c.id: c.top_slice for c in self.allocation.contracts}

    @cached_property
    def lot_top_slice(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for c in self.allocation.contracts:
            out.update(c.lot_top_slices)
        return out

    @cached_property
    def awards(self) -> dict[tuple[str, str], tuple[Decimal, int | None]]:
        """(money, units) per (member, lot); the first when a pair is listed twice."""
        out: dict[tuple[str, str], tuple[Decimal, int | None]] = {}
        for a in self.allocation.awards:
            out.setdefault((a.member, a.lot), (a.amount, a.units))
        return out

    @cached_property
    def by_lot(self) -> dict[str, list[tuple[str, Decimal, int | None]]]:
        out: dict[str, list[tuple[str, Decimal, int | None]]] = defaultdict(list)
        for a in self.allocation.awards:
            out[a.lot].append((a.member, a.amount, a.units))
        return out

    @cached_property
    def member_total(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for a in self.allocation.awards:
            out[a.member] += a.amount
        return out

    @cached_property
    def member_contract_total(self) -> dict[tuple[str, str], Decimal]:
        out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for a in self.allocation.awards:
            if a.lot in self.lots:
                out[a.member, self.lots[a.lot][0].id] += a.amount
        return out

    def pot(self, lot: Lot) -> Decimal:
        """Money for the members on a lot: value less its top-slice as reported."""
        return lot.value - self.lot_top_slice.get(lot.id, Decimal(0))

    @cached_property
    def contract_pots(self) -> dict[str, Decimal]:
        """Each contract's member pot: its value less the top-slice reported (none: all of it)."""
        return {c.id: c.value - self.results.get(c.id, Decimal(0)) for c in self.problem.contracts}

    @property
    def ok(self) -> bool:
        return self.allocation.status is Status.OPTIMAL

    @property
    def pooled(self) -> bool:
        return any(c.lot is None for c in self.problem.capacities)


# -- the checks, one per condition -------------------------------------------------------------


def _check_status(f: _Facts) -> None:
    a = f.allocation
    if a.status is Status.OPTIMAL:
        return
    if a.status is not Status.INFEASIBLE:
        f.fail("status", f"status {a.status.value}: the solver gave no answer on this problem")
    if a.awards:
        f.fail("status", f"status {a.status.value} but {len(a.awards)} award(s) listed")
    if a.status is Status.INFEASIBLE and a.diagnosis is None:
        f.fail("status", "infeasible without a diagnosis")


def _check_budget_balance(f: _Facts) -> None:
    known = {c.id for c in f.problem.contracts}
    reported = [c.id for c in f.allocation.contracts]
    if sorted(reported) != sorted(known):
        f.fail("budget_balance", f"contracts reported {reported}, problem has {sorted(known)}")
    for a in f.allocation.awards:
        if a.lot in f.lots and a.contract != f.lots[a.lot][0].id:
            f.fail("budget_balance", f"award {a.member}/{a.lot} names contract {a.contract!r}")
    for c in f.allocation.contracts:
        if c.members_total != c.value - c.top_slice:
            f.fail(
                "budget_balance", f"{c.id}: members_total {c.members_total} != value − top-slice"
            )
    for contract in f.problem.contracts:
        if contract.id not in f.results:
            continue
        lot_ts = [f.lot_top_slice.get(lot.id) for lot in contract.lots]
        if any(x is None for x in lot_ts):
            f.fail("budget_balance", f"{contract.id}: a lot has no top-slice reported")
            continue
        if sum((x for x in lot_ts if x is not None), Decimal(0)) != f.results[contract.id]:
            f.fail("budget_balance", f"{contract.id}: lot top-slices do not add up to the total")
        if not f.ok:
            continue
        paid = Decimal(0)
        for lot in contract.lots:
            got = sum((amt for _, amt, _ in f.by_lot.get(lot.id, [])), Decimal(0))
            paid += got
            if got + f.lot_top_slice.get(lot.id, Decimal(0)) != lot.value:
                f.fail(
                    "budget_balance",
                    f"lot {lot.id}: awards {got} + top-slice {f.lot_top_slice.get(lot.id)} "
                    f"!= value {lot.value}",
                )
        if paid + f.results[contract.id] != contract.value:
            f.fail(
                "budget_balance",
                f"{contract.id}: awards {paid} + top-slice {f.results[contract.id]} "
                f"!= value {contract.value}",
            )


def _check_top_slice(f: _Facts) -> None:
    ts = f.problem.top_slice
    for contract in f.problem.contracts:
        amount = f.results.get(contract.id)
        if amount is None:
            continue
        cap = Fraction(ts.max_rate) * Fraction(contract.value)
        if Fraction(amount) > cap or amount < 0:
            f.fail("top_slice_cap", f"{contract.id}: top-slice {amount} outside 0..{float(cap)}")
        exact = top_slice_rate(f.problem, contract) * _pence(contract.value)
        expected = exact.numerator // exact.denominator
        if _pence(amount) != expected:
            f.fail(
                "top_slice_method",
                f"{contract.id}: top-slice {amount}, the {ts.method.value} method gives "
                f"£{expected / 100:.2f} (rate {float(exact / _pence(contract.value)):.6f}, "
                "rounded down)",
            )
        total = _pence(contract.value)
        for lot in contract.lots:
            got = f.lot_top_slice.get(lot.id)
            if got is None:
                continue
            part = Fraction(_pence(amount) * _pence(lot.value), total)
            if abs(_pence(got) - part) >= 1:
                f.fail(
                    "top_slice_method",
                    f"lot {lot.id}: top-slice {got}, its share by value is "
                    f"£{float(part) / 100:.4f}",
                )


def _check_non_negative(f: _Facts) -> None:
    for a in f.allocation.awards:
        if a.amount < 0 or (a.units is not None and a.units < 0):
            f.fail("non_negative", f"{a.member} on {a.lot}: {a.amount} ({a.units} units)")
        elif a.amount == 0 and not a.units:
            f.fail("non_negative", f"{a.member} on {a.lot}: a listed award of zero")
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for a in f.allocation.awards:
        counts[a.member, a.lot] += 1
    for (mid, lid), n in sorted(counts.items()):
        if n > 1:
            f.fail("non_negative", f"{mid} on {lid}: listed {n} times")


def _check_capacity(f: _Facts) -> None:
    for a in f.allocation.awards:
        if a.lot not in f.lots:
            continue
        lot = f.lots[a.lot][1]
        for cap in f.problem.capacities:
            if cap.member != a.member or cap.lot != lot.id:
                continue
            limit = _units_of(cap, lot) if lot.unit_price is not None else None
            if limit is not None and a.units is not None and a.units > limit:
                f.fail("capacity", f"{a.member} on {a.lot}: {a.units} units > capacity {limit}")
            if cap.amount is not None and a.amount > cap.amount:
                f.fail("capacity", f"{a.member} on {a.lot}: {a.amount} > capacity {cap.amount}")
    for cap in f.problem.capacities:
        if cap.lot is not None or cap.amount is None:
            continue
        total = sum(
            (
                a.amount
                for a in f.allocation.awards
                if a.member == cap.member and a.lot in f.lots and _covers(cap, f.lots[a.lot][1])
            ),
            Decimal(0),
        )
        if total > cap.amount:
            f.fail(
                "capacity",
                f"{cap.member}: {total} over its pooled capacity {cap.amount} "
                f"(theme {cap.theme}, area {cap.area})",
            )


def _check_eligibility(f: _Facts) -> None:
    for a in f.allocation.awards:
        if a.member not in f.members or a.lot not in f.lots:
            f.fail("eligibility", f"award to an unknown member or lot {a.member}/{a.lot}")
            continue
        contract, lot = f.lots[a.lot]
        why = _why_not(f.problem, f.members[a.member], lot, contract.id)
        if why and (a.amount > 0 or a.units):
            f.fail("eligibility", f"{a.member} on {a.lot} received {a.amount}: {'; '.join(why)}")


def _check_whole_units(f: _Facts) -> None:
    for a in f.allocation.awards:
        if a.lot not in f.lots:
            continue
        lot = f.lots[a.lot][1]
        if lot.unit_price is None and a.units is not None:
            f.fail("whole_units", f"{a.member} on {a.lot}: units on a lot priced in money")
        if lot.unit_price is not None and a.units is None:
            f.fail("whole_units", f"{a.member} on {a.lot}: no units on a unit-priced lot")
    if not f.ok:
        return
    for _, lot in f.lots.values():
        if lot.unit_price is None or lot.units is None:
            continue
        awarded = f.by_lot.get(lot.id, [])
        total = sum(u or 0 for _, _, u in awarded)
        if total != lot.units:
            f.fail("whole_units", f"lot {lot.id}: {total} units awarded, the lot has {lot.units}")
        pot = Fraction(f.pot(lot))
        for mid, amount, units in awarded:
            share = pot * (units or 0) / lot.units
            if abs(Fraction(amount) - share) >= Fraction(1, 100):
                f.fail(
                    "whole_units",
                    f"{mid} on {lot.id}: money {amount} does not follow its {units} units "
                    f"(£{float(share):.4f})",
                )


def _factor(problem: Problem, m: Member) -> Fraction:
    """The weighted rules' factor: the policy's score, read as its shortest decimal."""
    f = problem.policy.weight_factor
    if f is WeightFactor.QUALITY_SCORE:
        value = m.quality_score
    elif f is WeightFactor.REPORTING_COMPLIANCE:
        value = m.reporting_compliance
    else:
        value = m.impact_score if m.impact_score is not None else 1.0
    return Fraction(repr(value))


def _lot_claims(problem: Problem, contract: Contract, lot: Lot) -> dict[str, int]:
    """Eligible members' claims on a lot, in its quantity (pence or units), by member id."""
    claims: dict[str, int] = {}
    for m in problem.members:
        if not _why_not(problem, m, lot, contract.id):
            claims[m.id] = _claim(problem, m.id, lot)
    return claims


def lot_claims(problem: Problem, lot_id: str) -> dict[str, int]:
    """Eligible members' claims on a lot in its quantity (pence, or whole units), by member id.

    The claim is the least capacity covering the lot: its per-lot capacity and any pool.

    >>> from allocate.examples import example_dict
    >>> lot_claims(Problem.model_validate(example_dict()), "l1")
    {'a': 200000}
    """
    contract, lot = problem.lot_index[lot_id]
    return _lot_claims(problem, contract, lot)


def _rule_shares(
    problem: Problem, estate: int, ids: list[str], claims: list[int]
) -> list[Fraction]:
    rule = problem.policy.rule
    if not rule.is_weighted:
        return RULES[rule.value](estate, claims)
    factors = [_factor(problem, problem.member_index[i]) for i in ids]
    weights = [
        f * c if rule is Rule.WEIGHTED_PROPORTIONAL else f
        for f, c in zip(factors, claims, strict=True)
    ]
    positive = sum(c for c, w in zip(claims, weights, strict=True) if w > 0)
    if estate <= positive:
        return RULES[rule.value](estate, claims, weights)
    # documented fallback: the weighted take their claims, the weightless share the rest
    rest = Fraction(estate - positive)
    zero = sum(c for c, w in zip(claims, weights, strict=True) if w == 0)
    return [Fraction(c) if w > 0 else rest * c / zero for c, w in zip(claims, weights, strict=True)]


def exact_shares(problem: Problem, allocation: Allocation) -> dict[tuple[str, str], Fraction]:
    """The rule's exact share of every eligible (member, lot) pair, in the lot's quantity.

    Pence on money lots, units on unit-priced lots.  The estate of a lot is its member pot
    (value less the lot's top-slice, as the allocation reports it) or its units; the claims are
    the eligible members' per-lot capacities; weights for the weighted rules are capacity ×
    factor (``weighted_proportional``) or the factor alone, the factor being the member's
    ``policy.weight_factor`` score read as its shortest decimal (a missing ``impact_score`` counts
    1).  These are the fair shares with no side-constraint (with a pooled capacity the claim on a
    lot is the least capacity covering it); lots that eligible capacity cannot absorb are left
    out.

    >>> from allocate import solve
    >>> from allocate.examples import example_dict
    >>> p = Problem.model_validate(example_dict())
    >>> exact_shares(p, solve(p))
    {('a', 'l1'): Fraction(90000, 1)}
    """
    f = _Facts(problem, allocation)
    out: dict[tuple[str, str], Fraction] = {}
    for contract in problem.contracts:
        for lot in contract.lots:
            claims = _lot_claims(problem, contract, lot)
            estate = lot.units if lot.units is not None else _pence(f.pot(lot))
            ids = sorted(claims)
            qs = [claims[i] for i in ids]
            if not ids or estate > sum(qs):
                continue
            for mid, share in zip(ids, _rule_shares(problem, estate, ids, qs), strict=True):
                out[mid, lot.id] = share
    return out


def _check_fair_share(f: _Facts) -> None:
    if not f.ok or f.problem.policy.side_constraints or f.pooled:
        return
    shares = exact_shares(f.problem, f.allocation)
    for (mid, lid), share in sorted(shares.items()):
        if lid in f.problem.tendered:
            continue  # a competition, not the rule, shares it: verification's ``tender`` checks
        lot = f.lots[lid][1]
        amount, units = f.awards.get((mid, lid), (Decimal(0), None))
        got = Fraction(units or 0) if lot.unit_price is not None else Fraction(_pence(amount))
        if abs(got - share) >= 1:
            what = "units" if lot.unit_price is not None else "pence"
            f.fail(
                "fair_share",
                f"{mid} on {lid}: {got} {what}, the {f.problem.policy.rule.value} rule gives "
                f"{float(share):.4f}",
            )


def _check_side_constraints(f: _Facts) -> None:
    """Each family the policy switches on that is checked under its own name, by its own check.

    (Exclusions are checked by ``eligibility``, pooled capacities by ``capacity``.)
    """
    if not f.ok:
        return
    for family in FAMILIES:
        if family.check == family.name and family.is_on(f.problem.policy):
            _SIDE_CHECKS[family.name](f)


def _check_min_award(f: _Facts) -> None:
    least = f.problem.policy.min_award
    assert least is not None
    for a in f.allocation.awards:
        if 0 < a.amount < least:
            f.fail(families.MIN_AWARD.name, f"{a.member} on {a.lot}: {a.amount} < {least}")


def _check_max_member_share(f: _Facts) -> None:
    name, s = families.MAX_MEMBER_SHARE.name, f.problem.policy.max_member_share
    assert s is not None
    pots = f.contract_pots
    for (mid, cid), total in sorted(f.member_contract_total.items()):
        if total > s * pots[cid]:
            f.fail(name, f"{mid} on {cid}: {total} > {s} × {pots[cid]}")
    everything = sum(pots.values(), Decimal(0))
    for mid, total in sorted(f.member_total.items()):
        if total > s * everything:
            f.fail(name, f"{mid} overall: {total} > {s} × {everything}")


def _check_max_dependency(f: _Facts) -> None:
    multiple = f.problem.policy.max_dependency
    assert multiple is not None
    for mid, total in sorted(f.member_total.items()):
        limit = multiple * f.members[mid].annual_income
        if total > limit:
            f.fail(
                families.MAX_DEPENDENCY.name,
                f"{mid}: {total} > {multiple} × income {f.members[mid].annual_income}",
            )


def _check_small_org_share(f: _Facts) -> None:
    pol = f.problem.policy
    assert pol.small_org_share is not None
    bands = set(pol.small_org_bands)
    for cid, pot in f.contract_pots.items():
        small = sum(
            (
                t
                for (mid, c), t in f.member_contract_total.items()
                if c == cid and f.members[mid].size_band in bands
            ),
            Decimal(0),
        )
        if small < pol.small_org_share * pot:
            f.fail(families.SMALL_ORG_SHARE.name, f"{cid}: {small} < {pol.small_org_share} × {pot}")


def _check_case_mix(f: _Facts) -> None:
    assert f.problem.policy.case_mix_tolerance is not None
    tol = Fraction(f.problem.policy.case_mix_tolerance)
    services: dict[str, dict[str, list[Lot]]] = defaultdict(lambda: defaultdict(list))
    for _, lot in f.lots.values():
        if lot.client_group is not None:
            services[lot.service or lot.theme][lot.client_group.value].append(lot)
    for key, groups in sorted(services.items()):
        hard, easy = groups.get("hard_to_help", []), groups.get("standard", [])
        if hard and easy:
            _check_service_mix(f, key, hard, easy, tol)


def _check_service_mix(
    f: _Facts, key: str, hard: list[Lot], easy: list[Lot], tol: Fraction
) -> None:
    hard_pot = sum((Fraction(f.pot(lot)) for lot in hard), Fraction(0))
    all_pot = sum((Fraction(f.pot(lot)) for lot in hard + easy), Fraction(0))
    if all_pot == 0:
        return
    r = hard_pot / all_pot
    hard_ids = {lot.id for lot in hard}
    ids = hard_ids | {lot.id for lot in easy}
    # rounding: a penny per lot of the service, or a unit's price on unit-priced lots
    slack = sum((Fraction(lot.unit_price or Decimal("0.01")) for lot in hard + easy), Fraction(0))
    h: dict[str, Fraction] = defaultdict(Fraction)
    w: dict[str, Fraction] = defaultdict(Fraction)
    for a in f.allocation.awards:
        if a.lot in ids:
            w[a.member] += Fraction(a.amount)
            if a.lot in hard_ids:
                h[a.member] += Fraction(a.amount)
    for mid in sorted(w):
        if abs(h[mid] - r * w[mid]) > tol * w[mid] + slack:
            f.fail(
                families.CASE_MIX.name,
                f"{mid} on service {key!r}: hard-to-help £{float(h[mid]):.2f} of "
                f"£{float(w[mid]):.2f}, the service's share is {float(r):.4f} ± {float(tol)}",
            )


def _check_min_providers_per_area(f: _Facts) -> None:
    k = f.problem.policy.min_providers_per_area
    assert k is not None
    areas: dict[str, list[tuple[Contract, Lot]]] = defaultdict(list)
    for contract, lot in f.lots.values():
        areas[lot.area].append((contract, lot))
    least = f.problem.policy.min_award
    top_slices = {lid: ts for c in f.allocation.contracts for lid, ts in c.lot_top_slices.items()}

    def worth(member: str, lot: Lot) -> Fraction:
        """The member's claim on the lot in pounds (units at the lot's pot per unit)."""
        claim = _claim(f.problem, member, lot)
        if lot.unit_price is None:
            return Fraction(claim, 100)
        pot = Fraction(lot.value - top_slices.get(lot.id, Decimal(0)))
        return pot * claim / int(lot.value / lot.unit_price)

    for area, pairs in sorted(areas.items()):
        # who can provide: eligible, with a capacity there worth the minimum award (if any)
        eligible = {
            m.id
            for m in f.problem.members
            for contract, lot in pairs
            if not _why_not(f.problem, m, lot, contract.id)
            and (least is None or worth(m.id, lot) >= least)
        }
        ids = {lot.id for _, lot in pairs}
        providers = {a.member for a in f.allocation.awards if a.lot in ids and a.amount > 0}
        if len(providers) < min(k, len(eligible)):
            f.fail(
                families.MIN_PROVIDERS_PER_AREA.name,
                f"{area}: {len(providers)} provider(s), needs {min(k, len(eligible))} "
                f"({len(eligible)} eligible)",
            )


def _check_cash_flow(f: _Facts) -> None:
    share = f.problem.policy.max_reserves_share
    assert share is not None
    awards = [(a.member, a.lot, a.amount) for a in f.allocation.awards]
    forecast = cashflow.forecast(f.problem, awards, f.lot_top_slice)
    for mid, member in forecast.members.items():
        reserves = f.members[mid].reserves or Decimal(0)
        limit = int(share * reserves * 100)  # whole pence, rounded down
        if member.peak_need > limit:
            f.fail(
                families.CASH_FLOW.name,
                f"{mid}: peak working capital {member.peak_need} pence in month "
                f"{member.peak_month} > {share} × reserves {reserves}",
            )


def _check_full_cost(f: _Facts) -> None:
    """Every award's full cost, rounded up to the penny, within the award."""
    if not f.ok or not f.problem.policy.full_cost_recovery:
        return
    for a in f.allocation.awards:
        lot = f.lots[a.lot][1]
        cap = next(
            (c for c in f.problem.capacities if c.member == a.member and c.lot == a.lot), None
        )
        if cap is None or (cap.cost_ratio is None and cap.unit_cost is None):
            continue
        pence = _pence(a.amount)
        if cap.cost_ratio is not None:
            cost = math.ceil(Fraction(cap.cost_ratio) * pence)
        else:
            assert cap.unit_cost is not None
            assert lot.unit_price is not None
            pot = _pence(lot.value) - _pence(f.lot_top_slice[a.lot])
            units = _pence(lot.value) // _pence(lot.unit_price)
            cost = math.ceil(Fraction(_pence(cap.unit_cost) * units * pence, pot))
        if cost > pence:
            f.fail("full_cost", f"{a.member} on {a.lot}: award {pence} pence < full cost {cost}")


#: Each family's own check, by its condition's name (independent of :mod:`allocate.checks`).
_SIDE_CHECKS: Mapping[str, Callable[[_Facts], None]] = {
    families.MIN_AWARD.name: _check_min_award,
    families.MAX_MEMBER_SHARE.name: _check_max_member_share,
    families.MAX_DEPENDENCY.name: _check_max_dependency,
    families.SMALL_ORG_SHARE.name: _check_small_org_share,
    families.CASE_MIX.name: _check_case_mix,
    families.MIN_PROVIDERS_PER_AREA.name: _check_min_providers_per_area,
    families.CASH_FLOW.name: _check_cash_flow,
}


def _check_audit(f: _Facts) -> None:
    """The audit against the problem and the awards, part by part."""
    _check_audit_identity(f)
    _check_audit_pairs(f)
    _check_audit_members(f)
    _check_audit_checks(f)


def _check_audit_identity(f: _Facts) -> None:
    """The rule, the problem's name and its fingerprint."""
    a, p = f.allocation, f.problem
    if a.rule != p.policy.rule.value:
        f.fail("audit", f"rule {a.rule!r}, the policy says {p.policy.rule.value!r}")
    if a.problem_name != p.name:
        f.fail("audit", f"problem name {a.problem_name!r}, the problem is {p.name!r}")
    expected = hashlib.sha256(p.model_dump_json().encode()).hexdigest()
    if a.audit.fingerprint != expected:
        f.fail("audit", "fingerprint is not the SHA-256 of the problem's canonical JSON")


def _check_audit_pairs(f: _Facts) -> None:
    """The pair table: every (member, lot) once, with its award, units and eligibility."""
    p, pairs = f.problem, f.allocation.audit.pairs
    rows: dict[tuple[str, str], int] = {}
    for k, key in enumerate(zip(pairs.member, pairs.lot, strict=True)):
        if key in rows:
            f.fail("audit", f"pair table lists {key[0]}/{key[1]} twice")
        rows[key] = k
    wanted = {(m.id, lot.id) for m in p.members for lot in p.lots}
    if set(rows) != wanted:
        f.fail("audit", f"pair table has {len(rows)} pairs, the problem {len(wanted)}")
    for (mid, lid), k in sorted(rows.items()):
        if (mid, lid) not in wanted:
            continue
        amount, units = f.awards.get((mid, lid), (Decimal(0), None))
        if pairs.award[k] != amount:
            f.fail("audit", f"pair {mid}/{lid}: table award {pairs.award[k]}, awards {amount}")
        if units is not None and pairs.award_units[k] != units:
            f.fail("audit", f"pair {mid}/{lid}: table units {pairs.award_units[k]}, awards {units}")
        eligible = is_eligible(p, mid, lid)
        if pairs.eligible[k] != eligible:
            f.fail("audit", f"pair {mid}/{lid}: table says eligible={pairs.eligible[k]}")
        if bool(pairs.reasons[k]) == pairs.eligible[k]:
            f.fail("audit", f"pair {mid}/{lid}: reasons {pairs.reasons[k]} vs eligibility")


def _check_audit_members(f: _Facts) -> None:
    """The member summaries and the largest member agree with the awards."""
    a, p = f.allocation, f.problem
    summaries = {s.member: s for s in a.audit.members}
    if set(summaries) != {m.id for m in p.members}:
        f.fail("audit", "member summaries do not list every member once")
    grand = sum(f.member_total.values(), Decimal(0))
    for mid, s in sorted(summaries.items()):
        total = f.member_total.get(mid, Decimal(0))
        if s.award != total:
            f.fail("audit", f"member {mid}: summary award {s.award}, awards add to {total}")
        if grand and abs(Fraction(s.share_of_awards) - Fraction(total) / Fraction(grand)) > (
            Fraction(1, 10**6)
        ):
            f.fail("audit", f"member {mid}: share_of_awards {s.share_of_awards} is not its share")
    metrics = a.audit.metrics
    if grand and f.ok:
        top = max(f.member_total.values())
        if metrics.largest_member is None or f.member_total.get(metrics.largest_member) != top:
            f.fail("audit", f"largest member {metrics.largest_member!r} does not have the most")


def _check_audit_checks(f: _Facts) -> None:
    """On an allocation, the audit records every check verify makes, all passed."""
    if not f.ok:
        return
    checks = f.allocation.audit.checks
    failed = [c.name for c in checks if not c.passed]
    if failed:
        f.fail("audit", f"the audit records failed checks: {failed}")
    names = {c.name for c in checks}
    needed = {"budget_balance", "top_slice_cap", "top_slice_method", "capacity"}
    needed |= {"eligibility", "non_negative", "whole_units"}
    # each family switched on, under the condition that checks it
    needed |= {family.check for family in FAMILIES if family.is_on(f.problem.policy)}
    if f.problem.policy.full_cost_recovery:
        needed.add("full_cost")
    if names and not needed <= names:
        f.fail("audit", f"the audit's checks miss {sorted(needed - names)}")


_CHECKS: dict[str, Callable[[_Facts], None]] = {
    "status": _check_status,
    "budget_balance": _check_budget_balance,
    "top_slice": _check_top_slice,
    "non_negative": _check_non_negative,
    "capacity": _check_capacity,
    "eligibility": _check_eligibility,
    "whole_units": _check_whole_units,
    "fair_share": _check_fair_share,
    "side_constraints": _check_side_constraints,
    "full_cost": _check_full_cost,
    "audit": _check_audit,
}


def allocation_failures(
    problem: Problem, allocation: Allocation, *, checks: Iterable[str] | None = None
) -> list[Failure]:
    """Every documented condition the allocation breaks (an empty list when it keeps them all).

    Parameters
    ----------
    problem
        The problem the allocation answers.
    allocation
        Any allocation: from :func:`allocate.solve`, read back from JSON, or built by hand.
    checks
        Groups to run, from ``status``, ``budget_balance``, ``top_slice``, ``non_negative``,
        ``capacity``, ``eligibility``, ``whole_units``, ``fair_share``, ``side_constraints``,
        ``full_cost``, ``audit``; all when None.

    Examples
    --------
    >>> from allocate import solve
    >>> from allocate.examples import example_dict
    >>> p = Problem.model_validate(example_dict())
    >>> allocation_failures(p, solve(p))
    []
    """
    names = list(_CHECKS) if checks is None else list(checks)
    unknown = [n for n in names if n not in _CHECKS]
    if unknown:
        raise ValueError(f"unknown check group(s) {unknown}; choose from {list(_CHECKS)}")
    facts = _Facts(problem, allocation)
    for name in names:
        _CHECKS[name](facts)
    order = list(CONDITIONS)
    return sorted(facts.failures, key=lambda x: order.index(x.condition))


def _assert(problem: Problem, allocation: Allocation, *checks: str) -> None:
    failures = allocation_failures(problem, allocation, checks=checks)
    if failures:
        raise AllocationAssertionError(failures, problem)


def assert_budget_balance(problem: Problem, allocation: Allocation) -> None:
    """Awards plus top-slice equal every contract's and every lot's value, to the penny.

    Raises
    ------
    AllocationAssertionError
        Naming ``budget_balance`` and each contract or lot that does not balance.
    """
    _assert(problem, allocation, "budget_balance")


def assert_top_slice(problem: Problem, allocation: Allocation) -> None:
    """Every top-slice within ``0..max_rate × value`` and equal to its method, rounded down.

    The method's exact rate is :func:`top_slice_rate`; the amount is ``rate × value`` rounded
    down to the penny; it is spread over the contract's lots in proportion to lot value, each lot
    within a penny of its exact part.

    >>> from allocate import solve
    >>> from allocate.examples import example_dict
    >>> p = Problem.model_validate(example_dict())
    >>> assert_top_slice(p, solve(p))
    """
    _assert(problem, allocation, "top_slice")


def assert_capacity(problem: Problem, allocation: Allocation) -> None:
    """No award above its declared capacity (money or units); pooled capacities respected."""
    _assert(problem, allocation, "capacity")


def assert_eligibility(problem: Problem, allocation: Allocation) -> None:
    """Only eligible members receive anything (see :func:`is_eligible`)."""
    _assert(problem, allocation, "eligibility")


def assert_whole_units(problem: Problem, allocation: Allocation) -> None:
    """Whole units that add up on unit-priced lots, the money following the units."""
    _assert(problem, allocation, "whole_units")


def assert_fair_shares(problem: Problem, allocation: Allocation) -> None:
    """With no side-constraint and no pooled capacity, each award within one quantum of its share.

    One quantum is one penny on money lots and one unit on unit-priced lots: the largest
    remainder rounding moves each exact share (:func:`exact_shares`) by less than that.  Does
    nothing when a side-constraint or a pooled capacity is set (the fair shares are then a
    target, not the answer).
    """
    _assert(problem, allocation, "fair_share")


def assert_side_constraints(problem: Problem, allocation: Allocation) -> None:
    """Every side-constraint the policy switches on holds (``min_award`` ... ``case_mix``)."""
    _assert(problem, allocation, "side_constraints")


def assert_audit_consistent(problem: Problem, allocation: Allocation) -> None:
    """The audit agrees with the awards: pairs, member totals, contracts, checks, fingerprint."""
    _assert(problem, allocation, "audit")


def assert_verified(problem: Problem, allocation: Allocation) -> None:
    """:func:`allocate.verify` passes every one of its checks on the allocation."""
    failures = [Failure(c.name, c.detail) for c in verify(problem, allocation) if not c.passed]
    if failures:
        raise AllocationAssertionError(failures, problem)


def assert_valid_allocation(
    problem: Problem, allocation: Allocation, *, require_ok: bool = False
) -> None:
    """Every documented condition at once, then :func:`allocate.verify` as a second opinion.

    Parameters
    ----------
    problem, allocation
        The problem and any allocation of it.
    require_ok
        Also fail when no allocation was made (status ``infeasible``).  By default an
        infeasible answer passes if it lists no awards, has a diagnosis and its top-slices are
        right.

    Raises
    ------
    AllocationAssertionError
        Listing every failed condition, with the problem as JSON to replay.
    """
    failures = allocation_failures(problem, allocation)
    if require_ok and allocation.status is not Status.OPTIMAL:
        failures.insert(0, Failure("status", f"status {allocation.status.value}, not optimal"))
    if not failures:
        failures = [
            Failure(c.name, f"allocate.verify: {c.detail}")
            for c in verify(problem, allocation)
            if not c.passed
        ]
    if failures:
        raise AllocationAssertionError(failures, problem)
