"""Renaming members changes nothing but rounding: ids carry no advantage (docs/concepts.md).

Member ids break ties, but only after rounding: renaming the members — a random permutation of
their names, or the names that reverse their sort order — may move each award by one penny on a
money lot or one unit on a unit-priced lot, and the worst-off ratio by no more than that, never
more.  Checked on the kit's side-constrained problems and on the boundary-tight ones
(``tests/support/boundary.py``), where every cap is met with equality and a margin or a
tie-break has no room to hide.
"""

from __future__ import annotations

from fractions import Fraction
from functools import partial

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from allocate import Allocation, Problem, Status, solve
from allocate.testing import examples, problems, rename_members
from tests.support.boundary import KINDS
from tests.support.strategies import boundary_cases

#: Pricing the constraints solves again without each: not what this property is about.
solve_once = partial(solve, price_constraints=False)


def renaming(draw: st.DrawFn, ids: list[str]) -> dict[str, str]:
    """A new name for every member: the old names permuted, or in reversed sort order."""
    order = sorted(ids)
    reverse = draw(st.booleans())
    names = list(reversed(order)) if reverse else draw(st.permutations(order))
    note(f"renaming: {dict(zip(order, names, strict=True))}")
    return dict(zip(order, names, strict=True))


def quantities(problem: Problem, allocation: Allocation) -> dict[tuple[str, str], int]:
    """Every award in its lot's quantity: pence on money lots, units on unit-priced lots."""
    unit_lots = {lot.id for lot in problem.lots if lot.unit_price is not None}
    return {
        (a.member, a.lot): (a.units or 0) if a.lot in unit_lots else int(a.amount * 100)
        for a in allocation.awards
    }


def worst_ratio(problem: Problem, allocation: Allocation) -> tuple[Fraction, Fraction] | None:
    """The worst award / fair share, and how far one quantum per award can move it."""
    pots = {
        lot.id: Fraction(lot.value - c.lot_top_slices[lot.id])
        for contract, c in zip(problem.contracts, allocation.contracts, strict=True)
        for lot in contract.lots
    }
    quantum = {  # pounds: a penny, or a unit's share of the pot and the penny its money may move
        lot.id: pots[lot.id] / lot.units + Fraction(1, 100) if lot.units else Fraction(1, 100)
        for lot in problem.lots
    }
    table = allocation.audit.pairs
    rows = [
        (Fraction(award), Fraction(fair), quantum[lot])
        for lot, fair, award, ok in zip(
            table.lot, table.fair_share, table.award, table.eligible, strict=True
        )
        if ok and fair > 0
    ]
    if not rows:
        return None
    return min(a / f for a, f, _ in rows), max(q / f for _, f, q in rows)


def assert_renaming_moves_only_rounding(problem: Problem, mapping: dict[str, str]) -> None:
    renamed = rename_members(problem, mapping)
    a, b = solve_once(problem), solve_once(renamed)
    assert a.status is b.status, f"status {a.status.value} became {b.status.value}"
    if a.status is not Status.OPTIMAL:
        return
    before = {(mapping[m], lot): q for (m, lot), q in quantities(problem, a).items()}
    after = quantities(renamed, b)
    moved = {
        key: (before.get(key, 0), after.get(key, 0))
        for key in sorted(set(before) | set(after))
        if abs(before.get(key, 0) - after.get(key, 0)) > 1
    }
    assert not moved, f"awards (pence or units) moved by more than one, by new name: {moved}"
    ratios = worst_ratio(problem, a), worst_ratio(renamed, b)
    if ratios[0] is None or ratios[1] is None:
        assert ratios[0] is ratios[1]
        return
    (x, slack_x), (y, slack_y) = ratios
    assert abs(x - y) <= max(slack_x, slack_y), (float(x), float(y), float(slack_x))


@examples(0.3)
@given(data=st.data())
def test_renaming_members_moves_awards_by_rounding_only(data):
    problem = data.draw(problems(side_constraints="any", max_members=4, max_lots=3))
    mapping = renaming(data.draw, [m.id for m in problem.members])
    assert_renaming_moves_only_rounding(problem, mapping)


@pytest.mark.parametrize("kind", sorted(KINDS))
@examples(0.1)
@given(data=st.data())
def test_renaming_boundary_tight_members_moves_awards_by_rounding_only(kind, data):
    case = data.draw(boundary_cases(kind))
    problem = Problem.model_validate(case.data)
    mapping = renaming(data.draw, [m.id for m in problem.members])
    assert_renaming_moves_only_rounding(problem, mapping)
