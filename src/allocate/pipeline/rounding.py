"""Rounding: the exact solution to whole pence and whole units, keeping every sum bound.

Each lot's exact shares are rounded by the largest-remainder method
(:func:`allocate.core.apportion.largest_remainder`), ties to the smaller member id, so the
awards plus the hub's top-slice equal the lot value exactly.  With side-constraints a
:class:`_RowGuard` steers the pennies a sum bound needs while rounding, lot by lot; every row is
then checked in exact integer arithmetic, and the lots of a row still crossed are re-rounded
together as a small integer programme (:mod:`allocate.pipeline.repair`).  Money follows units on
unit-priced lots: a member's pence are its units' share of the pot, again by largest remainder.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from fractions import Fraction

from allocate.core import families as fam
from allocate.core.apportion import ExactShares, largest_remainder
from allocate.pipeline.plan import LotPlan, Plan, Rounded, Solution
from allocate.pipeline.repair import Repair, crossed, int_rows, pence_of_pairs

__all__ = ["round_awards"]


class _RowGuard:
    """Keeps the side-constraints' sum bounds while rounding, lot by lot.

    Before each lot is rounded, a row's projected sum is what earlier lots were rounded to plus
    the solver's exact values for the lots still to come.  Largest-remainder rounding then skips
    a penny or unit that would push a ``<=`` row past its bound, and prefers one that a ``>=``
    row below its bound needs.
    """

    def __init__(self, p: Plan, solution: Solution) -> None:
        self.p = p
        self.rows: list[tuple[str, dict[int, float], int]] = []  # sense, weights, bound
        self.of_pair: dict[int, list[int]] = {}
        self.money: list[float] = [0.0] * len(p.pair_lot)
        spec, info = solution.spec, solution.row_info
        if spec is None or solution.lp is None:
            return
        for k, j in enumerate(p.pair_lot):
            self.money[k] = solution.lp.pair_values[k] * p.lots[j].value
        for row in spec.side_rows:
            if row.family == fam.CASE_MIX.name or row.name not in info:
                continue
            # float(w) as an int quotient (the same float, without Fraction's overhead)
            weights = {k: w.numerator / w.denominator for k, w in row.weights.items()}
            r = len(self.rows)
            self.rows.append((row.sense, weights, info[row.name].bound_pence))
            for k in row.coefficients:
                self.of_pair.setdefault(k, []).append(r)
        self.sums = [sum(w * self.money[k] for k, w in ws.items()) for _, ws, _ in self.rows]
        self.index = {
            (j, pos): k for k, (j, pos) in enumerate(zip(p.pair_lot, p.pair_pos, strict=True))
        }

    def key(self, lot: LotPlan, shares: ExactShares) -> Callable[[int], tuple[int, int]] | None:
        """Ordering hint for the lot: 0 for positions a >= row needs, 1 otherwise.

        A ``>=`` row needs this lot's pennies (units) when, with the lot's shares rounded down,
        it would fall below its bound.
        """
        if not self.rows:
            return None
        per = float(lot.unit_value)
        floored = dict(enumerate(self.sums))
        for pos, num in enumerate(shares.numerators):
            k = self.index.get((lot.index, pos))
            if k is None:
                continue
            down = (num // shares.denominator) * per - self.money[k]
            for r in self.of_pair.get(k, ()):
                floored[r] = floored[r] + self.rows[r][1][k] * down
        # for each row short of its bound, the fewest positions (largest remainders first) whose
        # extra penny or unit makes up the shortfall
        preferred: set[int] = set()
        den = shares.denominator
        for r, (sense, weights, bound) in enumerate(self.rows):
            if sense != ">=" or floored[r] >= bound:
                continue
            members = [
                pos
                for pos in range(len(shares.numerators))
                if self.index.get((lot.index, pos)) in weights
            ]
            members.sort(key=lambda pos: (-(shares.numerators[pos] % den), pos))
            short = bound - floored[r]
            for pos in members:
                if short <= 0:
                    break
                preferred.add(pos)
                short -= weights[self.index[lot.index, pos]] * per

        def rank(pos: int) -> tuple[int, int]:
            return (0 if pos in preferred else 1, pos)

        return rank

    def allows(self, lot: LotPlan, pos: int, *, extra_pence: float) -> bool:
        k = self.index[lot.index, pos]
        for r in self.of_pair.get(k, ()):
            sense, weights, bound = self.rows[r]
            if sense == "<=" and self.sums[r] + weights[k] * extra_pence > bound:
                return False
        return True

    def settle(self, lot: LotPlan, pence: list[int]) -> None:
        """Replace the lot's exact values by its rounded ones in every row's sum."""
        for pos, value in enumerate(pence):
            k = self.index.get((lot.index, pos))
            if k is None:
                continue
            for r in self.of_pair.get(k, ()):
                self.sums[r] += self.rows[r][1][k] * (value - self.money[k])


def round_awards(
    p: Plan, solution: Solution, time_limit: float | None = None
) -> dict[int, Rounded] | None:
    """Round every lot's exact shares to whole pence and units, keeping every condition exactly.

    Each lot is rounded by the largest remainder (with side-constraints, steered by
    :class:`_RowGuard`); then every side row is checked in exact integer arithmetic, and the lots
    of any row crossed are re-rounded together by :class:`~allocate.pipeline.repair.Repair`.
    Returns None when no allocation in whole pence keeps every row (the exact shares do, but no
    whole-number point does).  ``time_limit`` bounds the repair; when it runs out first,
    :class:`~allocate.pipeline.repair.RepairTimeLimitError` is raised.
    """
    out: dict[int, Rounded] = {}
    guard = _RowGuard(p, solution)
    failed: set[int] = set()
    for lot in p.lots:
        shares = solution.shares[lot.index]
        caps = [c if o else 0 for c, o in zip(lot.claims, lot.open, strict=True)]
        # the programme holds every sub-contract it makes at its floor
        floors = [f if o else 0 for f, o in zip(lot.floor, lot.open, strict=True)]
        allow: Callable[[int], bool] | None = None
        if guard.rows:
            allow = functools.partial(guard.allows, lot, extra_pence=float(lot.unit_value))
        try:
            whole = largest_remainder(
                lot.estate,
                shares,
                caps=caps,
                floors=floors,
                prefer=guard.key(lot, shares),
                allow=allow,
            )
        except ValueError:
            # floors and capacities the shares cannot be rounded within, lot by lot: the
            # repair rounds this lot with the others
            whole = _within(lot, shares, caps, floors)
            failed.add(lot.index)
        out[lot.index] = _with_money(lot, whole)
        if guard.rows:
            guard.settle(lot, out[lot.index].pence)
    spec = solution.spec
    rows = int_rows(spec.side_rows) if spec is not None else []
    pence = pence_of_pairs(p, out)
    if not failed and not crossed(rows, pence):
        return out
    targets = {
        lot.index: [
            Fraction(n, solution.shares[lot.index].denominator)
            for n in solution.shares[lot.index].numerators
        ]
        for lot in p.lots
    }
    return Repair(p, targets, rows, time_limit=time_limit).run(out, also=failed)


def _with_money(lot: LotPlan, whole: list[int]) -> Rounded:
    """A lot's whole awards, with the money following the units on a unit-priced lot."""
    if lot.units is None:
        return Rounded(pence=whole, units=None)
    money = largest_remainder(lot.pot, ExactShares(tuple(u * lot.pot for u in whole), lot.units))
    return Rounded(pence=money, units=whole)


def _within(lot: LotPlan, shares: ExactShares, caps: list[int], floors: list[int]) -> list[int]:
    """The shares rounded down into [floor, capacity], for the repair to complete."""
    den = shares.denominator
    return [
        min(max(n // den, f), c) for n, f, c in zip(shares.numerators, floors, caps, strict=True)
    ]
