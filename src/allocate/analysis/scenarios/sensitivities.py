"""Sensitivity: how each member's award responds to its own capacity and quality score."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from allocate.analysis.scenarios.changes import parse_factor, scale_capacity, set_quality
from allocate.analysis.scenarios.errors import ChangeError
from allocate.analysis.scenarios.results import ScenarioResult
from allocate.analysis.scenarios.scenario import Scenario
from allocate.analysis.scenarios.sweeps import HasExecutor, sweep
from allocate.core.frames import MoneyAs, check_money, frame, numeric
from allocate.core.model import Problem, declared_capacity

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["sensitivity"]

_PENNY = Decimal("0.01")
_Q6 = Decimal("0.000001")


def sensitivity(
    problem: Problem,
    members: Sequence[str] | None = None,
    *,
    capacity_factors: Sequence[Any] = ("0.8", "0.9", "1.1", "1.2"),
    quality_deltas: Sequence[float] = (-0.1, -0.05, 0.05, 0.1),
    executor: cf.Executor | HasExecutor | None = None,
    money: MoneyAs = "float",
    **sweep_options: Any,
) -> pd.DataFrame:
    """How each member's award responds to its own capacity and quality score.

    For every member (by default every member that declared capacity) the problem is solved
    with that member's capacity times each factor, and with its quality score moved by each
    delta (kept within 0 and 1).  A score moved across the policy's ``quality_threshold``
    shows up as an award falling to zero (or rising from it).

    Parameters
    ----------
    problem
        The problem.
    members
        The members to vary, one at a time; by default every member that declared capacity.
    capacity_factors
        Factors a member's capacity is scaled by.
    quality_deltas
        Amounts its quality score moves by.
    executor, **sweep_options
        As for :func:`sweep`.
    money
        ``"float"`` (the default): money as ``float64`` pounds, other numbers as ``float64``;
        ``"pence"``: money as whole pence; ``"decimal"``: exact ``Decimal`` as computed.  The
        same keyword as every table of ``allocate`` (:mod:`allocate.core.frames`).
        ``base`` and ``value`` hold a capacity (money) or a score, so under ``"pence"`` they
        are ``float64`` with the capacity rows in pence.

    Returns
    -------
    pandas.DataFrame
        One row per member and step: ``member``, ``parameter`` (``capacity`` or
        ``quality_score``), ``step`` (the factor or delta), ``base`` and ``value`` (the
        parameter before and after: capacity in £, or the score), ``status``, ``award_base``,
        ``award``, ``change`` and ``elasticity`` — the relative change of the award over the
        relative change of the parameter (missing when the base award is zero).

    Examples
    --------
    >>> from allocate.examples import demo_problem
    >>> s = sensitivity(demo_problem(), ["luton-youth"], capacity_factors=["1.1"],
    ...                 quality_deltas=[-0.05])
    >>> print(s[["parameter", "step", "award_base", "award", "elasticity"]].to_string(index=False))
        parameter  step  award_base   award  elasticity
         capacity  1.10    32079.21 34872.8    0.870841
    quality_score -0.05    32079.21     0.0   14.800000

    Luton Youth Voice's score of 0.74 less 0.05 falls below the demo's quality threshold of 0.7,
    so it loses its award: a large elasticity flags a threshold crossed.
    """
    check_money(money)
    steps = _steps(problem, _chosen(problem, members), capacity_factors, quality_deltas)
    scenarios = [Scenario("baseline"), *(s.scenario for s in steps)]
    results = sweep(problem, scenarios, executor, **sweep_options)
    rows = [_response(s, results[0], r) for s, r in zip(steps, results[1:], strict=True)]
    table = frame(rows, columns=list(_Response._fields))
    if money != "decimal":  # the step as a number (factors may be given as text)
        table["step"] = [
            float(Decimal(repr(v) if isinstance(v, float) else v)) for v in table["step"]
        ]
    numeric(table, money, pounds=["award_base", "award", "change"], numbers=["elasticity"])
    capacity_rows = [p == "capacity" for p in table["parameter"]]
    return numeric(table, money, mixed=["base", "value"], money_rows=capacity_rows)


class _Step(NamedTuple):
    """One change of one member's parameter, and the scenario that makes it."""

    scenario: Scenario
    member: str
    parameter: str
    step: Any
    before: Decimal
    after: Decimal


class _Response(NamedTuple):
    """How a member's award responds to one step: a row of :func:`sensitivity`."""

    member: str
    parameter: str
    step: Any
    base: Decimal
    value: Decimal
    status: str
    award_base: Decimal | None
    award: Decimal | None
    change: Decimal | None
    elasticity: Decimal | None


def _chosen(problem: Problem, members: Sequence[str] | None) -> list[str]:
    """The members asked for, or by default every member that declared capacity."""
    declared = {c.member for c in problem.capacities}
    chosen = (
        [m.id for m in problem.members if m.id in declared] if members is None else list(members)
    )
    for m in chosen:
        if m not in problem.member_index:
            raise ValueError(f"unknown member {m!r}")
    return chosen


def _steps(
    problem: Problem,
    chosen: list[str],
    capacity_factors: Sequence[Any],
    quality_deltas: Sequence[float],
) -> list[_Step]:
    """Each member's capacity times each factor, then its score moved by each delta."""
    steps: list[_Step] = []
    capacity = declared_capacity(problem)
    for m in chosen:
        cap = capacity.get(m, Decimal(0))
        for f in capacity_factors:
            scaled = (cap * _factor_or_raise(f)).quantize(_PENNY)
            scenario = Scenario(f"{m}: capacity x{f}", [scale_capacity(m, f)])
            steps.append(_Step(scenario, m, "capacity", f, cap, scaled))
        q = Decimal(repr(problem.member_index[m].quality_score))
        for d in quality_deltas:
            new = min(Decimal(1), max(Decimal(0), q + Decimal(repr(d))))
            scenario = Scenario(f"{m}: quality {d:+}", [set_quality(m, float(new))])
            steps.append(_Step(scenario, m, "quality_score", d, q, new))
    return steps


def _response(step: _Step, base: ScenarioResult, result: ScenarioResult) -> _Response:
    """The member's award before and after the step, and its elasticity."""
    m, before, after = step.member, step.before, step.after
    award_base = base.awards.get(m) if base.ok else None
    award = result.awards.get(m) if result.ok else None
    change = award - award_base if award is not None and award_base is not None else None
    elasticity = None
    if change is not None and award_base and before and after != before:
        rel_award = change / award_base
        rel_param = (after - before) / before
        elasticity = (rel_award / rel_param).quantize(_Q6) + 0  # + 0: no "-0.000000"
    return _Response(
        m,
        step.parameter,
        step.step,
        before,
        after,
        result.status,
        award_base,
        award,
        change,
        elasticity,
    )


def _factor_or_raise(value: Any) -> Decimal:
    try:
        return parse_factor(value, allow_zero=True)
    except ChangeError as exc:
        raise ValueError(f"capacity factor {value!r}: {exc.reason}") from None
