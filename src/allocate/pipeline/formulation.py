"""Formulation: the plan as a scaled programme, and the solver's answer read back exactly.

:func:`lp_spec` turns a :class:`~allocate.pipeline.plan.Plan` into the programme the engine
solves (:class:`~allocate.pipeline.plan.LpSpec`), every quantity a **fraction of its lot's value**
(a model in raw pounds misleads HiGHS; a scaled one solves right and faster), with the
side-constraints' rows from :mod:`allocate.pipeline.constraints`.  :func:`solution_from_lp` reads
the engine's floats back into exact shares of each lot, taking the rule's exact shares where the
answer is within :data:`SNAP_TOLERANCE` of them and they keep every row exactly.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from allocate.core.apportion import ExactShares, from_floats
from allocate.pipeline.constraints import side_rows
from allocate.pipeline.plan import LeximinResult, LpSpec, Plan, RowInfo, Solution
from allocate.pipeline.repair import int_rows

__all__ = ["SNAP_TOLERANCE", "ease", "lp_spec", "solution_from_lp"]

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
    # lot quantity -> fraction of lot value, as integers a/b: Python's int / int is the float
    # nearest the exact quotient, as float(Fraction) is, without a Fraction per pair
    scales = [lot.unit_value / lot.value for lot in p.lots]
    for k, j in enumerate(p.pair_lot):
        lot = p.lots[j]
        pos = p.pair_pos[k]
        a, b = scales[j].numerator, scales[j].denominator
        names.append(f"{ids[p.pair_member[k]]}:{lot.lot_id}")
        if p.pair_open[k]:
            caps.append(lot.claims[pos] * a / b)
            floors.append(lot.floor[pos] * a / b)
        else:
            caps.append(0.0)
            floors.append(0.0)
        fair = lot.fair
        targets.append(
            fair.numerators[pos] * a / (fair.denominator * b) if fair is not None else 0.0
        )
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


def ease(spec: LpSpec, pence: int = 1) -> LpSpec:
    """The programme with every side row's bound eased by ``pence``.

    For a programme infeasible only within the solver's tolerance: its answer is then rounded to
    whole pence keeping every row at its true bound (:mod:`allocate.pipeline.repair`).
    """
    eased = {"<=": pence, ">=": -pence, "==": 0}
    rows = [replace(row, rhs=row.rhs + eased[row.sense] / row.scale) for row in spec.side_rows]
    return replace(spec, side_rows=rows)


def solution_from_lp(
    p: Plan, res: LeximinResult, spec: LpSpec, info: dict[str, RowInfo]
) -> Solution:
    """Exact shares per lot from the engine's answer (the rule's own where it is that close).

    The rule's exact shares replace the answer on a lot only when they keep everything the
    programme keeps, exactly: nothing for a sub-contract not made, at least the floor of every
    one made, and every side row over them, with the other lots' answers as they are.  A row
    crossed by a snapped lot un-snaps every lot it touches.
    """
    per_lot: dict[int, list[float]] = {lot.index: [0.0] * len(lot.members) for lot in p.lots}
    for k, j in enumerate(p.pair_lot):
        lot = p.lots[j]
        # back from a fraction of lot value to the lot's quantity
        per_lot[j][p.pair_pos[k]] = res.pair_values[k] * lot.value / float(lot.unit_value)
    read = {lot.index: from_floats(per_lot[lot.index]) for lot in p.lots}
    snapped: set[int] = set()
    for lot in p.lots:
        assert lot.fair is not None
        values, fair = per_lot[lot.index], lot.fair
        close = all(
            n >= f * fair.denominator if o else n == 0
            for n, f, o in zip(fair.numerators, lot.floor, lot.open, strict=True)
        ) and all(
            abs(v - n / fair.denominator) <= SNAP_TOLERANCE * max(lot.estate, 1)
            for v, n in zip(values, fair.numerators, strict=True)
        )
        if close:
            snapped.add(lot.index)
    rows = int_rows(spec.side_rows)
    while snapped:
        shares = {j: (p.lots[j].fair if j in snapped else read[j]) for j in read}
        near = [row for row in rows if any(p.pair_lot[k] in snapped for k in row.num)]
        pence = {k: _exact_pence(p, shares, k) for row in near for k in row.num}
        crossed = {p.pair_lot[k] for row in near if row.excess(pence) > 0 for k in row.num}
        if not crossed & snapped:
            break
        snapped -= crossed
    shares = {j: (p.lots[j].fair if j in snapped else read[j]) for j in read}
    return Solution(
        shares={j: s for j, s in shares.items() if s is not None},
        method="lp",
        lp=res,
        spec=spec,
        row_info=info,
        snapped=len(snapped) == len(p.lots),
    )


def _exact_pence(p: Plan, shares: dict[int, ExactShares | None], k: int) -> Fraction:
    """A pair's exact award in pence under ``shares`` (each lot's, in its quantity)."""
    lot = p.lots[p.pair_lot[k]]
    s = shares[lot.index]
    assert s is not None
    return Fraction(s.numerators[p.pair_pos[k]], s.denominator) * lot.unit_value
