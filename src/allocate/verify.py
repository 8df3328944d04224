"""Independent verification: re-check an allocation against the input, never the solver.

:func:`verify` recomputes every condition from the :class:`~allocate.Problem` alone, with its own
straightforward code (no shared path with the solve pipeline beyond the input model), and returns
one :class:`~allocate.result.Check` per documented condition.  :func:`allocate.solve` runs it on
every allocation it returns and raises :class:`~allocate.VerificationError` on any failure; tests
and other systems call it on any allocation.

Conditions (the names used in reports and errors):

``budget_balance``
    For every contract, awards plus top-slice equal the contract value to the penny; for every
    lot, awards plus the lot's top-slice equal the lot value.
``top_slice_cap``
    No contract's top-slice exceeds ``max_rate`` × value.
``top_slice_method``
    Each top-slice is exactly its method's rate × value, rounded down to the penny.
``non_negative``
    No award is negative.
``capacity``
    No award exceeds the member's declared capacity on the lot (money, or units).
``eligibility``
    Only eligible members (full, QA passed, above thresholds, serving the lot's theme and area,
    with capacity) receive anything.
``whole_units``
    On unit-priced lots, awarded units are whole, sum to the lot's units, and the money follows
    the units (each member's money within a penny of its units' share of the pot).
``fair_share``
    With no side-constraint, every award is within one penny (one unit) of the rule's exact
    share.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from allocate.exceptions import VerificationError
from allocate.model import Capacity, Lot, Member, Membership, Problem, Rule, TopSliceMethod
from allocate.result import Allocation, Check

__all__ = ["raise_on_failure", "verify"]


def _rate(problem: Problem, year: int) -> Fraction:
    ts = problem.top_slice
    if ts.method is TopSliceMethod.FIXED:
        return Fraction(ts.rate if ts.rate is not None else ts.max_rate)
    if ts.method is TopSliceMethod.GLIDE_PATH:
        assert ts.target_year is not None
        hi, lo = Fraction(ts.max_rate), Fraction(ts.target_rate)
        if year >= ts.target_year:
            return lo
        return hi + (lo - hi) * Fraction(year - 1, ts.target_year - 1)
    assert problem.hub.annual_cost is not None
    annual = sum((Fraction(c.value) / c.term_years for c in problem.contracts), Fraction(0))
    return min(Fraction(ts.max_rate), Fraction(problem.hub.annual_cost) / annual)


def verify(problem: Problem, allocation: Allocation) -> list[Check]:
    """Re-check ``allocation`` against ``problem``; one :class:`Check` per condition.

    Only allocations with status ``optimal`` carry awards; for any other status the checks
    are about the top-slice alone.
    """
    checks: list[Check] = []
    fails: dict[str, list[str]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)

    lots = {lot.id: (c, lot) for c in problem.contracts for lot in c.lots}
    members = {m.id: m for m in problem.members}
    caps = {(k.member, k.lot): k for k in problem.capacities if k.lot is not None}
    results = {c.id: c for c in allocation.contracts}

    award_by_lot: dict[str, Decimal] = defaultdict(Decimal)
    units_by_lot: dict[str, int] = defaultdict(int)
    awards_of_lot: dict[str, list[tuple[str, Decimal, int | None]]] = defaultdict(list)
    for a in allocation.awards:
        counts["non_negative"] += 1
        if a.amount < 0 or (a.units is not None and a.units < 0):
            fails["non_negative"].append(f"{a.member} on {a.lot}: {a.amount}")
        if a.lot not in lots or a.member not in members:
            fails["eligibility"].append(f"award to unknown member/lot {a.member}/{a.lot}")
            continue
        contract, lot = lots[a.lot]
        if a.contract != contract.id:
            fails["budget_balance"].append(f"award {a.member}/{a.lot} names contract {a.contract}")
        award_by_lot[a.lot] += a.amount
        awards_of_lot[a.lot].append((a.member, a.amount, a.units))
        m = members[a.member]
        counts["eligibility"] += 1
        why = []
        if m.membership is not Membership.FULL:
            why.append("associate member")
        if not m.qa_passed:
            why.append("QA not passed")
        if m.quality_score < problem.policy.quality_threshold:
            why.append("quality below threshold")
        if m.reporting_compliance < problem.policy.reporting_threshold:
            why.append("reporting below threshold")
        if lot.theme not in m.themes:
            why.append("theme not delivered")
        if lot.area not in m.areas:
            why.append("area not served")
        cap = caps.get((a.member, a.lot))
        if cap is None:
            why.append("no capacity declared")
        if why and a.amount > 0:
            fails["eligibility"].append(
                f"{a.member} on {a.lot} received {a.amount}: {', '.join(why)}"
            )
        counts["capacity"] += 1
        if cap is not None:
            if lot.unit_price is not None:
                if a.units is None:
                    fails["whole_units"].append(
                        f"{a.member} on {a.lot}: no units on a unit-priced lot"
                    )
                    continue
                units_by_lot[a.lot] += a.units
                cap_units = (
                    cap.units
                    if cap.units is not None
                    else int((cap.amount or Decimal(0)) // lot.unit_price)
                )
                if a.units > cap_units:
                    fails["capacity"].append(
                        f"{a.member} on {a.lot}: {a.units} units > capacity {cap_units}"
                    )
                if cap.amount is not None and a.amount > cap.amount:
                    fails["capacity"].append(
                        f"{a.member} on {a.lot}: {a.amount} > capacity {cap.amount}"
                    )
            elif cap.amount is not None and a.amount > cap.amount:
                fails["capacity"].append(
                    f"{a.member} on {a.lot}: {a.amount} > capacity {cap.amount}"
                )

    max_rate = Fraction(problem.top_slice.max_rate)
    for contract in problem.contracts:
        res = results.get(contract.id)
        counts["budget_balance"] += 1
        if res is None:
            fails["budget_balance"].append(f"contract {contract.id} missing from the result")
            continue
        counts["top_slice_cap"] += 1
        if Fraction(res.top_slice) > max_rate * Fraction(contract.value):
            fails["top_slice_cap"].append(
                f"{contract.id}: {res.top_slice} > {max_rate} × {contract.value}"
            )
        counts["top_slice_method"] += 1
        exact = _rate(problem, contract.year) * Fraction(contract.value)
        floor_pence = Decimal(exact.numerator * 100 // exact.denominator) / 100
        if res.top_slice != floor_pence:
            fails["top_slice_method"].append(
                f"{contract.id}: top-slice {res.top_slice}, method gives {floor_pence}"
            )
        if not allocation.status.is_ok:
            continue
        paid = sum((award_by_lot[lot.id] for lot in contract.lots), Decimal(0))
        if paid + res.top_slice != contract.value:
            fails["budget_balance"].append(
                f"{contract.id}: awards {paid} + top-slice {res.top_slice} "
                f"!= value {contract.value}"
            )
        lot_ts = res.lot_top_slices
        if sum(lot_ts.values(), Decimal(0)) != res.top_slice:
            fails["budget_balance"].append(f"{contract.id}: lot top-slices do not add up")
        for lot in contract.lots:
            counts["budget_balance"] += 1
            if award_by_lot[lot.id] + lot_ts.get(lot.id, Decimal(0)) != lot.value:
                fails["budget_balance"].append(
                    f"lot {lot.id}: awards {award_by_lot[lot.id]} + top-slice "
                    f"{lot_ts.get(lot.id)} != value {lot.value}"
                )
            if lot.unit_price is not None:
                counts["whole_units"] += 1
                n_units = int(lot.value / lot.unit_price)
                if units_by_lot[lot.id] != n_units:
                    fails["whole_units"].append(
                        f"lot {lot.id}: {units_by_lot[lot.id]} units awarded, lot has {n_units}"
                    )
                pot = lot.value - lot_ts.get(lot.id, Decimal(0))
                for mid, amount, units in awards_of_lot[lot.id]:
                    share = pot * Decimal(units or 0) / Decimal(n_units)
                    if abs(amount - share) >= Decimal("0.01"):
                        fails["whole_units"].append(
                            f"{mid} on {lot.id}: money {amount} does not follow "
                            f"its {units} units ({share:.4f})"
                        )
            if not _has_side_constraints(problem):
                _check_fair_share(
                    problem,
                    lot,
                    lot_ts.get(lot.id, Decimal(0)),
                    awards_of_lot[lot.id],
                    caps,
                    members,
                    fails,
                    counts,
                )

    names = {
        "budget_balance": "awards plus top-slice equal every contract's and lot's value exactly",
        "top_slice_cap": "no top-slice above max_rate × contract value",
        "top_slice_method": "each top-slice equals its method's rate × value, rounded down",
        "non_negative": "no negative award",
        "capacity": "no award above declared capacity",
        "eligibility": "only eligible members receive awards",
        "whole_units": "whole units on unit-priced lots, money following units",
        "fair_share": "every award within one penny (or unit) of the rule's exact share",
    }
    for name, description in names.items():
        bad = fails.get(name, [])
        n = counts.get(name, 0)
        if bad:
            detail = f"{len(bad)} failure(s): " + "; ".join(bad[:5])
        else:
            detail = f"{description} ({n} checked)"
        checks.append(Check(name=name, passed=not bad, detail=detail))
    return checks


def _has_side_constraints(problem: Problem) -> bool:
    return False


def _eligible(problem: Problem, m: Member, lot: Lot) -> bool:
    pol = problem.policy
    return (
        m.membership is Membership.FULL
        and m.qa_passed
        and m.quality_score >= pol.quality_threshold
        and m.reporting_compliance >= pol.reporting_threshold
        and lot.theme in m.themes
        and lot.area in m.areas
    )


def _check_fair_share(
    problem: Problem,
    lot: Lot,
    lot_top_slice: Decimal,
    awards: list[tuple[str, Decimal, int | None]],
    caps: dict[tuple[str, str], Capacity],
    members: dict[str, Member],
    fails: dict[str, list[str]],
    counts: dict[str, int],
) -> None:
    """Proportional: award_i / pot = capacity_i / Σ capacity, within one penny (or unit)."""
    if problem.policy.rule is not Rule.PROPORTIONAL:
        return
    claims: dict[str, Fraction] = {}
    for (mid, lid), cap in caps.items():
        if lid != lot.id or not _eligible(problem, members[mid], lot):
            continue
        if lot.unit_price is not None:
            q = cap.units if cap.units is not None else int((cap.amount or 0) // lot.unit_price)
            claims[mid] = Fraction(q)
        else:
            claims[mid] = Fraction(cap.amount or 0)
    total = sum(claims.values(), Fraction(0))
    if total == 0:
        return
    pot = Fraction(lot.value - lot_top_slice)
    got = {mid: (amt, units) for mid, amt, units in awards}
    for mid, claim in claims.items():
        counts["fair_share"] += 1
        amount, units = got.get(mid, (Decimal(0), 0))
        if lot.unit_price is not None:
            n_units = Fraction(int(lot.value / lot.unit_price))
            exact_units = n_units * claim / total
            if abs(Fraction(units or 0) - exact_units) >= 1:
                fails["fair_share"].append(
                    f"{mid} on {lot.id}: {units} units, rule gives {float(exact_units):.4f}"
                )
        else:
            exact = pot * claim / total
            if abs(Fraction(amount) - exact) >= Fraction(1, 100):
                fails["fair_share"].append(
                    f"{mid} on {lot.id}: {amount}, rule gives {float(exact):.4f}"
                )


def raise_on_failure(checks: list[Check]) -> None:
    """Raise :class:`~allocate.VerificationError` if any check failed."""
    failed = [(c.name, c.detail) for c in checks if not c.passed]
    if failed:
        raise VerificationError(failed)
