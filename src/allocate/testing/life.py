"""The test kit over a contract's life: strategies for reviews and trades, and their invariants.

Strategies draw inputs that fit a version (:func:`reviews`, :func:`trades`); the checkers work
out what must hold from the documents and the problem alone, with checking code of their own:

* :func:`review_failures` / :func:`assert_review_invariants`: delivered money never moves (each
  row's ``delivered`` is what the review says, in pence, units at the members' pence per unit),
  each award is delivered plus remaining, and money balances to the penny at the new version
  (awards plus top-slice equal every contract's value);
* :func:`trade_failures`: an approved trade moves exactly its quantity from seller to buyer and
  nothing else; a refused one changes nothing and names what refused it; both balance;
* :func:`review_limit_failures`: a trade after a review keeps what the review left each member
  (worked out here from the review and the problem: capacity less delivery, cut to the delivery
  rate for a ``delivery_rate`` outcome; nothing new for a ``no_new_work`` one), and the
  reallocation records those remaining capacities;
* :func:`check_on_track_never_worse`: a member on track is never worse off (beyond a penny of
  rounding) because another under-delivers (the proportional rule);
* :func:`check_nothing_changed_is_as_made`: a review with nothing delivered and nothing changed
  returns the allocation as made, with nothing moved.

Examples
--------
>>> from hypothesis import given, settings, strategies as st
>>> import allocate
>>> from allocate.examples import example_dict
>>> problem = allocate.Problem.model_validate(example_dict())
>>> made = allocate.solve(problem)
>>> @settings(max_examples=3, deadline=None)
... @given(reviews(problem, made))
... def test_delivered_money_never_moves(review):
...     assert_review_invariants(problem, made, review, reallocate(problem, made, review))
>>> test_delivered_money_never_moves()
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from allocate.core.model import Capacity, Lot, Problem, Rule
from allocate.core.outcome import Allocation, Award, ContractResult
from allocate.core.review import (
    Delivery,
    OutcomeAction,
    Reallocation,
    ReviewInput,
    ReviewOutcome,
    Trade,
    TradeDecision,
)
from allocate.pipeline.review import reallocate

__all__ = [
    "assert_review_invariants",
    "check_nothing_changed_is_as_made",
    "check_on_track_never_worse",
    "review_failures",
    "review_limit_failures",
    "reviews",
    "trade_failures",
    "trades",
]

Version = Allocation | Reallocation | TradeDecision


def _pence(x: Decimal) -> int:
    return int(x * 100)


def _per_unit(problem: Problem, contracts: Sequence[ContractResult], lot_id: str) -> Fraction:
    """The members' pence per unit of a unit-priced lot, from the problem and the top-slice."""
    lot = problem.lot_index[lot_id][1]
    top = next(_pence(c.lot_top_slices[lot_id]) for c in contracts if lot_id in c.lot_top_slices)
    assert lot.units
    return Fraction(_pence(lot.value) - top, lot.units)


@st.composite
def reviews(
    draw: st.DrawFn,
    problem: Problem,
    version: Version,
    *,
    outcomes: bool = True,
) -> ReviewInput:
    """A review that fits ``version``.

    Elapsed in twentieths, each award's delivery at most the award (whole pence; whole units on
    unit-priced lots), and with ``outcomes`` a review outcome for up to two members.
    """
    elapsed = Decimal(draw(st.integers(1, 20))) / 20
    deliveries = []
    for a in version.awards:
        if a.units is not None:
            units = draw(st.integers(0, a.units))
            deliveries.append(Delivery(member=a.member, lot=a.lot, units=units))
        else:
            pence = draw(st.integers(0, _pence(a.amount)))
            deliveries.append(Delivery(member=a.member, lot=a.lot, amount=Decimal(pence) / 100))
    members = sorted({a.member for a in version.awards})
    given = []
    if outcomes and members:
        for m in draw(st.lists(st.sampled_from(members), unique=True, max_size=2)):
            given.append({"member": m, "outcome": draw(st.sampled_from(list(ReviewOutcome)))})
    return ReviewInput.model_validate(
        {
            "label": "drawn review",
            "elapsed": elapsed,
            "deliveries": [d.model_dump() for d in deliveries],
            "outcomes": given,
        }
    )


@st.composite
def trades(draw: st.DrawFn, problem: Problem, version: Version) -> Trade:
    """A well-formed trade on ``version``.

    A seller's award, another member, a quantity of at most the seller's award (it may still be
    refused by a condition).
    """
    awards = [a for a in version.awards if a.amount > 0]
    if not awards or len(problem.members) < 2:
        raise ValueError("a trade needs an award and at least two members")
    a = draw(st.sampled_from(awards))
    buyer = draw(st.sampled_from(sorted(m.id for m in problem.members if m.id != a.member)))
    fields: dict[str, Any] = {"label": "drawn trade", "lot": a.lot, "seller": a.member}
    fields["buyer"] = buyer
    if a.units is not None:
        fields["units"] = draw(st.integers(1, max(a.units, 1)))
    else:
        fields["amount"] = Decimal(draw(st.integers(1, _pence(a.amount)))) / 100
    return Trade.model_validate(fields)


def _balance_failures(
    problem: Problem, contracts: Sequence[ContractResult], awards: list[Award]
) -> list[str]:
    totals = {c.id: _pence(c.top_slice) for c in contracts}
    for a in awards:
        totals[a.contract] = totals.get(a.contract, 0) + _pence(a.amount)
    return [
        f"budget: contract {c.id}: awards plus top-slice {totals.get(c.id, 0)}p, value "
        f"{_pence(c.value)}p"
        for c in problem.contracts
        if totals.get(c.id, 0) != _pence(c.value)
    ]


def review_failures(
    problem: Problem, before: Version, review: ReviewInput, after: Reallocation
) -> list[str]:
    """What ``after`` (the reallocation of ``before`` by ``review``) breaks, in words."""
    if not after.status.is_ok:
        return []
    failures = _balance_failures(problem, after.contracts, after.awards)
    delivered: dict[tuple[str, str], Fraction] = {}
    for d in review.deliveries:
        if d.units is not None:
            delivered[d.member, d.lot] = d.units * _per_unit(problem, after.contracts, d.lot)
        elif d.amount is not None:
            delivered[d.member, d.lot] = Fraction(_pence(d.amount))
    rows = {(r.member, r.lot): r for r in after.rows}
    for key, pence in delivered.items():
        row = rows.get(key)
        got = 0 if row is None else _pence(row.delivered)
        if pence and got != pence:
            failures.append(f"delivered money moved: {key[0]} on {key[1]}: {got}p, not {pence}p")
    for r in after.rows:
        if r.award != r.delivered + r.remaining_after:
            failures.append(f"award is not delivered plus remaining: {r.member} on {r.lot}")
    made = {(a.member, a.lot): a.amount for a in before.awards}
    for r in after.rows:
        if r.as_made != made.get((r.member, r.lot), Decimal(0)):
            failures.append(f"as made misquoted: {r.member} on {r.lot}")
    return failures


def assert_review_invariants(
    problem: Problem, before: Version, review: ReviewInput, after: Reallocation
) -> None:
    """Raise ``AssertionError`` listing everything :func:`review_failures` finds."""
    failures = review_failures(problem, before, review, after)
    if failures:
        raise AssertionError("; ".join(failures) + f"\nreview: {review.model_dump_json()}")


def trade_failures(problem: Problem, before: Version, decision: TradeDecision) -> list[str]:
    """What a trade decision on ``before`` breaks, in words."""
    failures = _balance_failures(problem, decision.contracts, decision.awards)
    old = {(a.member, a.lot): _pence(a.amount) for a in before.awards}
    new = {(a.member, a.lot): _pence(a.amount) for a in decision.awards}
    t = decision.trade
    if not decision.approved:
        if old != new:
            failures.append("a refused trade changed the awards")
        if not decision.refused_by:
            failures.append("a refused trade names no condition")
        return failures
    seller, buyer = (t.seller, t.lot), (t.buyer, t.lot)
    moved = old.get(seller, 0) - new.get(seller, 0)
    if new.get(buyer, 0) - old.get(buyer, 0) != moved or moved <= 0:
        failures.append(f"the trade did not move the same money from seller to buyer: {moved}p")
    if t.amount is not None and moved != _pence(t.amount):
        failures.append(f"the trade moved {moved}p, not {_pence(t.amount)}p")
    for key in set(old) | set(new):
        if key not in (seller, buyer) and old.get(key, 0) != new.get(key, 0):
            failures.append(f"a trade changed another award: {key}")
    return failures


def _covers(cap: Capacity, lot: Lot) -> bool:
    if cap.lot is not None:
        return cap.lot == lot.id
    return (cap.theme is None or cap.theme == lot.theme) and (
        cap.area is None or cap.area == lot.area
    )


def _left_by_review(
    problem: Problem, review: ReviewInput, contracts: Sequence[ContractResult]
) -> dict[int, Fraction]:
    """Per capacity (its position in the problem): the most its member's awards may hold.

    In pence for money capacities, units for unit capacities.
    """
    done: dict[tuple[str, str], Fraction] = {}
    done_units: dict[tuple[str, str], int] = {}
    for d in review.deliveries:
        if d.units is not None:
            done_units[d.member, d.lot] = d.units
            done[d.member, d.lot] = d.units * _per_unit(problem, contracts, d.lot)
        elif d.amount is not None:
            done[d.member, d.lot] = Fraction(_pence(d.amount))
    outcome = {o.member: review.policy.action(o.outcome) for o in review.outcomes}
    e = Fraction(review.elapsed)
    out: dict[int, Fraction] = {}
    for k, cap in enumerate(problem.capacities):
        rate = outcome.get(cap.member) is OutcomeAction.DELIVERY_RATE
        if cap.units is not None:
            used = Fraction(done_units.get((cap.member, cap.lot or ""), 0))
            room = cap.units - used
        else:
            assert cap.amount is not None
            used = sum(
                (
                    done.get((cap.member, lot.id), Fraction(0))
                    for lot in problem.lots
                    if _covers(cap, lot)
                ),
                Fraction(0),
            )
            room = _pence(cap.amount) - used
        if rate:
            room = min(room, Fraction(math.floor(used * (1 - e) / e)))
        out[k] = used + max(room, Fraction(0))
    return out


def review_limit_failures(
    problem: Problem, review: ReviewInput, after: Reallocation, decision: TradeDecision | None
) -> list[str]:
    """What breaks what ``review`` left each member: in ``after``, and in a trade on it.

    ``problem`` holds the review's joiners.  Checked from the review and the problem alone:
    ``after.limits`` lists every capacity of a member still in the consortium with the room
    worked out here (capacity less delivery; cut to ``⌊delivered × (1 − e) / e⌋`` for a
    ``delivery_rate`` outcome) and every ``no_new_work`` member; an approved ``decision`` gives
    its buyer nothing new when it has no new work, and keeps its awards on each capacity's lots
    within delivered plus room.
    """
    if not after.status.is_ok:
        return []
    failures: list[str] = []
    limits = after.limits
    if limits is None:
        return ["the reallocation records no limits"]
    left = set(after.left)
    expected = _left_by_review(problem, review, after.contracts)
    caps = [(k, c) for k, c in enumerate(problem.capacities) if c.member not in left]
    if len(caps) != len(limits.capacities):
        failures.append(f"{len(limits.capacities)} remaining capacities recorded, {len(caps)} due")
    for (k, cap), got in zip(caps, limits.capacities, strict=False):
        most = expected[k]
        if cap.units is not None:
            held = Fraction((got.units_delivered or 0) + (got.units_remaining or 0))
        else:
            held = Fraction(_pence(got.delivered) + _pence(got.remaining or Decimal(0)))
        if (got.member, got.lot, got.theme, got.area) != (cap.member, cap.lot, cap.theme, cap.area):
            failures.append(
                f"remaining capacity {k} names {got.member}/{got.lot}, not {cap.member}"
            )
        elif held != most:
            failures.append(f"{cap.member}'s limit on {cap.lot or cap.theme}: {held}, not {most}")
    barred = sorted(
        o.member
        for o in review.outcomes
        if o.member not in left and review.policy.action(o.outcome) is OutcomeAction.NO_NEW_WORK
    )
    if limits.no_new_work != barred:
        failures.append(f"no new work recorded for {limits.no_new_work}, not {barred}")
    if decision is None or not decision.approved:
        return failures
    t = decision.trade
    if t.buyer in barred:
        failures.append(f"a trade gave new work to {t.buyer}, given none at the review")
    lot = problem.lot_index[t.lot][1]
    for k, cap in caps:
        if cap.member != t.buyer or not _covers(cap, lot):
            continue
        covered = {x.id for x in problem.lots if _covers(cap, x)}
        mine = [a for a in decision.awards if a.member == t.buyer and a.lot in covered]
        if cap.units is not None:
            held = Fraction(sum(a.units or 0 for a in mine))
        else:
            held = Fraction(sum(_pence(a.amount) for a in mine))
        if held > expected[k]:
            failures.append(f"a trade took {t.buyer} to {held} on {t.lot}, above {expected[k]}")
    return failures


def check_on_track_never_worse(
    problem: Problem, allocation: Allocation, slow: str, *, elapsed: Decimal = Decimal("0.5")
) -> bool:
    """Whether members on track lose nothing (beyond a penny) when ``slow`` under-delivers.

    Every member but ``slow`` delivers ``elapsed`` of each award (rounded down to the penny);
    ``slow`` delivers nothing and is reviewed ``requires_improvement`` (its capacity cut to its
    rate: nothing).  Money lots only, proportional rule only (the property is the rule's).
    """
    if problem.policy.rule is not Rule.PROPORTIONAL:
        raise ValueError(f"the property holds for the proportional rule, not {problem.policy.rule}")
    if any(a.units is not None for a in allocation.awards):
        raise ValueError("money lots only: unit-priced lots deliver in whole units")
    deliveries = [
        Delivery(
            member=a.member,
            lot=a.lot,
            amount=(a.amount * elapsed).quantize(Decimal("0.01"), rounding="ROUND_DOWN"),
        )
        for a in allocation.awards
        if a.member != slow
    ]
    review = ReviewInput(
        label="on track",
        elapsed=elapsed,
        deliveries=tuple(deliveries),
        outcomes=({"member": slow, "outcome": "requires_improvement"},),  # type: ignore[arg-type]
    )
    after = reallocate(problem, allocation, review)
    if not after.status.is_ok:
        return True  # no version: nobody is worse off in one
    return all(
        r.remaining_after >= r.remaining_before - Decimal("0.01")
        for r in after.rows
        if r.member != slow
    )


def check_nothing_changed_is_as_made(problem: Problem, allocation: Allocation) -> bool:
    """Whether a review with nothing delivered and nothing changed gives the allocation as made."""
    after = reallocate(problem, allocation, ReviewInput(label="nothing", elapsed=Decimal("0.5")))
    return after.status.is_ok and after.awards == list(allocation.awards) and after.moved == 0
