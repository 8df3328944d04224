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
* :math:`t \in [0, T]` — the level being raised; :math:`T = \max_k u_k / \varphi_k` (at least
  1), the most any claimant's capacity allows, so that no stage is unbounded, whatever the
  solver makes of the rows.

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

**Stages that cost little.**  The first stage is built and solved through PuLP; every later one
re-solves the solver's own model (kept on ``prob.solverModel``) from its last basis, with the
frozen ratio rows changed in place (``changeCoeff``, ``changeRowBounds``) — the PuLP model is
changed alike, so a stage that fails there is rebuilt and solved afresh, with the retries below.
After each stage, a claimant at its capacity or floor whose variable has a non-zero reduced cost
keeps that value in every optimum (complementary slackness), hence in every later stage, whose
answers are optima of this one: it is frozen at once, at the level its bound gives.  A stage then
covers every claimant held by its own bound, where the plain filling spends a stage on each
distinct level.  ``warm=False`` is that plain filling, kept as the reference the property tests
compare with.

**Claimants the face pins.**  More generally, a claimant whose award is the same on the whole of a
stage's optimal face (the level at its optimum, each row with a non-zero dual tight, each variable
with a non-zero reduced cost at its bound) keeps it to the end.  After each stage the face's
bounds are narrowed as a presolve narrows them (:mod:`allocate.pipeline.face`), and a claimant
left a range no wider than :data:`PIN_WIDTH` in the unit of the finest claimant still rising is
settled at its award (``LeximinResult.pinned``): typically a lot whose money is all spoken for,
each pair at the least a case-mix band to a sub-contract at its minimum award allows.  A settled
claimant has no stage whose duals prove it, so a solve that records the stages' duals for the
certificate (``record=True``) pins nothing; one that does not keeps how to solve again with them
(``LeximinResult.again``), which the certificate, made when first read, does.

**What the solver sees.**  Money runs from a penny to a trillion pounds, so a pair's share of
its lot can be 1e-14, and HiGHS drops matrix entries below 1e-9 (``small_matrix_value``): a
penny's capacity next to large members would lose its ratio row's level coefficient and leave
:math:`t` unbounded.  Inside the engine, therefore:

* a pair whose fair share (or, without one, capacity) is below ``1/ROW_RANGE`` (1e-6) of its lot
  is measured in that amount instead of in the lot, :math:`y_k = s_k z_k`: its ratio row reads
  :math:`z_k \ge t` and its bounds :math:`u_k/s_k`; every other pair keeps :math:`s_k = 1`;
* a row (budget, side row, floor) whose coefficients fall outside ``[1/ROW_RANGE, ROW_RANGE]``
  or span more than ``ROW_RANGE`` is divided by its largest coefficient and split into a chain
  of rows through free link variables, ``ROW_RANGE`` to a link (``<row>~1``, ``<row>~2`` ...),
  the same row exactly with every coefficient between 1e-6 and 1 (:func:`_scaled_row`).

A programme with every pair and row in range reaches the solver exactly as formulated.  What the
engine returns is in the programme's units (fractions of each lot's value): values
:math:`y_k = s_k z_k`, reduced costs over :math:`s_k`, each row's dual over the factor it was
divided by.

**Retries.**  HiGHS's presolve has been seen to call a feasible stage infeasible (a stage is
always feasible: the previous stage's answer satisfies it).  A stage that comes back infeasible,
unbounded or failed is solved again with presolve off, then with the interior point method
(:data:`RETRIES`), within the time left; ``LeximinResult.retries`` and its message record each
retry.  The elastic programme and the sub-contract choice are retried the same way.

**Elastic diagnosis.**  When the programme has no solution, :func:`solve_elastic` adds a slack to
every side row, floor and lot budget (unallocated money) and minimises the total slack in pounds:
the slacks name the conflicting conditions and by how much money each must give.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pulp

from allocate.core.outcome import Status
from allocate.pipeline.face import Face
from allocate.pipeline.plan import ElasticResult, LeximinResult, LpSpec, SideRow, StageDuals

__all__ = [
    "SOLVER_OPTIONS",
    "components",
    "linear",
    "solve_by_components",
    "solve_elastic",
    "solve_leximin",
    "solve_with_retries",
]

#: Ratio-row duals (in the rows' original units, award − fair share × level) smaller than this
#: are treated as zero when deciding who is frozen.
DUAL_TOLERANCE = 1e-9
#: Frozen claimants keep their level less this relative margin, so rounding noise in the
#: solver cannot make the next stage infeasible.
FREEZE_MARGIN = 1e-10
#: A claimant still rising is settled without a stage of its own when the optimal face of a stage
#: leaves its award a range no wider than this, in the unit of the finest claimant still rising
#: (the solver's own tolerance on a row): see :mod:`allocate.pipeline.face`.
PIN_WIDTH = 1e-9
#: The widest spread of coefficients one row may hand the solver as it is, and the bounds of
#: each (1/ROW_RANGE to ROW_RANGE).  HiGHS drops matrix entries below ``small_matrix_value``
#: (1e-9), so a row that adds a penny to a trillion pounds would silently lose the penny; a row
#: out of range is divided by its largest coefficient and split into a chain of rows through link
#: variables, each link a factor of this, every coefficient then between 1/ROW_RANGE and 1.  A pair
#: whose fair share (or capacity) is below 1/ROW_RANGE of its lot is measured in it instead.
ROW_RANGE = 1e6
#: What a failed solve (infeasible, unbounded or a solver error) is tried again with, in order.
#: HiGHS's presolve has been seen to call feasible side-constrained programmes infeasible; the
#: interior point method (with crossover, so that duals stay those of a vertex) is a different
#: algorithm altogether.
RETRIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("presolve off", {"presolve": "off"}),
    ("interior point, presolve off", {"presolve": "off", "solver": "ipm"}),
)


#: The solver's tolerances for every solve the library makes (tighter than HiGHS's defaults).
SOLVER_OPTIONS: dict[str, Any] = {
    "primal_feasibility_tolerance": 1e-9,
    "dual_feasibility_tolerance": 1e-9,
}


def _solver(time_limit: float | None, options: dict[str, Any] | None) -> pulp.HiGHS:
    opts: dict[str, Any] = dict(SOLVER_OPTIONS)
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


@dataclass
class _Solved:
    """The outcome of one solve with its retries."""

    status: Status
    name: str
    retry: str | None = None
    """What happened, in words, when the first attempt failed (None when it did not)."""


def _solve(prob: Any, options: dict[str, Any] | None, deadline: float | None) -> _Solved:
    """Solve the PuLP model ``prob`` with the retries of :func:`solve_with_retries`."""

    def attempt(opts: dict[str, Any], limit: float | None) -> tuple[Status, str]:
        return _status_of(prob.solve(_solver(limit, opts)))

    return solve_with_retries(attempt, options, deadline)


def solve_with_retries(
    attempt: Callable[[dict[str, Any], float | None], tuple[Status, str]],
    options: dict[str, Any] | None,
    deadline: float | None,
) -> _Solved:
    """One solve; a failed solve is tried again with each of :data:`RETRIES` in turn.

    ``attempt(options, time_limit)`` solves once and names the outcome.  Infeasible, unbounded
    and solver errors are retried (an answer the solver may have got wrong), a time limit never
    is.  Every attempt gets only the time left before ``deadline``, and with none left no retry
    is made.  A retry the caller's own ``options`` already made (``presolve="off"``) is skipped.
    When every attempt fails, the verdict is ``infeasible`` if any attempt found the programme
    so (a later attempt's error or time limit does not undo it), else the first attempt's; the
    retry note lists every attempt.
    """
    base = dict(options or {})
    tried: list[dict[str, Any]] = []
    steps: list[str] = []
    outcomes: list[tuple[Status, str]] = []
    for label, extra in (("", {}), *RETRIES):
        opts = {**base, **extra}
        if opts in tried:
            continue
        remaining = None if deadline is None else deadline - time.perf_counter()
        if tried and remaining is not None and remaining <= 0:
            steps.append("no time left to retry")
            break
        tried.append(opts)
        limit = None if remaining is None else max(remaining, 0.0)
        status, name = attempt(opts, limit)
        outcomes.append((status, name))
        steps.append(f"{name} with {label}" if label else name)
        if status is Status.OPTIMAL or status is Status.TIME_LIMIT:
            break
    note = "; ".join(steps) if len(steps) > 1 else None
    status, name = outcomes[-1]
    if status is not Status.OPTIMAL:
        infeasible = [o for o in outcomes if o[0] is Status.INFEASIBLE]
        status, name = infeasible[0] if infeasible else outcomes[0]
    return _Solved(status, name, note)


def linear(terms: Iterable[tuple[Any, float]]) -> Any:
    """The PuLP expression ``Σ coefficient·variable`` of ``(variable, coefficient)`` terms."""
    return pulp.LpAffineExpression.from_list(list(terms))


def _add_row(prob: Any, expr: Any, sense: str, rhs: float, name: str) -> Any:
    if sense == "<=":
        return prob.addConstraint(expr <= rhs, name)
    if sense == ">=":
        return prob.addConstraint(expr >= rhs, name)
    return prob.addConstraint(expr == rhs, name)


@dataclass(frozen=True, slots=True)
class _Row:
    """A row as the solver sees it: the original row divided by ``factor``."""

    constraint: Any
    factor: float

    def dual(self) -> float:
        """The dual of the original row (the solver's dual of the scaled row, converted back)."""
        return float(self.constraint.pi or 0.0) / self.factor


def _in_range(coefficients: Sequence[float]) -> bool:
    """Whether a row's non-zero coefficients are fit for the solver as they are.

    Each between ``1/ROW_RANGE`` and ``ROW_RANGE``, and none more than ``ROW_RANGE`` times
    another.
    """
    lo = min(abs(c) for c in coefficients)
    hi = max(abs(c) for c in coefficients)
    return lo >= 1 / ROW_RANGE and hi <= ROW_RANGE and hi <= lo * ROW_RANGE


def _row_unit(coefficients: Sequence[float]) -> float:
    """What a row is divided by before the solver sees it.

    1 when the row is fit for the solver as it is, else its largest coefficient.
    """
    kept = [c for c in coefficients if c != 0.0]
    if not kept or _in_range(kept):
        return 1.0
    return max(abs(c) for c in kept)


def _scaled_row(
    prob: Any, terms: Sequence[tuple[Any, float]], sense: str, rhs: float, name: str
) -> _Row:
    r"""Add ``Σ c·x (sense) rhs``, as it is when it is fit for the solver, else scaled and split.

    A row with a coefficient below ``1/ROW_RANGE`` or above ``ROW_RANGE``, or wider than
    ``ROW_RANGE``, is divided by its largest ``|c|`` and its coefficients grouped by magnitude,
    :data:`ROW_RANGE` (:math:`R`) to a group: group ``b`` holds those in :math:`(R^{-b-1},
    R^{-b}]`, times :math:`R^b`.  Group 0 stays in the row under ``name``; each deeper group
    becomes a row ``name~b`` defining a free link variable
    :math:`v_b = \sum_{\text{group } b} c R^b x + v_{b+1}/R`, and the row takes :math:`v_1/R`.
    The chain is the same row exactly, with every coefficient in :math:`[1/R, 1]`.
    """
    kept = [(v, float(c)) for v, c in terms if c != 0.0]
    if not kept or _in_range([c for _, c in kept]):
        return _Row(_add_row(prob, linear(kept), sense, rhs, name), 1.0)
    big = max(abs(c) for _, c in kept)
    groups: dict[int, list[tuple[Any, float]]] = {}
    for v, c in kept:
        c /= big
        b = max(0, math.floor(-math.log10(abs(c)) / math.log10(ROW_RANGE)))
        groups.setdefault(b, []).append((v, c * ROW_RANGE**b))
    deepest = max(groups)
    links = [prob.add_variable(f"{name}~v{b}") for b in range(1, deepest + 1)]
    top = groups.get(0, []) + ([(links[0], 1 / ROW_RANGE)] if links else [])
    row = _add_row(prob, linear(top), sense, rhs / big, name)
    for b in range(1, deepest + 1):
        chain = [*groups.get(b, []), (links[b - 1], -1.0)]
        if b < deepest:
            chain.append((links[b], 1 / ROW_RANGE))
        prob.addConstraint(linear(chain) == 0.0, f"{name}~{b}")
    return _Row(row, big)


def _pair_scale(cap: float, target: float) -> float:
    """The unit of a pair's variable, as a fraction of its lot's value.

    1 (the lot) for a pair whose fair share, or else capacity, is at least ``1/ROW_RANGE`` of
    the lot: the programme as formulated.  A smaller pair is measured in its fair share (its ratio
    row is then ``z ≥ t``), or else its capacity, so that its variable and its coefficients are
    of order one however small its money is against the lot's.
    """
    if cap <= 0:
        return 1.0
    size = target if target > 0 else min(cap, 1.0)
    return 1.0 if size >= 1 / ROW_RANGE else size


@dataclass
class _Model:
    """A PuLP model of the programme's variables, and its rows as they are added.

    The solver's variables are ``z_k = y_k / scale[k]``: each pair in a unit of its own (see
    :func:`_pair_scale`), so that no pair is a negligible number beside another; rows are divided
    by their largest coefficient and split when wider than :data:`ROW_RANGE`
    (:func:`_scaled_row`).  What the engine returns is in the programme's units again.
    """

    spec: LpSpec
    prob: Any
    zs: list[Any]
    scale: list[float]
    hubs: list[Any]
    budget_rows: list[_Row]
    side: dict[str, _Row]
    by_lot: list[list[int]]

    def terms(self, coefficients: dict[int, float]) -> list[tuple[Any, float]]:
        """A row's pair terms ``c·y_k`` as the solver's ``c·scale_k·z_k``."""
        return [(self.zs[k], c * self.scale[k]) for k, c in coefficients.items()]

    def values(self) -> list[float]:
        """Each pair's award as a fraction of its lot's value."""
        return [float(z.varValue or 0.0) * s for z, s in zip(self.zs, self.scale, strict=True)]


def _base_model(spec: LpSpec, sense: int) -> _Model:
    n_pairs = len(spec.pair_names)
    floors = spec.pair_floor or [0.0] * n_pairs
    prob = pulp.LpProblem("allocate", sense)
    scale = [_pair_scale(spec.pair_cap[k], spec.pair_target[k]) for k in range(n_pairs)]
    zs = [
        prob.add_variable(
            f"z_{k}",
            lowBound=min(floors[k], spec.pair_cap[k]) / scale[k],
            upBound=max(0.0, spec.pair_cap[k]) / scale[k],
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
    return _Model(spec, prob, zs, scale, hubs, [], {}, by_lot)


def _add_budget_rows(m: _Model) -> None:
    """``budget:<lot>``: awards plus the hub's top-slice equal the lot's value (1 when scaled)."""
    for j, name in enumerate(m.spec.lot_names):
        terms = [*m.terms(dict.fromkeys(m.by_lot[j], 1.0)), (m.hubs[j], 1.0)]
        m.budget_rows.append(_scaled_row(m.prob, terms, "==", 1.0, f"budget:{name}"))


def _add_side_rows(m: _Model) -> None:
    """The side-constraints' rows, each under its own name."""
    for row in m.spec.side_rows:
        m.side[row.name] = _scaled_row(
            m.prob, m.terms(row.coefficients), row.sense, row.rhs, row.name
        )


class _Leximin:
    """Progressive filling on one model: raise the level, freeze who is tight, repeat."""

    def __init__(
        self,
        spec: LpSpec,
        time_limit: float | None,
        solver_options: dict[str, Any] | None,
        warm: bool = True,
        record: bool = False,
    ) -> None:
        t0 = time.perf_counter()
        self.spec = spec
        self.options = solver_options
        self.warm = warm
        #: whether each stage's duals are kept for the certificate (``LeximinResult.stage_duals``)
        self.record = record
        #: whether claimants the stage's optimal face pins down are settled at once
        #: (:mod:`allocate.pipeline.face`); not while recording, since the certificate proves
        #: each claimant by a stage of its own
        self.pin = warm and not record
        self.face: Face | None = None
        self._rows: dict[str, Any] | None = None
        #: the solver's model of the last PuLP solve, and its answer (see :meth:`_attach`)
        self.h: Any = None
        self.col: dict[int, int] = {}
        self.zcol: list[int] = []
        self.tcol = -1
        self.rrow: dict[int, int] = {}
        self.x: list[float] = []
        self.col_dual: list[float] = []
        self.row_dual: list[float] = []
        self.m = m = _base_model(spec, pulp.LpMaximize)
        self.targets = list(spec.pair_target)
        claimants = [
            c for c, target in enumerate(self.targets) if target > 0 and spec.pair_cap[c] > 0
        ]
        #: each claimant's fair share in its variable's unit (1 for a pair measured in it)
        self.ratio = {c: self.targets[c] / m.scale[c] for c in claimants}
        # no claimant's ratio can pass its capacity over its fair share: a finite level, so no
        # stage can be unbounded whatever the solver makes of the rows
        top = max((spec.pair_cap[c] / self.targets[c] for c in claimants), default=1.0)
        self.level = m.prob.add_variable("t", lowBound=0, upBound=max(1.0, top))
        _add_budget_rows(m)
        #: ``ratio:<member>:<lot>``: award ≥ fair share × level, for pairs the rule gives money,
        #: in the pair's variable (``z ≥ t`` for a pair measured in its fair share)
        self.ratio_rows: dict[int, Any] = {
            c: m.prob.addConstraint(
                linear([(m.zs[c], 1.0), (self.level, -self.ratio[c])]) >= 0,
                f"ratio:{spec.pair_names[c]}",
            )
            for c in claimants
        }
        _add_side_rows(m)
        m.prob.setObjective(linear([(self.level, 1.0)]))
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
        """Solve one stage; False (with the status recorded) when it gave no optimum.

        With ``warm`` (the default) every stage after the first is solved on the solver's model
        kept from the first, changed in place (:meth:`_warm`); a stage that fails there, and every
        stage without ``warm``, is built and solved afresh through PuLP, and tried again when the
        solver calls it infeasible or unbounded, or fails on it (see :func:`_solve`); each retry
        is recorded in ``retries`` and the message.
        """
        result = self.result
        if self.deadline is not None and self.deadline - time.perf_counter() <= 0:
            result.status, result.solver_status = Status.TIME_LIMIT, "TimeLimit"
            result.message = f"time limit reached after {result.stages} stage(s)"
            return False
        s0 = time.perf_counter()
        if self._warm():
            result.solve_seconds += time.perf_counter() - s0
            result.stages += 1
            result.solver_status = "Optimal"
            return True
        solved = _solve(self.m.prob, self.options, self.deadline)
        result.solve_seconds += time.perf_counter() - s0
        result.stages += 1
        result.solver_status = solved.name
        if solved.retry is not None:
            result.retries.append(f"stage {result.stages}: {solved.retry}")
        if solved.status is not Status.OPTIMAL:
            result.status = solved.status
            result.message = f"stage {result.stages}: solver status {solved.name}"
            if solved.retry is not None:
                result.message += f" ({solved.retry})"
            return False
        self._attach()
        return True

    def _attach(self) -> None:
        """Take the solver's model and answer from the PuLP solve just made."""
        h = self.m.prob.solverModel
        if self.h is not h:
            self.h = h
            self.col = {v.id: j for j, v in enumerate(self.m.prob.exported_variables())}
            self.zcol = [self.col.get(z.id, -1) for z in self.m.zs]
            self.tcol = self.col[self.level.id]
            self.rrow = {c: row.id for c, row in self.ratio_rows.items()}
            self.face = Face.of(h, self.tcol) if self.pin else None
        self._read()

    def _read(self) -> None:
        solution = self.h.getSolution()
        self.x = list(solution.col_value)
        self.col_dual = list(solution.col_dual)
        self.row_dual = list(solution.row_dual)
        self.row_value = solution.row_value if self.pin else []

    def _warm(self) -> bool:
        """Solve the changed model again from the last basis; False when it gave no optimum.

        Only after a first solve, and only with ``warm``; a failure is solved afresh by
        :meth:`run` (through PuLP, with the retries), never believed from here.
        """
        if not self.warm or self.h is None:
            return False
        h = self.h
        if self.deadline is not None:
            h.setOptionValue("time_limit", max(self.deadline - time.perf_counter(), 0.0))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        self._read()
        return True

    def value(self, c: int) -> float:
        """Claimant (or pair) ``c``'s variable in the last answer, in its own unit."""
        j = self.zcol[c]
        return self.x[j] if j >= 0 else 0.0

    def record_sensitivities(self) -> None:
        """Reduced costs and duals of the first solve: the worst-off ratio's sensitivities.

        In the programme's units: a pair's reduced cost per unit of lot value is the solver's
        per unit of its variable over the variable's scale, and each row's dual is the solver's
        over the factor the row was divided by.
        """
        m = self.m
        self.result.pair_reduced_cost = [
            float(z.dj or 0.0) / s for z, s in zip(m.zs, m.scale, strict=True)
        ]
        self.result.budget_dual = [r.dual() for r in m.budget_rows]
        self.result.side_duals = {name: r.dual() for name, r in m.side.items()}

    def at_level(self, c: int, t_star: float, slack: float = 1e-12) -> bool:
        """Whether claimant ``c``'s award is its fair share × ``t_star``.

        In its variable's unit, to within ``slack`` and a relative 1e-9.
        """
        level = self.ratio[c] * t_star
        return self.value(c) <= level * (1 + 1e-9) + slack

    def held_by_dual(self, c: int) -> bool:
        """Whether claimant ``c``'s ratio row has a non-zero dual (in the row's original units)."""
        return abs(self.row_dual[self.rrow[c]]) > DUAL_TOLERANCE * self.m.scale[c]

    def tight(self, unfrozen: set[int], t_star: float) -> set[int]:
        """The claimants held at the level ``t_star`` in every optimum of this stage.

        A ratio row with a non-zero dual is tight in every optimum.  The solver's row is the
        original one (award − fair share × level ≥ 0) over the pair's scale, and so is its dual:
        it is compared in the original units, or a claimant whose fair share is a speck of its lot
        would never count as held.  A dual that noise could give a row that is not tight (its
        claimant clearly above the level) does not count.
        """
        frozen = {c for c in unfrozen if self.held_by_dual(c) and self.at_level(c, t_star, 1e-7)}
        if not frozen:
            # degenerate duals: freeze the claimants sitting exactly at the level
            frozen = {c for c in unfrozen if self.at_level(c, t_star)}
        if not frozen:
            # the answer keeps rows only to the solver's tolerance: the duals still say who is
            # held (complementary slackness), else whoever is closest to the level
            frozen = {c for c in unfrozen if self.held_by_dual(c)}
        if not frozen and unfrozen:
            ratio = {c: self.value(c) / self.ratio[c] for c in unfrozen}
            least = min(ratio.values())
            frozen = {c for c, r in ratio.items() if r <= least * (1 + 1e-9) + 1e-12}
        return frozen

    def fixed(self, unfrozen: set[int]) -> dict[int, float]:
        """Claimants held at a bound of their own in every optimum, with that bound.

        A variable at its capacity or floor with a non-zero reduced cost keeps that value in every
        optimum (complementary slackness), so in every later stage too (each later stage's
        answers are optima of this one): its final award is that bound, and its level the bound
        over its fair share.  Freezing it now saves the stage that would find it.
        """
        out: dict[int, float] = {}
        if not self.warm:
            return out
        for c in unfrozen:
            j = self.zcol[c]
            if abs(self.col_dual[j]) <= DUAL_TOLERANCE * self.m.scale[c]:
                continue
            z = self.m.zs[c]
            for bound in (z.lowBound, z.upBound):
                if bound is not None and abs(self.x[j] - bound) <= 1e-9 * max(1.0, abs(bound)):
                    out[c] = float(bound)
                    break
        return out

    def hold(self, c: int, held: float, level: float) -> None:
        """Hold claimant ``c`` at ``held`` (in its variable's unit), off the level, at ``level``."""
        row = self.ratio_rows[c]
        row.set_coefficient(self.level, 0.0)
        row.constant = -held
        if self.h is not None:
            self.h.changeCoeff(self.rrow[c], self.tcol, 0.0)
            self.h.changeRowBounds(self.rrow[c], held, highspy.kHighsInf)
        if self.face is not None:
            self.face.hold(self.rrow[c], held)
        self.result.pair_level[c] = level

    def pinned(self, unfrozen: set[int]) -> dict[int, float]:
        """Claimants whose award is the same on the whole of this stage's optimal face.

        Every later answer is an optimum of this stage, so each keeps that award to the end
        (:mod:`allocate.pipeline.face`); its level is the award over its fair share.
        """
        if self.face is None or not unfrozen:
            return {}
        # the solver keeps rows to PIN_WIDTH in each variable's unit: a range no wider than that
        # in the unit of the finest claimant still rising takes nothing any claimant could use
        finest = min(self.m.scale[c] for c in unfrozen)
        width = np.zeros(len(self.x))
        for c in unfrozen:
            width[self.zcol[c]] = PIN_WIDTH * finest / self.m.scale[c]
        fixed = self.face.fixed(
            np.asarray(self.x),
            np.asarray(self.col_dual),
            np.asarray(self.row_dual),
            np.asarray(self.row_value),
            width,
        )
        return {c: self.value(c) for c in unfrozen if fixed[self.zcol[c]]}

    def freeze(self, frozen: set[int], t_star: float) -> None:
        """Hold each frozen claimant at ``t_star`` (less a hair) and take it off the level.

        A claimant is held at most at what it has in this stage's answer: the solver keeps rows
        only to its tolerance, and a hold above the answer could leave the next stage without
        one.
        """
        for c in frozen:
            held = min(self.ratio[c] * t_star, self.value(c))
            self.hold(c, held * (1 - FREEZE_MARGIN), t_star)

    def fill(self, max_stages: int | None) -> bool:
        """Raise and freeze until every claimant is frozen; False when a stage failed."""
        result = self.result
        unfrozen = set(self.ratio_rows)
        while unfrozen:
            if max_stages is not None and result.stages >= max_stages:
                break
            if not self.run():
                return False
            t_star = self.x[self.tcol]
            if result.first_level is None:
                result.first_level = t_star
                self.record_sensitivities()
            frozen = self.tight(unfrozen, t_star)
            if not frozen:  # pragma: no cover - LP theory guarantees a tight claimant
                result.status, result.message = Status.SOLVER_ERROR, "no claimant could be frozen"
                return False
            fixed = self.fixed(unfrozen - frozen)
            # read from this stage's basis, before any hold changes the model
            pinned = self.pinned(unfrozen - frozen - fixed.keys())
            self.record_stage(unfrozen, t_star, frozen, fixed)
            self.freeze(frozen, t_star)
            unfrozen -= frozen
            for c, bound in fixed.items():
                # held at the bound itself: the bound is the award in every later answer
                self.hold(c, bound, bound / self.ratio[c])
                unfrozen.discard(c)
            for c, value in pinned.items():
                # held a hair below the answer, as a claimant frozen at the level is
                self.hold(c, value * (1 - FREEZE_MARGIN), value / self.ratio[c])
                unfrozen.discard(c)
                result.pinned += 1
        return True

    def _certified_rows(self) -> dict[str, Any]:
        """The rows a certificate names, as arrays of the solver's row indices (made once)."""
        if self._rows is None:
            m = self.m
            claimants = list(self.ratio_rows)
            self._rows = {
                "budget": (
                    np.array([r.constraint.id for r in m.budget_rows], dtype=np.int64),
                    np.array([r.factor for r in m.budget_rows]),
                ),
                "side": (
                    np.array([r.constraint.id for r in m.side.values()], dtype=np.int64),
                    np.array([r.factor for r in m.side.values()]),
                    list(m.side),
                ),
                "ratio": (
                    np.array(claimants, dtype=np.int64),
                    np.array([self.ratio_rows[c].id for c in claimants], dtype=np.int64),
                    np.array([m.scale[c] for c in claimants]),
                ),
            }
        return self._rows

    def record_stage(
        self, unfrozen: set[int], t_star: float, frozen: set[int], fixed: dict[int, float]
    ) -> None:
        """Keep the stage's level, who it freezes and its non-zero duals, for the certificate.

        Each dual is the row's as formulated (the solver's over the factor the row was divided
        by, and over the pair's scale for a ratio or hold row, which the solver sees divided by
        it).  The rows are read as arrays: a county has tens of thousands of rows a stage.
        """
        if not self.record:
            return
        at_bound = {
            c: "capacity" if bound == self.m.zs[c].upBound else "floor"
            for c, bound in fixed.items()
        }
        stage = StageDuals(level=t_star, at_level=sorted(frozen), at_bound=at_bound)
        rd = np.asarray(self.row_dual, dtype=np.float64)
        rows = self._certified_rows()
        ids, factor = rows["budget"]
        values = rd[ids] / factor
        stage.budget = {int(j): float(values[j]) for j in np.flatnonzero(values)}
        ids, factor, names = rows["side"]
        values = rd[ids] / factor
        stage.side = {names[i]: float(values[i]) for i in np.flatnonzero(values)}
        claimants, ids, scale = rows["ratio"]
        values = rd[ids] / scale
        for i in np.flatnonzero(values):
            c = int(claimants[i])
            (stage.ratio if c in unfrozen else stage.hold)[c] = float(values[i])
        self.result.stage_duals.append(stage)

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
        # a new sense and objective: the kept solver model no longer matches, solve afresh
        self.h = None
        # Σ y_k, each pair's award as a fraction of its lot, as before the scaling
        m.prob.setObjective(
            linear([(m.zs[k], m.scale[k]) for k in zero_target] + [(self.level, 0.0)])
        )
        if not self.run():
            return False
        if self.result.first_level is None:
            self.record_sensitivities()
        return True

    def read_answer(self) -> None:
        """Copy the final values and each side row's activity into the result."""
        result, m = self.result, self.m
        if self.h is None:  # no stage was solved: nothing is claimed and nothing asked
            result.pair_values = m.values()
            result.hub_values = [float(v.varValue or 0.0) for v in m.hubs]
        else:
            result.pair_values = [self.value(k) * s for k, s in enumerate(m.scale)]
            result.hub_values = [
                self.x[self.col[v.id]] if v.id in self.col else float(v.lowBound or 0.0)
                for v in m.hubs
            ]
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
    warm: bool = True,
    record: bool = False,
) -> LeximinResult:
    """Build the programme and solve it to leximin optimality (progressive filling).

    ``warm=False`` solves every stage afresh and freezes only the claimants each stage holds at
    its level: the plain progressive filling, one stage per distinct level, kept as the reference
    the default (``warm=True``: one solver model kept and re-solved from its last basis, and
    claimants held at a bound of their own frozen as soon as a stage shows it) is checked
    against.  ``record`` keeps each stage's level, who it froze and its duals
    (``LeximinResult.stage_duals``), which :mod:`allocate.pipeline.certify` makes the optimality
    certificate of.
    """
    lex = _Leximin(spec, time_limit, solver_options, warm, record)
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
    """The elastic programme's slack variables and what each costs, in pounds.

    Each slack is in a unit of its own, like the pairs' variables: a floor's shortfall in the
    pair's unit, a side row's relaxation in the unit the row is divided by (:func:`_row_unit`).
    """

    m: _Model
    lot_value: Sequence[int]
    elastic: set[str] | None
    objective: list[tuple[Any, float]] = field(default_factory=list)
    unalloc: dict[int, Any] = field(default_factory=dict)
    floor_slack: dict[int, Any] = field(default_factory=dict)
    side_slack: dict[str, tuple[Any | None, Any | None, float]] = field(default_factory=dict)
    rows: dict[str, _Row] = field(default_factory=dict)
    """The budget and side rows, by name (their duals make the infeasibility certificate)."""

    def gives(self, family: str) -> bool:
        """Whether the family's rows may give."""
        return self.elastic is None or family in self.elastic

    def add_budget_rows(self) -> None:
        """Lot budgets, with money left unplaced as a slack when ``budget`` may give."""
        m = self.m
        for j, name in enumerate(m.spec.lot_names):
            terms = [*m.terms(dict.fromkeys(m.by_lot[j], 1.0)), (m.hubs[j], 1.0)]
            if self.gives("budget"):
                self.unalloc[j] = m.prob.add_variable(f"u_{j}", lowBound=0)
                terms.append((self.unalloc[j], 1.0))
                # unplaced money weighs more than a relaxed policy: prefer relaxing the policy
                self.objective.append((self.unalloc[j], 1.5 * float(self.lot_value[j])))
            self.rows[f"budget:{name}"] = _scaled_row(m.prob, terms, "==", 1.0, f"budget:{name}")

    def add_floor_rows(self) -> None:
        """Floors as rows with a shortfall slack, when ``floor`` may give."""
        if not self.gives("floor"):
            return
        m = self.m
        floors = m.spec.pair_floor or [0.0] * len(m.spec.pair_names)
        for k, f in enumerate(floors):
            if f > 0:
                m.zs[k].lowBound = 0
                self.floor_slack[k] = m.prob.add_variable(f"f_{k}", lowBound=0)
                m.prob.addConstraint(
                    linear([(m.zs[k], 1.0), (self.floor_slack[k], 1.0)]) >= f / m.scale[k],
                    f"floor:{k}",
                )
                value = float(self.lot_value[m.spec.pair_lot[k]]) * m.scale[k]
                self.objective.append((self.floor_slack[k], value))

    def add_side_row(self, row: SideRow) -> None:
        """One side row, with a slack on the side it may give."""
        m = self.m
        terms = m.terms(row.coefficients)
        unit = _row_unit([c for _, c in terms])
        down = up = None
        if self.gives(row.family):
            if row.sense in ("<=", "=="):
                down = m.prob.add_variable(f"sd_{len(self.side_slack)}", lowBound=0)
                terms.append((down, -unit))
                self.objective.append((down, row.scale * unit))
            if row.sense in (">=", "=="):
                up = m.prob.add_variable(f"su_{len(self.side_slack)}", lowBound=0)
                terms.append((up, unit))
                self.objective.append((up, row.scale * unit))
        self.side_slack[row.name] = (down, up, unit)
        self.rows[row.name] = _scaled_row(m.prob, terms, row.sense, row.rhs, row.name)

    def read(self, status: Status) -> ElasticResult:
        """The relaxations in pence, leaving out solver noise below half a penny."""
        out = ElasticResult(status=status)
        m = self.m
        spec = m.spec
        for row in spec.side_rows:
            down, up, unit = self.side_slack[row.name]
            amount = (
                sum(float(v.varValue or 0.0) for v in (down, up) if v is not None)
                * unit
                * row.scale
            )
            if amount > 0.5:
                out.side[row.name] = amount
        for j, var in self.unalloc.items():
            amount = float(var.varValue or 0.0) * self.lot_value[j]
            if amount > 0.5:
                out.unallocated[j] = amount
        for k, var in self.floor_slack.items():
            amount = float(var.varValue or 0.0) * m.scale[k] * self.lot_value[spec.pair_lot[k]]
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
    alone.  A failed solve is tried again as a leximin stage is (``retries`` says so).
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    e = _Elastic(_base_model(spec, pulp.LpMinimize), lot_value, elastic)
    e.add_budget_rows()
    e.add_floor_rows()
    for row in spec.side_rows:
        if _immovable(row) and not e.gives(row.family):
            return ElasticResult(status=Status.INFEASIBLE)
        e.add_side_row(row)
    # objective in pounds keeps its magnitude moderate
    e.m.prob.setObjective(linear([(v, w / 100.0) for v, w in e.objective]))
    solved = _solve(e.m.prob, None, deadline)
    retries = [] if solved.retry is None else [solved.retry]
    if solved.status is not Status.OPTIMAL:
        return ElasticResult(status=solved.status, retries=retries)
    out = e.read(solved.status)
    out.retries = retries
    out.row_duals = {name: v for name, row in e.rows.items() if (v := row.dual())}
    return out


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
    """The programme restricted to some lots, and the global index of each of its pairs.

    A pair with no capacity and in no side row (a sub-contract not made) is left out: its award is
    0 whatever the programme, and a solver model carrying thousands of such fixed columns solves
    each stage slower.
    """
    lot_set = set(lots)
    local_lot = {j: n for n, j in enumerate(lots)}
    in_rows = {k for row in spec.side_rows for k in row.coefficients}
    pairs = [
        k
        for k, j in enumerate(spec.pair_lot)
        if j in lot_set and (spec.pair_cap[k] > 0 or k in in_rows)
    ]
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
    merged.pinned += res.pinned
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
    group = 1 + max((s.group for s in merged.stage_duals), default=-1)
    merged.stage_duals += [_global_stage(s, pairs, lots, group) for s in res.stage_duals]
    return True


def _global_stage(stage: StageDuals, pairs: list[int], lots: list[int], group: int) -> StageDuals:
    """A group's stage with its pairs and lots by their index in the whole programme."""
    return StageDuals(
        level=stage.level,
        group=group,
        at_level=[pairs[c] for c in stage.at_level],
        at_bound={pairs[c]: kind for c, kind in stage.at_bound.items()},
        budget={lots[j]: v for j, v in stage.budget.items()},
        ratio={pairs[c]: v for c, v in stage.ratio.items()},
        hold={pairs[c]: v for c, v in stage.hold.items()},
        side=dict(stage.side),
    )


def solve_by_components(
    spec: LpSpec,
    *,
    exact_lots: set[int] | None = None,
    time_limit: float | None = None,
    solver_options: dict[str, Any] | None = None,
    warm: bool = True,
    record: bool = False,
) -> LeximinResult:
    """Solve each independent group of lots on its own, and merge the answers.

    Lots linked by no side row are independent programmes: solving them apart gives the same
    leximin optimum, and avoids the extra stages a large degenerate programme needs to freeze
    lots one by one.  Lots in ``exact_lots`` (alone in their group, with no floor and no side
    row) are at their fair shares without solving: that is the programme's proven optimum.
    ``record`` keeps each stage's duals for the certificate (``LeximinResult.stage_duals``).
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
        res = solve_leximin(
            sub, time_limit=remaining, solver_options=solver_options, warm=warm, record=record
        )
        solved_groups += 1
        merged.retries += [f"lots {', '.join(sub.lot_names)}, {r}" for r in res.retries]
        if not _merge(merged, res, pairs, lots):
            return merged
    if merged.first_level is None and solved_groups < len(groups):
        merged.first_level = 1.0
    if not record:
        merged.again = functools.partial(
            solve_by_components,
            spec,
            exact_lots=exact_lots,
            solver_options=solver_options,
            warm=warm,
            record=True,
        )
    merged.message = f"{len(groups)} independent group(s) of lots, {solved_groups} solved"
    if merged.retries:
        merged.message += "; solves retried: " + "; ".join(merged.retries)
    return merged
