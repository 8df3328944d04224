"""Sub-tendering: the competition of each sub-tendered lot, as the lot's targets.

A sub-tendered lot enters the same programme as a planned one.  This step scores, qualifies and
ranks its bids (:func:`allocate.core.tendering.evaluate`, exactly), and gives the lot to the
pipeline as a :class:`~allocate.pipeline.plan.LotPlan` whose claimants are the qualifying bids
(with their capacities) and whose "fair shares" are the competition's awards: the winners' shares
and zero for the other qualifying bids.  So with nothing else to respect the closed form is the
competition's answer, and with side-constraints the leximin programme, exact rounding,
verification and audit apply unchanged.

**Side-constraints move work down the ranking.**  When a side-constraint (a share cap, a
ring-fence ...) holds a winner below its share, the programme gives it the most it can (it is the
worst-off), and :func:`retender` then limits the winner to that award, rounded down to the penny
(unit), and splits the lot again: the rest passes to the next-ranked qualifying bid, not to
whichever bid the solver happened to pick.  :func:`allocate.solve` repeats the programme until no
winner is held back (at most once per qualifying bid), and the audit says what moved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import numpy as np

from allocate.core.apportion import ExactShares
from allocate.core.model import Bid, Competition, Problem
from allocate.core.money import format_money, from_pence, to_pence
from allocate.core.outcome import BidEvaluation, SavingTransfer, TenderReport
from allocate.core.tendering import CRITERIA, LotTender, Offer, Transfer, evaluate
from allocate.pipeline.eligibility import describe_reasons
from allocate.pipeline.plan import (
    ContractTopSlice,
    Eligibility,
    LotPlan,
    Plan,
    Reason,
    Rounded,
    Solution,
)

__all__ = [
    "close_reserve",
    "compete",
    "offers",
    "reports",
    "retender",
    "retender_rounds",
    "set_targets",
    "unqualified_words",
]

#: A winner counts as held back when its award is below its share by more than this part of
#: the lot (far above the solver's noise, far below a penny on any realistic lot).
HELD_BACK = 1e-7

#: A held level this close to a whole penny (unit), as a part of the lot, is that penny: the
#: solver's noise (about 1e-10 of the lot) must not cost a held winner a penny, which a minimum
#: award further down the ranking would turn into pounds.
SNAP = 1e-9


def offers(problem: Problem, eligibility: Eligibility, j: int, pot: int) -> list[Offer]:
    """The bids for lot ``j`` as the evaluation reads them (every bidder, eligible or not)."""
    lot = problem.lots[j]
    on_price = problem.policy.tender.competition is Competition.PRICE_QUALITY
    member_pos = {m: i for i, m in enumerate(eligibility.member_ids)}
    out = []
    for bid in problem.bids:
        if bid.lot != lot.id:
            continue
        i = member_pos[bid.member]
        mask = int(eligibility.reasons[j, i]) & ~int(Reason.NOT_QUALIFIED | Reason.NO_CAPACITY)
        out.append(
            Offer(
                member=bid.member,
                quality=Fraction(repr(bid.quality)),
                social_value=_score(bid.social_value),
                impact=_score(bid.impact),
                claim=int(eligibility.capacity[j, i]),
                price_ratio=(_ratio(bid.price, lot.units, pot) or Fraction(1))
                if on_price
                else Fraction(1),
                cost_ratio=_ratio(bid.unit_cost, lot.units, pot) if on_price else None,
                barred=tuple(describe_reasons(problem, bid.member, lot.id, mask)) if mask else (),
            )
        )
    return out


def _score(x: float | None) -> Fraction | None:
    return None if x is None else Fraction(repr(x))


def _ratio(price: object, units: int | None, pot: int) -> Fraction | None:
    """A price over the member pot's price for the same work (whole lot, or one unit)."""
    if price is None or pot <= 0:
        return None
    pence = to_pence(price)  # type: ignore[arg-type]
    return Fraction(pence * (units or 1), pot)


def compete(
    problem: Problem, eligibility: Eligibility, slices: dict[str, ContractTopSlice]
) -> dict[int, LotTender]:
    """Evaluate every sub-tendered lot; mark the bids that did not qualify as not eligible."""
    out: dict[int, LotTender] = {}
    if not problem.tendered:
        return out
    member_pos = {m: i for i, m in enumerate(eligibility.member_ids)}
    j = 0
    for contract in problem.contracts:
        for lot in contract.lots:
            if lot.id in problem.tendered:
                value = to_pence(lot.value)
                pot = value - slices[contract.id].lot_amounts_pence[lot.id]
                estate = lot.units if lot.units is not None else pot
                result = evaluate(
                    problem.policy.tender,
                    estate,
                    offers(problem, eligibility, j, pot),
                    min_award=_min_award(problem, lot.units, pot),
                )
                for e in result.evaluations:
                    if not e.qualified:
                        eligibility.reasons[j, member_pos[e.member]] |= np.uint16(
                            Reason.NOT_QUALIFIED
                        )
                out[j] = result
            j += 1
    return out


def _min_award(problem: Problem, units: int | None, pot: int) -> int | None:
    """The policy's minimum award in the lot's quantity (whole units rounded up)."""
    m = problem.policy.min_award
    if m is None:
        return None
    pence = to_pence(m)
    return pence if units is None else math.ceil(Fraction(pence * units, pot)) if pot else 0


def set_targets(
    problem: Problem, lot: LotPlan, result: LotTender, held: Mapping[str, int] | None = None
) -> None:
    """The competition's awards as the lot's targets; the floors of the winners.

    ``held`` gives the winners a side-constraint held back the level they keep (a floor, in the
    lot's quantity: see :func:`retender`).  With a minimum award, every winner keeps the minimum
    as a floor, and the bids that did not win stay open, with no floor, as the ranking's reserve
    while work may still pass down; :func:`close_reserve` closes them once it cannot.
    """
    ids = [problem.members[i].id for i in lot.members]
    targets = [result.targets.get(m, Fraction(0)) for m in ids]
    den = math.lcm(*(t.denominator for t in targets)) if targets else 1
    lot.fair = ExactShares(tuple(int(t * den) for t in targets), den)
    least = _min_award(problem, lot.units, lot.pot)
    held = held or {}
    for pos, (m, t) in enumerate(zip(ids, targets, strict=True)):
        # a floor kept for providers per area stays; every other floor is the competition's
        floor = lot.floor[pos] if pos in lot.kept else 0
        if t > 0:
            # a held winner keeps its level as a floor, or its new share when the split gave
            # it less (the minimum award of a bid further down, or a split by score)
            held_floor = min(held.get(m, 0), math.floor(t))
            floor = max(floor, held_floor, min(least or 0, lot.claims[pos]))
        lot.floor[pos] = floor
        if least:
            # a bid that cannot deliver the minimum award can receive nothing at all
            lot.open[pos] = pos in lot.kept or lot.claims[pos] >= least
            if not lot.open[pos]:
                lot.floor[pos] = 0


def close_reserve(p: Plan) -> bool:
    """Close the bids that did not win a lot with a minimum award; whether any was open.

    A sub-contract is made only as the competition made it: no sliver below the minimum.
    """
    if p.problem.policy.min_award is None:
        return False
    closed = False
    for j in p.tenders:
        lot = p.lots[j]
        assert lot.fair is not None
        for pos, n in enumerate(lot.fair.numerators):
            if n == 0 and lot.open[pos] and pos not in lot.kept and not lot.floor[pos]:
                lot.open[pos] = False
                closed = True
    if closed:
        p.sync_open()
    return closed


def retender_rounds(p: Plan) -> int:
    """How many times :func:`allocate.solve` may need to solve the programme again.

    Every round that changes a lot limits at least one winner never limited before (a limited
    winner's target is its held level, never more), or closes the reserve once: at most twice
    the number of qualifying bids, and one more round to see that nothing changes.
    """
    return 2 * sum(len(r.ranked) for r in p.tenders.values()) + 2


def retender(p: Plan, solution: Solution) -> bool:
    """Hold each tender winner a side-constraint held back, and pass the rest down the ranking.

    A winner the programme gave less than its target (by more than :data:`HELD_BACK` of the lot)
    is held at what it received, rounded down to the penny (unit): its target becomes that level
    and the level a floor, so no later round can push it lower, while the leximin programme may
    still give it more where a condition lets it (its ratio may pass 1).  The lot is then split
    again with the winner limited to its level (:func:`allocate.core.tendering.evaluate`): the
    rest passes to the next-ranked qualifying bids.  The split is made again from scratch with
    every level held so far as a cap, so with a minimum award a held winner gives up what the
    next winners need to reach it (its floor is then its new share, not its held level).

    Returns whether any lot changed (then the programme must be solved again).  A winner is held
    once: every change adds a winner to the held ones, which bounds the rounds
    (:func:`retender_rounds`).
    """
    changed = False
    for j in list(p.tenders):
        lot = p.lots[j]
        shares = solution.shares.get(j)
        if shares is None or lot.fair is None:
            continue
        ids = [p.problem.members[i].id for i in lot.members]
        limits = p.tender_limits.setdefault(j, {})
        tolerance = HELD_BACK * max(lot.estate, 1)
        new = []
        for pos, member in enumerate(ids):
            target = lot.fair_share(pos)
            got = Fraction(shares.numerators[pos], shares.denominator)
            if member not in limits and target > 0 and target - got > tolerance:
                limits[member] = max(0, _whole(got, lot.estate))
                new.append(member)
        if not new:
            continue
        least = _min_award(p.problem, lot.units, lot.pot)
        again = evaluate(
            p.problem.policy.tender,
            lot.estate,
            offers(p.problem, p.eligibility, j, lot.pot),
            limits=limits,
            min_award=least,
        )
        held = dict(limits)
        gave = _make_room(p, lot, again, held, least)
        gave += [
            f"{m}: gives up {_amount(lot, level - math.floor(t))} so that the next-ranked winners "
            "reach the minimum award"
            for m, level in sorted(limits.items())
            for t in [again.targets.get(m, Fraction(0))]
            if 0 < t < level and m not in {g.split(":")[0] for g in gave}
        ]
        p.tenders[j] = again
        set_targets(p.problem, lot, again, held)
        p.tender_moves[j] = [
            f"{m}: a side-constraint held it to {_amount(lot, level)}, below its share; the rest "
            f"of {lot.lot_id} passed down the ranking"
            for m, level in sorted(limits.items())
        ] + gave
        changed = True
    if changed:
        p.sync_open()
    return changed


def _whole(got: Fraction, estate: int) -> int:
    """A level the programme gave, in whole pence (units).

    Rounded down, unless the solver's noise put it a hair below a whole number (then that
    number; a real bound is kept exactly by the rounding, which never trusts this level).
    """
    near = round(got)
    return near if abs(got - near) <= SNAP * max(estate, 1) else math.floor(got)


def _make_room(
    p: Plan, lot: LotPlan, result: LotTender, held: dict[str, int], least: int | None
) -> list[str]:
    """Lower held winners' floors by what the next winners need to reach the minimum award."""
    if not least:
        return []
    ids = [p.problem.members[i].id for i in lot.members]
    claims = dict(zip(ids, lot.claims, strict=True))
    need: Fraction = sum(
        (
            max(Fraction(0), min(least, claims[m]) - t)
            for m, t in result.targets.items()
            if t > 0 and m not in held
        ),
        Fraction(0),
    )
    notes = []
    for e in reversed(result.ranked):
        m = e.member
        if need <= 0:
            break
        if m in held and result.targets.get(m, 0) > 0:
            give = min(held[m], math.ceil(need))
            held[m] -= give
            need -= give
            notes.append(
                f"{m}: gives up to {_amount(lot, give)} so that the next-ranked winners reach "
                "the minimum award"
            )
    return notes


def _amount(lot: LotPlan, quantity: int) -> str:
    """A quantity of the lot in words: pounds, or whole units."""
    return f"{quantity} units" if lot.units is not None else format_money(quantity, pence=True)


_Q6 = Decimal("0.000001")


def _six(x: Fraction | None) -> str | None:
    if x is None:
        return None
    return str((Decimal(x.numerator) / Decimal(x.denominator)).quantize(_Q6, ROUND_HALF_EVEN))


def _pounds(pence: Fraction) -> Decimal:
    """Exact pence as pounds, to the nearest penny (half to even)."""
    return from_pence(round(pence))


def unqualified_words(p: Plan) -> dict[tuple[int, int], str]:
    """Why each bid that did not qualify did not, by (lot index, member index)."""
    pos = {m: i for i, m in enumerate(p.eligibility.member_ids)}
    return {
        (j, pos[e.member]): "; ".join(e.reasons)
        for j, result in p.tenders.items()
        for e in result.evaluations
        if not e.qualified
    }


def reports(p: Plan, awards: dict[int, Rounded] | None) -> list[TenderReport]:
    """The audit of every sub-tendered lot: the matrix, the winners, the savings, the moves."""
    out: list[TenderReport] = []
    policy = p.problem.policy.tender
    on_price = policy.competition is Competition.PRICE_QUALITY
    bids = {(b.member, b.lot): b for b in p.problem.bids}
    for j, result in sorted(p.tenders.items()):
        lot = p.lots[j]
        spec = p.problem.lots[j]
        ids = [p.problem.members[i].id for i in lot.members]
        rounded = awards.get(j) if awards is not None else None
        got = dict(zip(ids, rounded.pence, strict=True)) if rounded is not None else {}
        winners = [m for m in (e.member for e in result.ranked) if got.get(m, 0) > 0]
        last = min((e.total for e in result.ranked if e.member in winners), default=None)
        per = lot.unit_value  # pence per quantity
        matrix = []
        for e in result.evaluations:
            bid = bids[e.member, lot.lot_id]
            capacity = spec.unit_price * e.claim if spec.unit_price is not None else None
            won = got.get(e.member, 0)
            gap = None
            if e.qualified and won == 0 and last is not None:
                gap = _six(max(Fraction(0), last - e.total))
            matrix.append(
                BidEvaluation.model_construct(
                    None,
                    member=e.member,
                    scores={c: _six(e.scores.get(c)) for c in CRITERIA},
                    total=_six(e.total) or "",
                    total_exact=f"{e.total.numerator}/{e.total.denominator}",
                    rank=e.rank,
                    qualified=e.qualified,
                    reasons=list(e.reasons),
                    abnormally_low=e.abnormally_low,
                    price=bid.price if on_price else None,
                    capacity=capacity if capacity is not None else from_pence(e.claim),
                    award=from_pence(won),
                    gap=gap,
                )
            )
        decisions = [
            f"{m} wins {format_money(got[m], pence=True)} (rank {e.rank}, total score "
            f"{_six(e.total)})"
            for e in result.ranked
            for m in [e.member]
            if m in winners
        ]
        decisions += list(result.notes) + p.tender_moves.get(j, [])
        out.append(
            TenderReport.model_construct(
                None,
                lot=lot.lot_id,
                contract=lot.contract_id,
                competition=policy.competition.value,
                weights={c: str(getattr(policy.weights, c)) for c in CRITERIA},
                min_quality=str(policy.min_quality),
                price_scoring=policy.price_scoring.value if on_price else None,
                max_winners=policy.max_winners,
                split=policy.split.value,
                saving=policy.saving.value,
                bids=matrix,
                winners=winners,
                savings=[
                    SavingTransfer.model_construct(
                        None,
                        source=t.source,
                        to=t.to,
                        amount=_pounds(t.amount * per),
                        units=_more_units(
                            t, bids.get((t.source, lot.lot_id)), spec.unit_price, per
                        ),
                    )
                    for t in result.transfers
                ],
                decisions=decisions,
            )
        )
    return out


def _more_units(
    t: Transfer, bid: Bid | None, unit_price: Decimal | None, per: Fraction
) -> int | None:
    """The whole units a saving kept as more units buys at its winner's own unit price.

    ``t.amount`` is in the lot's quantity (``per`` pence each); None when the saving went to
    another winner, the lot is not priced per unit, or the bid names no price.
    """
    if t.to is not None or unit_price is None or bid is None or not bid.price:
        return None
    return math.floor(t.amount * per / (Fraction(bid.price) * 100))
