"""Sub-tendering properties on drawn tender problems, with the public test kit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from allocate import Problem, solve
from allocate.testing import (
    assert_budget_balance,
    assert_valid_allocation,
    check_anonymity,
    check_best_bid_wins,
    check_bid_monotonicity,
    tender_problems,
)


@settings(max_examples=20, deadline=None)
@given(tender_problems())
def test_every_tender_allocation_keeps_every_condition_and_balances(problem: Problem) -> None:
    a = solve(problem)
    assert_valid_allocation(problem, a, require_ok=True)
    assert_budget_balance(problem, a)


@settings(max_examples=15, deadline=None)
@given(tender_problems(side_constraints="any", feasible=False))
def test_side_constrained_tenders_keep_every_condition_or_say_why_not(problem: Problem) -> None:
    a = solve(problem)
    assert_valid_allocation(problem, a)
    if not a.status.is_ok:
        assert a.diagnosis is not None and a.diagnosis.summary


@settings(max_examples=15, deadline=None)
@given(tender_problems(competitions=["fixed_price"], max_winners=[1], splits=["rank_order"]))
def test_the_best_qualifying_bid_wins_a_single_winner_lot(problem: Problem) -> None:
    assert check_best_bid_wins(problem)


@settings(max_examples=15, deadline=None)
@given(tender_problems(savings=["more_units"]), st.data())
def test_raising_a_bidders_quality_never_lowers_its_award(
    problem: Problem, data: st.DataObject
) -> None:
    bid = data.draw(st.sampled_from(problem.bids))
    assert check_bid_monotonicity(problem, bid.member, bid.lot)


@settings(max_examples=10, deadline=None)
@given(tender_problems(), st.randoms(use_true_random=False))
def test_tenders_are_anonymous(problem: Problem, rnd: object) -> None:
    order = list(range(len(problem.members)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    assert check_anonymity(problem, order)
