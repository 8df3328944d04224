"""``cash_flow``: no member's peak working capital above a share of its reserves.

For fixed payment terms a member's need for working capital at the end of month ``t`` is linear
in its awards (:mod:`allocate.core.cashflow`):

    ``N(t) = Σ_l A_l · (κ_l·O_l(t) − I_l(t))``

with ``O_l(t)`` the share of lot ``l``'s delivery done by then, ``I_l(t)`` the share of the award
paid to the member by then and ``κ_l`` the full cost of a pound of award.  Its peak is
``max_t N(t)``, so "peak ≤ s × reserves" is one row per month, ``N(t) ≤ ⌊s·R⌋`` pence, named
``cash_flow:<member>:<month>``.  Only the months that can be the peak are kept: a month whose
coefficients are, lot by lot, no larger than another month's never is (when every lot of the
member shares the same terms, one row is left).  A member whose capacity can never need more
than the bound adds no row.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from allocate.core import cashflow
from allocate.core import families as fam
from allocate.core.model import Problem
from allocate.core.money import format_money
from allocate.pipeline.constraints.base import Relaxed, RowFamily, Rows

__all__ = ["ROWS", "member_rows"]


def member_rows(columns: list[list[Fraction]]) -> list[int]:
    """The months (0-based) that can be a member's peak, given each pair's need per month.

    ``columns[k][t]`` is pair ``k``'s need per penny at the end of month ``t``.  A month is
    left out when another month's needs are at least as large for every pair (the earlier kept
    among equal ones), or when no pair needs anything in it.

    >>> member_rows([[Fraction(1), Fraction(3), Fraction(2)]])
    [1]
    >>> member_rows([[Fraction(1), Fraction(3)], [Fraction(2), Fraction(0)]])
    [0, 1]
    """
    months = len(columns[0]) if columns else 0
    vectors = [tuple(col[t] for col in columns) for t in range(months)]
    kept: list[int] = []
    for t, v in enumerate(vectors):
        if not any(x > 0 for x in v):
            continue
        dominated = any(
            u != t
            and all(a >= b for a, b in zip(vectors[u], v, strict=True))
            and (vectors[u] != v or u < t)
            for u in range(months)
        )
        if not dominated:
            kept.append(t)
    return kept


Kind = tuple[str, bool, Fraction]
"""A kind of pair: its contract, whether its member is paid in advance, its cost per pound."""


@dataclass
class _Memo:
    """What the rows of one problem need, whatever its plan: see :func:`_add_rows`.

    Kinds are numbered as they are met: a county's members share a handful of them, and a
    number hashes faster than a kind holding a fraction.
    """

    timing: cashflow.CashFlowTiming
    costs: Any
    kind_of: dict[tuple[int, str, int], int] = field(default_factory=dict)
    """Each (member index, lot id, lot pot)'s kind number."""
    numbers: dict[Kind, int] = field(default_factory=dict)
    columns: list[list[Fraction]] = field(default_factory=list)
    """Each kind's need per penny at the end of each month, by kind number."""
    positive: list[list[Fraction]] = field(default_factory=list)
    """The same, never below zero (what the most a member can need adds up)."""
    peaks: dict[tuple[int, ...], list[int]] = field(default_factory=dict)
    bounds: dict[int, int] = field(default_factory=dict)
    """Each member's bound in pence, ⌊share × reserves⌋, by member index."""


#: Per problem (frozen, so its terms never change), for as long as it lives; by identity, as
#: hashing a county's problem would cost more than the memo saves.
_MEMO: dict[int, tuple[weakref.ref[Problem], _Memo]] = {}


def _memo(problem: Problem) -> _Memo:
    found = _MEMO.get(id(problem))
    if found is not None and found[0]() is problem:
        return found[1]
    memo = _Memo(cashflow.CashFlowTiming(problem), cashflow.declared_costs(problem))
    _MEMO[id(problem)] = (weakref.ref(problem), memo)
    weakref.finalize(problem, _MEMO.pop, id(problem), None)
    return memo


def _add_rows(rows: Rows) -> None:
    problem = rows.p.problem
    share = problem.policy.max_reserves_share
    if share is None:
        return
    # the rows are built three times a solve (and once per family priced), on the same
    # problem: its timetables, columns and peak months are worked out once
    memo = _memo(problem)
    columns, positive, peaks = memo.columns, memo.positive, memo.peaks
    for i, pairs in rows.members():
        member = problem.members[i]
        bound = memo.bounds.get(i)
        if bound is None:
            assert member.reserves is not None  # validated: the condition needs every member's
            bound = memo.bounds[i] = math.floor(Fraction(share) * Fraction(member.reserves) * 100)
        # pairs with the same terms and cost have the same column: one per kind, with the
        # capacity its pairs can ever carry (times the rows' common denominator)
        kind_of = [_kind(rows, memo, i, k) for k in pairs]
        by_kind: dict[int, list[int]] = {}
        for k, n in zip(pairs, kind_of, strict=True):
            by_kind.setdefault(n, []).append(k)
        kinds = tuple(sorted(by_kind))
        if kinds not in peaks:
            peaks[kinds] = member_rows([columns[n] for n in kinds])
        capacity = [(n, rows.scaled_capacity(by_kind[n])) for n in kinds]
        for t in peaks[kinds]:
            most = sum(positive[n][t] * c for n, c in capacity)
            if most <= bound * rows.den:
                continue
            weights = {k: columns[n][t] for k, n in zip(pairs, kind_of, strict=True)}
            rows.add(
                f"cash_flow:{member.id}:{t + 1}",
                fam.CASH_FLOW,
                pairs,
                weights,
                "<=",
                bound,
                max(bound, 100),
                f"{member.id}'s working capital at the end of month {t + 1} stays within "
                f"{share} × its reserves (£{member.reserves:,})",
                member=member.id,
            )


def _kind(rows: Rows, memo: _Memo, i: int, k: int) -> int:
    """Pair ``k``'s kind number (member ``i``), its need column worked out once per problem."""
    lot = rows.p.lots[rows.p.pair_lot[k]]
    at = (i, lot.lot_id, lot.pot)
    n = memo.kind_of.get(at)
    if n is not None:
        return n
    problem = rows.p.problem
    member = problem.members[i]
    contract, lot_in = problem.lot_index[lot.lot_id]
    kappa, _ = cashflow.cost_ratio(memo.costs, member.id, lot_in, lot.pot)
    kind = (contract.id, memo.timing.advanced(member), kappa)
    n = memo.numbers.get(kind)
    if n is None:  # most pairs share their contract's terms and cost 1 a pound
        n = memo.numbers[kind] = len(memo.columns)
        column = cashflow.need_coefficients(memo.timing, contract, member, kappa)
        memo.columns.append(column)
        memo.positive.append([max(x, _ZERO) for x in column])
    memo.kind_of[at] = n
    return n


_ZERO = Fraction(0)


def _relaxation(r: Relaxed) -> str:
    """``m needs £X more working capital than …: raise max_reserves_share from 0.5 to …``."""
    row = r.row
    if row is None or row.member is None:
        return f"{r.name}: relax by {r.money}"
    problem = r.plan.problem
    reserves = problem.member_index[row.member].reserves or 0
    month = r.name.rsplit(":", 1)[-1]
    text = (
        f"{row.member} needs {r.money} more working capital in month {month} than "
        f"max_reserves_share {problem.policy.max_reserves_share} × its reserves "
        f"({format_money(reserves)}) allows"
    )
    if not reserves:
        return f"{text}: no share of reserves of £0.00 allows any need"
    needed = Fraction(row.bound_pence + r.pence) / (Fraction(reserves) * 100)
    change = r.change(fam.CASH_FLOW, needed)
    if change is None:
        return f"{text}: no max_reserves_share up to 1 allows it"
    return f"{text}: {change}"


ROWS = RowFamily(fam.CASH_FLOW, _add_rows, _relaxation)
