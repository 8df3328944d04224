"""Formulation: the plan as a scaled programme, and the solver's answer read back exactly.

:func:`lp_spec` turns a :class:`~allocate.pipeline.plan.Plan` into the programme the engine
solves (:class:`~allocate.pipeline.plan.LpSpec`), every quantity a **fraction of its lot's value**
(a model in raw pounds misleads HiGHS; a scaled one solves right and faster), with the
side-constraints' rows from :mod:`allocate.pipeline.constraints`.  :func:`solution_from_lp` reads
the engine's floats back into exact shares of each lot, taking the rule's exact shares where the
answer is within :data:`SNAP_TOLERANCE` of them.
"""

from __future__ import annotations

from allocate.core.apportion import ExactShares, from_floats
from allocate.pipeline.constraints import side_rows
from allocate.pipeline.plan import LeximinResult, LpSpec, Plan, RowInfo, Solution

__all__ = ["SNAP_TOLERANCE", "lp_spec", "solution_from_lp"]

#: The LP's answer is read as the rule's exact shares when every pair is this close (relative to
#: the lot) — far below a penny at any realistic lot size, far above the solver's noise.
SNAP_TOLERANCE = 1e-7


def lp_spec(p: Plan) -> tuple[LpSpec, dict[str, RowInfo]]:
    """Scale the plan into the LP: every quantity as a fraction of its lot's value."""
    ids = p.eligibility.member_ids
    caps: list[float] = []
    targets: list[float] = []
    floors: list[float] = []
    names: list[str] = []
    for k, j in enumerate(p.pair_lot):
        lot = p.lots[j]
        pos = p.pair_pos[k]
        scale = lot.unit_value / lot.value  # lot quantity -> fraction of lot value
        names.append(f"{ids[p.pair_member[k]]}:{lot.lot_id}")
        if p.pair_open[k]:
            caps.append(float(lot.claims[pos] * scale))
            floors.append(float(lot.floor[pos] * scale))
        else:
            caps.append(0.0)
            floors.append(0.0)
        targets.append(float(lot.fair_share(pos) * scale) if lot.fair is not None else 0.0)
    rows, info = side_rows(p)
    spec = LpSpec(
        lot_names=[lot.lot_id for lot in p.lots],
        pair_names=names,
        pair_lot=list(p.pair_lot),
        pair_cap=caps,
        pair_target=targets,
        hub_cap=[lot.top_slice / lot.value for lot in p.lots],
        pair_floor=floors,
        side_rows=rows,
    )
    return spec, info


def solution_from_lp(
    p: Plan, res: LeximinResult, spec: LpSpec, info: dict[str, RowInfo]
) -> Solution:
    """Exact shares per lot from the engine's answer (the rule's own where it is that close)."""
    per_lot: dict[int, list[float]] = {lot.index: [0.0] * len(lot.members) for lot in p.lots}
    for k, j in enumerate(p.pair_lot):
        lot = p.lots[j]
        # back from a fraction of lot value to the lot's quantity
        per_lot[j][p.pair_pos[k]] = res.pair_values[k] * lot.value / float(lot.unit_value)
    shares: dict[int, ExactShares] = {}
    all_snapped = True
    for lot in p.lots:
        assert lot.fair is not None
        values = per_lot[lot.index]
        fair = lot.fair
        close = all(lot.open) and all(
            abs(v - n / fair.denominator) <= SNAP_TOLERANCE * max(lot.estate, 1)
            for v, n in zip(values, fair.numerators, strict=True)
        )
        if close:
            shares[lot.index] = fair
        else:
            all_snapped = False
            shares[lot.index] = from_floats(values)
    return Solution(
        shares=shares, method="lp", lp=res, spec=spec, row_info=info, snapped=all_snapped
    )
