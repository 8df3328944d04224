"""Invariants of reviews and trades, with the test kit's strategies and checkers
(:mod:`allocate.testing.life`), on small random consortia."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allocate
from allocate.review import Trade, reallocate, takers, trade
from allocate.testing import (
    assert_review_invariants,
    check_nothing_changed_is_as_made,
    check_on_track_never_worse,
    review_limit_failures,
    reviews,
    trade_failures,
    trades,
)
from tests.unit.test_review import _problem

_caps = st.lists(st.integers(50, 900), min_size=2, max_size=4)


def _made(caps: list[int]) -> tuple[allocate.Problem, allocate.Allocation]:
    p = _problem({f"m{k}": str(c) for k, c in enumerate(caps)}, value="1000")
    return p, allocate.solve(p)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), caps=_caps)
def test_delivered_money_never_moves_and_every_version_balances(data, caps) -> None:
    p, made = _made(caps)
    if not made.status.is_ok:
        return
    review = data.draw(reviews(p, made))
    after = reallocate(p, made, review)
    assert_review_invariants(p, made, review, after)
    if after.status.is_ok and after.awards:
        request = data.draw(trades(p, after))
        assert not trade_failures(p, after, trade(p, after, request))


@settings(max_examples=15, deadline=None)
@given(caps=_caps, slow=st.integers(0, 3))
def test_on_track_members_never_lose_and_nothing_changed_is_as_made(caps, slow) -> None:
    p, made = _made(caps)
    if not made.status.is_ok:
        return
    assert check_on_track_never_worse(p, made, f"m{slow % len(caps)}")
    assert check_nothing_changed_is_as_made(p, made)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), caps=_caps)
def test_a_trade_after_a_review_keeps_what_the_review_left_each_member(data, caps) -> None:
    p, made = _made(caps)
    if not made.status.is_ok:
        return
    review = data.draw(reviews(p, made))
    after = reallocate(p, made, review)
    if not after.status.is_ok:
        return
    assert review_limit_failures(p, review, after, None) == []
    sold = [a for a in after.awards if a.amount > 0]
    if not sold:
        return
    request = data.draw(trades(p, after))
    assert review_limit_failures(p, review, after, trade(p, after, request)) == []
    # the most each taker could take is approved, and a penny more refused
    seller = data.draw(st.sampled_from(sold))
    for t in takers(p, after, seller.member, seller.lot):
        for amount, approved in ((t.amount, True), (t.amount + Decimal("0.01"), False)):
            request = Trade(lot=t.lot, seller=seller.member, buyer=t.member, amount=amount)
            decision = trade(p, after, request)
            assert decision.approved is approved, (amount, decision.reasons)
            assert review_limit_failures(p, review, after, decision) == []
