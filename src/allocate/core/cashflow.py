"""Money over time: when money comes in and goes out, for every member and the hub.

A contract fair on paper can still break a micro charity paid three months in arrears.  From the
payment terms of the problem (:class:`~allocate.PaymentTerms`, :class:`~allocate.CashFlowTerms`)
this module works out, month by month over each contract's term (month 1 is the first month of
delivery; later months carry the payments still due):

* **delivery**: each contract year spreads delivery over its twelve months by the delivery
  profile (flat by default); a member's **cost** of delivery follows it;
* **the commissioner's payments**: each period (a month, a quarter, a year) is paid for the share
  delivered in it, the payment-by-results share ``results_lag_months`` after the period's last
  month, the rest in its first month (advance) or ``lag_months`` after its last (arrears);
* **the hub's payments to members**: back to back (each member's share of each payment,
  ``days`` later), on monthly claims (``days`` after each month's end), or, for members in
  ``advance_bands``, each month's delivery in that month; a month counts 30 days.

**The linear form.**  Write ``I_l(t)`` for the share of an award on lot ``l`` paid to the member
by the end of month ``t``, ``O_l(t)`` for the share of the year's delivery done by then and
``κ_l`` for the full cost of a pound of award.  For fixed terms these are fixed numbers, so a
member with awards ``A_l`` needs, at the end of month ``t``, working capital

    ``N(t) = Σ_l A_l · (κ_l·O_l(t) − I_l(t))``

which is linear in the awards; its **peak working capital** is ``max(0, max_t N(t))``.  "No peak
above ``s`` × reserves" is therefore the set of linear rows ``N(t) ≤ s·R``, one per month, of
which only the months that can be the peak are needed (one, when every lot of the member shares
the same terms: the month with the largest coefficient).

``κ_l`` is the capacity's ``cost_ratio``; on a unit-priced lot with a ``unit_cost`` it is the unit
cost over what a unit pays the members (the lot's member pot divided by its units); without
either the member is taken to spend what it is paid (κ = 1).  The full cost of an award is
``A · κ``, rounded up to the penny.

**Pence.**  Peaks are computed exactly (fractions of a penny) and stated rounded *up* to the
penny, with the first month they occur in.  The monthly tables apportion every flow (a pair's
money in, its cost, the hub's running cost) by cumulative rounding: the running total at the end
of each month is the exact running total rounded to the nearest penny (halves up), and each
month is the difference.  So the months sum exactly to the award (the cost, the top-slice) and
no running total is more than half a penny from the exact one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from allocate.core.model import (
    CashFlowTerms,
    Contract,
    Lot,
    Member,
    MemberPayBasis,
    MemberPaymentTerms,
    PaymentTerms,
    PaymentTiming,
    Problem,
)

__all__ = [
    "MONTH_DAYS",
    "CashFlowTiming",
    "DeclaredCost",
    "Forecast",
    "HubForecast",
    "MemberForecast",
    "Stream",
    "cost_ratio",
    "cumulative_pence",
    "declared_costs",
    "forecast",
    "months_after",
    "need_coefficients",
    "peak",
    "terms",
]

#: Days in a month for payment delays: 1 to 30 days after a month's end is the next month.
MONTH_DAYS = 30

#: A flow's shares by month (1-based): the fraction of its total that falls in each month.
Stream = Mapping[int, Fraction]


def months_after(days: int) -> int:
    """Whole months a payment ``days`` after a month's end falls after it.

    >>> months_after(0), months_after(1), months_after(30), months_after(31)
    (0, 1, 1, 2)
    """
    return -(-days // MONTH_DAYS)


def terms(problem: Problem) -> CashFlowTerms:
    """The problem's cash-flow terms (the defaults when it gives none)."""
    return problem.cash_flow if problem.cash_flow is not None else CashFlowTerms()


def cumulative_pence(total: int, stream: Stream, horizon: int) -> list[int]:
    """``total`` pence spread over months 1..``horizon`` by ``stream``, by cumulative rounding.

    The running total after each month is the exact one rounded to the nearest penny (halves
    up); the months sum exactly to ``total``.

    >>> cumulative_pence(100, {1: Fraction(1, 3), 2: Fraction(1, 3), 3: Fraction(1, 3)}, 3)
    [33, 34, 33]
    """
    den, shares = _cumulative(stream, horizon)
    # ⌊total × done + ½⌋ with done = share / den, in whole numbers
    out: list[int] = []
    before = 0
    for share in shares:
        now = (2 * total * share + den) // (2 * den)
        out.append(now - before)
        before = now
    return out


#: The streams last spread (a forecast spreads the same few, contract by contract, over
#: thousands of awards), each held with the stream itself so that its identity stays its own.
_SPREAD: dict[tuple[int, int], tuple[Stream, int, list[int]]] = {}


def _cumulative(stream: Stream, horizon: int) -> tuple[int, list[int]]:
    """The running shares of ``stream`` after months 1..``horizon``, over one denominator."""
    found = _SPREAD.get((id(stream), horizon))
    if found is not None and found[0] is stream:
        return found[1], found[2]
    done = Fraction(0)
    running: list[Fraction] = []
    for month in range(1, horizon + 1):
        done += stream.get(month, Fraction(0))
        running.append(done)
    den = math.lcm(*(x.denominator for x in running)) if running else 1
    shares = [x.numerator * (den // x.denominator) for x in running]
    if len(_SPREAD) > 256:
        _SPREAD.clear()
    _SPREAD[id(stream), horizon] = (stream, den, shares)
    return den, shares


def peak(needs: Iterable[Fraction]) -> tuple[Fraction, int | None]:
    """The largest need and the first month (1-based) it occurs in; ``(0, None)`` if none > 0.

    >>> peak([Fraction(-1), Fraction(5), Fraction(5)])
    (Fraction(5, 1), 2)
    """
    best, when = Fraction(0), None
    for month, need in enumerate(needs, start=1):
        if need > best:
            best, when = need, month
    return best, when


class CashFlowTiming:
    """The month-by-month shares of every contract's flows, for one problem (exact fractions)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.terms = terms(problem)
        self.members_terms: MemberPaymentTerms = self.terms.members
        self._delivery: dict[str, list[Fraction]] = {}
        self._paid: dict[str, dict[int, Fraction]] = {}
        self._streams: dict[tuple[str, str], dict[int, Fraction]] = {}
        self._needs: dict[tuple[str, bool, Fraction], list[Fraction]] = {}
        self.horizon = max(
            (self._last_month(c) for c in problem.contracts),
            default=12,
        )

    def contract_terms(self, contract: Contract) -> PaymentTerms:
        """The contract's own terms, or the problem's commissioner terms."""
        return contract.payment_terms or self.terms.commissioner

    def _last_month(self, contract: Contract) -> int:
        t = self.contract_terms(contract)
        end = 12 * contract.term_years
        lag = max(t.arrears_lag, t.results_lag_months if t.results_share else 0)
        days = months_after(self.members_terms.days)
        return end + lag + days

    def delivery(self, contract: Contract) -> list[Fraction]:
        """The share of the contract delivered in each month of its term (sums to 1)."""
        if contract.id not in self._delivery:
            t = self.contract_terms(contract)
            weights = [Fraction(w) for w in (t.delivery_profile or (Decimal(1),) * 12)]
            year = sum(weights, Fraction(0))
            term = contract.term_years
            self._delivery[contract.id] = [w / (year * term) for _ in range(term) for w in weights]
        return self._delivery[contract.id]

    def commissioner(self, contract: Contract) -> dict[int, Fraction]:
        """The share of the contract's value the commissioner pays in each month."""
        if contract.id not in self._paid:
            t = self.contract_terms(contract)
            length = t.frequency.months
            d = self.delivery(contract)
            results = Fraction(t.results_share)
            out: dict[int, Fraction] = defaultdict(Fraction)
            for k in range(len(d) // length):
                first, last = k * length + 1, (k + 1) * length
                share = sum(d[first - 1 : last], Fraction(0))
                base = last + t.arrears_lag if t.timing is PaymentTiming.ARREARS else first
                out[base] += (1 - results) * share
                out[last + t.results_lag_months] += results * share
            self._paid[contract.id] = dict(out)
        return self._paid[contract.id]

    def advanced(self, member: Member) -> bool:
        """Whether the hub pays this member each month's delivery in advance."""
        return member.size_band in self.members_terms.advance_bands

    def to_member(self, contract: Contract, member: Member) -> dict[int, Fraction]:
        """The share of an award on the contract the hub pays the member in each month.

        The same dict for every member paid alike on the contract: read it, never change it.
        """
        if self.advanced(member):
            return self.delivered(contract)
        return self.ordinary(contract)

    def delivered(self, contract: Contract) -> dict[int, Fraction]:
        """:meth:`delivery` by month (1-based), as a stream; one dict per contract."""
        key = ("delivered", contract.id)
        if key not in self._streams:
            self._streams[key] = dict(enumerate(self.delivery(contract), start=1))
        return self._streams[key]

    def ordinary(self, contract: Contract) -> dict[int, Fraction]:
        """How the hub pays a member with no advance on the contract; one dict per contract."""
        key = ("ordinary", contract.id)
        if key not in self._streams:
            delay = months_after(self.members_terms.days)
            if self.members_terms.basis is MemberPayBasis.ON_CLAIM:
                stream = {m + delay: x for m, x in enumerate(self.delivery(contract), start=1)}
            else:
                stream = {m + delay: x for m, x in self.commissioner(contract).items()}
            self._streams[key] = stream
        return self._streams[key]


def cost_ratio(
    costs: Mapping[tuple[str, str], DeclaredCost], member_id: str, lot: Lot, pot_pence: int
) -> tuple[Fraction, bool]:
    """The full cost of a pound of award on the lot, and whether the member declared it.

    ``costs`` is :func:`declared_costs` of the problem; ``pot_pence`` the lot's member pot
    (value less top-slice): what its units pay the members.
    """
    cap = costs.get((member_id, lot.id))
    if cap is not None and cap.cost_ratio is not None:
        return Fraction(cap.cost_ratio), True
    if cap is not None and cap.unit_cost is not None and lot.units and pot_pence > 0:
        return Fraction(cap.unit_cost) * 100 * lot.units / pot_pence, True
    return Fraction(1), False


@dataclass(frozen=True, slots=True)
class DeclaredCost:
    """A capacity's full cost: a cost ratio or a unit cost."""

    cost_ratio: Decimal | None
    unit_cost: Decimal | None


def declared_costs(problem: Problem) -> dict[tuple[str, str], DeclaredCost]:
    """The per-lot capacities that declare a full cost, by (member, lot)."""
    return {
        (c.member, c.lot): DeclaredCost(c.cost_ratio, c.unit_cost)
        for c in problem.capacities
        if c.lot is not None and (c.cost_ratio is not None or c.unit_cost is not None)
    }


def need_coefficients(
    timing: CashFlowTiming, contract: Contract, member: Member, kappa: Fraction
) -> list[Fraction]:
    """``κ·O(t) − I(t)`` for months 1..horizon: the need per penny of award at each month's end.

    One list per contract, way of paying and cost (kept on ``timing``): read it, never change it.
    """
    key = (contract.id, timing.advanced(member), kappa)
    found = timing._needs.get(key)
    if found is not None:
        return found
    d = timing.delivery(contract)
    paid = timing.to_member(contract, member)
    out: list[Fraction] = []
    delivered = received = Fraction(0)
    for month in range(1, timing.horizon + 1):
        if month <= len(d):
            delivered += d[month - 1]
        received += paid.get(month, Fraction(0))
        out.append(kappa * delivered - received)
    timing._needs[key] = out
    return out


@dataclass(frozen=True, slots=True)
class MemberForecast:
    """One member's cash flow, month by month, in whole pence."""

    member: str
    money_in: list[int]
    """Pence the hub pays the member in each month."""
    money_out: list[int]
    """Pence the member spends delivering in each month (its full cost)."""
    awards: int
    """The member's awards, pence."""
    cost: int
    """Its full cost of delivering them, pence."""
    peak_need: int
    """Its peak working capital, exact and rounded up to the penny."""
    peak_month: int | None
    """The first month the peak occurs in (None: it never needs any)."""
    reserves: int | None
    """Its declared reserves, pence."""
    limit: int | None
    """The flag's bound: the flag share of its reserves, rounded down to the penny."""

    @property
    def balance(self) -> list[int]:
        """The running balance at the end of each month (negative: money it is owed)."""
        out, total = [], 0
        for i, o in zip(self.money_in, self.money_out, strict=True):
            total += i - o
            out.append(total)
        return out

    @property
    def flagged(self) -> bool:
        """Whether its peak need is above the flag share of its reserves (or it has none)."""
        if self.peak_need == 0:
            return False
        return self.limit is None or self.peak_need > self.limit


@dataclass(frozen=True, slots=True)
class HubForecast:
    """The hub's cash flow, month by month, in whole pence."""

    commissioner_in: list[int]
    """What the commissioners pay the consortium."""
    paid_to_members: list[int]
    """What the hub pays the members."""
    running_cost: list[int]
    """The hub's annual cost, spread flat over the months of the longest term."""
    peak_need: int
    peak_month: int | None
    advance_cost: int
    """How much the advances to members raise the hub's peak working capital, pence."""

    @property
    def top_slice(self) -> list[int]:
        """What the hub keeps of each month's money: commissioners' payments less members'."""
        return [a - b for a, b in zip(self.commissioner_in, self.paid_to_members, strict=True)]

    @property
    def balance(self) -> list[int]:
        """The running balance at the end of each month."""
        out, total = [], 0
        for kept, cost in zip(self.top_slice, self.running_cost, strict=True):
            total += kept - cost
            out.append(total)
        return out


@dataclass(frozen=True, slots=True)
class Forecast:
    """Every member's and the hub's cash flow over months 1..``horizon``."""

    horizon: int
    members: dict[str, MemberForecast] = field(default_factory=dict)
    hub: HubForecast | None = None


@dataclass(frozen=True, slots=True)
class _Pair:
    member: Member
    contract: Contract
    lot: Lot
    pence: int
    kappa: Fraction


def forecast(
    problem: Problem,
    awards: Iterable[tuple[str, str, Decimal]],
    lot_top_slices: Mapping[str, Decimal],
) -> Forecast:
    """The cash-flow forecast of an allocation: ``(member, lot, amount)`` awards.

    ``lot_top_slices`` gives each lot's top-slice (the allocation's), which sets what a unit pays
    the members on unit-priced lots.
    """
    timing = CashFlowTiming(problem)
    h = timing.horizon
    costs = declared_costs(problem)
    pairs: dict[str, list[_Pair]] = defaultdict(list)
    for member_id, lot_id, amount in awards:
        contract, lot = problem.lot_index[lot_id]
        pence = int(amount * 100)
        if pence <= 0:
            continue
        pot = int((lot.value - lot_top_slices.get(lot_id, Decimal(0))) * 100)
        member = problem.member_index[member_id]
        kappa, _ = cost_ratio(costs, member_id, lot, pot)
        pairs[member_id].append(_Pair(member, contract, lot, pence, kappa))
    flag_share = Fraction(timing.terms.reserves_flag_share)
    members: dict[str, MemberForecast] = {}
    for member_id in sorted(pairs):
        members[member_id] = _member(timing, pairs[member_id], flag_share)
    hub = _hub(problem, timing, pairs)
    return Forecast(horizon=h, members=members, hub=hub)


def _member(timing: CashFlowTiming, pairs: list[_Pair], flag_share: Fraction) -> MemberForecast:
    h = timing.horizon
    money_in, money_out = [0] * h, [0] * h
    needs = [Fraction(0)] * h
    awards = cost = 0
    kinds: dict[tuple[str, Fraction], tuple[list[Fraction], int]] = {}
    for pair in pairs:
        pair_cost = math.ceil(pair.kappa * pair.pence)
        awards += pair.pence
        cost += pair_cost
        paid = timing.to_member(pair.contract, pair.member)
        delivered = timing.delivered(pair.contract)
        for t, x in enumerate(cumulative_pence(pair.pence, paid, h)):
            money_in[t] += x
        for t, x in enumerate(cumulative_pence(pair_cost, delivered, h)):
            money_out[t] += x
        kind = (pair.contract.id, pair.kappa)
        if kind not in kinds:
            kinds[kind] = (need_coefficients(timing, pair.contract, pair.member, pair.kappa), 0)
        coefficients, pence = kinds[kind]
        kinds[kind] = (coefficients, pence + pair.pence)
    # pairs of one kind move together: their pence are added first, then each month once
    for coefficients, pence in kinds.values():
        needs = [n + c * pence for n, c in zip(needs, coefficients, strict=True)]
    top, month = peak(needs)
    member = pairs[0].member
    reserves = None if member.reserves is None else int(member.reserves * 100)
    return MemberForecast(
        member=member.id,
        money_in=money_in,
        money_out=money_out,
        awards=awards,
        cost=cost,
        peak_need=math.ceil(top),
        peak_month=month,
        reserves=reserves,
        limit=None if reserves is None else math.floor(flag_share * reserves),
    )


def _hub(problem: Problem, timing: CashFlowTiming, pairs: dict[str, list[_Pair]]) -> HubForecast:
    h = timing.horizon
    commissioner_in = [0] * h
    for contract in problem.contracts:
        value = int(contract.value * 100)
        for t, x in enumerate(cumulative_pence(value, timing.commissioner(contract), h)):
            commissioner_in[t] += x
    annual = problem.hub.annual_cost
    years = max(c.term_years for c in problem.contracts)
    running = [0] * h
    if annual is not None:
        months = 12 * years
        spread = {m: Fraction(1, months) for m in range(1, months + 1)}
        running = cumulative_pence(int(annual * 100) * years, spread, h)

    def paid(advances: bool) -> list[int]:
        out = [0] * h
        for member_pairs in pairs.values():
            for pair in member_pairs:
                if advances or not timing.advanced(pair.member):
                    stream = timing.to_member(pair.contract, pair.member)
                else:
                    stream = _as_not_advanced(timing, pair)
                for t, x in enumerate(cumulative_pence(pair.pence, stream, h)):
                    out[t] += x
        return out

    def peak_of(paid_out: list[int]) -> tuple[int, int | None]:
        needs, total = [], 0
        for a, b, c in zip(commissioner_in, paid_out, running, strict=True):
            total += a - b - c
            needs.append(Fraction(-total))
        top, month = peak(needs)
        return int(top), month

    paid_out = paid(True)
    need, month = peak_of(paid_out)
    without, _ = peak_of(paid(False))
    return HubForecast(
        commissioner_in=commissioner_in,
        paid_to_members=paid_out,
        running_cost=running,
        peak_need=need,
        peak_month=month,
        advance_cost=need - without,
    )


def _as_not_advanced(timing: CashFlowTiming, pair: _Pair) -> dict[int, Fraction]:
    """How the member would be paid on the ordinary terms, had it no advance."""
    return timing.ordinary(pair.contract)
