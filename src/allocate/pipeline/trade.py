"""Output trading: one member's outputs of a lot passed to another, checked before it is made.

A trade moves money (or units, with their money) of one lot from the seller's award to the
buyer's.  It is approved only when the version after it keeps every condition of the problem
that the version before it kept (eligibility, capacity, every side-constraint: checked by
:func:`allocate.checks.verify` on the whole contract, independently of the solve), and the
seller still has that much undelivered.  The rule's fair shares are not a condition of a trade:
a trade is a departure from them that both members ask for.  :func:`takers` answers the reverse
question: who could take a member's remaining outputs, and how much each.

**After a review.**  A review's cuts are part of the version it makes: the reallocation records
the remaining capacities and no-new-work members (``limits``), and every trade decision carries
them on, until the next review sets its own.  A trade to a member given no new work is refused
(``no_new_work``); a trade that would take the buyer's awards on the lots a capacity covers above
what was delivered at the review plus what remains of it is refused (``review_capacity``), with
the numbers; up to it, to the penny, is approved.  A member who *left* is known to the version
(``left``) and is refused as a buyer.
"""

from __future__ import annotations

from decimal import Decimal

from allocate.checks.verify import verify
from allocate.core.errors import Issue, ProblemError
from allocate.core.model import Problem
from allocate.core.money import format_money
from allocate.core.outcome import Allocation, Award
from allocate.core.review import (
    Delivery,
    Reallocation,
    RemainingCapacity,
    Taker,
    Trade,
    TradeDecision,
    Version,
    check_trade,
    fingerprint_of,
)
from allocate.pipeline.review import (
    VersionState,
    _as_allocation,
    _covers,
    _lot_top_slices,
    _pence_per_unit,
    delivered_pence,
    state_of,
)

__all__ = ["NON_MONOTONE", "takers", "trade"]

#: Conditions a larger trade can mend as well as break (a minimum award, the providers an area
#: keeps, the case-mix band): :func:`takers` searches past them and checks its answer with them.
NON_MONOTONE = frozenset({"min_award", "min_providers_per_area", "case_mix"})


def _quantity(state: VersionState, problem: Problem, t: Trade) -> tuple[int, int | None]:
    """The trade's money in pence and units (units on unit-priced lots)."""
    lot = problem.lot_index[t.lot][1]
    if t.units is not None:
        per = _pence_per_unit(problem, lot, _lot_top_slices(state.contracts)[lot.id])
        return t.units * per, t.units
    assert t.amount is not None
    return int(t.amount * 100), None


def _moved(
    awards: list[Award], problem: Problem, t: Trade, pence: int, units: int | None
) -> list[Award]:
    """The awards with ``pence`` (and ``units``) of the lot moved from seller to buyer."""
    contract = problem.lot_index[t.lot][0].id
    out: list[Award] = []
    buyer_seen = False
    for a in awards:
        if a.lot == t.lot and a.member in (t.seller, t.buyer):
            sign = -1 if a.member == t.seller else 1
            buyer_seen = buyer_seen or a.member == t.buyer
            amount = a.amount + sign * Decimal(pence) / 100
            new_units = None if a.units is None else a.units + sign * (units or 0)
            if amount or new_units:
                out.append(a.model_copy(update={"amount": amount, "units": new_units}))
            continue
        out.append(a)
    if not buyer_seen:
        out.append(
            Award(
                member=t.buyer,
                lot=t.lot,
                contract=contract,
                amount=(Decimal(pence) / 100).quantize(Decimal("0.01")),
                units=units,
            )
        )
    order = {lot.id: n for n, lot in enumerate(problem.lots)}
    return sorted(out, key=lambda a: (order[a.lot], a.member))


def _tradeable(state: VersionState, problem: Problem, t: Trade) -> tuple[int, int | None]:
    """What the seller has undelivered on the lot: pence and (unit-priced lots) units."""
    money, units = delivered_pence(problem, state.contracts, t.deliveries)
    award = next((a for a in state.awards if a.member == t.seller and a.lot == t.lot), None)
    if award is None:
        return 0, (0 if problem.lot_index[t.lot][1].is_unit_priced else None)
    key = (t.seller, t.lot)
    rest_units = None if award.units is None else award.units - units.get(key, 0)
    return int(award.amount * 100) - money.get(key, 0), rest_units


def _pence(amount: Decimal) -> int:
    return int(amount * 100)


def _scope(cap: RemainingCapacity) -> str:
    if cap.lot is not None:
        return f"on lot {cap.lot}"
    return "on its pooled capacity (" + "/".join(x for x in (cap.theme, cap.area) if x) + ")"


def _limit_refusals(
    problem: Problem, state: VersionState, t: Trade, after: list[Award]
) -> tuple[list[str], list[str]]:
    """What the last review's limits refuse: a buyer given no new work, a capacity it cut."""
    limits = state.limits
    if limits is None:
        return [], []
    names: list[str] = []
    words: list[str] = []
    if t.buyer in limits.no_new_work:
        names.append("no_new_work")
        words.append(
            f"no_new_work: review {limits.review!r} gave {t.buyer} no new work until a review "
            "is passed"
        )
    lot = problem.lot_index[t.lot][1]
    mine = [a for a in after if a.member == t.buyer]
    for cap in limits.capacities:
        if cap.member != t.buyer or not _covers(cap, lot):
            continue
        if cap.units_remaining is not None:
            held = sum(a.units or 0 for a in mine if a.lot == cap.lot)
            limit = (cap.units_delivered or 0) + cap.units_remaining
            if held > limit:
                names.append("review_capacity")
                words.append(
                    f"review_capacity: review {limits.review!r} left {t.buyer} "
                    f"{cap.units_remaining} units {_scope(cap)} after {cap.units_delivered} "
                    f"delivered ({cap.reason}); the trade would take it to {held} units, "
                    f"{held - limit} above the {limit} it may hold"
                )
            continue
        assert cap.remaining is not None
        covered = {x.id for x in problem.lots if _covers(cap, x)}
        held = sum(_pence(a.amount) for a in mine if a.lot in covered)
        limit = _pence(cap.delivered) + _pence(cap.remaining)
        if held > limit:
            names.append("review_capacity")
            words.append(
                f"review_capacity: review {limits.review!r} left {t.buyer} "
                f"{format_money(_pence(cap.remaining), pence=True)} {_scope(cap)} after "
                f"{format_money(_pence(cap.delivered), pence=True)} delivered ({cap.reason}); "
                f"the trade would take its awards to {format_money(held, pence=True)}, "
                f"{format_money(held - limit, pence=True)} above the "
                f"{format_money(limit, pence=True)} it may hold"
            )
    return names, words


def _refusals(
    problem: Problem, state: VersionState, t: Trade, pence: int, units: int | None
) -> tuple[list[str], list[str], list[Award]]:
    """The conditions the trade breaks (names and words), and the awards after it."""
    names: list[str] = []
    words: list[str] = []
    have, have_units = _tradeable(state, problem, t)
    if (units is not None and have_units is not None and units > have_units) or (
        units is None and pence > have
    ):
        names.append("undelivered")
        words.append(
            f"undelivered: {t.seller} has "
            + (f"{have_units} units" if units is not None else format_money(have, pence=True))
            + f" of lot {t.lot} not yet delivered, less than the trade's "
            + (f"{units} units" if units is not None else format_money(pence, pence=True))
        )
        return names, words, state.awards
    if t.buyer in state.left:
        names.append("left")
        words.append(f"left: {t.buyer} has left the consortium")
    after = _moved(state.awards, problem, t, pence, units)
    limit_names, limit_words = _limit_refusals(problem, state, t, after)
    names += limit_names
    words += limit_words
    before_checks = {
        c.name: c for c in verify(problem, _as_allocation(problem, state.contracts, state.awards))
    }
    for c in verify(problem, _as_allocation(problem, state.contracts, after)):
        if c.name == "fair_share" or c.passed:
            continue
        was = before_checks.get(c.name)
        if was is not None and not was.passed and was.detail == c.detail:
            continue  # broken before the trade, and no worse: not the trade's doing
        names.append(c.name)
        words.append(f"{c.name}: {c.detail}")
    return names, words, after


def trade(
    problem: Problem, current: Allocation | Reallocation | TradeDecision, request: Trade
) -> TradeDecision:
    """Approve or refuse ``request`` on the version ``current``; approved, the new version.

    Raises :class:`~allocate.ProblemError` when the request itself is wrong (unknown ids,
    delivery above an award, money on a unit-priced lot ...).
    """
    state = state_of(problem, current)
    check_trade(problem, state.awards, request, state.left)
    pence, units = _quantity(state, problem, request)
    names, words, after = _refusals(problem, state, request, pence, units)
    if names:
        return TradeDecision(
            approved=False,
            trade=request,
            refused_by=names,
            reasons=words,
            version=None,
            contracts=state.contracts,
            awards=state.awards,
            left=list(state.left),
            limits=state.limits,
        )
    version = Version(
        number=state.version.number + 1,
        revises=state.version.number,
        kind="trade",
        fingerprint=fingerprint_of(problem, state.version, request),
        label=request.label,
    )
    return TradeDecision(
        approved=True,
        trade=request,
        refused_by=[],
        reasons=[],
        version=version,
        contracts=state.contracts,
        awards=after,
        left=list(state.left),
        limits=state.limits,
    )


def takers(
    problem: Problem,
    current: Allocation | Reallocation | TradeDecision,
    seller: str,
    lot: str,
    *,
    deliveries: tuple[Delivery, ...] = (),
) -> list[Taker]:
    """Who could take ``seller``'s remaining outputs of ``lot``, and the most each could take.

    For each other member (not left), the largest trade, in whole pence (whole units on a
    unit-priced lot), that :func:`trade` would approve, with what stops it taking more.  The
    search bisects on the conditions a larger trade only makes worse, then checks the answer
    (and, when it fails a condition in :data:`NON_MONOTONE`, the amounts that leave the seller
    with nothing, or with exactly the minimum award) against every condition.  Members who could
    take nothing are left out.
    """
    state = state_of(problem, current)
    issues = []
    if seller not in problem.member_index:
        issues.append(Issue("seller", "unknown member", seller, seller))
    if lot not in problem.lot_index:
        issues.append(Issue("lot", "unknown lot", lot, lot))
    if issues:
        raise ProblemError(issues)
    probe = Trade.model_validate(
        {
            "lot": lot,
            "seller": seller,
            "buyer": seller,
            "amount": "0.01",
            "deliveries": list(deliveries),
        }
    )
    unit_lot = problem.lot_index[lot][1].is_unit_priced
    if unit_lot:
        probe = probe.model_copy(update={"amount": None, "units": 1})
    have, have_units = _tradeable(state, problem, probe)
    most = have_units if unit_lot and have_units is not None else have
    per = (
        _pence_per_unit(problem, problem.lot_index[lot][1], _lot_top_slices(state.contracts)[lot])
        if unit_lot
        else 1
    )
    out: list[Taker] = []
    for member in sorted(problem.member_index):
        if member == seller or member in state.left or most <= 0:
            continue
        t = probe.model_copy(update={"buyer": member})

        def breaks(q: int, *, every: bool, t: Trade = t) -> list[str]:
            units = q if unit_lot else None
            names, _, _ = _refusals(problem, state, t, q * per, units)
            return names if every else [n for n in names if n not in NON_MONOTONE]

        lo, hi = 0, most
        if breaks(hi, every=False):
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if breaks(mid, every=False):
                    hi = mid - 1
                else:
                    lo = mid
        else:
            lo = hi
        best = 0
        min_award = problem.policy.min_award
        candidates = [lo]
        if min_award is not None:
            seller_award = next(
                (a for a in state.awards if a.member == seller and a.lot == lot), None
            )
            if seller_award is not None:
                keep = int(seller_award.amount * 100) - int(min_award * 100)
                candidates.append(min(lo, keep // per))
        candidates.append(min(lo, most - 1))
        for q in sorted({c for c in candidates if c > 0}, reverse=True):
            if not breaks(q, every=True):
                best = q
                break
        if best <= 0:
            continue
        if best == most:
            limit = f"{seller}'s undelivered outputs of {lot}"
        else:
            limit = ", ".join(breaks(best + 1, every=True)) or "the conditions together"
        out.append(
            Taker(
                member=member,
                lot=lot,
                amount=(Decimal(best * per) / 100).quantize(Decimal("0.01")),
                units=best if unit_lot else None,
                limited_by=limit,
            )
        )
    return out
