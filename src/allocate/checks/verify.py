"""Independent verification: re-check an allocation against the input, never the solver.

:func:`verify` recomputes every condition from the :class:`~allocate.Problem` alone, with its own
straightforward code (no shared path with the solve pipeline beyond the input model and the
published rules of :mod:`allocate.rules`), and returns one :class:`~allocate.result.Check` per
documented condition.  :func:`allocate.solve` runs it on every allocation it returns and raises
:class:`~allocate.VerificationError` on any failure; tests and other systems call it on any
allocation.

Conditions (the names used in reports and errors): eight about every allocation, then one per
side-constraint family of :mod:`allocate.core.families` that is checked under its own name, in
the registry's order and words, reported only when the policy switches the family on (the
registry's exclusions are checked by ``eligibility``, its pooled capacities by ``capacity``).
Each group of checks below reports under the names of the conditions it checks.

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
    No award exceeds the member's declared capacity on the lot (money, or units), and a member's
    awards over the lots of a pooled capacity stay within the pool.
``eligibility``
    Only eligible members (full, QA passed, above thresholds, serving the lot's theme and area,
    with capacity, not excluded) receive anything.
``whole_units``
    On unit-priced lots, awarded units are whole, sum to the lot's units, and the money follows
    the units (each member's money within a penny of its units' share of the pot).
``fair_share``
    With no side-constraint and no pooled capacity, every award is within one penny (one unit) of
    the rule's exact share.
``tender`` (only for problems with a sub-tendered lot)
    On every sub-tendered lot only qualifying bids receive awards (scored and qualified again
    here, with :func:`allocate.core.tendering.evaluate` on this module's own reading of the
    input), and with no side-constraint and no pooled capacity every award is the competition's
    to within one penny (one unit).
``min_award``
    Every award is zero or at least ``min_award``.
``max_member_share``
    A member's awards on a contract stay within ``max_member_share`` × the contract's member total,
    and across the portfolio within that share of all member totals.
``max_dependency``
    A member's total awards stay within ``max_dependency`` × its annual income.
``small_org_share``
    Members in ``small_org_bands`` receive at least ``small_org_share`` of each contract's member
    total.
``case_mix``
    On every service with standard and hard-to-help lots, each member's hard-to-help awards
    ``h`` and all its awards ``w`` there satisfy ``|h − R·w| ≤ τ·w``, where ``R`` is the
    hard-to-help share of the service's member pot — to within one penny per lot, or one unit's
    price per unit-priced lot (rounding to whole pence and units).
``min_providers_per_area``
    Every area has at least ``min(k, members eligible there)`` members with an award there.
``cash_flow``
    No member's peak working capital, worked out month by month from the payment terms with
    exact fractions, exceeds ``max_reserves_share`` × its reserves.
``full_cost``
    With ``policy.full_cost_recovery``: no award below its full cost, the award times the
    declared cost of a pound (``cost_ratio``, or ``unit_cost`` × the lot's units over its
    member pot as the allocation leaves it), exactly.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from allocate.core import families
from allocate.core.errors import VerificationError
from allocate.core.families import FAMILIES, Family
from allocate.core.model import (
    Capacity,
    CashFlowTerms,
    Competition,
    Contract,
    Lot,
    Member,
    MemberPayBasis,
    Membership,
    PaymentTiming,
    Problem,
    Rule,
    TopSliceMethod,
)
from allocate.core.outcome import Allocation, Award, Check, ContractResult
from allocate.core.rules import RULES
from allocate.core.tendering import LotTender, Offer, evaluate

__all__ = ["CONDITIONS", "raise_on_failure", "verify"]

#: The side-constraint families :func:`verify` checks under their own name (the others are
#: checked as part of a base condition: exclusions by ``eligibility``, pools by ``capacity``).
_OWN_CHECK: Mapping[str, Family] = {f.name: f for f in FAMILIES if f.check == f.name}

#: Every condition :func:`verify` checks, with what it means: the base conditions, then each
#: side-constraint family's, in the registry's order and words.
CONDITIONS: dict[str, str] = {
    "budget_balance": "awards plus top-slice equal every contract's and lot's value exactly",
    "top_slice_cap": "no top-slice above max_rate × contract value",
    "top_slice_method": "each top-slice equals its method's rate × value, rounded down",
    "non_negative": "no negative award",
    "capacity": "no award above declared capacity; pooled capacities respected",
    "eligibility": "only eligible members receive awards",
    "whole_units": "whole units on unit-priced lots, money following units",
    "fair_share": "every award within one penny (or unit) of the rule's exact share",
    "tender": "sub-tendered lots: awards only to qualifying bids, the competition's to a penny",
    "full_cost": "no award below the member's declared full cost (policy.full_cost_recovery)",
    **{name: family.condition for name, family in _OWN_CHECK.items()},
}


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


def _covers(cap: Capacity, lot: Lot) -> bool:
    if cap.lot is not None:
        return cap.lot == lot.id
    return (cap.theme is None or cap.theme == lot.theme) and (
        cap.area is None or cap.area == lot.area
    )


def _excluded_pairs(problem: Problem) -> set[tuple[str, str]]:
    """The (member, lot) pairs the exclusions bar (an excluded contract: each of its lots)."""
    excluded: set[tuple[str, str]] = set()
    for ex in problem.policy.exclusions:
        if ex.lot is not None:
            excluded.add((ex.member, ex.lot))
        else:
            contract = next(c for c in problem.contracts if c.id == ex.contract)
            excluded |= {(ex.member, lot.id) for lot in contract.lots}
    return excluded


def _member_reasons(problem: Problem, m: Member) -> list[str]:
    """Why the member may receive no lot at all (empty: it may, lot by lot)."""
    pol = problem.policy
    why = []
    if m.membership is not Membership.FULL:
        why.append("associate member")
    if not m.qa_passed:
        why.append("QA not passed")
    if m.quality_score < pol.quality_threshold:
        why.append("quality below threshold")
    if m.reporting_compliance < pol.reporting_threshold:
        why.append("reporting below threshold")
    return why


_HUNDRED = Decimal(100)


class _Index:
    """Look-ups over the input, built once per verification (plain dicts, no solver data)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.pools: dict[str, list[Capacity]] = defaultdict(list)
        self.caps_of_lot: dict[str, dict[str, Capacity]] = defaultdict(dict)
        for c in problem.capacities:
            if c.lot is None:
                self.pools[c.member].append(c)
            else:
                self.caps_of_lot[c.lot][c.member] = c
        self.excluded = _excluded_pairs(problem)
        pol = problem.policy
        #: members in good standing: those _member_reasons finds nothing against (written out)
        self.member_ok = {
            mid
            for mid, m in problem.member_index.items()
            if m.membership is Membership.FULL
            and m.qa_passed
            and not m.quality_score < pol.quality_threshold
            and not m.reporting_compliance < pol.reporting_threshold
        }
        self.themes = {mid: m.themes for mid, m in problem.member_index.items()}
        self.areas = {mid: m.areas for mid, m in problem.member_index.items()}
        self._lot_claims: dict[str, dict[str, int]] = {}
        self._eligible: dict[str, set[str]] = {}
        self._tenders: dict[str, LotTender] = {}
        #: each lot's top-slice as the allocation reports it (checked by ``top_slice_method``)
        self.lot_top_slice: dict[str, Decimal] = {}

    def claims(self, lot: Lot) -> dict[str, int]:
        """Every member's claim on the lot, in the lot's quantity (whole pence, or units)."""
        if lot.id in self._lot_claims:
            return self._lot_claims[lot.id]

        def quantity(c: Capacity) -> int:
            if lot.unit_price is not None:
                if c.units is not None:
                    return c.units
                return int((c.amount or Decimal(0)) // lot.unit_price)
            return int((c.amount or Decimal(0)) * _HUNDRED)

        if lot.id in self.problem.tendered:
            out = self._bid_claims(
                lot, {mid: quantity(c) for mid, c in self.caps_of_lot.get(lot.id, {}).items()}
            )
            self._lot_claims[lot.id] = out
            return out
        own = self.caps_of_lot.get(lot.id, {})
        if lot.unit_price is None:  # quantity(c), written out: a county has 50,000 capacities
            out = {mid: int((c.amount or Decimal(0)) * _HUNDRED) for mid, c in own.items()}
        else:
            out = {mid: quantity(c) for mid, c in own.items()}
        for mid, pools in self.pools.items():
            pooled = [quantity(c) for c in pools if _covers(c, lot)]
            if not pooled:
                continue
            # a per-lot capacity and a pool: the smaller binds; several pools: the largest
            out[mid] = min(out[mid], max(pooled)) if mid in out else max(pooled)
        self._lot_claims[lot.id] = out
        return out

    def _bid_claims(self, lot: Lot, declared: dict[str, int]) -> dict[str, int]:
        """Each bidder's claim on a sub-tendered lot.

        Its bid's capacity, or its declared one when smaller or when the bid gives none, or
        else the whole lot; a pool caps it too.
        """
        whole = int(lot.value / lot.unit_price) if lot.unit_price else int(lot.value * _HUNDRED)
        out: dict[str, int] = {}
        for bid in self.problem.bids:
            if bid.lot != lot.id:
                continue
            offered: int | None = None
            if bid.capacity_units is not None:
                offered = bid.capacity_units
            elif bid.capacity is not None:
                offered = (
                    int(bid.capacity // lot.unit_price)
                    if lot.unit_price
                    else int(bid.capacity * _HUNDRED)
                )
            pooled = [
                int(c.amount // lot.unit_price) if lot.unit_price else int(c.amount * _HUNDRED)
                for c in self.pools.get(bid.member, ())
                if _covers(c, lot) and c.amount is not None
            ]
            own = declared.get(bid.member)
            if pooled:
                own = min(own, max(pooled)) if own is not None else max(pooled)
            known = [q for q in (offered, own) if q is not None]
            out[bid.member] = min(known) if known else whole
        return out

    def tender(self, lot: Lot) -> LotTender:
        """The competition for a sub-tendered lot, evaluated from this module's own reading."""
        if lot.id in self._tenders:
            return self._tenders[lot.id]
        offers, estate, least = self.tender_offers(lot)
        self._tenders[lot.id] = evaluate(
            self.problem.policy.tender, estate, offers, min_award=least
        )
        return self._tenders[lot.id]

    def tender_offers(self, lot: Lot) -> tuple[list[Offer], int, int | None]:
        """The bids for a sub-tendered lot as the evaluation reads them, estate and minimum.

        The estate is the lot's member pot in pence, or its units; the minimum award is in the
        lot's quantity (None without one).
        """
        problem, policy = self.problem, self.problem.policy
        pot_pence = int((lot.value - self.lot_top_slice.get(lot.id, Decimal(0))) * _HUNDRED)
        units = int(lot.value / lot.unit_price) if lot.unit_price else None
        on_price = policy.tender.competition is Competition.PRICE_QUALITY

        def ratio(price: Decimal | None) -> Fraction | None:
            if price is None or pot_pence <= 0:
                return None
            return Fraction(int(price * _HUNDRED) * (units or 1), pot_pence)

        claims = self.claims(lot)
        offers = []
        for bid in problem.bids:
            if bid.lot != lot.id:
                continue
            member = problem.member_index[bid.member]
            barred = list(_member_reasons(problem, member))
            if lot.theme not in member.themes:
                barred.append("theme not delivered")
            if lot.area not in member.areas:
                barred.append("area not served")
            if (member.id, lot.id) in self.excluded:
                barred.append("excluded by policy")
            offers.append(
                Offer(
                    member=bid.member,
                    quality=Fraction(repr(bid.quality)),
                    social_value=None
                    if bid.social_value is None
                    else Fraction(repr(bid.social_value)),
                    impact=None if bid.impact is None else Fraction(repr(bid.impact)),
                    claim=claims[bid.member],
                    price_ratio=(ratio(bid.price) or Fraction(1)) if on_price else Fraction(1),
                    cost_ratio=ratio(bid.unit_cost) if on_price else None,
                    barred=tuple(barred),
                )
            )
        estate = units if units is not None else pot_pence
        least = None
        if policy.min_award is not None:
            pence = int(policy.min_award * _HUNDRED)
            least = pence if units is None else -(-pence * units // pot_pence) if pot_pence else 0
        return offers, estate, least

    def eligible_set(self, lot: Lot) -> set[str]:
        """Members eligible for the lot.

        Those with a capacity there, in good standing, serving its theme and area, and not
        excluded from it.
        """
        if lot.id not in self._eligible:
            theme, area, themes, areas = lot.theme, lot.area, self.themes, self.areas
            barred = {mid for mid, lid in self.excluded if lid == lot.id}
            with_capacity = {mid for mid, q in self.claims(lot).items() if q > 0}
            self._eligible[lot.id] = {
                mid
                for mid in (with_capacity & self.member_ok) - barred
                if theme in themes[mid] and area in areas[mid]
            }
            if lot.id in self.problem.tendered:
                qualified = {e.member for e in self.tender(lot).evaluations if e.qualified}
                self._eligible[lot.id] &= qualified
            if self.problem.policy.full_cost_recovery:
                self._eligible[lot.id] -= {
                    mid for mid in self.caps_of_lot.get(lot.id, {}) if self.below_cost(mid, lot)
                }
        return self._eligible[lot.id]

    def below_cost(self, member_id: str, lot: Lot) -> bool:
        """Whether the member's declared full cost on the lot is above what an award pays.

        A cost ratio above 1; or a unit cost × the lot's units above its member pot (the lot's
        value less the top-slice the allocation reports on it).
        """
        cap = self.caps_of_lot.get(lot.id, {}).get(member_id)
        if cap is None:
            return False
        if cap.cost_ratio is not None:
            return cap.cost_ratio > 1
        if cap.unit_cost is None or lot.unit_price is None:
            return False
        pot = lot.value - self.lot_top_slice.get(lot.id, Decimal(0))
        return pot > 0 and cap.unit_cost * (lot.value / lot.unit_price) > pot

    def why_not(self, member: Member, lot: Lot) -> list[str]:
        """Why the member may not receive the lot (empty: eligible)."""
        why = _member_reasons(self.problem, member)
        if lot.theme not in member.themes:
            why.append("theme not delivered")
        if lot.area not in member.areas:
            why.append("area not served")
        if (member.id, lot.id) in self.excluded:
            why.append("excluded by policy")
        if lot.id in self.problem.tendered:
            if member.id not in self.claims(lot):
                why.append("no bid")
            else:
                evaluation = next(e for e in self.tender(lot).evaluations if e.member == member.id)
                why.extend(f"bid not qualified: {r}" for r in evaluation.reasons)
        elif self.claims(lot).get(member.id, 0) <= 0:
            why.append("no capacity declared")
        if self.problem.policy.full_cost_recovery and self.below_cost(member.id, lot):
            why.append("paid below its declared full cost (policy.full_cost_recovery)")
        return why


@dataclass(slots=True)
class _Failures:
    """What each condition found wrong, and how many cases it checked, by condition name."""

    found: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    checked: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    def count(self, condition: str, cases: int = 1) -> None:
        """``cases`` more cases of ``condition`` checked."""
        self.checked[condition] += cases

    def fail(self, condition: str, detail: str) -> None:
        """A case of ``condition`` that fails, as the report shows it."""
        self.found[condition].append(detail)

    def check(self, condition: str, description: str) -> Check:
        """The condition's result: its first failures, or how many cases passed."""
        bad = self.found.get(condition, [])
        detail = (
            f"{len(bad)} failure(s): " + "; ".join(bad[:5])
            if bad
            else f"{description} ({self.checked.get(condition, 0)} checked)"
        )
        return Check(name=condition, passed=not bad, detail=detail)


class _Awards:
    """The allocation's awards and contract results, grouped the ways the checks read them."""

    def __init__(self, index: _Index, allocation: Allocation) -> None:
        problem = index.problem
        self.allocation = allocation
        self.ok = allocation.status.is_ok
        self.lots = {lot.id: (c, lot) for c in problem.contracts for lot in c.lots}
        self.members = {m.id: m for m in problem.members}
        self.results: dict[str, ContractResult] = {c.id: c for c in allocation.contracts}
        #: awards to known members on known lots, and their lots, in the allocation's order
        self.known_awards: list[Award] = []
        self.known_lots: list[Lot] = []
        #: the same by lot (the others fail ``eligibility``)
        self.by_lot: dict[str, list[Award]] = defaultdict(list)
        for a in allocation.awards:
            if a.lot in self.lots and a.member in self.members:
                self.by_lot[a.lot].append(a)
                self.known_awards.append(a)
                self.known_lots.append(self.lots[a.lot][1])
        #: each contract's member pot: its value less the top-slice reported
        self.pots = {
            c.id: c.value - self.results[c.id].top_slice
            for c in problem.contracts
            if c.id in self.results
        }

    def known(self) -> Iterator[tuple[Award, Lot]]:
        """Each award to a known member on a known lot, with its lot, in the allocation's order."""
        return zip(self.known_awards, self.known_lots, strict=True)

    @functools.cached_property
    def per_member(self) -> dict[str, Decimal]:
        """Each member's awards, in total (only the side-constraints need them)."""
        out: dict[str, Decimal] = defaultdict(Decimal)
        for a in self.allocation.awards:
            out[a.member] += a.amount
        return out

    @functools.cached_property
    def per_member_contract(self) -> dict[tuple[str, str], Decimal]:
        """Each member's awards on each contract."""
        out: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for a in self.allocation.awards:
            out[a.member, a.contract] += a.amount
        return out


def verify(problem: Problem, allocation: Allocation) -> list[Check]:
    """Re-check ``allocation`` against ``problem``; one :class:`Check` per condition.

    Only allocations with status ``optimal`` carry awards; for any other status the checks
    are about the top-slice alone.  A side-constraint's condition is reported only when the
    policy switches it on.

    Examples
    --------
    >>> from allocate import Problem, solve
    >>> from allocate.examples import example_dict
    >>> p = Problem.model_validate(example_dict())
    >>> all(check.passed for check in verify(p, solve(p)))
    True
    """
    index = _Index(problem)
    for result in allocation.contracts:
        index.lot_top_slice.update(result.lot_top_slices)
    awards = _Awards(index, allocation)
    failures = _Failures()
    for check in _CHECKS:
        check(index, awards, failures)
    return [
        failures.check(name, description)
        for name, description in CONDITIONS.items()
        if (name not in _OWN_CHECK or _OWN_CHECK[name].is_on(problem.policy))
        and (name != "tender" or problem.tendered)
        and (name != "full_cost" or problem.policy.full_cost_recovery)
    ]


# -- the base conditions, one group of checks each ----------------------------------------------


def _check_non_negative(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """``non_negative``: no award below zero, in money or units."""
    failures.count("non_negative", len(awards.allocation.awards))
    for a in awards.allocation.awards:
        if a.amount < 0 or (a.units is not None and a.units < 0):
            failures.fail("non_negative", f"{a.member} on {a.lot}: {a.amount}")


def _check_eligibility(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """``eligibility``: awards only to known members eligible for known lots."""
    failures.count("eligibility", len(awards.known_awards))
    eligible: dict[str, set[str]] = {}  # by lot id: index.eligible_set, looked up once a lot
    for a in awards.allocation.awards:
        if a.lot not in awards.lots or a.member not in awards.members:
            failures.fail("eligibility", f"award to unknown member/lot {a.member}/{a.lot}")
            continue
        lot = awards.lots[a.lot][1]
        if a.lot not in eligible:
            eligible[a.lot] = index.eligible_set(lot)
        if a.member not in eligible[a.lot] and (a.amount > 0 or a.units):
            why = index.why_not(awards.members[a.member], lot)
            failures.fail(
                "eligibility", f"{a.member} on {a.lot} received {a.amount}: {', '.join(why)}"
            )


def _check_capacity(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """``capacity``: each award within its claim on the lot, each pool within its amount."""
    failures.count("capacity", len(awards.known_awards))
    claims: dict[str, dict[str, int]] = {}  # by lot id: index.claims, looked up once a lot
    for a, lot in awards.known():
        if lot.id not in claims:
            claims[lot.id] = index.claims(lot)
        claim = claims[lot.id].get(a.member, 0)
        if lot.unit_price is None:
            if int(a.amount * _HUNDRED) > claim:
                failures.fail(
                    "capacity", f"{a.member} on {a.lot}: {a.amount} > capacity {claim / 100:.2f}"
                )
            continue
        if a.units is not None and a.units > claim:
            failures.fail("capacity", f"{a.member} on {a.lot}: {a.units} units > capacity {claim}")
        own = index.caps_of_lot.get(lot.id, {}).get(a.member)
        if own is not None and own.amount is not None and a.amount > own.amount:
            failures.fail("capacity", f"{a.member} on {a.lot}: {a.amount} > capacity {own.amount}")
    if not index.pools:
        return  # no pooled capacity to keep
    by_member: dict[str, list[tuple[Lot, Decimal]]] = defaultdict(list)
    for a in awards.allocation.awards:
        if a.lot in awards.lots:
            by_member[a.member].append((awards.lots[a.lot][1], a.amount))
    for c in index.problem.capacities:
        if c.lot is None:
            failures.count("capacity")
            total = sum((amt for lot, amt in by_member[c.member] if _covers(c, lot)), Decimal(0))
            if c.amount is not None and total > c.amount:
                failures.fail(
                    "capacity",
                    f"{c.member}: {total} over its pooled capacity {c.amount} ({c.theme}/{c.area})",
                )


def _check_budget_balance(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """``budget_balance``: awards plus top-slice add up to every contract and lot, exactly."""
    for a in awards.known_awards:
        contract = awards.lots[a.lot][0]
        if a.contract != contract.id:
            failures.fail("budget_balance", f"award {a.member}/{a.lot} names contract {a.contract}")
    for contract in index.problem.contracts:
        failures.count("budget_balance")
        res = awards.results.get(contract.id)
        if res is None:
            failures.fail("budget_balance", f"contract {contract.id} missing from the result")
            continue
        if not awards.ok:
            continue
        paid = sum((a.amount for lot in contract.lots for a in awards.by_lot[lot.id]), Decimal(0))
        if paid + res.top_slice != contract.value:
            failures.fail(
                "budget_balance",
                f"{contract.id}: awards {paid} + top-slice {res.top_slice} "
                f"!= value {contract.value}",
            )
        if sum(res.lot_top_slices.values(), Decimal(0)) != res.top_slice:
            failures.fail("budget_balance", f"{contract.id}: lot top-slices do not add up")
        for lot in contract.lots:
            failures.count("budget_balance")
            got = sum((a.amount for a in awards.by_lot[lot.id]), Decimal(0))
            ts_lot = res.lot_top_slices.get(lot.id, Decimal(0))
            if got + ts_lot != lot.value:
                failures.fail(
                    "budget_balance",
                    f"lot {lot.id}: awards {got} + top-slice {ts_lot} != value {lot.value}",
                )


def _check_top_slice(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """``top_slice_cap`` and ``top_slice_method``: each top-slice within its cap, by its method."""
    problem = index.problem
    max_rate = Fraction(problem.top_slice.max_rate)
    for contract in problem.contracts:
        res = awards.results.get(contract.id)
        if res is None:
            continue
        failures.count("top_slice_cap")
        if Fraction(res.top_slice) > max_rate * Fraction(contract.value):
            failures.fail(
                "top_slice_cap", f"{contract.id}: {res.top_slice} > {max_rate} × {contract.value}"
            )
        failures.count("top_slice_method")
        exact = _rate(problem, contract.year) * Fraction(contract.value)
        floor_pence = Decimal(exact.numerator * 100 // exact.denominator) / 100
        if res.top_slice != floor_pence:
            failures.fail(
                "top_slice_method",
                f"{contract.id}: top-slice {res.top_slice}, method gives {floor_pence}",
            )


def _check_whole_units(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """``whole_units``: units on every unit-priced award, adding up, the money following them."""
    for a, lot in awards.known():
        if lot.unit_price is not None and a.units is None:
            failures.fail("whole_units", f"{a.member} on {a.lot}: no units on a unit-priced lot")
    if not awards.ok:
        return
    for contract in index.problem.contracts:
        res = awards.results.get(contract.id)
        if res is None:
            continue
        for lot in contract.lots:
            if lot.unit_price is not None:
                ts_lot = res.lot_top_slices.get(lot.id, Decimal(0))
                _check_units(lot, ts_lot, awards.by_lot[lot.id], failures)


def _check_units(lot: Lot, ts_lot: Decimal, on_lot: list[Award], failures: _Failures) -> None:
    assert lot.unit_price is not None
    failures.count("whole_units")
    n_units = int(lot.value / lot.unit_price)
    total = sum(a.units or 0 for a in on_lot)
    if total != n_units:
        failures.fail("whole_units", f"lot {lot.id}: {total} units awarded, lot has {n_units}")
    pot = lot.value - ts_lot
    for a in on_lot:
        share = pot * Decimal(a.units or 0) / Decimal(n_units)
        if abs(a.amount - share) >= Decimal("0.01"):
            failures.fail(
                "whole_units",
                f"{a.member} on {lot.id}: money {a.amount} does not follow its {a.units} units",
            )


def _check_fair_shares(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """``fair_share``: with nothing but capacities to respect, every award is the rule's share."""
    problem = index.problem
    if not awards.ok or problem.policy.side_constraints or index.pools:
        return
    for contract in problem.contracts:
        res = awards.results.get(contract.id)
        if res is None:
            continue
        for lot in contract.lots:
            if lot.id in problem.tendered:
                continue  # checked by ``tender``
            ts_lot = res.lot_top_slices.get(lot.id, Decimal(0))
            _check_fair_share(index, lot, ts_lot, awards.by_lot[lot.id], failures)


def _check_tender(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """``tender``: only qualifying bids win; with nothing else to respect, the competition's."""
    problem = index.problem
    if not problem.tendered or not awards.ok:
        return
    exact = not problem.policy.side_constraints and not index.pools
    for lot in problem.lots:
        if lot.id not in problem.tendered:
            continue
        result = index.tender(lot)
        qualified = {e.member for e in result.evaluations if e.qualified}
        got = {a.member: a for a in awards.by_lot[lot.id]}
        failures.count("tender", len(result.evaluations) or 1)
        for mid, a in sorted(got.items()):
            if mid not in qualified and (a.amount > 0 or a.units):
                failures.fail("tender", f"{mid} on {lot.id}: {a.amount} without a qualifying bid")
        if not exact:
            continue
        for mid, target in sorted(result.targets.items()):
            won = got.get(mid)
            if lot.unit_price is not None:
                q = (won.units or 0) if won else 0
            else:
                q = int(won.amount * _HUNDRED) if won else 0
            if abs(q - target) >= 1:
                failures.fail(
                    "tender", f"{mid} on {lot.id}: {q}, the competition gives {float(target):.4f}"
                )


def _check_fair_share(
    index: _Index, lot: Lot, ts_lot: Decimal, on_lot: list[Award], failures: _Failures
) -> None:
    """Each award within one penny (one unit) of the rule's exact share of the lot."""
    proportional = index.problem.policy.rule is Rule.PROPORTIONAL
    # the rules read the claimants in id order; the proportional one takes each alone, so only
    # its failures need that order (they are sorted below)
    eligible = index.eligible_set(lot)
    claimants = list(eligible) if proportional else sorted(eligible)
    if not claimants:
        return
    lot_claims = index.claims(lot)
    claims = [lot_claims[mid] for mid in claimants]
    units = lot.unit_price is not None
    if lot.unit_price is not None:
        estate = int(lot.value / lot.unit_price)
    else:
        estate = int((lot.value - ts_lot) * 100)
    if estate > sum(claims):
        return
    got = {a.member: a for a in on_lot}
    if units:
        quantity = [(got[mid].units or 0) if mid in got else 0 for mid in claimants]
    else:
        quantity = [int(got[mid].amount * _HUNDRED) if mid in got else 0 for mid in claimants]

    if proportional:
        # |x·Σc − E·c| < Σc  ⇔  x within one penny (unit) of E·c/Σc: exact, on integers
        total = sum(claims)
        failures.count("fair_share", len(claimants))
        off = sorted(
            (mid, c, q)
            for mid, c, q in zip(claimants, claims, quantity, strict=True)
            if abs(q * total - estate * c) >= total
        )
        for mid, c, q in off:
            failures.fail(
                "fair_share", f"{mid} on {lot.id}: {q}, rule gives {estate * c / total:.4f}"
            )
        return
    exact = _rule_shares(index.problem, estate, claimants, claims)
    if exact is None:
        return  # the documented fallback for zero weights; covered by unit tests
    failures.count("fair_share", len(claimants))
    for mid, share, q in zip(claimants, exact, quantity, strict=True):
        if abs(q - share) >= 1:
            failures.fail("fair_share", f"{mid} on {lot.id}: {q}, rule gives {float(share):.4f}")


def _rule_shares(
    problem: Problem, estate: int, claimants: list[str], claims: list[int]
) -> list[Fraction] | None:
    """The rule's exact shares of ``estate``; None when zero weights leave it to the fallback."""
    rule = problem.policy.rule
    if not rule.is_weighted:
        return RULES[rule.value](estate, claims)
    factors = []
    for mid in claimants:
        raw = getattr(problem.member_index[mid], problem.policy.weight_factor.value)
        factors.append(Fraction(repr(raw if raw is not None else 1.0)))
    weights = [
        f * c if rule is Rule.WEIGHTED_PROPORTIONAL else f
        for f, c in zip(factors, claims, strict=True)
    ]
    if estate > sum(c for c, w in zip(claims, weights, strict=True) if w > 0):
        return None
    return RULES[rule.value](estate, claims, weights)


# -- the side-constraint families, each checked under its own name when switched on -------------


def _check_min_award(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """Every award zero or at least the minimum award."""
    name, least = families.MIN_AWARD.name, index.problem.policy.min_award
    assert least is not None
    failures.count(name, len(awards.known_awards))
    for a in awards.known_awards:
        if 0 < a.amount < least:
            failures.fail(name, f"{a.member} on {a.lot}: {a.amount} < {least}")


def _check_max_member_share(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """No member above its share of a contract's member pot, nor of all of them."""
    name, share = families.MAX_MEMBER_SHARE.name, index.problem.policy.max_member_share
    assert share is not None
    pots = awards.pots
    for (mid, cid), total in sorted(awards.per_member_contract.items()):
        failures.count(name)
        if total > share * pots[cid]:
            failures.fail(name, f"{mid} on {cid}: {total} > {share} × {pots[cid]}")
    everything = sum(pots.values(), Decimal(0))
    for mid, total in sorted(awards.per_member.items()):
        failures.count(name)
        if total > share * everything:
            failures.fail(name, f"{mid} overall: {total} > {share} × {everything}")


def _check_max_dependency(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """No member's awards above the multiple of its annual income."""
    name, multiple = families.MAX_DEPENDENCY.name, index.problem.policy.max_dependency
    assert multiple is not None
    for mid, total in sorted(awards.per_member.items()):
        failures.count(name)
        limit = multiple * index.problem.member_index[mid].annual_income
        if total > limit:
            failures.fail(name, f"{mid}: {total} > {limit}")


def _check_small_org_share(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """Members in the small bands receive at least their ring-fence of every contract."""
    name, policy = families.SMALL_ORG_SHARE.name, index.problem.policy
    assert policy.small_org_share is not None
    bands = set(policy.small_org_bands)
    for cid, pot in awards.pots.items():
        failures.count(name)
        small = sum(
            (
                t
                for (mid, c), t in awards.per_member_contract.items()
                if c == cid and index.problem.member_index[mid].size_band in bands
            ),
            Decimal(0),
        )
        if small < policy.small_org_share * pot:
            failures.fail(name, f"{cid}: {small} < {policy.small_org_share} × {pot}")


def _check_case_mix(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """On every service with both client groups, each member's hard-to-help share in band."""
    assert index.problem.policy.case_mix_tolerance is not None
    tol = Fraction(index.problem.policy.case_mix_tolerance)
    services: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for lid, (_, lot) in awards.lots.items():
        if lot.client_group is not None:
            services[lot.service or lot.theme][lot.client_group.value].append(lid)
    for key, groups in services.items():
        hard, easy = groups.get("hard_to_help", []), groups.get("standard", [])
        if hard and easy:
            _check_service_mix(awards, key, hard, easy, tol, failures)


def _check_service_mix(
    awards: _Awards, key: str, hard: list[str], easy: list[str], tol: Fraction, failures: _Failures
) -> None:
    """``|h − R·w| ≤ τ·w`` on one service, for each member with awards there."""
    name = families.CASE_MIX.name

    def lot_pot(lid: str) -> Fraction:
        contract, lot = awards.lots[lid]
        top_slice = awards.results[contract.id].lot_top_slices.get(lid, Decimal(0))
        return Fraction(lot.value - top_slice)

    hard_pot = sum((lot_pot(lid) for lid in hard), Fraction(0))
    r = hard_pot / sum((lot_pot(lid) for lid in hard + easy), Fraction(0))
    # rounding: a penny per lot, or a unit's worth on unit-priced lots
    slack = sum(
        (Fraction(awards.lots[lid][1].unit_price or Decimal("0.01")) for lid in hard + easy),
        Fraction(0),
    )
    h: dict[str, Fraction] = defaultdict(Fraction)
    w: dict[str, Fraction] = defaultdict(Fraction)
    for a in awards.allocation.awards:
        if a.lot in hard or a.lot in easy:
            w[a.member] += Fraction(a.amount)
            if a.lot in hard:
                h[a.member] += Fraction(a.amount)
    for mid in sorted(w):
        failures.count(name)
        gap: Fraction = h[mid] - r * w[mid]
        if max(gap, -gap) > tol * w[mid] + slack:
            failures.fail(
                name,
                f"{mid} on {key}: hard-to-help share {float(h[mid] / w[mid]):.4f}, "
                f"service share {float(r):.4f} ± {float(tol)}",
            )


def _check_min_providers_per_area(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """Every area keeps ``min(k, members who can provide there)`` members with an award there.

    A member can provide in an area when it is eligible for one of its lots with a capacity there
    worth at least the minimum award (any capacity, without one).
    """
    name, k = families.MIN_PROVIDERS_PER_AREA.name, index.problem.policy.min_providers_per_area
    assert k is not None
    areas: dict[str, list[Lot]] = defaultdict(list)
    for _, lot in awards.lots.values():
        areas[lot.area].append(lot)
    least = index.problem.policy.min_award
    for area, area_lots in sorted(areas.items()):
        failures.count(name)
        # a member can provide where it is eligible and its capacity reaches the minimum award
        eligible = {
            mid
            for lot in area_lots
            for mid in index.eligible_set(lot)
            if least is None or _worth(awards, lot, index.claims(lot)[mid]) >= least
        }
        ids = {lot.id for lot in area_lots}
        providers = {a.member for a in awards.allocation.awards if a.lot in ids and a.amount > 0}
        if len(providers) < min(k, len(eligible)):
            failures.fail(
                name, f"{area}: {len(providers)} provider(s), needs {min(k, len(eligible))}"
            )


def _worth(awards: _Awards, lot: Lot, claim: int) -> Fraction:
    """A claim on a lot (pence, or units) in pounds: units at the lot's member pot per unit."""
    if lot.unit_price is None:
        return Fraction(claim, 100)
    contract = awards.lots[lot.id][0]
    top_slice = awards.results[contract.id].lot_top_slices.get(lot.id, Decimal(0))
    units = int(lot.value / lot.unit_price)
    return Fraction(lot.value - top_slice) * claim / units


_Checker = Callable[[_Index, _Awards, _Failures], None]

#: Each family's check, by its condition's name.  A minimum award bounds single awards, so it is
#: checked on whatever awards are listed; the others weigh sums of awards against the contracts'
#: pots, which only an allocation (status ok) divides.
_ON_AWARDS: Mapping[str, _Checker] = {families.MIN_AWARD.name: _check_min_award}


def _check_cash_flow(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """No member's peak working capital above its share of its reserves.

    Written out from the documented terms, month by month, on its own: each award's delivery
    spread by the profile, what the member is paid and when, its full cost, and the running
    need at each month's end, exactly.
    """
    problem = index.problem
    name, share = families.CASH_FLOW.name, problem.policy.max_reserves_share
    assert share is not None
    cf = problem.cash_flow or CashFlowTerms()
    # awards on the same contract and paid the same way move together month by month: per
    # member and timetable, the awards (A) and their full cost (C = Σ ratio × award) are added
    # first; the need at a month's end is then Σ C·done − A·paid, worked out in whole numbers
    # over the timetables' common denominator
    timetable: dict[tuple[str, bool], dict[int, tuple[Fraction, Fraction]]] = {}
    award_sum: defaultdict[tuple[str, str, bool], int] = defaultdict(int)  # pence
    cost_sum: defaultdict[tuple[str, str, bool], Fraction] = defaultdict(Fraction)  # pence
    for a, lot in awards.known():
        member = awards.members[a.member]
        contract = awards.lots[a.lot][0]
        advanced = member.size_band in cf.members.advance_bands
        if (contract.id, advanced) not in timetable:
            timetable[contract.id, advanced] = _paid_and_done(cf, contract, member)
        ratio = _full_cost_per_pound(index, awards, a.member, lot)
        key = (a.member, contract.id, advanced)
        pence = int(a.amount * 100)
        award_sum[key] += pence
        cost_sum[key] += ratio * pence
    last = max((max(f) for f in timetable.values()), default=0)
    den = math.lcm(
        *(x.denominator for f in timetable.values() for pair in f.values() for x in pair)
    )
    scaled = {  # each timetable's (done, paid) at every month's end, times den: whole numbers
        t: [
            (int(f[min(m, max(f))][0] * den), int(f[min(m, max(f))][1] * den))
            for m in range(1, last + 1)
        ]
        for t, f in timetable.items()
    }
    # need × den × 100 at each month's end, per member: whole numbers while the costs are
    # (a pound costing a pound, the usual case), fractions only where a cost ratio makes them
    totals: dict[str, list[int | Fraction]] = {}
    for (mid, cid, advanced), award in award_sum.items():
        cost = cost_sum[mid, cid, advanced]
        c: int | Fraction = cost.numerator if cost.denominator == 1 else cost
        months = totals.setdefault(mid, [0] * last)
        for m, (done, paid) in enumerate(scaled[cid, advanced]):
            # after its last payment nothing changes: the timetable holds its last month
            months[m] += c * done - award * paid
    for mid in sorted(totals):
        failures.count(name)
        months = totals[mid]
        reserves = awards.members[mid].reserves
        # compared in the same scale: reserves in pence × den
        limit = Fraction(share) * Fraction(reserves or 0) * 100 * den
        worst = max(months)
        if worst > limit:
            month = months.index(worst) + 1
            pounds = Fraction(worst) / (den * 100)
            failures.fail(
                name, f"{mid}: £{float(pounds):,.2f} in month {month} > {share} × {reserves}"
            )


def _full_cost_per_pound(index: _Index, awards: _Awards, mid: str, lot: Lot) -> Fraction:
    """The declared cost ratio, or unit cost over what a unit pays members; 1 when neither."""
    cap = index.caps_of_lot.get(lot.id, {}).get(mid)
    if cap is None:
        return Fraction(1)
    if cap.cost_ratio is not None:
        return Fraction(cap.cost_ratio)
    if cap.unit_cost is not None and lot.unit_price is not None:
        contract = awards.lots[lot.id][0]
        top = awards.results[contract.id].lot_top_slices.get(lot.id, Decimal(0))
        pot = Fraction(lot.value - top)
        units = Fraction(lot.value / lot.unit_price)
        return Fraction(cap.unit_cost) * units / pot if pot else Fraction(1)
    return Fraction(1)


def _paid_and_done(
    cf: CashFlowTerms, contract: Contract, member: Member
) -> dict[int, tuple[Fraction, Fraction]]:
    """For every month: the share of an award delivered and the share paid by its end."""
    terms = contract.payment_terms or cf.commissioner
    weights = [Fraction(w) for w in (terms.delivery_profile or [1] * 12)]
    months = 12 * contract.term_years
    done_in = {
        m: weights[(m - 1) % 12] / (sum(weights) * contract.term_years)
        for m in range(1, months + 1)
    }
    delay = (cf.members.days + 29) // 30
    paid_in: defaultdict[int, Fraction] = defaultdict(Fraction)
    if member.size_band in cf.members.advance_bands:
        paid_in.update(done_in)
    elif cf.members.basis is MemberPayBasis.ON_CLAIM:
        for m, x in done_in.items():
            paid_in[m + delay] += x
    else:
        length = {"monthly": 1, "quarterly": 3, "annual": 12}[terms.frequency.value]
        lag = 0 if terms.lag_months is None else terms.lag_months
        if terms.timing is PaymentTiming.ARREARS and terms.lag_months is None:
            lag = 1
        pbr = Fraction(terms.results_share)
        for end in range(length, months + 1, length):
            period = sum((done_in[m] for m in range(end - length + 1, end + 1)), Fraction(0))
            when = end + lag if terms.timing is PaymentTiming.ARREARS else end - length + 1
            paid_in[when + delay] += (1 - pbr) * period
            paid_in[end + terms.results_lag_months + delay] += pbr * period
    last = max([months, *paid_in])
    out: dict[int, tuple[Fraction, Fraction]] = {}
    done = paid = Fraction(0)
    for m in range(1, last + 1):
        done += done_in.get(m, Fraction(0))
        paid += paid_in.get(m, Fraction(0))
        out[m] = (done, paid)
    return out


def _check_full_cost(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """With ``policy.full_cost_recovery``: every award covers its declared full cost, exactly."""
    if not index.problem.policy.full_cost_recovery or not awards.ok:
        return
    for a, lot in awards.known():
        failures.count("full_cost")
        ratio = _full_cost_per_pound(index, awards, a.member, lot)
        if ratio * Fraction(a.amount) > Fraction(a.amount):
            cost = ratio * Fraction(a.amount)
            failures.fail(
                "full_cost",
                f"{a.member} on {a.lot}: award £{a.amount:,} below its full cost "
                f"£{float(cost):,.2f}",
            )


_ON_ALLOCATION: Mapping[str, _Checker] = {
    families.MAX_MEMBER_SHARE.name: _check_max_member_share,
    families.MAX_DEPENDENCY.name: _check_max_dependency,
    families.SMALL_ORG_SHARE.name: _check_small_org_share,
    families.CASE_MIX.name: _check_case_mix,
    families.MIN_PROVIDERS_PER_AREA.name: _check_min_providers_per_area,
    families.CASH_FLOW.name: _check_cash_flow,
}


def _check_side_constraints(index: _Index, awards: _Awards, failures: _Failures) -> None:
    """Each family the policy switches on, by its own check (in the registry's order)."""
    for family in _OWN_CHECK.values():
        if not family.is_on(index.problem.policy):
            continue
        if family.name in _ON_AWARDS:
            _ON_AWARDS[family.name](index, awards, failures)
        elif awards.ok:
            _ON_ALLOCATION[family.name](index, awards, failures)


#: Every group of checks, each reporting under the names of the conditions it checks.
_CHECKS: tuple[_Checker, ...] = (
    _check_non_negative,
    _check_eligibility,
    _check_capacity,
    _check_budget_balance,
    _check_top_slice,
    _check_whole_units,
    _check_fair_shares,
    _check_tender,
    _check_side_constraints,
    _check_full_cost,
)


def raise_on_failure(checks: list[Check]) -> None:
    """Raise :class:`~allocate.VerificationError` if any check failed."""
    failed = [(c.name, c.detail) for c in checks if not c.passed]
    if failed:
        raise VerificationError(failed)
