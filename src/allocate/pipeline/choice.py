r"""Which sub-contracts to make, and which providers to keep: the MILP of the sub-contract choice.

It builds on the engine's model (:func:`~allocate.pipeline.engine._base_model` and its rows) and
solves as the engine does, failed solves retried (:data:`allocate.pipeline.engine.RETRIES`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pulp

from allocate.core.outcome import Status
from allocate.pipeline.engine import (
    _add_budget_rows,
    _add_side_rows,
    _base_model,
    _scaled_row,
    _solve,
    linear,
)
from allocate.pipeline.plan import LpSpec

__all__ = ["choose_subcontracts"]


def choose_subcontracts(
    spec: LpSpec,
    *,
    time_limit: float | None = None,
    areas: Sequence[tuple[int, Sequence[Sequence[int]]]] = (),
    provider_floor: Sequence[float] | None = None,
) -> tuple[list[bool], set[int]] | None:
    r"""Which sub-contracts with a floor to make, and which providers to keep in each area.

    The semi-continuous choice as a MILP: a binary :math:`b_k` per pair with a floor, and
    :math:`\ell_k b_k \le y_k \le u_k b_k` (:math:`u_k` at most the lot: no award is more); it
    maximises the fair share kept in sub-contracts, :math:`\sum_k \varphi_k b_k` (ties: as many
    as possible).  ``areas`` lists, for each area that must keep providers, how many it needs and
    each member's candidate pairs there: a member provides when one of its pairs is made (with a
    floor) or receives at least ``provider_floor`` (without one), and each area keeps as many as
    it needs.  Returns one flag per pair (True: made) and the pairs kept as providers, or None
    when no choice satisfies the other conditions.  A failed solve is tried again as a leximin
    stage is.
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    n = len(spec.pair_names)
    floors = spec.pair_floor or [0.0] * n
    m = _base_model(spec, pulp.LpMaximize)
    prob, zs = m.prob, m.zs
    _add_budget_rows(m)
    _add_side_rows(m)
    made: dict[int, Any] = {}
    objective: list[tuple[Any, float]] = []
    for k in range(n):
        if floors[k] > 0 and spec.pair_cap[k] > 0:
            zs[k].lowBound = 0
            made[k] = prob.add_variable(f"b_{k}", cat=pulp.LpBinary)
            y = (zs[k], m.scale[k])
            _scaled_row(prob, [y, (made[k], -floors[k])], ">=", 0.0, f"floor:{k}")
            _scaled_row(prob, [y, (made[k], -min(spec.pair_cap[k], 1.0))], "<=", 0.0, f"made:{k}")
            objective.append((made[k], spec.pair_target[k] + 1e-6))
    provides: dict[int, Any] = {}
    qs: list[list[Any]] = []
    for a, (need, members) in enumerate(areas):
        chosen: list[tuple[Any, float]] = []
        qs.append([])
        for i, pairs in enumerate(members):
            q = prob.add_variable(f"q_{a}_{i}", cat=pulp.LpBinary)
            qs[a].append(q)
            terms: list[tuple[Any, float]] = [(q, -1.0)]
            for k in pairs:
                if k not in made and k not in provides:
                    assert provider_floor is not None
                    provides[k] = prob.add_variable(f"p_{k}", cat=pulp.LpBinary)
                    _scaled_row(
                        prob,
                        [(zs[k], m.scale[k]), (provides[k], -provider_floor[k])],
                        ">=",
                        0.0,
                        f"provides:{k}",
                    )
                terms.append((made[k] if k in made else provides[k], 1.0))
            prob.addConstraint(linear(terms) >= 0, f"provider:{a}:{i}")
            chosen.append((q, 1.0))
        prob.addConstraint(linear(chosen) >= need, f"providers:{a}")
    if not made and not provides:
        return None
    prob.setObjective(linear(objective or [(next(iter(provides.values())), 0.0)]))
    if _solve(prob, None, deadline).status is not Status.OPTIMAL:
        return None
    flags = [k not in made or (made[k].varValue or 0.0) > 0.5 for k in range(n)]

    def on(k: int) -> bool:
        return ((made[k] if k in made else provides[k]).varValue or 0.0) > 0.5

    kept: set[int] = set()
    for a, (need, members) in enumerate(areas):
        # each area's providers: the members the choice counts, at most as many as it needs,
        # each by its made pair with the largest fair share
        best = [
            max((k for k in pairs if on(k)), key=lambda k: spec.pair_target[k])
            for i, pairs in enumerate(members)
            if (qs[a][i].varValue or 0.0) > 0.5 and any(on(k) for k in pairs)
        ]
        kept |= set(sorted(best, key=lambda k: -spec.pair_target[k])[:need])
    return flags, kept
