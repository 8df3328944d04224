"""The audit's prices are the exact optima's, by an independent oracle's progressive filling.

For small county consortia (``tests/support/county.py``) each family switched off is solved by
the oracle (``tests/support/oracle.py``: its own highspy LPs over the raw problem dict), and the
money its leximin optimum moves away from the rule's fair shares (half the sum of
fair share × |level − 1|, exactly what a price measures before rounding) must be the price's
``moved_without`` to within a penny (it is stated to the nearest one).  A variant that keeps a
minimum award is not compared: the library may choose its sub-contracts where the oracle keeps
the rule's.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given

from allocate import Problem, solve
from allocate.core.families import switched_off
from allocate.testing import examples
from tests.support import oracle
from tests.support.strategies import county_problems


def _moved(m: oracle.Model, levels: dict[tuple[str, str], float]) -> Fraction:
    """Pence moved from the fair shares at the oracle's levels (floats to its tolerance)."""
    total = Fraction(0)
    for p in m.pairs:
        per = 1 if p.lot.units is None else p.lot.unit_value
        level = Fraction(levels.get((p.member, p.lot.id), 0.0))
        total += p.fair * per * abs(level - 1)
    return total / 2


@examples(0.5)
@given(data=county_problems())
def test_each_price_is_the_oracles_optimum_without_it(data):
    allocation = solve(Problem.model_validate(data), price_constraints=True)
    assume(allocation.status.is_ok and allocation.audit.prices)
    off = switched_off()
    for price in allocation.audit.prices:
        if price.setting not in off:
            continue  # pooled capacities: the oracle reads pools itself, not their removal
        variant = {**data, "policy": {**data["policy"], price.setting: off[price.setting]}}
        if variant["policy"].get("min_award") is not None:
            continue  # the library may choose the sub-contracts; the oracle keeps the rule's
        result = oracle.leximin(oracle.model(variant))
        if result is None:
            assert price.moved_without is None, price
            continue
        assert price.moved_without is not None, price
        want = _moved(oracle.model(variant), result.levels)
        got = Fraction(price.moved_without) * 100
        # stated to the nearest penny (half a penny), the two solvers' floats far below that
        assert abs(got - want) <= 1, (price, float(want) / 100)
    # the price itself is the difference of the two exact movements, never below zero
    for price in allocation.audit.prices:
        if price.moved_without is not None:
            diff = price.moved_from_rule - price.moved_without
            assert abs(price.price - max(diff, Decimal(0))) <= Decimal("0.01"), price
