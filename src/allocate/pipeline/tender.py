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
from fractions import Fraction

import numpy as np

from allocate.core.apportion import ExactShares
from allocate.core.model import Competition, Problem
from allocate.core.money import to_pence
from allocate.core.tendering import LotTender, Offer, evaluate
from allocate.pipeline.eligibility import describe_reasons
from allocate.pipeline.plan import ContractTopSlice, Eligibility, LotPlan, Plan, Reason, Solution

__all__ = ["compete", "offers", "retender", "set_targets"]

#: A winner counts as held back when its award is below its share by more than this part of
#: the lot (far above the solver's noise, far below a penny on any realistic lot).
HELD_BACK = 1e-7


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
                price_ratio=_ratio(bid.price, lot.units, pot) if on_price else Fraction(1),
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


def compete(problem: Problem, eligibility: Eligibility, slices: dict[str, ContractTopSlice]) -> dict[int, LotTender]:
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


def set_targets(problem: Problem, lot: LotPlan, result: LotTender) -> None:
    """The competition's awards as the lot's targets; with a minimum award, its floors."""
    ids = [problem.members[i].id for i in lot.members]
    targets = [result.targets.get(m, Fraction(0)) for m in ids]
    den = math.lcm(*(t.denominator for t in targets)) if targets else 1
    lot.fair = ExactShares(tuple(int(t * den) for t in targets), den)
    least = _min_award(problem, lot.units, lot.pot)
    if least:
        # a sub-contract is made only as the competition made it: the winners keep the minimum
        # as a floor and the other bids stay closed (no sliver below the minimum)
        for pos, t in enumerate(targets):
            lot.open[pos] = t > 0
            lot.floor[pos] = min(least, lot.claims[pos]) if t > 0 else 0


def retender(p: Plan, solution: Solution) -> bool:
    """Limit each tender winner a side-constraint held back, and split its lot again.

    Returns whether any lot changed (then the programme must be solved again).
    """
    changed = False
    for j, result in p.tenders.items():
        lot = p.lots[j]
        shares = solution.shares.get(j)
        if shares is None or lot.fair is None:
            continue
        ids = [p.problem.members[i].id for i in lot.members]
        limits = p.tender_limits.setdefault(j, {})
        moved: list[str] = []
        for pos, member in enumerate(ids):
            target = Fraction(lot.fair.numerators[pos], lot.fair.denominator)
            got = Fraction(shares.numerators[pos], shares.denominator)
            if target - got > HELD_BACK * max(lot.estate, 1):
                held = math.floor(got)
                if limits.get(member) == held:
                    continue
                limits[member] = held
                moved.append(member)
        if not moved:
            continue
        again = evaluate(
            p.problem.policy.tender,
            lot.estate,
            offers(p.problem, p.eligibility, j, lot.pot),
            limits=limits,
            min_award=_min_award(p.problem, lot.units, lot.pot),
        )
        if again.targets == result.targets:
            continue
        p.tenders[j] = again
        set_targets(p.problem, lot, again)
        unit = "units" if lot.units is not None else "pence"
        p.tender_moves.setdefault(j, []).extend(
            f"{m}: a side-constraint held it to {limits[m]} {unit} of its share; the rest of "
            f"{lot.lot_id} passed down the ranking"
            for m in moved
        )
        changed = True
    return changed

