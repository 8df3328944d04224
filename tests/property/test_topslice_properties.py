"""The hub's top-slice: within its bounds, equal to its method, and monotone in contract value."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from allocate import Problem, TopSliceMethod, solve
from allocate.testing import (
    check_resource_monotonicity,
    check_top_slice,
    lot_claims,
    problems,
    top_slice_rate,
    with_capacity,
)

SIZE = {"max_members": 4, "max_lots": 4, "max_contracts": 3}


@given(problems(max_rate=1.0, **SIZE))
def test_top_slice_within_its_bounds_and_equal_to_its_method(problem):
    # every method, max_rate anywhere in 0..1: independent recomputation, rounded down
    assert check_top_slice(problem)


@given(problems(max_rate=1.0, **SIZE))
def test_the_rate_lies_between_target_and_maximum(problem):
    ts = problem.top_slice
    for contract in problem.contracts:
        rate = top_slice_rate(problem, contract)
        assert 0 <= rate <= Fraction(ts.max_rate)
        if ts.method is TopSliceMethod.GLIDE_PATH:
            assert Fraction(ts.target_rate) <= rate


@given(problems(top_slice_methods=["glide_path"], **SIZE), st.integers(1, 4))
def test_the_glide_path_never_rises_with_the_years(problem, later):
    contract = problem.contracts[0]
    data = problem.model_dump(mode="json")
    data["contracts"][0]["term_years"] = contract.term_years + later
    data["contracts"][0]["year"] = contract.year + later
    older = Problem.model_validate(data)
    assert top_slice_rate(older, older.contracts[0]) <= top_slice_rate(problem, contract)
    assert solve(older).contracts[0].top_slice <= solve(problem).contracts[0].top_slice


@given(data=st.data())
def test_a_bigger_single_lot_contract_never_leaves_its_members_less(data):
    problem = data.draw(problems(max_members=4, max_lots=3, max_contracts=3))
    single = [c.lots[0] for c in problem.contracts if len(c.lots) == 1]
    lot = data.draw(st.sampled_from(single or list(problem.lots)))
    increase = data.draw(st.integers(0, 10**7 if lot.unit_price is None else 200))
    claims = lot_claims(problem, lot.id)
    member = data.draw(st.sampled_from(sorted(claims)))
    base = with_capacity(problem, member, lot.id, claims[member] + increase + 2)
    # the checker also asserts that a single-lot contract's member pot did not shrink
    assert check_resource_monotonicity(base, lot.id, increase)
