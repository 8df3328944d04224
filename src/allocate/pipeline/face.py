r"""Claimants a stage's answer pins down: bound propagation over the stage's optimal face.

After a stage of the progressive filling (:mod:`allocate.pipeline.engine`) every later answer is
an optimum of that stage, so it lies on the stage's **optimal face**: the level :math:`t` at the
stage's optimum, every row with a non-zero dual tight, every variable with a non-zero reduced
cost at its bound (complementary slackness).  A claimant whose award is the same everywhere on
that face is settled: no later stage can move it, so the stage that would find it at its level of
its own is not needed.

Which claimants are settled is decided as a solver's presolve decides that a variable is fixed
(Achterberg et al., "Presolve reductions in mixed integer programming", 2020): each row's
activity is bounded from its variables' bounds, each variable's bounds are narrowed by what its
rows leave it, and this is repeated until nothing narrows.  Every narrowing is implied by the
face, so a variable whose two bounds meet is fixed on it.  The typical case is a lot whose money
is all spoken for: each of its pairs is at the least its own rows allow (a case-mix band to a
sub-contract at its minimum award, say), and the lot's budget leaves none of them more.

The narrowed bounds are computed in floating point; each is widened by :data:`WIDEN` of its
row's size over the variable's coefficient (far more than the arithmetic's rounding) before it
is kept.  A claimant counts as fixed only when the face leaves it a range no wider than the
allowance the engine gives (:data:`allocate.pipeline.engine.PIN_WIDTH`: the solver's own
tolerance in the unit of the finest claimant still rising), with the answer in it: a claimant
that could still move by more, or whose range could feed a claimant whose whole fair share is a
speck, is left to the stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Face"]

_Floats = npt.NDArray[np.float64]
_Ints = npt.NDArray[np.int64]
_Bools = npt.NDArray[np.bool_]

#: A dual or reduced cost at most this is treated as zero (the engine's own tolerance).
DUAL_TOLERANCE = 1e-9
#: How near a value must be to a bound to count as at it, relative (at least absolute).
AT_BOUND = 1e-9
#: Each narrowed bound is widened by this much of its row's size (the largest of 1, the row's
#: bounds and the sum of its terms' sizes at the answer) over the variable's coefficient, and by
#: this much of itself, before it is kept: ten thousand times a double's rounding error.
WIDEN = 1e-12
#: A round that narrows no bound by more than this (relative, at least absolute) is the last.
NARROWED = 1e-9
#: The most rounds of narrowing a stage makes.
ROUNDS = 8


def _near(a: _Floats, b: _Floats, rel: float) -> _Bools:
    """Where ``a`` is within ``rel`` of a finite ``b`` (relative, at least absolute)."""
    return np.isfinite(b) & (np.abs(a - b) <= rel * np.maximum(1.0, np.abs(b)))


@dataclass
class Face:
    """The solver's model as arrays: its entries, bounds and the level's column.

    Made once from a ``highspy.Highs`` model; the engine reports each change it makes to the model
    (:meth:`hold`), so the arrays stay the model's.
    """

    row: _Ints
    col: _Ints
    value: _Floats
    col_lower: _Floats
    col_upper: _Floats
    row_lower: _Floats
    row_upper: _Floats
    level_col: int
    level_entry: dict[int, int]
    """Each row's entry in the level's column (the ratio rows)."""

    @classmethod
    def of(cls, h: Any, level_col: int) -> Face:
        """The arrays of the solver's model ``h`` (a ``highspy.Highs``), with the level's column."""
        lp = h.getLp()
        a = lp.a_matrix_
        start = np.asarray(a.start_, dtype=np.int64)
        nnz = int(start[-1])
        if a.format_ != type(a.format_).kColwise:  # pragma: no cover - PuLP hands it column-wise
            raise ValueError("the solver's matrix is not column-wise")
        col = np.repeat(np.arange(len(start) - 1, dtype=np.int64), np.diff(start))
        row = np.asarray(a.index_, dtype=np.int64)[:nnz]
        lo, hi = start[level_col], start[level_col + 1]
        return cls(
            row=row,
            col=col,
            value=np.asarray(a.value_, dtype=np.float64)[:nnz].copy(),
            col_lower=np.asarray(lp.col_lower_, dtype=np.float64),
            col_upper=np.asarray(lp.col_upper_, dtype=np.float64),
            row_lower=np.asarray(lp.row_lower_, dtype=np.float64).copy(),
            row_upper=np.asarray(lp.row_upper_, dtype=np.float64).copy(),
            level_col=level_col,
            level_entry={int(row[e]): int(e) for e in range(lo, hi)},
        )

    def hold(self, r: int, held: float) -> None:
        """Row ``r`` (a ratio row) now holds its claimant at ``held``, off the level."""
        self.row_lower[r] = held
        e = self.level_entry.get(r)
        if e is not None:
            self.value[e] = 0.0

    def fixed(
        self,
        x: _Floats,
        col_dual: _Floats,
        row_dual: _Floats,
        row_value: _Floats,
        width: _Floats,
    ) -> _Bools:
        """Which columns the optimal face of the answer given keeps within ``width`` of a value.

        ``x``, the duals and the rows' activities are the stage's answer, in the solver's units;
        ``width`` is each column's allowance, in its own unit.  A column counts as fixed when the
        face leaves it a range no wider than that, with the answer in it.  Infinite bounds make
        ``inf - inf`` along the way; each such value is read as "no bound".
        """
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            lower, upper = self._range(x, col_dual, row_dual, row_value)
            # bounds that crossed by more than the allowance prove nothing
            return (upper - lower <= width) & (x >= lower - width) & (x <= upper + width)

    def _range(
        self, x: _Floats, col_dual: _Floats, row_dual: _Floats, row_value: _Floats
    ) -> tuple[_Floats, _Floats]:
        lower, upper = self.col_lower.copy(), self.col_upper.copy()
        # a non-zero reduced cost keeps its variable at the bound it is at
        moved = np.abs(col_dual) > DUAL_TOLERANCE
        at_lower, at_upper = _near(x, lower, AT_BOUND), _near(x, upper, AT_BOUND)
        upper = np.where(moved & at_lower, lower, upper)
        lower = np.where(moved & at_upper, upper, lower)
        lower[self.level_col] = upper[self.level_col] = x[self.level_col]
        # a non-zero dual keeps its row at the side it is at
        r_lower, r_upper = self.row_lower.copy(), self.row_upper.copy()
        tight = np.abs(row_dual) > DUAL_TOLERANCE
        r_upper = np.where(tight & _near(row_value, r_lower, AT_BOUND), r_lower, r_upper)
        r_lower = np.where(tight & _near(row_value, r_upper, AT_BOUND), r_upper, r_lower)
        # what a row leaves a variable is worked out in floating point, to about the row's size
        # times the machine's precision, over the variable's coefficient: widened by more
        size = np.bincount(self.row, np.abs(self.value * x[self.col]), len(r_lower))
        for bound in (self.row_lower, self.row_upper):
            size = np.maximum(size, np.where(np.isfinite(bound), np.abs(bound), 0.0))
        slack = WIDEN * np.maximum(1.0, size)[self.row] / np.abs(self.value)
        for _ in range(ROUNDS):
            new_lower, new_upper = self._narrow(lower, upper, r_lower, r_upper, slack)
            narrowed = (new_upper < upper - NARROWED * np.maximum(1.0, np.abs(upper))).any() or (
                new_lower > lower + NARROWED * np.maximum(1.0, np.abs(lower))
            ).any()
            lower, upper = new_lower, new_upper
            if not narrowed:
                break
        return lower, upper

    def _narrow(
        self, lower: _Floats, upper: _Floats, r_lower: _Floats, r_upper: _Floats, slack: _Floats
    ) -> tuple[_Floats, _Floats]:
        """One round: every variable's bounds narrowed by what each of its rows leaves it.

        ``slack`` is each entry's widening: the row's rounding error over its coefficient.
        """
        row, col, a = self.row, self.col, self.value
        n = len(r_lower)
        pos = a > 0
        least = np.where(pos, a * lower[col], a * upper[col])
        most = np.where(pos, a * upper[col], a * lower[col])
        least = np.where(a == 0, 0.0, least)
        most = np.where(a == 0, 0.0, most)
        inf_least, inf_most = ~np.isfinite(least), ~np.isfinite(most)
        least_f, most_f = np.where(inf_least, 0.0, least), np.where(inf_most, 0.0, most)
        sum_least = np.bincount(row, least_f, n)
        sum_most = np.bincount(row, most_f, n)
        n_least = np.bincount(row, inf_least, n)
        n_most = np.bincount(row, inf_most, n)
        # what the row's other entries can add up to, at least and at most
        others_least = np.where(n_least[row] - inf_least > 0, -np.inf, sum_least[row] - least_f)
        others_most = np.where(n_most[row] - inf_most > 0, np.inf, sum_most[row] - most_f)
        top = r_upper[row] - others_least  # a·x ≤ top
        bottom = r_lower[row] - others_most  # a·x ≥ bottom
        hi = np.where(pos, top / a, bottom / a)
        lo = np.where(pos, bottom / a, top / a)
        live = a != 0
        hi = np.where(live & ~np.isnan(hi), hi, np.inf)
        lo = np.where(live & ~np.isnan(lo), lo, -np.inf)
        hi = hi + slack + WIDEN * np.abs(np.where(np.isfinite(hi), hi, 0.0))
        lo = lo - slack - WIDEN * np.abs(np.where(np.isfinite(lo), lo, 0.0))
        new_upper, new_lower = upper.copy(), lower.copy()
        np.minimum.at(new_upper, col, hi)
        np.maximum.at(new_lower, col, lo)
        return new_lower, new_upper
