r"""The allocation as a linear programme (PuLP + HiGHS), solved to leximin optimality.

Variables (all scaled to **fractions of the lot's value**, see docs/concepts.md: a model in raw
pounds misleads HiGHS; a scaled one solves right and faster):

* :math:`y_k \in [\ell_k, u_k]` for each eligible (member, lot) pair :math:`k` — the member's
  award as a fraction of the lot value; :math:`u_k` is its capacity on that scale and
  :math:`\ell_k` a floor (the minimum award of a sub-contract that is made, or a provider kept in
  an area), 0 otherwise;
* :math:`h_l = \tau_l` for each lot — the hub's top-slice from the lot: its entitlement under
  the top-slice policy (never above ``max_rate``).  A smaller top-slice could only leave more
  money for members to absorb, never less, so the hub always takes its entitlement; the
  variable stays in the programme so that its dual prices the top-slice for the worst-off member;
* :math:`t` — the level being raised.

Constraints, each named after the documented condition it encodes (``budget:<lot>``,
``ratio:<member>:<lot>``, and the side-constraints of
:mod:`allocate.constraints`, e.g. ``max_member_share:<member>:<contract>``):

* **budget** — :math:`\sum_k y_k + h_l = 1` for every lot: awards plus top-slice equal the lot
  value;
* **ratio** — :math:`y_k \ge \varphi_k t` where :math:`\varphi_k` is the pair's fair share under
  the rule;
* **side rows** — linear constraints over the pairs, each scaled by its own money scale.

**Leximin by progressive filling.**  Stage 1 maximises :math:`t`, the worst ratio of award to fair
share.  Every ratio row with a non-zero dual is tight in *every* optimal solution
(complementary slackness), so those claimants are frozen at that level; the next stage raises the
rest, and so on until all are frozen.  The result is the leximin-optimal allocation relative to the
rule's fair shares: the worst-off is as well off as possible, then the next, and so on.  When only
capacities and lot budgets bind, stage 1 reaches :math:`t = 1` with every claimant exactly at its
fair share, which is therefore the rule's closed form.  Pairs whose fair share is zero (the rule
gives them nothing) have no ratio row; a last stage minimises what they receive, so they get money
only where a side-constraint demands it.

**Elastic diagnosis.**  When the programme has no solution, :func:`solve_elastic` adds a slack to
every side row, floor and lot budget (unallocated money) and minimises the total slack in pounds:
the slacks name the conflicting conditions and by how much money each must give.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulp

from allocate.core.outcome import Status
from allocate.pipeline.plan import ElasticResult, LeximinResult, LpSpec, SideRow

__all__ = [
    "choose_subcontracts",
    "components",
    "solve_by_components",
    "solve_elastic",
    "solve_leximin",
]

#: Row duals smaller than this are treated as zero when deciding who is frozen.
DUAL_TOLERANCE = 1e-9
#: Another way to solve a stage whose answer was not an optimum, in turn, before it is believed:
#: without presolve (HiGHS's presolve has called feasible programmes infeasible at its
#: tolerance), then by the interior-point method.
RETRIES: tuple[dict[str, str], ...] = ({"presolve": "off"}, {"presolve": "off", "solver": "ipm"})
#: Frozen claimants keep their level less this relative margin, so rounding noise in the
#: solver cannot make the next stage infeasible.
FREEZE_MARGIN = 1e-10


def _solver(time_limit: float | None, options: dict[str, Any] | None) -> pulp.HiGHS:
    opts: dict[str, Any] = {
        "primal_feasibility_tolerance": 1e-9,
        "dual_feasibility_tolerance": 1e-9,
    }
    opts.update(options or {})
    return pulp.HiGHS(msg=False, timeLimit=time_limit, **opts)


def _status_of(stats: Any) -> tuple[Status, str]:
    """The library's status for a solve, and the solver's own name for it."""
    status = stats.status
    name = getattr(status, "name", str(status))
    if status == pulp.LpSolveStatus.Optimal:
        return Status.OPTIMAL, name
    if status == pulp.LpSolveStatus.Infeasible:
        return Status.INFEASIBLE, name
    if status == pulp.LpSolveStatus.TimeLimit:
        return Status.TIME_LIMIT, name
    return Status.SOLVER_ERROR, name


def _solve_believed(prob: Any, time_limit: float | None) -> Status:
    """Solve, and ask again another way (:data:`RETRIES`) before believing a failure."""
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    status, _ = _status_of(prob.solve(_solver(time_limit, None)))
    for retry in RETRIES:
        left = None if deadline is None else deadline - time.perf_counter()
        if status in (Status.OPTIMAL, Status.TIME_LIMIT) or (left is not None and left <= 0):
            break
        status, _ = _status_of(prob.solve(_solver(left, retry)))
    return status


def _expr(terms: Iterable[tuple[Any, float]]) -> Any:
    return pulp.LpAffineExpression.from_list(list(terms))


def _add_row(prob: Any, expr: Any, sense: str, rhs: float, name: str) -> Any:
    if sense == "<=":
        return prob.addConstraint(expr <= rhs, name)
    if sense == ">=":
        return prob.addConstraint(expr >= rhs, name)
    return prob.addConstraint(expr == rhs, name)


@dataclass
class _Model:
    """A PuLP model of the programme's variables, and its rows as they are added."""

    spec: LpSpec
    prob: Any
    ys: list[Any]
    hubs: list[Any]
    budget_rows: list[Any]
    side: dict[str, Any]
    by_lot: list[list[int]]


def _base_model(spec: LpSpec, sense: int) -> _Model:
    n_pairs = len(spec.pair_names)
    floors = spec.pair_floor or [0.0] * n_pairs
    prob = pulp.LpProblem("allocate", sense)
    ys = [
        prob.add_variable(
            f"y_{k}", lowBound=min(floors[k], spec.pair_cap[k]), upBound=max(0.0, spec.pair_cap[k])
        )
        for k in range(n_pairs)
    ]
    hubs = [
        prob.add_variable(f"h_{j}", lowBound=max(0.0, cap), upBound=max(0.0, cap))
        for j, cap in enumerate(spec.hub_cap)
    ]
    by_lot: list[list[int]] = [[] for _ in spec.lot_names]
    for k, j in enumerate(spec.pair_lot):
        by_lot[j].append(k)
    return _Model(spec, prob, ys, hubs, [], {}, by_lot)


def _add_budget_rows(m: _Model) -> None:
    """``budget:<lot>``: awards plus the hub's top-slice equal the lot's value (1 when scaled)."""
    for j, name in enumerate(m.spec.lot_names):
        expr = _expr([(m.ys[k], 1.0) for k in m.by_lot[j]] + [(m.hubs[j], 1.0)])
        m.budget_rows.append(m.prob.addConstraint(expr == 1.0, f"budget:{name}"))


def _add_side_rows(m: _Model) -> None:
    """The side-constraints' rows, each under its own name."""
    for row in m.spec.side_rows:
        m.side[row.name] = _add_row(
            m.prob,
            _expr((m.ys[k], c) for k, c in row.coefficients.items()),
            row.sense,
            row.rhs,
            row.name,
        )


class _Leximin:
    """Progressive filling on one model: raise the level, freeze who is tight, repeat."""

    def __init__(
        self,
        spec: LpSpec,
        time_limit: float | None,
        solver_options: dict[str, Any] | None,
    ) -> None:
        t0 = time.perf_counter()
        self.spec = spec
        self.options = solver_options
        self.m = m = _base_model(spec, pulp.LpMaximize)
        self.level = m.prob.add_variable("t", lowBound=0)
        _add_budget_rows(m)
        self.targets = list(spec.pair_target)
        #: ``ratio:<member>:<lot>``: award ≥ fair share × level, for pairs the rule gives money
        self.ratio_rows: dict[int, Any] = {}
        for c, (var, target) in enumerate(zip(m.ys, self.targets, strict=True)):
            if target > 0 and spec.pair_cap[c] > 0:
                self.ratio_rows[c] = m.prob.addConstraint(
                    _expr([(var, 1.0), (self.level, -target)]) >= 0,
                    f"ratio:{spec.pair_names[c]}",
                )
        _add_side_rows(m)
        m.prob.setObjective(_expr([(self.level, 1.0)]))
        self.result = LeximinResult(
            status=Status.OPTIMAL,
            solver_status="",
            pair_level=[math.nan] * len(spec.pair_names),
            variables=m.prob.numVariables(),
            constraints=m.prob.numConstraints(),
        )
        self.result.build_seconds = time.perf_counter() - t0
        self.deadline = None if time_limit is None else time.perf_counter() + time_limit

    def run(self) -> bool:
        """Solve one stage; False (with the status recorded) when it gave no optimum."""
        result = self.result
        remaining = None
        if self.deadline is not None:
            remaining = self.deadline - time.perf_counter()
            if remaining <= 0:
                result.status, result.solver_status = Status.TIME_LIMIT, "TimeLimit"
                result.message = f"time limit reached after {result.stages} stage(s)"
                return False
        s0 = time.perf_counter()
        stats = self.m.prob.solve(_solver(remaining, self.options))
        status, name = _status_of(stats)
        for retry in RETRIES:
            if status is Status.OPTIMAL or status is Status.TIME_LIMIT:
                break
            # a verdict of the presolved or simplex model only: ask again another way
            left = None if self.deadline is None else self.deadline - time.perf_counter()
            if left is not None and left <= 0:
                break
            stats = self.m.prob.solve(_solver(left, {**(self.options or {}), **retry}))
            status, name = _status_of(stats)
            result.retries.append(f"stage {result.stages + 1}: {retry}")
        result.solve_seconds += time.perf_counter() - s0
        result.stages += 1
        result.solver_status = name
        if status is not Status.OPTIMAL:
            result.status = status
            result.message = f"stage {result.stages}: solver status {name}"
            return False
        return True

    def record_sensitivities(self) -> None:
        """Reduced costs and duals of the first solve: the worst-off ratio's sensitivities."""
        m = self.m
        self.result.pair_reduced_cost = [float(v.dj or 0.0) for v in m.ys]
        self.result.budget_dual = [float(r.pi or 0.0) for r in m.budget_rows]
        self.result.side_duals = {name: float(r.pi or 0.0) for name, r in m.side.items()}

    def tight(self, unfrozen: set[int], t_star: float) -> set[int]:
        """The claimants held at the level ``t_star`` in every optimum of this stage."""
        duals = {c: abs(self.ratio_rows[c].pi or 0.0) for c in unfrozen}
        frozen = {c for c, d in duals.items() if d > DUAL_TOLERANCE}
        if not frozen:
            # degenerate duals: freeze the claimants sitting exactly at the level
            ys = self.m.ys
            frozen = {
                c
                for c in unfrozen
                if (ys[c].varValue or 0.0) <= self.targets[c] * t_star * (1 + 1e-9) + 1e-12
            }
        return frozen

    def freeze(self, frozen: set[int], t_star: float) -> None:
        """Hold each frozen claimant at ``t_star`` (less a hair) and take it off the level.

        A claimant is held at most at what it has in this stage's answer: the solver keeps rows
        only to its tolerance, and a hold above the answer could leave the next stage without
        one.
        """
        for c in frozen:
            row = self.ratio_rows[c]
            row.set_coefficient(self.level, 0.0)
            held = min(self.targets[c] * t_star, float(self.m.ys[c].varValue or 0.0))
            row.constant = -held * (1 - FREEZE_MARGIN)
            self.result.pair_level[c] = t_star

    def fill(self, max_stages: int | None) -> bool:
        """Raise and freeze until every claimant is frozen; False when a stage failed."""
        result = self.result
        unfrozen = set(self.ratio_rows)
        while unfrozen:
            if max_stages is not None and result.stages >= max_stages:
                break
            if not self.run():
                return False
            t_star = float(self.level.varValue or 0.0)
            if result.first_level is None:
                result.first_level = t_star
                self.record_sensitivities()
            frozen = self.tight(unfrozen, t_star)
            if not frozen:  # pragma: no cover - LP theory guarantees a tight claimant
                result.status, result.message = Status.SOLVER_ERROR, "no claimant could be frozen"
                return False
            self.freeze(frozen, t_star)
            unfrozen -= frozen
        return True

    def settle_zero_targets(self) -> bool:
        """Pairs the rule gives nothing receive only what the constraints demand."""
        spec, m = self.spec, self.m
        zero_target = [
            k
            for k in range(len(spec.pair_names))
            if k not in self.ratio_rows and spec.pair_cap[k] > 0
        ]
        if not zero_target and self.ratio_rows:
            return True
        m.prob.sense = pulp.LpMinimize
        m.prob.setObjective(_expr([(m.ys[k], 1.0) for k in zero_target] + [(self.level, 0.0)]))
        if not self.run():
            return False
        if self.result.first_level is None:
            self.record_sensitivities()
        return True

    def read_answer(self) -> None:
        """Copy the final values and each side row's activity into the result."""
        result, m = self.result, self.m
        result.pair_values = [float(v.varValue or 0.0) for v in m.ys]
        result.hub_values = [float(v.varValue or 0.0) for v in m.hubs]
        result.side_activity = {
            row.name: sum(c * result.pair_values[k] for k, c in row.coefficients.items())
            for row in self.spec.side_rows
        }


def solve_leximin(
    spec: LpSpec,
    *,
    time_limit: float | None = None,
    solver_options: dict[str, Any] | None = None,
    max_stages: int | None = None,
) -> LeximinResult:
    """Build the programme and solve it to leximin optimality (progressive filling)."""
    lex = _Leximin(spec, time_limit, solver_options)
    if lex.fill(max_stages) and lex.settle_zero_targets():
        lex.read_answer()
    return lex.result


def _immovable(row: SideRow) -> bool:
    """A row no pair can move (a ring-fence with no small member left, say) that fails."""
    return not row.coefficients and (
        (row.sense == ">=" and row.rhs > 1e-12)
        or (row.sense == "<=" and row.rhs < -1e-12)
        or (row.sense == "==" and abs(row.rhs) > 1e-12)
    )


@dataclass
class _Elastic:
    """The elastic programme's slack variables and what each costs, in pounds."""

    m: _Model
    lot_value: Sequence[int]
    elastic: set[str] | None
    objective: list[tuple[Any, float]] = field(default_factory=list)
    unalloc: dict[int, Any] = field(default_factory=dict)
    floor_slack: dict[int, Any] = field(default_factory=dict)
    side_slack: dict[str, tuple[Any | None, Any | None]] = field(default_factory=dict)

    def gives(self, family: str) -> bool:
        """Whether the family's rows may give."""
        return self.elastic is None or family in self.elastic

    def add_budget_rows(self) -> None:
        """Lot budgets, with money left unplaced as a slack when ``budget`` may give."""
        m = self.m
        for j, name in enumerate(m.spec.lot_names):
            terms = [(m.ys[k], 1.0) for k in m.by_lot[j]] + [(m.hubs[j], 1.0)]
            if self.gives("budget"):
                self.unalloc[j] = m.prob.add_variable(f"u_{j}", lowBound=0)
                terms.append((self.unalloc[j], 1.0))
                # unplaced money weighs more than a relaxed policy: prefer relaxing the policy
                self.objective.append((self.unalloc[j], 1.5 * float(self.lot_value[j])))
            m.prob.addConstraint(_expr(terms) == 1.0, f"budget:{name}")

    def add_floor_rows(self) -> None:
        """Floors as rows with a shortfall slack, when ``floor`` may give."""
        if not self.gives("floor"):
            return
        m = self.m
        floors = m.spec.pair_floor or [0.0] * len(m.spec.pair_names)
        for k, f in enumerate(floors):
            if f > 0:
                m.ys[k].lowBound = 0
                self.floor_slack[k] = m.prob.add_variable(f"f_{k}", lowBound=0)
                m.prob.addConstraint(
                    _expr([(m.ys[k], 1.0), (self.floor_slack[k], 1.0)]) >= f, f"floor:{k}"
                )
                value = float(self.lot_value[m.spec.pair_lot[k]])
                self.objective.append((self.floor_slack[k], value))

    def add_side_row(self, row: SideRow) -> None:
        """One side row, with a slack on the side it may give."""
        m = self.m
        terms = [(m.ys[k], c) for k, c in row.coefficients.items()]
        down = up = None
        if self.gives(row.family):
            if row.sense in ("<=", "=="):
                down = m.prob.add_variable(f"sd_{len(self.side_slack)}", lowBound=0)
                terms.append((down, -1.0))
                self.objective.append((down, row.scale))
            if row.sense in (">=", "=="):
                up = m.prob.add_variable(f"su_{len(self.side_slack)}", lowBound=0)
                terms.append((up, 1.0))
                self.objective.append((up, row.scale))
        self.side_slack[row.name] = (down, up)
        _add_row(m.prob, _expr(terms), row.sense, row.rhs, row.name)

    def read(self, status: Status) -> ElasticResult:
        """The relaxations in pence, leaving out solver noise below half a penny."""
        out = ElasticResult(status=status)
        spec = self.m.spec
        for row in spec.side_rows:
            down, up = self.side_slack[row.name]
            amount = sum(float(v.varValue or 0.0) for v in (down, up) if v is not None) * row.scale
            if amount > 0.5:
                out.side[row.name] = amount
        for j, var in self.unalloc.items():
            amount = float(var.varValue or 0.0) * self.lot_value[j]
            if amount > 0.5:
                out.unallocated[j] = amount
        for k, var in self.floor_slack.items():
            amount = float(var.varValue or 0.0) * self.lot_value[spec.pair_lot[k]]
            if amount > 0.5:
                out.floors[k] = amount
        out.total = (
            sum(out.side.values()) + sum(out.unallocated.values()) + sum(out.floors.values())
        )
        return out


def solve_elastic(
    spec: LpSpec,
    lot_value: Sequence[int],
    *,
    elastic: set[str] | None = None,
    time_limit: float | None = None,
) -> ElasticResult:
    """Minimise the total relaxation (in pence) of the elastic conditions.

    ``elastic`` names the families that may give (``budget``, ``floor`` and the side-row
    families); ``None`` makes every one elastic.  With only some families elastic the answer is
    the smallest relaxation of those alone, or status ``infeasible`` when they cannot fix it
    alone.
    """
    e = _Elastic(_base_model(spec, pulp.LpMinimize), lot_value, elastic)
    e.add_budget_rows()
    e.add_floor_rows()
    for row in spec.side_rows:
        if _immovable(row) and not e.gives(row.family):
            return ElasticResult(status=Status.INFEASIBLE)
        e.add_side_row(row)
    # objective in pounds keeps its magnitude moderate
    e.m.prob.setObjective(_expr([(v, w / 100.0) for v, w in e.objective]))
    status = _solve_believed(e.m.prob, time_limit)
    if status is not Status.OPTIMAL:
        return ElasticResult(status=status)
    return e.read(status)


def components(spec: LpSpec) -> list[list[int]]:
    """Groups of lots linked by side rows (union-find); each group is an independent programme.

    >>> spec = LpSpec(["a", "b", "c"], ["p", "q", "r"], [0, 1, 2], [1, 1, 1], [.5, .5, .5],
    ...               [0, 0, 0], side_rows=[SideRow("s", "f", {0: 1.0, 1: 1.0}, "<=", 1.0)])
    >>> components(spec)
    [[0, 1], [2]]
    """
    parent = list(range(len(spec.lot_names)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for row in spec.side_rows:
        lots = {spec.pair_lot[k] for k in row.coefficients}
        first = find(min(lots)) if lots else None
        for j in lots:
            root = find(j)
            if first is not None and root != first:
                parent[max(root, first)] = min(root, first)
                first = min(root, first)
    groups: dict[int, list[int]] = {}
    for j in range(len(parent)):
        groups.setdefault(find(j), []).append(j)
    return sorted(groups.values())


def _sub_spec(spec: LpSpec, lots: list[int]) -> tuple[LpSpec, list[int]]:
    """The programme restricted to some lots, and the global index of each of its pairs."""
    lot_set = set(lots)
    local_lot = {j: n for n, j in enumerate(lots)}
    pairs = [k for k, j in enumerate(spec.pair_lot) if j in lot_set]
    local = {k: n for n, k in enumerate(pairs)}
    floors = spec.pair_floor or [0.0] * len(spec.pair_names)
    rows = [
        SideRow(
            name=row.name,
            family=row.family,
            coefficients={local[k]: c for k, c in row.coefficients.items()},
            sense=row.sense,
            rhs=row.rhs,
            scale=row.scale,
            description=row.description,
        )
        for row in spec.side_rows
        if next(iter(row.coefficients), None) in local
    ]
    sub = LpSpec(
        lot_names=[spec.lot_names[j] for j in lots],
        pair_names=[spec.pair_names[k] for k in pairs],
        pair_lot=[local_lot[spec.pair_lot[k]] for k in pairs],
        pair_cap=[spec.pair_cap[k] for k in pairs],
        pair_target=[spec.pair_target[k] for k in pairs],
        hub_cap=[spec.hub_cap[j] for j in lots],
        pair_floor=[floors[k] for k in pairs],
        side_rows=rows,
    )
    return sub, pairs


def _merge(merged: LeximinResult, res: LeximinResult, pairs: list[int], lots: list[int]) -> bool:
    """Add one group's answer (its pairs and lots by global index); False if it had none."""
    merged.stages += res.stages
    merged.retries += res.retries
    merged.variables += res.variables
    merged.constraints += res.constraints
    merged.solve_seconds += res.solve_seconds
    merged.build_seconds += res.build_seconds
    if res.status is not Status.OPTIMAL:
        merged.status, merged.solver_status = res.status, res.solver_status
        merged.message = res.message
        return False
    if res.first_level is not None:
        merged.first_level = (
            res.first_level
            if merged.first_level is None
            else min(merged.first_level, res.first_level)
        )
    for local, k in enumerate(pairs):
        merged.pair_values[k] = res.pair_values[local]
        merged.pair_level[k] = res.pair_level[local]
        if res.pair_reduced_cost:
            merged.pair_reduced_cost[k] = res.pair_reduced_cost[local]
    for local, j in enumerate(lots):
        if res.budget_dual:
            merged.budget_dual[j] = res.budget_dual[local]
    merged.side_duals.update(res.side_duals)
    merged.side_activity.update(res.side_activity)
    return True


def solve_by_components(
    spec: LpSpec,
    *,
    exact_lots: set[int] | None = None,
    time_limit: float | None = None,
    solver_options: dict[str, Any] | None = None,
) -> LeximinResult:
    """Solve each independent group of lots on its own, and merge the answers.

    Lots linked by no side row are independent programmes: solving them apart gives the same
    leximin optimum, and avoids the extra stages a large degenerate programme needs to freeze
    lots one by one.  Lots in ``exact_lots`` (alone in their group, with no floor and no side
    row) are at their fair shares without solving: that is the programme's proven optimum.
    """
    n = len(spec.pair_names)
    merged = LeximinResult(
        status=Status.OPTIMAL,
        solver_status="Optimal",
        pair_values=[0.0] * n,
        hub_values=list(spec.hub_cap),
        pair_level=[math.nan] * n,
        pair_reduced_cost=[0.0] * n,
        budget_dual=[0.0] * len(spec.lot_names),
    )
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    for row in spec.side_rows:
        if _immovable(row):
            merged.status, merged.solver_status = Status.INFEASIBLE, "Infeasible"
            merged.message = f"{row.name}: no eligible sub-contract can meet it"
            return merged
    groups = components(spec)
    solved_groups = 0
    for lots in groups:
        if exact_lots is not None and len(lots) == 1 and lots[0] in exact_lots:
            for k, j in enumerate(spec.pair_lot):
                if j == lots[0]:
                    merged.pair_values[k] = spec.pair_target[k]
                    merged.pair_level[k] = 1.0
            continue
        sub, pairs = _sub_spec(spec, lots)
        remaining = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
        if remaining is not None and remaining <= 0:
            merged.status, merged.solver_status = Status.TIME_LIMIT, "TimeLimit"
            merged.message = "time limit reached before every group of lots was solved"
            return merged
        res = solve_leximin(sub, time_limit=remaining, solver_options=solver_options)
        solved_groups += 1
        if not _merge(merged, res, pairs, lots):
            return merged
    if merged.first_level is None and solved_groups < len(groups):
        merged.first_level = 1.0
    merged.message = f"{len(groups)} independent group(s) of lots, {solved_groups} solved"
    if merged.retries:
        merged.message += f"; {len(merged.retries)} stage(s) solved again without presolve"
    return merged


def choose_subcontracts(spec: LpSpec, *, time_limit: float | None = None) -> list[bool] | None:
    r"""Which sub-contracts with a floor to make, when the floors conflict with other conditions.

    The semi-continuous choice as a MILP: a binary :math:`b_k` per pair with a floor, and
    :math:`\ell_k b_k \le y_k \le u_k b_k`; it maximises the fair share kept in sub-contracts,
    :math:`\sum_k \varphi_k b_k` (ties: as many as possible).  Returns one flag per pair (True:
    made), or None when no choice satisfies the other conditions.
    """
    n = len(spec.pair_names)
    floors = spec.pair_floor or [0.0] * n
    m = _base_model(spec, pulp.LpMaximize)
    prob, ys = m.prob, m.ys
    _add_budget_rows(m)
    _add_side_rows(m)
    made: dict[int, Any] = {}
    objective: list[tuple[Any, float]] = []
    for k in range(n):
        if floors[k] > 0 and spec.pair_cap[k] > 0:
            ys[k].lowBound = 0
            made[k] = prob.add_variable(f"b_{k}", cat=pulp.LpBinary)
            prob.addConstraint(_expr([(ys[k], 1.0), (made[k], -floors[k])]) >= 0, f"floor:{k}")
            prob.addConstraint(
                _expr([(ys[k], 1.0), (made[k], -spec.pair_cap[k])]) <= 0, f"made:{k}"
            )
            objective.append((made[k], spec.pair_target[k] + 1e-6))
    if not made:
        return None
    prob.setObjective(_expr(objective))
    if _solve_believed(prob, time_limit) is not Status.OPTIMAL:
        return None
    return [k not in made or (made[k].varValue or 0.0) > 0.5 for k in range(n)]
