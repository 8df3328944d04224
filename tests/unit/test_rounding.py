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


def test_prefer_hands_out_before_the_remainders():
    shares = ExactShares((1, 3), 4)  # 0.25, 0.75
    assert largest_remainder(1, shares) == [0, 1]
    assert largest_remainder(1, shares, prefer=lambda i: (0 if i == 0 else 1, 0)) == [1, 0]


def test_allow_passes_over_refused_shares_but_uses_them_as_a_last_resort():
    shares = ExactShares((1, 3), 4)  # 0.25, 0.75
    assert largest_remainder(1, shares, allow=lambda i: i == 0) == [1, 0]
    assert largest_remainder(1, shares, allow=lambda i: False) == [0, 1]


def test_floors_are_raised_to_and_never_taken_below():
    assert largest_remainder(10, ExactShares((10, 0), 1), floors=[0, 2]) == [8, 2]
    assert largest_remainder(10, from_floats([6.0, 5.0])) == [6, 4]
    assert largest_remainder(10, from_floats([6.0, 5.0]), floors=[0, 5]) == [5, 5]
    with pytest.raises(ValueError, match="floors"):
        largest_remainder(3, ExactShares((1, 1), 1), floors=[2, 2])
