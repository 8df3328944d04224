"""Every allocation keeps every documented condition: money, caps, eligibility, fair shares.

Problems come from :func:`allocate.testing.problems` (valid by construction; every drawn problem
is noted as JSON, so a failure prints its minimal counter-example ready for ``allocate solve``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocate import Rule, Status, solve
from allocate.testing import (
    assert_fair_shares,
    assert_valid_allocation,
    exact_shares,
    examples,
    is_eligible,
    problems,
)

RULES = [r.value for r in Rule]


@pytest.mark.parametrize("rule", RULES)
@examples(0.4)
@given(data=st.data())
def test_every_rule_gives_a_valid_allocation(rule, data):
    problem = data.draw(problems(max_members=6, max_lots=4, max_contracts=3, rules=rule))
    allocation = solve(problem)
    # eligible capacity covers every lot by construction and nothing else constrains the split
    assert_valid_allocation(problem, allocation, require_ok=True)
    assert_fair_shares(problem, allocation)


@given(problems(max_members=5, max_lots=3, feasible=False))
def test_without_enough_capacity_the_answer_says_so(problem):
    allocation = solve(problem)
    assert allocation.status in (Status.OPTIMAL, Status.INFEASIBLE)
    assert_valid_allocation(problem, allocation)
    if allocation.status is Status.INFEASIBLE:
        assert allocation.diagnosis is not None and allocation.diagnosis.lots
        assert not allocation.awards


@given(problems(max_members=6, max_lots=4))
def test_money_never_goes_missing(problem):
    allocation = solve(problem)
    awarded = sum((a.amount for a in allocation.awards), Decimal(0))
    values = sum((c.value for c in problem.contracts), Decimal(0))
    assert awarded + allocation.top_slice == values


@given(problems(max_members=6, max_lots=4))
def test_only_eligible_members_receive_and_all_of_them_have_a_fair_share(problem):
    allocation = solve(problem)
    shares = exact_shares(problem, allocation)
    for a in allocation.awards:
        assert is_eligible(problem, a.member, a.lot)
        assert (a.member, a.lot) in shares
