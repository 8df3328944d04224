from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocate.core.apportion import ExactShares, from_floats, largest_remainder


@given(
    total=st.integers(0, 10**9),
    weights=st.lists(st.integers(1, 10**6), min_size=1, max_size=30),
)
def test_largest_remainder_sums_exactly_and_stays_within_one(total, weights):
    den = sum(weights)
    shares = ExactShares(tuple(total * w for w in weights), den)
    result = largest_remainder(total, shares)
    assert sum(result) == total
    for r, w in zip(result, weights, strict=True):
        assert abs(r - Fraction(total * w, den)) < 1


def test_caps_are_never_exceeded():
    shares = ExactShares((15, 15, 0), 10)  # 1.5, 1.5, 0
    assert largest_remainder(3, shares, caps=[1, 2, 5]) == [1, 2, 0]


def test_ties_break_in_the_given_order():
    assert largest_remainder(1, ExactShares((1, 1), 2)) == [1, 0]


def test_solver_surplus_and_deficit_are_corrected():
    assert sum(largest_remainder(10, from_floats([3.3333334, 3.3333334, 3.3333334]))) == 10
    assert largest_remainder(10, from_floats([5.2, 5.2])) == [5, 5]
    assert largest_remainder(10, from_floats([4.6, 4.6])) == [5, 5]


def test_impossible_caps_are_an_error():
    with pytest.raises(ValueError, match="caps"):
        largest_remainder(10, ExactShares((5, 5), 1), caps=[4, 4])
