r"""The allocation as a linear programme (PuLP + HiGHS), solved to leximin optimality.

Variables (all scaled to **fractions of the lot's value**, see design.md "Numbers": a model in raw
pounds misleads HiGHS; a scaled one solves right and faster):

* :math:`y_k \in [0, u_k]` for each eligible (member, lot) pair :math:`k` — the member's award as a
  fraction of the lot value; :math:`u_k` is its capacity on that scale;
* :math:`h_l \in [0, \tau_l]` for each lot — the hub's top-slice from the lot, bounded by its
  entitlement under the top-slice policy (never above ``max_rate``);
* :math:`t` — the level being raised.

Constraints, each named after the documented condition it encodes (``budget:<lot>``,
``ratio:<member>:<lot>``, ``ratio:hub:<lot>``; later side-constraints add their own):

* **budget** — :math:`\sum_k y_k + h_l = 1` for every lot: awards plus top-slice equal the lot
  value;
* **ratio** — :math:`y_k \ge \varphi_k t` where :math:`\varphi_k` is the pair's fair share under
  the rule (the hub's "fair share" is its entitlement).

**Leximin by progressive filling.**  Stage 1 maximises :math:`t`, the worst ratio of award to fair
share.  Every ratio row with a non-zero dual is tight in *every* optimal solution
(complementary slackness), so those claimants are frozen at that level; the next stage raises the
rest, and so on until all are frozen.  The result is the leximin-optimal allocation relative to the
rule's fair shares: the worst-off is as well off as possible, then the next, and so on.  When only
capacities and lot budgets bind, stage 1 reaches :math:`t = 1` with every claimant exactly at its
fair share, which is therefore the rule's closed form.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulp

__all__ = ["LeximinResult", "LpSpec", "SideRow", "solve_leximin"]

#: Row duals smaller than this are treated as zero when deciding who is frozen.
DUAL_TOLERANCE = 1e-9
#: Frozen claimants keep their level less this relative margin, so rounding noise in the
#: solver cannot make the next stage infeasible.
FREEZE_MARGIN = 1e-10


@dataclass(frozen=True, slots=True)
class SideRow:
    """A named linear side-constraint on the pair variables: ``Σ coef·y  (<=|>=|==)  rhs``."""

    name: str
    coefficients: dict[int, float]
    sense: str
    rhs: float


@dataclass(frozen=True, slots=True)
class LpSpec:
    """The data of the programme, already scaled to fractions of each lot's value."""

    lot_names: Sequence[str]
    pair_names: Sequence[str]
    pair_lot: Sequence[int]
    pair_cap: Sequence[float]
    pair_target: Sequence[float]
    hub_cap: Sequence[float]
    side_rows: Sequence[SideRow] = ()


@dataclass
class LeximinResult:
    """The solver's answer."""

    status: str
    """``optimal``, ``infeasible``, ``time_limit`` or ``solver_error``."""
    solver_status: str
    pair_values: list[float] = field(default_factory=list)
    hub_values: list[float] = field(default_factory=list)
    pair_level: list[float] = field(default_factory=list)
    """The level (ratio to fair share) at which each pair was frozen."""
    pair_cap_dual: list[float] = field(default_factory=list)
    """Reduced cost of each pair's capacity bound in the stage that froze it."""
    budget_dual: list[float] = field(default_factory=list)
    side_duals: dict[str, float] = field(default_factory=dict)
    stages: int = 0
    first_level: float | None = None
    variables: int = 0
    constraints: int = 0
    solve_seconds: float = 0.0
    build_seconds: float = 0.0
    message: str = ""


def _solver(time_limit: float | None, options: dict[str, Any] | None) -> pulp.HiGHS:
    opts: dict[str, Any] = {
        "primal_feasibility_tolerance": 1e-9,
        "dual_feasibility_tolerance": 1e-9,
    }
    opts.update(options or {})
    return pulp.HiGHS(msg=False, timeLimit=time_limit, **opts)


def _status_of(stats: Any) -> tuple[str, str]:
    status = stats.status
    name = getattr(status, "name", str(status))
    if status == pulp.LpSolveStatus.Optimal:
        return "optimal", name
    if status == pulp.LpSolveStatus.Infeasible:
        return "infeasible", name
    if status == pulp.LpSolveStatus.TimeLimit:
        return "time_limit", name
    return "solver_error", name


def solve_leximin(
    spec: LpSpec,
    *,
    time_limit: float | None = None,
    solver_options: dict[str, Any] | None = None,
    max_stages: int | None = None,
) -> LeximinResult:
    """Build the programme and solve it to leximin optimality (progressive filling)."""
    t0 = time.perf_counter()
    n_pairs = len(spec.pair_names)
    prob = pulp.LpProblem("allocate", pulp.LpMaximize)
    level = prob.add_variable("t", lowBound=0)
    ys = [
        prob.add_variable(f"y_{k}", lowBound=0, upBound=max(0.0, spec.pair_cap[k]))
        for k in range(n_pairs)
    ]
    hubs = [
        prob.add_variable(f"h_{j}", lowBound=0, upBound=max(0.0, cap))
        for j, cap in enumerate(spec.hub_cap)
    ]
    by_lot: list[list[int]] = [[] for _ in spec.lot_names]
    for k, j in enumerate(spec.pair_lot):
        by_lot[j].append(k)
    budget_rows = []
    for j, name in enumerate(spec.lot_names):
        expr = pulp.LpAffineExpression.from_list(
            [(ys[k], 1.0) for k in by_lot[j]] + [(hubs[j], 1.0)]
        )
        budget_rows.append(prob.addConstraint(expr == 1.0, f"budget:{name}"))
    # claimants: pairs first, then the hub of each lot
    claim_vars = ys + hubs
    claim_targets = list(spec.pair_target) + list(spec.hub_cap)
    claim_names = [f"ratio:{n}" for n in spec.pair_names] + [
        f"ratio:hub:{n}" for n in spec.lot_names
    ]
    ratio_rows: dict[int, Any] = {}
    for c, (var, target) in enumerate(zip(claim_vars, claim_targets, strict=True)):
        if target > 0:
            expr = pulp.LpAffineExpression.from_list([(var, 1.0), (level, -target)])
            ratio_rows[c] = prob.addConstraint(expr >= 0, claim_names[c])
    side = {
        row.name: prob.addConstraint(
            _side_expr(row, ys) <= row.rhs
            if row.sense == "<="
            else (
                _side_expr(row, ys) >= row.rhs
                if row.sense == ">="
                else _side_expr(row, ys) == row.rhs
            ),
            row.name,
        )
        for row in spec.side_rows
    }
    prob.setObjective(pulp.LpAffineExpression.from_list([(level, 1.0)]))
    result = LeximinResult(
        status="optimal",
        solver_status="",
        pair_level=[math.nan] * n_pairs,
        pair_cap_dual=[0.0] * n_pairs,
        variables=prob.numVariables(),
        constraints=prob.numConstraints(),
    )
    result.build_seconds = time.perf_counter() - t0
    solver = _solver(time_limit, solver_options)
    unfrozen = set(ratio_rows)
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    while unfrozen:
        if max_stages is not None and result.stages >= max_stages:
            break
        if deadline is not None:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                result.status, result.solver_status = "time_limit", "TimeLimit"
                return result
            solver = _solver(remaining, solver_options)
        s0 = time.perf_counter()
        stats = prob.solve(solver)
        result.solve_seconds += time.perf_counter() - s0
        result.stages += 1
        status, name = _status_of(stats)
        result.solver_status = name
        if status != "optimal":
            result.status = status
            result.message = f"stage {result.stages}: solver status {name}"
            return result
        t_star = float(level.varValue or 0.0)
        if result.first_level is None:
            result.first_level = t_star
        duals = {c: abs(ratio_rows[c].pi or 0.0) for c in unfrozen}
        frozen = {c for c, d in duals.items() if d > DUAL_TOLERANCE}
        if not frozen:
            # degenerate duals: freeze the claimants sitting exactly at the level
            frozen = {
                c
                for c in unfrozen
                if (claim_vars[c].varValue or 0.0) <= claim_targets[c] * t_star * (1 + 1e-9) + 1e-12
            }
        if not frozen:  # pragma: no cover - LP theory guarantees a tight claimant
            result.status, result.message = "solver_error", "no claimant could be frozen"
            return result
        for c in frozen:
            row = ratio_rows[c]
            row.set_coefficient(level, 0.0)
            row.constant = -claim_targets[c] * t_star * (1 - FREEZE_MARGIN)
            if c < n_pairs:
                result.pair_level[c] = t_star
                result.pair_cap_dual[c] = float(ys[c].dj or 0.0)
        unfrozen -= frozen
    if unfrozen:  # stopped by max_stages: keep the last solution's levels
        for c in unfrozen:
            if c < n_pairs:
                result.pair_level[c] = float(level.varValue or 0.0)
    result.pair_values = [float(v.varValue or 0.0) for v in ys]
    result.hub_values = [float(v.varValue or 0.0) for v in hubs]
    result.budget_dual = [float(r.pi or 0.0) for r in budget_rows]
    result.side_duals = {name: float(r.pi or 0.0) for name, r in side.items()}
    return result


def _side_expr(row: SideRow, ys: list[Any]) -> Any:
    return pulp.LpAffineExpression.from_list([(ys[k], c) for k, c in row.coefficients.items()])
