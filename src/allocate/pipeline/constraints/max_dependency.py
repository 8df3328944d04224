"""``max_dependency``: a member's awards stay within a multiple of its annual income.

Row: per member, all its awards ≤ multiple × annual income (a cash-flow protection for small
organisations).  A bound the member's capacity can never reach adds no row.
"""

from __future__ import annotations

import math
from fractions import Fraction

from allocate.core import families as fam
from allocate.core.money import format_money
from allocate.pipeline.constraints.base import Relaxed, RowFamily, Rows

__all__ = ["ROWS"]


def _add_rows(rows: Rows) -> None:
    problem = rows.p.problem
    policy = problem.policy
    if policy.max_dependency is None:
        return
    multiple = Fraction(policy.max_dependency)
    for i, pairs in rows.members():
        income = Fraction(problem.members[i].annual_income) * 100
        bound = math.floor(multiple * income)
        if not rows.can_pass(pairs, bound):
            continue
        rows.add(
            f"max_dependency:{rows.ids[i]}",
            fam.MAX_DEPENDENCY,
            pairs,
            None,
            "<=",
            bound,
            max(bound, 100),
            f"{rows.ids[i]}'s awards stay within {policy.max_dependency} × its annual income "
            f"(£{problem.members[i].annual_income:,})",
            member=rows.ids[i],
        )


def _relaxation(r: Relaxed) -> str:
    """``m needs £X more than max_dependency allows: raise max_dependency from 1 to at least 2``.

    The multiple is exact: the row's bound is ⌊multiple × income⌋ pence, so a multiple d allows
    ``bound + pence`` exactly when d × income ≥ bound + pence.
    """
    row = r.row
    if row is None or row.member is None:
        return f"{r.name}: relax by {r.money}"
    problem = r.plan.problem
    income = problem.member_index[row.member].annual_income
    text = (
        f"{row.member} needs {r.money} more than max_dependency {problem.policy.max_dependency} "
        f"× its annual income ({format_money(income)}) allows"
    )
    if not income:
        return f"{text}: no multiple of an income of £0.00 allows any award"
    multiple = Fraction(row.bound_pence + r.pence) / (Fraction(income) * 100)
    change = r.change(fam.MAX_DEPENDENCY, multiple)
    if change is None:
        assert fam.MAX_DEPENDENCY.bisection is not None
        loosest = fam.MAX_DEPENDENCY.bisection.loosest
        return f"{text}: no max_dependency up to {loosest} allows it"
    return f"{text}: {change}"


ROWS = RowFamily(fam.MAX_DEPENDENCY, _add_rows, _relaxation)
