"""Independent verification: re-check an allocation against the input, never the solver.

:func:`verify` recomputes every condition from the :class:`~allocate.Problem` alone, with its own
straightforward code (no shared path with the solve pipeline beyond the input model and the
published rules of :mod:`allocate.rules`), and returns one :class:`~allocate.result.Check` per
documented condition.  :func:`allocate.solve` runs it on every allocation it returns and raises
:class:`~allocate.VerificationError` on any failure; tests and other systems call it on any
allocation.

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
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from allocate.core.errors import VerificationError
from allocate.core.model import Capacity, Lot, Member, Membership, Problem, Rule, TopSliceMethod
from allocate.core.outcome import Allocation, Check
from allocate.core.rules import RULES

__all__ = ["CONDITIONS", "raise_on_failure", "verify"]

#: Every condition :func:`verify` checks, with what it means.
CONDITIONS: dict[str, str] = {
    "budget_balance": "awards plus top-slice equal every contract's and lot's value exactly",
    "top_slice_cap": "no top-slice above max_rate × contract value",
    "top_slice_method": "each top-slice equals its method's rate × value, rounded down",
    "non_negative": "no negative award",
    "capacity": "no award above declared capacity; pooled capacities respected",
    "eligibility": "only eligible members receive awards",
    "whole_units": "whole units on unit-priced lots, money following units",
    "fair_share": "every award within one penny (or unit) of the rule's exact share",
    "min_award": "every award zero or at least the minimum award",
    "max_member_share": "no member above its share cap of a contract or the portfolio",
    "max_dependency": "no member's awards above the multiple of its income",
    "small_org_share": "the ring-fence for small members held on every contract",
    "case_mix": "every member's hard-to-help share within the tolerance",
    "min_providers_per_area": "every area keeps its minimum number of providers",
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


class _Index:
    """Look-ups over the input, built once per verification (plain dicts, no solver data)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.per_lot: dict[tuple[str, str], Capacity] = {}
        self._claims: dict[tuple[str, str], int] = {}
        self.pools: dict[str, list[Capacity]] = defaultdict(list)
        for c in problem.capacities:
            if c.lot is None:
                self.pools[c.member].append(c)
            else:
                self.per_lot[c.member, c.lot] = c
        self.lot_members: dict[str, set[str]] = defaultdict(set)
        for mid, lid in self.per_lot:
            self.lot_members[lid].add(mid)
        self.excluded: set[tuple[str, str]] = set()
        for ex in problem.policy.exclusions:
            if ex.lot is not None:
                self.excluded.add((ex.member, ex.lot))
            else:
                contract = next(c for c in problem.contracts if c.id == ex.contract)
                self.excluded |= {(ex.member, lot.id) for lot in contract.lots}
        pol = problem.policy
        self.member_why: dict[str, list[str]] = {}
        for m in problem.members:
            why = []
            if m.membership is not Membership.FULL:
                why.append("associate member")
            if not m.qa_passed:
                why.append("QA not passed")
            if m.quality_score < pol.quality_threshold:
                why.append("quality below threshold")
            if m.reporting_compliance < pol.reporting_threshold:
                why.append("reporting below threshold")
            self.member_why[m.id] = why

        self.member_ok = {mid for mid, why in self.member_why.items() if not why}
        self.serves_theme: dict[str, set[str]] = defaultdict(set)
        self.serves_area: dict[str, set[str]] = defaultdict(set)
        for m in problem.members:
            for t in m.themes:
                self.serves_theme[t].add(m.id)
            for a in m.areas:
                self.serves_area[a].add(m.id)
        self.caps_of_lot: dict[str, dict[str, Capacity]] = defaultdict(dict)
        for (mid, lid), c in self.per_lot.items():
            self.caps_of_lot[lid][mid] = c
        self._lot_claims: dict[str, dict[str, int]] = {}
        self._eligible: dict[str, set[str]] = {}

    def claims(self, lot: Lot) -> dict[str, int]:
        """Every member's claim on the lot, in the lot's quantity (whole pence, or units)."""
        if lot.id in self._lot_claims:
            return self._lot_claims[lot.id]

        def quantity(c: Capacity) -> int:
            if lot.unit_price is not None:
                if c.units is not None:
                    return c.units
                return int((c.amount or Decimal(0)) // lot.unit_price)
            return int((c.amount or Decimal(0)) * 100)

        out = {mid: quantity(c) for mid, c in self.caps_of_lot.get(lot.id, {}).items()}
        for mid, pools in self.pools.items():
            pooled = [quantity(c) for c in pools if _covers(c, lot)]
            if not pooled:
                continue
            # a per-lot capacity and a pool: the smaller binds; several pools: the largest
            out[mid] = min(out[mid], max(pooled)) if mid in out else max(pooled)
        self._lot_claims[lot.id] = out
        return out

    def eligible_set(self, lot: Lot) -> set[str]:
        """Members eligible for the lot."""
        if lot.id not in self._eligible:
            with_capacity = {mid for mid, q in self.claims(lot).items() if q > 0}
            self._eligible[lot.id] = (
                with_capacity
                & self.member_ok
                & self.serves_theme.get(lot.theme, set())
                & self.serves_area.get(lot.area, set())
            ) - {mid for mid, lid in self.excluded if lid == lot.id}
        return self._eligible[lot.id]

    def why_not(self, member: Member, lot: Lot) -> list[str]:
        """Why the member may not receive the lot (empty: eligible)."""
        why = list(self.member_why[member.id])
        if lot.theme not in member.themes:
            why.append("theme not delivered")
        if lot.area not in member.areas:
            why.append("area not served")
        if (member.id, lot.id) in self.excluded:
            why.append("excluded by policy")
        if self.claims(lot).get(member.id, 0) <= 0:
            why.append("no capacity declared")
        return why


def verify(problem: Problem, allocation: Allocation) -> list[Check]:
    """Re-check ``allocation`` against ``problem``; one :class:`Check` per condition.

    Only allocations with status ``optimal`` carry awards; for any other status the checks
    are about the top-slice alone.

    Examples
    --------
    >>> from allocate import Problem, solve
    >>> from allocate.examples import example_dict
    >>> p = Problem.model_validate(example_dict())
    >>> all(check.passed for check in verify(p, solve(p)))
    True
    """
    fails: dict[str, list[str]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    policy = problem.policy

    lots = {lot.id: (c, lot) for c in problem.contracts for lot in c.lots}
    members = {m.id: m for m in problem.members}
    results = {c.id: c for c in allocation.contracts}
    index = _Index(problem)

    by_lot: dict[str, list[tuple[str, Decimal, int | None]]] = defaultdict(list)
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
        by_lot[a.lot].append((a.member, a.amount, a.units))
        counts["eligibility"] += 1
        if a.member not in index.eligible_set(lot) and (a.amount > 0 or a.units):
            why = index.why_not(members[a.member], lot)
            fails["eligibility"].append(
                f"{a.member} on {a.lot} received {a.amount}: {', '.join(why)}"
            )
        counts["capacity"] += 1
        claim = index.claims(lot).get(a.member, 0)
        if lot.unit_price is not None:
            if a.units is None:
                fails["whole_units"].append(f"{a.member} on {a.lot}: no units on a unit-priced lot")
            elif a.units > claim:
                fails["capacity"].append(
                    f"{a.member} on {a.lot}: {a.units} units > capacity {claim}"
                )
            own = index.per_lot.get((a.member, lot.id))
            if own is not None and own.amount is not None and a.amount > own.amount:
                fails["capacity"].append(
                    f"{a.member} on {a.lot}: {a.amount} > capacity {own.amount}"
                )
        elif int(a.amount * 100) > claim:
            fails["capacity"].append(
                f"{a.member} on {a.lot}: {a.amount} > capacity {claim / 100:.2f}"
            )
        if policy.min_award is not None:
            counts["min_award"] += 1
            if 0 < a.amount < policy.min_award:
                fails["min_award"].append(f"{a.member} on {a.lot}: {a.amount} < {policy.min_award}")

    # pooled capacities
    by_member: dict[str, list[tuple[Lot, Decimal]]] = defaultdict(list)
    for a in allocation.awards:
        if a.lot in lots:
            by_member[a.member].append((lots[a.lot][1], a.amount))
    for c in problem.capacities:
        if c.lot is None:
            counts["capacity"] += 1
            total = sum((amt for lot, amt in by_member[c.member] if _covers(c, lot)), Decimal(0))
            if c.amount is not None and total > c.amount:
                fails["capacity"].append(
                    f"{c.member}: {total} over its pooled capacity {c.amount} ({c.theme}/{c.area})"
                )

    max_rate = Fraction(problem.top_slice.max_rate)
    pots: dict[str, Decimal] = {}
    for contract in problem.contracts:
        res = results.get(contract.id)
        counts["budget_balance"] += 1
        if res is None:
            fails["budget_balance"].append(f"contract {contract.id} missing from the result")
            continue
        pots[contract.id] = contract.value - res.top_slice
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
        lot_ts = res.lot_top_slices
        paid = sum((amt for lot in contract.lots for _, amt, _ in by_lot[lot.id]), Decimal(0))
        if paid + res.top_slice != contract.value:
            fails["budget_balance"].append(
                f"{contract.id}: awards {paid} + top-slice {res.top_slice} "
                f"!= value {contract.value}"
            )
        if sum(lot_ts.values(), Decimal(0)) != res.top_slice:
            fails["budget_balance"].append(f"{contract.id}: lot top-slices do not add up")
        for lot in contract.lots:
            counts["budget_balance"] += 1
            got = sum((amt for _, amt, _ in by_lot[lot.id]), Decimal(0))
            ts_lot = lot_ts.get(lot.id, Decimal(0))
            if got + ts_lot != lot.value:
                fails["budget_balance"].append(
                    f"lot {lot.id}: awards {got} + top-slice {ts_lot} != value {lot.value}"
                )
            if lot.unit_price is not None:
                _check_units(lot, ts_lot, by_lot[lot.id], fails, counts)
            if not policy.side_constraints and not any(c.lot is None for c in problem.capacities):
                _check_fair_share(index, lot, ts_lot, by_lot[lot.id], fails, counts)

    if allocation.status.is_ok:
        _check_side_constraints(index, allocation, pots, fails, counts)

    checks = []
    for name, description in CONDITIONS.items():
        bad = fails.get(name, [])
        n = counts.get(name, 0)
        if (
            name
            in (
                "min_award",
                "max_member_share",
                "max_dependency",
                "small_org_share",
                "case_mix",
                "min_providers_per_area",
            )
            and getattr(policy, "case_mix_tolerance" if name == "case_mix" else name) is None
        ):
            continue
        detail = (
            f"{len(bad)} failure(s): " + "; ".join(bad[:5])
            if bad
            else f"{description} ({n} checked)"
        )
        checks.append(Check(name=name, passed=not bad, detail=detail))
    return checks


def _check_units(
    lot: Lot,
    ts_lot: Decimal,
    awards: list[tuple[str, Decimal, int | None]],
    fails: dict[str, list[str]],
    counts: dict[str, int],
) -> None:
    assert lot.unit_price is not None
    counts["whole_units"] += 1
    n_units = int(lot.value / lot.unit_price)
    total = sum(u or 0 for _, _, u in awards)
    if total != n_units:
        fails["whole_units"].append(f"lot {lot.id}: {total} units awarded, lot has {n_units}")
    pot = lot.value - ts_lot
    for mid, amount, units in awards:
        share = pot * Decimal(units or 0) / Decimal(n_units)
        if abs(amount - share) >= Decimal("0.01"):
            fails["whole_units"].append(
                f"{mid} on {lot.id}: money {amount} does not follow its {units} units"
            )


def _check_fair_share(
    index: _Index,
    lot: Lot,
    ts_lot: Decimal,
    awards: list[tuple[str, Decimal, int | None]],
    fails: dict[str, list[str]],
    counts: dict[str, int],
) -> None:
    """Each award within one penny (one unit) of the rule's exact share of the lot."""
    problem = index.problem
    rule = problem.policy.rule
    claimants = sorted(index.eligible_set(lot))
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
    got = {mid: (amt, u) for mid, amt, u in awards}

    def quantity(mid: str) -> int:
        amount, u = got.get(mid, (Decimal(0), 0))
        return (u or 0) if units else int(amount * 100)

    if rule is Rule.PROPORTIONAL:
        # |x·Σc − E·c| < Σc  ⇔  x within one penny (unit) of E·c/Σc: exact, on integers
        total = sum(claims)
        for mid, c in zip(claimants, claims, strict=True):
            counts["fair_share"] += 1
            if abs(quantity(mid) * total - estate * c) >= total:
                fails["fair_share"].append(
                    f"{mid} on {lot.id}: {quantity(mid)}, rule gives {estate * c / total:.4f}"
                )
        return
    if rule.is_weighted:
        factors = []
        for mid in claimants:
            m = problem.member_index[mid]
            raw = getattr(m, problem.policy.weight_factor.value)
            factors.append(Fraction(repr(raw if raw is not None else 1.0)))
        weights = [
            f * c if rule is Rule.WEIGHTED_PROPORTIONAL else f
            for f, c in zip(factors, claims, strict=True)
        ]
        if estate > sum(c for c, w in zip(claims, weights, strict=True) if w > 0):
            return  # the documented fallback for zero weights; covered by unit tests
        exact = RULES[rule.value](estate, claims, weights)
    else:
        exact = RULES[rule.value](estate, claims)
    for mid, share in zip(claimants, exact, strict=True):
        counts["fair_share"] += 1
        if abs(quantity(mid) - share) >= 1:
            fails["fair_share"].append(
                f"{mid} on {lot.id}: {quantity(mid)}, rule gives {float(share):.4f}"
            )


def _check_side_constraints(
    index: _Index,
    allocation: Allocation,
    pots: dict[str, Decimal],
    fails: dict[str, list[str]],
    counts: dict[str, int],
) -> None:
    problem = index.problem
    policy = problem.policy
    lots = {lot.id: (c.id, lot) for c in problem.contracts for lot in c.lots}
    per_member_contract: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    per_member: dict[str, Decimal] = defaultdict(Decimal)
    for a in allocation.awards:
        per_member_contract[a.member, a.contract] += a.amount
        per_member[a.member] += a.amount
    if policy.max_member_share is not None:
        share = policy.max_member_share
        for (mid, cid), total in sorted(per_member_contract.items()):
            counts["max_member_share"] += 1
            if total > share * pots[cid]:
                fails["max_member_share"].append(f"{mid} on {cid}: {total} > {share} × {pots[cid]}")
        everything = sum(pots.values(), Decimal(0))
        for mid, total in sorted(per_member.items()):
            counts["max_member_share"] += 1
            if total > share * everything:
                fails["max_member_share"].append(f"{mid} overall: {total} > {share} × {everything}")
    if policy.max_dependency is not None:
        for mid, total in sorted(per_member.items()):
            counts["max_dependency"] += 1
            limit = policy.max_dependency * problem.member_index[mid].annual_income
            if total > limit:
                fails["max_dependency"].append(f"{mid}: {total} > {limit}")
    if policy.small_org_share is not None:
        bands = set(policy.small_org_bands)
        for cid, pot in pots.items():
            counts["small_org_share"] += 1
            small = sum(
                (
                    t
                    for (mid, c), t in per_member_contract.items()
                    if c == cid and problem.member_index[mid].size_band in bands
                ),
                Decimal(0),
            )
            if small < policy.small_org_share * pot:
                fails["small_org_share"].append(
                    f"{cid}: {small} < {policy.small_org_share} × {pot}"
                )
    if policy.case_mix_tolerance is not None:
        tol = Fraction(policy.case_mix_tolerance)
        results = {c.id: c for c in allocation.contracts}
        services: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for lid, (_, lot) in lots.items():
            if lot.client_group is not None:
                services[lot.service or lot.theme][lot.client_group.value].append(lid)
        for key, groups in services.items():
            hard, easy = groups.get("hard_to_help", []), groups.get("standard", [])
            if not hard or not easy:
                continue

            def lot_pot(lid: str) -> Fraction:
                cid, lot = lots[lid]
                return Fraction(lot.value - results[cid].lot_top_slices.get(lid, Decimal(0)))

            hard_pot = sum((lot_pot(lid) for lid in hard), Fraction(0))
            r = hard_pot / sum((lot_pot(lid) for lid in hard + easy), Fraction(0))
            # rounding: a penny per lot, or a unit's worth on unit-priced lots
            slack = sum(
                (Fraction(lots[lid][1].unit_price or Decimal("0.01")) for lid in hard + easy),
                Fraction(0),
            )
            h: dict[str, Fraction] = defaultdict(Fraction)
            w: dict[str, Fraction] = defaultdict(Fraction)
            for a in allocation.awards:
                if a.lot in hard or a.lot in easy:
                    w[a.member] += Fraction(a.amount)
                    if a.lot in hard:
                        h[a.member] += Fraction(a.amount)
            for mid in sorted(w):
                counts["case_mix"] += 1
                gap: Fraction = h[mid] - r * w[mid]
                if max(gap, -gap) > tol * w[mid] + slack:
                    fails["case_mix"].append(
                        f"{mid} on {key}: hard-to-help share {float(h[mid] / w[mid]):.4f}, "
                        f"service share {float(r):.4f} ± {float(tol)}"
                    )
    if policy.min_providers_per_area is not None:
        k = policy.min_providers_per_area
        areas: dict[str, list[tuple[str, Lot]]] = defaultdict(list)
        for cid, lot in lots.values():
            areas[lot.area].append((cid, lot))
        for area, area_lots in sorted(areas.items()):
            counts["min_providers_per_area"] += 1
            eligible = set().union(*(index.eligible_set(lot) for _, lot in area_lots))
            ids = {lot.id for _, lot in area_lots}
            providers = {a.member for a in allocation.awards if a.lot in ids and a.amount > 0}
            if len(providers) < min(k, len(eligible)):
                fails["min_providers_per_area"].append(
                    f"{area}: {len(providers)} provider(s), needs {min(k, len(eligible))}"
                )


def raise_on_failure(checks: list[Check]) -> None:
    """Raise :class:`~allocate.VerificationError` if any check failed."""
    failed = [(c.name, c.detail) for c in checks if not c.passed]
    if failed:
        raise VerificationError(failed)
