"""Planning: the steps before the programme, digested into a :class:`~allocate.pipeline.plan.Plan`.

``Problem`` → :mod:`~allocate.pipeline.eligibility` → :mod:`~allocate.pipeline.topslice` →
:mod:`~allocate.pipeline.fair_shares` → :mod:`~allocate.pipeline.subcontracts`: every lot's
eligible members (sorted by id, the tie-break order), their claims in the lot's quantity, the
hub's entitlement, the rule's exact fair shares and which sub-contracts are made.  A sub-tendered
lot's claimants are its qualifying bids and its targets the competition's awards
(:mod:`~allocate.pipeline.tender`).
"""

from __future__ import annotations

import time

import numpy as np

from allocate.core.model import Problem
from allocate.pipeline import eligibility as elig
from allocate.pipeline import topslice
from allocate.pipeline.fair_shares import lot_fair_shares
from allocate.pipeline.plan import LotPlan, Plan
from allocate.pipeline.subcontracts import apply_min_award, apply_min_providers
from allocate.pipeline.tender import compete, set_targets

__all__ = ["plan"]


def plan(problem: Problem) -> Plan:
    """Eligibility, top-slices, exact fair shares and sub-contract decisions for every lot."""
    t0 = time.perf_counter()
    eligibility = elig.assess(problem)
    t1 = time.perf_counter()
    slices = topslice.compute(problem)
    tenders = compete(problem, eligibility, slices)
    ids = eligibility.member_ids
    order = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.intp)
    eligible = eligibility.eligible
    lots: list[LotPlan] = []
    j = 0
    for contract in problem.contracts:
        ts = slices[contract.id]
        for lot in contract.lots:
            members: list[int] = order[eligible[j][order]].tolist()
            value = int(lot.value * 100)
            top = ts.lot_amounts_pence[lot.id]
            lp = LotPlan(
                index=j,
                lot_id=lot.id,
                contract_id=contract.id,
                value=value,
                top_slice=top,
                pot=value - top,
                units=lot.units,
                members=members,
                claims=eligibility.capacity[j][members].tolist(),
                open=[True] * len(members),
                floor=[0] * len(members),
            )
            if lp.shortfall == 0 and j in tenders:
                set_targets(problem, lp, tenders[j])
            elif lp.shortfall == 0:
                lp.fair = lot_fair_shares(problem, lp.estate, lp.claims, members)
                apply_min_award(problem, lp)
            lots.append(lp)
            j += 1
    p = Plan(
        problem=problem, eligibility=eligibility, top_slices=slices, lots=lots, tenders=tenders
    )
    if p.feasible:
        apply_min_providers(problem, p)
    for planned in lots:
        p.pair_lot.extend([planned.index] * len(planned.members))
        p.pair_pos.extend(range(len(planned.members)))
        p.pair_member.extend(planned.members)
        p.pair_open.extend(planned.open)
    t2 = time.perf_counter()
    p.timings = {"eligibility": t1 - t0, "fair_shares": t2 - t1}
    return p
