"""Sensitivity: how each member's award responds to its own capacity and quality score."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pandas as pd

from allocate.analysis.scenarios.changes import parse_factor, scale_capacity, set_quality
from allocate.analysis.scenarios.errors import ChangeError
from allocate.analysis.scenarios.scenario import Scenario
from allocate.analysis.scenarios.sweeps import sweep
from allocate.core.model import Problem

__all__ = ["sensitivity"]

_PENNY = Decimal("0.01")
_Q6 = Decimal("0.000001")


def sensitivity(
    problem: Problem,
    members: Sequence[str] | None = None,
    *,
    capacity_factors: Sequence[Any] = ("0.8", "0.9", "1.1", "1.2"),
    quality_deltas: Sequence[float] = (-0.1, -0.05, 0.05, 0.1),
    executor: cf.Executor | None = None,
    **sweep_options: Any,
) -> pd.DataFrame:
    """How each member's award responds to its own capacity and quality score.

    For every member (by default every member that declared capacity) the problem is solved
    with that member's capacity times each factor, and with its quality score moved by each
    delta (kept within 0 and 1).  A score moved across the policy's ``quality_threshold``
    shows up as an award falling to zero (or rising from it).

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
        parameter  step award_base    award elasticity
         capacity   1.1   32079.21 34872.80   0.870841
    quality_score -0.05   32079.21     0.00  14.800000

    Luton Youth Voice's score of 0.74 less 0.05 falls below the demo's quality threshold of 0.7,
    so it loses its award: a large elasticity flags a threshold crossed.
    """
    declared = {c.member for c in problem.capacities}
    chosen = (
        [m.id for m in problem.members if m.id in declared] if members is None else list(members)
    )
    index = problem.member_index
    for m in chosen:
        if m not in index:
            raise ValueError(f"unknown member {m!r}")
    plan: list[tuple[str, str, Any, Decimal, Decimal]] = []
    scenarios = [Scenario("baseline")]
    base_capacity = _declared_capacity(problem)
    for m in chosen:
        for f in capacity_factors:
            factor = _factor_or_raise(f)
            scenarios.append(Scenario(f"{m}: capacity x{f}", [scale_capacity(m, f)]))
            cap = base_capacity.get(m, Decimal(0))
            plan.append((m, "capacity", f, cap, (cap * factor).quantize(_PENNY)))
        q = Decimal(repr(index[m].quality_score))
        for d in quality_deltas:
            new = min(Decimal(1), max(Decimal(0), q + Decimal(repr(d))))
            scenarios.append(Scenario(f"{m}: quality {d:+}", [set_quality(m, float(new))]))
            plan.append((m, "quality_score", d, q, new))
    results = sweep(problem, scenarios, executor, **sweep_options)
    base = results[0]
    rows = []
    for (m, parameter, step, before, after), r in zip(plan, results[1:], strict=True):
        award_base = base.awards.get(m) if base.ok else None
        award = r.awards.get(m) if r.ok else None
        change = award - award_base if award is not None and award_base is not None else None
        elasticity = None
        if change is not None and award_base and before and after != before:
            rel_award = change / award_base
            rel_param = (after - before) / before
            elasticity = (rel_award / rel_param).quantize(_Q6) + 0  # + 0: no "-0.000000"
        rows.append(
            (m, parameter, step, before, after, r.status, award_base, award, change, elasticity)
        )
    columns = [
        "member",
        "parameter",
        "step",
        "base",
        "value",
        "status",
        "award_base",
        "award",
        "change",
        "elasticity",
    ]
    return pd.DataFrame(rows, columns=columns)


def _factor_or_raise(value: Any) -> Decimal:
    try:
        return parse_factor(value, allow_zero=True)
    except ChangeError as exc:
        raise ValueError(f"capacity factor {value!r}: {exc.reason}") from None


def _declared_capacity(problem: Problem) -> dict[str, Decimal]:
    """Each member's declared per-lot capacity in pounds (units at the lot's unit price)."""
    out: dict[str, Decimal] = {}
    for cap in problem.capacities:
        if cap.lot is None:
            amount = cap.amount or Decimal(0)
        elif cap.units is not None:
            price = problem.lot_index[cap.lot][1].unit_price or Decimal(0)
            amount = price * cap.units
        else:
            amount = cap.amount or Decimal(0)
        out[cap.member] = out.get(cap.member, Decimal(0)) + amount
    return out
