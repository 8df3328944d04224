"""Side-constraints: the policy's protections against the sector's known abuses, as LP rows.

Each family of rows has its own module here, named after its registry entry
(:mod:`allocate.core.families`), and :data:`BUILDERS` maps every family of kind ``rows`` to it
(cvxpy keeps its canonicalisers the same way).  Every row is named ``<family>:<ids>`` and scaled
by its own money amount, so the programme stays well-conditioned whatever the contract size.
Each row also keeps its exact form on awards in pence (``SideRow.weights`` and ``SideRow.bound``,
fractions): the programme holds every bound as it is, with no margin kept back for rounding, and
rounding to whole pence keeps every row exactly (:mod:`allocate.pipeline.repair`).

=========================  ==================================================================
family                     row(s)
=========================  ==================================================================
``max_member_share``       per contract and member: awards on its lots ≤ share × member pot;
                           per member across several contracts: awards ≤ share × all pots
``max_dependency``         per member: all awards ≤ multiple × annual income
``small_org_share``        per contract: awards to members in ``small_org_bands`` ≥ share × pot
``case_mix``               per service with standard and hard-to-help lots, per member:
                           (R − τ)·w ≤ h ≤ (R + τ)·w, with h its hard-to-help awards, w all its
                           awards on the service and R the hard-to-help share of the service pot
``pooled_capacity``        per pooled capacity: awards on the covered lots ≤ the pool
``cash_flow``              per member and month that can be its peak: its need for working
                           capital Σ A·(κ·O(t) − I(t)) ≤ share × reserves
=========================  ==================================================================

``min_award`` and ``min_providers_per_area`` act on single pairs (which sub-contracts are made,
and their floors) and are decided in :mod:`allocate.pipeline.subcontracts`; ``exclusions``
narrow eligibility (:mod:`allocate.pipeline.eligibility`).
"""

from __future__ import annotations

from allocate.core import families as fam
from allocate.pipeline.constraints import (
    case_mix,
    cash_flow,
    max_dependency,
    max_member_share,
    pooled_capacity,
    small_org_share,
)
from allocate.pipeline.constraints.base import Relaxed, RowFamily, Rows
from allocate.pipeline.plan import Plan, RowInfo, SideRow

__all__ = ["BUILDERS", "Relaxed", "RowFamily", "relaxation", "side_rows"]

#: The module of each family of rows, by registry entry.
BUILDERS: dict[fam.Family, RowFamily] = {
    b.family: b
    for b in (
        max_member_share.ROWS,
        max_dependency.ROWS,
        small_org_share.ROWS,
        case_mix.ROWS,
        pooled_capacity.ROWS,
        cash_flow.ROWS,
    )
}


def side_rows(p: Plan) -> tuple[list[SideRow], dict[str, RowInfo]]:
    """The side rows of a plan, family by family in the registry's order, with what each means."""
    rows = Rows(p)
    for family in fam.FAMILIES:
        builder = BUILDERS.get(family)
        if builder is not None:
            builder.add_rows(rows)
    return rows.rows, rows.info


def relaxation(family: str, relaxed: Relaxed) -> str:
    """A relaxation of one row of ``family`` (a registry name), in the policy's words."""
    builder = BUILDERS.get(fam.by_name(family))
    if builder is None:
        return f"{relaxed.name}: relax by {relaxed.money}"
    return builder.relaxation(relaxed)
