"""The array-built HiGHS model the rounding repair uses, against brute-force enumeration."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allocate.core.outcome import Status
from allocate.pipeline.milp import ArrayModel


def _brute_force(
    bounds: list[tuple[int, int]],
    cost: list[int],
    rows: list[tuple[list[int], int, int]],
) -> int | None:
    """The least cost over every whole-number point in the box that keeps every row."""
    best: int | None = None
    for point in itertools.product(*(range(lo, hi + 1) for lo, hi in bounds)):
        if all(
            lo <= sum(a * x for a, x in zip(coef, point, strict=True)) <= hi
            for coef, lo, hi in rows
        ):
            value = sum(c * x for c, x in zip(cost, point, strict=True))
            best = value if best is None else min(best, value)
    return best


@st.composite
def _programmes(
    draw: st.DrawFn,
) -> tuple[list[tuple[int, int]], list[int], list[tuple[list[int], int, int]]]:
    n = draw(st.integers(1, 4))
    bounds = []
    for _ in range(n):
        lo = draw(st.integers(-3, 3))
        bounds.append((lo, lo + draw(st.integers(0, 4))))
    cost = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    rows = []
    for _ in range(draw(st.integers(0, 3))):
        coef = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
        lo = draw(st.integers(-10, 10))
        rows.append((coef, lo, lo + draw(st.integers(0, 6))))
    return bounds, cost, rows


@settings(max_examples=150, deadline=None)
@given(_programmes())
def test_integer_programmes_match_enumeration(
    programme: tuple[list[tuple[int, int]], list[int], list[tuple[list[int], int, int]]],
) -> None:
    bounds, cost, rows = programme
    m = ArrayModel()
    cols = [m.var(lo, hi, cost=c, integer=True) for (lo, hi), c in zip(bounds, cost, strict=True)]
    for coef, lo, hi in rows:
        m.row(cols, [float(a) for a in coef], lo, hi)
    status = m.solve()
    best = _brute_force(bounds, cost, rows)
    if best is None:
        assert status is Status.INFEASIBLE
        return
    assert status is Status.OPTIMAL
    point = [round(v) for v in m.values[: len(cols)]]
    assert all(lo <= x <= hi for x, (lo, hi) in zip(point, bounds, strict=True))
    for coef, lo, hi in rows:
        assert lo <= sum(a * x for a, x in zip(coef, point, strict=True)) <= hi
    assert sum(c * x for c, x in zip(cost, point, strict=True)) == best


def test_a_continuous_distance_column_measures_the_gap() -> None:
    # e ≥ |x − 2.4| with x whole in [0, 5]: the nearest whole number is 2, at distance 0.4
    m = ArrayModel()
    x = m.var(0, 5, integer=True)
    e = m.var(0.0, math.inf, cost=1.0)
    m.row([e, x], [1.0, -1.0], -2.4, math.inf)
    m.row([e, x], [1.0, 1.0], 2.4, math.inf)
    assert m.solve() is Status.OPTIMAL
    assert round(m.values[x]) == 2
    assert m.values[e] == pytest.approx(0.4)


def test_bad_columns_and_rows_are_refused_with_their_numbers() -> None:
    m = ArrayModel()
    with pytest.raises(ValueError, match="column 0: lower bound 3 above upper 1"):
        m.var(3, 1)
    x = m.var(0, 1)
    with pytest.raises(ValueError, match="row 0: no column 4"):
        m.row([x, 4], [1.0, 1.0], 0, 1)
    with pytest.raises(ValueError, match="row 0: 1 columns but 2 coefficients"):
        m.row([x], [1.0, 2.0], 0, 1)
