"""Small programmes built straight into HiGHS from arrays.

The rounding repair (:mod:`allocate.pipeline.repair`) builds a fresh integer programme for each
window and set of lots it tries, a few thousand variables at most, and solves it in milliseconds;
built through PuLP's expression objects the same programme took several times longer to build
than to solve.  :class:`ArrayModel` collects columns and rows in plain lists and hands them to
HiGHS in one call, with the same tolerances and the same retries as every other solve of the
library (:func:`allocate.pipeline.engine.solve_with_retries`), so a failure is believed only
after those.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import highspy
import numpy as np

from allocate.core.outcome import Status
from allocate.pipeline.engine import SOLVER_OPTIONS, solve_with_retries

__all__ = ["ArrayModel"]

_STATUS = {
    highspy.HighsModelStatus.kOptimal: Status.OPTIMAL,
    highspy.HighsModelStatus.kInfeasible: Status.INFEASIBLE,
    highspy.HighsModelStatus.kTimeLimit: Status.TIME_LIMIT,
}


class ArrayModel:
    """A minimisation programme in columns and rows, solved by HiGHS.

    Columns are numbered in the order :meth:`var` adds them; :meth:`row` adds
    ``lower ≤ Σ coefficient·column ≤ upper`` (either side may be infinite).
    """

    def __init__(self) -> None:
        self._lower: list[float] = []
        self._upper: list[float] = []
        self._cost: list[float] = []
        self._integer: list[bool] = []
        self._starts: list[int] = [0]
        self._index: list[int] = []
        self._value: list[float] = []
        self._row_lower: list[float] = []
        self._row_upper: list[float] = []
        self.values: list[float] = []
        """Every column's value in the last optimum (empty before one)."""
        self.row_duals: list[float] = []
        """Every row's dual in the last optimum of a programme without integer columns (HiGHS's
        sign: positive where the row's lower side holds a minimisation back)."""
        self.node_limited = False
        """Whether the last solve stopped at its ``node_limit`` (its status is then
        ``time_limit``: a limit reached, not a verdict)."""

    @property
    def num_col(self) -> int:
        """How many columns the model has."""
        return len(self._lower)

    @property
    def num_row(self) -> int:
        """How many rows the model has."""
        return len(self._row_lower)

    def var(self, lower: float, upper: float, *, cost: float = 0.0, integer: bool = False) -> int:
        """A new column with its bounds and objective coefficient; its index."""
        if not lower <= upper:
            raise ValueError(f"column {self.num_col}: lower bound {lower} above upper {upper}")
        self._lower.append(float(lower))
        self._upper.append(float(upper))
        self._cost.append(float(cost))
        self._integer.append(integer)
        return len(self._lower) - 1

    def row(
        self, columns: Sequence[int], coefficients: Sequence[float], lower: float, upper: float
    ) -> int:
        """A new row ``lower ≤ Σ coefficients·columns ≤ upper``; its index."""
        if len(columns) != len(coefficients):
            raise ValueError(
                f"row {self.num_row}: {len(columns)} columns but {len(coefficients)} coefficients"
            )
        n = self.num_col
        bad = [c for c in columns if not 0 <= c < n]
        if bad:
            raise ValueError(f"row {self.num_row}: no column {bad[0]} (the model has {n})")
        self._index.extend(columns)
        self._value.extend(float(c) for c in coefficients)
        self._starts.append(len(self._index))
        self._row_lower.append(float(lower))
        self._row_upper.append(float(upper))
        return len(self._row_lower) - 1

    def _highs(self, options: dict[str, Any], time_limit: float | None) -> Any:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        for key, value in {**SOLVER_OPTIONS, **options}.items():
            h.setOptionValue(key, value)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        lp = highspy.HighsLp()
        lp.num_col_ = self.num_col
        lp.num_row_ = self.num_row
        lp.col_cost_ = np.array(self._cost, dtype=np.float64)
        lp.col_lower_ = np.array(self._lower, dtype=np.float64)
        lp.col_upper_ = np.array(self._upper, dtype=np.float64)
        lp.row_lower_ = np.array(self._row_lower, dtype=np.float64)
        lp.row_upper_ = np.array(self._row_upper, dtype=np.float64)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = self.num_col
        lp.a_matrix_.num_row_ = self.num_row
        lp.a_matrix_.start_ = np.array(self._starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self._index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self._value, dtype=np.float64)
        if any(self._integer):
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                for i in self._integer
            ]
        if h.passModel(lp) != highspy.HighsStatus.kOk:
            raise ValueError("HiGHS refused the model")
        return h

    def solve(
        self,
        options: dict[str, Any] | None = None,
        time_limit: float | None = None,
        *,
        node_limit: int | None = None,
    ) -> Status:
        """Solve, with the library's retries; :attr:`values` holds the optimum when OPTIMAL.

        With ``node_limit``, the branch and bound stops after that many nodes: the status is
        then ``time_limit`` and :attr:`node_limited` is set (no retry is made, as for time).
        """
        self.values = []
        self.row_duals = []
        self.node_limited = False
        deadline = None if time_limit is None else time.perf_counter() + time_limit
        base = dict(options or {})
        if node_limit is not None:
            base["mip_max_nodes"] = node_limit

        def attempt(opts: dict[str, Any], limit: float | None) -> tuple[Status, str]:
            h = self._highs(opts, limit)
            h.run()
            model_status = h.getModelStatus()
            status = _STATUS.get(model_status, Status.SOLVER_ERROR)
            if node_limit is not None and model_status == highspy.HighsModelStatus.kSolutionLimit:
                self.node_limited = True
                status = Status.TIME_LIMIT
            if status is Status.OPTIMAL:
                solution = h.getSolution()
                self.values = list(solution.col_value)
                if not any(self._integer):
                    self.row_duals = list(solution.row_dual)
            return status, h.modelStatusToString(model_status)

        return solve_with_retries(attempt, base, deadline).status
