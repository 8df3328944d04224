"""Side-constraints: the policy's protections against the sector's known abuses, as LP rows.

Each side-constraint of :class:`~allocate.model.Policy` becomes named rows over the pair
variables (see :mod:`allocate.formulation`), every row scaled by its own money amount so that the
programme stays well-conditioned whatever the contract size.  Sum bounds are tightened by a
**rounding margin** (one penny per award in the sum, one unit's worth on unit-priced lots, plus
a hundred-millionth of the bound for the solver's tolerance), so that after exact rounding to
pence they still hold *exactly*.

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
=========================  ==================================================================

``min_award`` and ``min_providers_per_area`` act on single pairs (which sub-contracts are made,
and their floors) and are decided in :mod:`allocate.solve`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction

from allocate.core.model import ClientGroup
from allocate.pipeline.plan import Plan, RowInfo, Sense, SideRow

__all__ = ["FAMILIES", "RowInfo", "side_rows"]

#: Families of side rows, in the order the audit lists them.
FAMILIES = (
    "max_member_share",
    "max_dependency",
    "small_org_share",
    "case_mix",
    "pooled_capacity",
)


def _margin(p: Plan, pairs: list[int], scale: float) -> int:
    """Room for rounding: a penny per award, a unit's worth per unit-priced lot, the tolerance.

    Rounding itself keeps sum rows within their bounds (see :func:`allocate.solve.round_awards`);
    the margin keeps it from having to fight them.
    """
    unit_lots = {p.pair_lot[k] for k in pairs if p.lots[p.pair_lot[k]].units is not None}
    return (
        len(pairs)
        + sum(math.ceil(p.lots[j].unit_value) for j in unit_lots)
        + math.ceil(abs(scale) * 1e-8)
    )


def _most(p: Plan, pairs: list[int]) -> Fraction:
    """The most these pairs can ever receive: their capacities, at most their lots' pots.

    A bound at or above it cannot bind, so no row (and no rounding margin) is added.
    """
    lots = {p.pair_lot[k] for k in pairs}
    return min(
        sum((_cap_pence(p, k) for k in pairs), Fraction(0)),
        Fraction(sum(p.lots[j].pot for j in lots)),
    )


def _cap_pence(p: Plan, k: int) -> Fraction:
    lot = p.lots[p.pair_lot[k]]
    return lot.claims[p.pair_pos[k]] * lot.unit_value


def side_rows(p: Plan) -> tuple[list[SideRow], dict[str, RowInfo]]:
    """The side rows of a plan, with what each means."""
    problem = p.problem
    policy = problem.policy
    rows: list[SideRow] = []
    info: dict[str, RowInfo] = {}
    ids = p.eligibility.member_ids
    value = [lot.value for lot in p.lots]

    def add(
        name: str,
        family: str,
        pairs: list[int],
        weights: dict[int, float] | None,
        sense: Sense,
        bound: int,
        scale: float,
        description: str,
        member: str | None = None,
        contract: str | None = None,
        margin: bool = True,
    ) -> None:
        scale = max(float(scale), 1.0)
        slack = _margin(p, pairs, scale) if margin else 0
        rhs_pence = bound - slack if sense == "<=" else bound + slack
        if sense == ">=" and pairs and rhs_pence > bound:
            # never ask for more than the pairs can ever take: a bound they meet only exactly
            # keeps no margin (rounding keeps it, see allocate.solve.round_awards)
            rhs_pence = max(bound, min(rhs_pence, math.floor(_most(p, pairs))))
        if sense == "<=":
            rhs_pence = max(rhs_pence, 0)
        coefficients = {
            k: (weights[k] if weights is not None else 1.0) * value[p.pair_lot[k]] / scale
            for k in pairs
        }
        rows.append(
            SideRow(
                name=name,
                family=family,
                coefficients=coefficients,
                sense=sense,
                rhs=rhs_pence / scale,
                scale=scale,
                description=description,
            )
        )
        info[name] = RowInfo(member=member, contract=contract, bound_pence=bound)

    kept = [k for k in range(len(p.pair_lot)) if p.pair_open[k]]
    by_member: dict[int, list[int]] = defaultdict(list)
    by_member_contract: dict[tuple[int, str], list[int]] = defaultdict(list)
    by_contract: dict[str, list[int]] = defaultdict(list)
    for k in kept:
        lot = p.lots[p.pair_lot[k]]
        i = p.pair_member[k]
        by_member[i].append(k)
        by_member_contract[i, lot.contract_id].append(k)
        by_contract[lot.contract_id].append(k)
    pot_of = {c: sum(lot.pot for lot in p.lots if lot.contract_id == c) for c in by_contract}
    pot_total = sum(lot.pot for lot in p.lots)

    if policy.max_member_share is not None:
        share = Fraction(policy.max_member_share)
        ordered = sorted(by_member_contract.items(), key=lambda kv: (ids[kv[0][0]], kv[0][1]))
        for (i, c), pairs in ordered:
            bound = math.floor(share * pot_of[c])
            if _most(p, pairs) <= bound:
                continue  # cannot bind
            add(
                f"max_member_share:{ids[i]}:{c}",
                "max_member_share",
                pairs,
                None,
                "<=",
                bound,
                pot_of[c],
                f"{ids[i]} receives at most {policy.max_member_share} of contract {c}'s member pot",
                member=ids[i],
                contract=c,
            )
        for i, pairs in sorted(by_member.items(), key=lambda kv: ids[kv[0]]):
            contracts = {p.lots[p.pair_lot[k]].contract_id for k in pairs}
            if len(contracts) < 2:
                continue  # implied by the per-contract rows
            bound = math.floor(share * pot_total)
            if _most(p, pairs) <= bound:
                continue
            add(
                f"max_member_share:{ids[i]}:portfolio",
                "max_member_share",
                pairs,
                None,
                "<=",
                bound,
                pot_total,
                f"{ids[i]} receives at most {policy.max_member_share} of the whole portfolio",
                member=ids[i],
            )

    if policy.max_dependency is not None:
        multiple = Fraction(policy.max_dependency)
        for i, pairs in sorted(by_member.items(), key=lambda kv: ids[kv[0]]):
            income = Fraction(problem.members[i].annual_income) * 100
            bound = math.floor(multiple * income)
            if _most(p, pairs) <= bound:
                continue
            add(
                f"max_dependency:{ids[i]}",
                "max_dependency",
                pairs,
                None,
                "<=",
                bound,
                max(bound, 100),
                f"{ids[i]}'s awards stay within {policy.max_dependency} × its annual income "
                f"(£{problem.members[i].annual_income:,})",
                member=ids[i],
            )

    if policy.small_org_share is not None and policy.small_org_share > 0:
        share = Fraction(policy.small_org_share)
        bands = set(policy.small_org_bands)
        for c in [c.id for c in problem.contracts]:
            pairs = [
                k
                for k in by_contract.get(c, [])
                if problem.members[p.pair_member[k]].size_band in bands
            ]
            pot_c = sum(lot.pot for lot in p.lots if lot.contract_id == c)
            bound = math.ceil(share * pot_c)
            add(
                f"small_org_share:{c}",
                "small_org_share",
                pairs,
                None,
                ">=",
                bound,
                max(pot_c, 1),
                f"at least {policy.small_org_share} of contract {c}'s member pot goes to "
                f"{'/'.join(sorted(b.value for b in bands))} members",
                contract=c,
            )

    if policy.case_mix_tolerance is not None:
        tol = Fraction(policy.case_mix_tolerance)
        services: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for lot in p.lots:
            lot_obj = problem.lot_index[lot.lot_id][1]
            if lot_obj.client_group is None:
                continue
            key = lot_obj.service or lot_obj.theme
            services[key][lot_obj.client_group.value].append(lot.index)
        for key, groups in sorted(services.items()):
            hard = groups.get(ClientGroup.HARD_TO_HELP.value, [])
            easy = groups.get(ClientGroup.STANDARD.value, [])
            if not hard or not easy:
                continue
            pot_h = sum(p.lots[j].pot for j in hard)
            pot_all = pot_h + sum(p.lots[j].pot for j in easy)
            r = Fraction(pot_h, pot_all)
            lots_here = set(hard) | set(easy)
            for i, pairs in sorted(by_member.items(), key=lambda kv: ids[kv[0]]):
                mine = [k for k in pairs if p.pair_lot[k] in lots_here]
                if not mine:
                    continue
                is_hard = {k: p.pair_lot[k] in hard for k in mine}
                if r + tol < 1:
                    hi = {k: float((1 if is_hard[k] else 0) - (r + tol)) for k in mine}
                    add(
                        f"case_mix:{ids[i]}:{key}:max",
                        "case_mix",
                        mine,
                        hi,
                        "<=",
                        0,
                        pot_all,
                        f"{ids[i]}'s hard-to-help share of {key} work at most {float(r + tol):.4f}",
                        member=ids[i],
                        margin=False,
                    )
                if r - tol > 0:
                    lo = {k: float((1 if is_hard[k] else 0) - (r - tol)) for k in mine}
                    add(
                        f"case_mix:{ids[i]}:{key}:min",
                        "case_mix",
                        mine,
                        lo,
                        ">=",
                        0,
                        pot_all,
                        f"{ids[i]}'s hard-to-help share of {key} work at least "
                        f"{float(r - tol):.4f} (no creaming)",
                        member=ids[i],
                        margin=False,
                    )

    for n, pool in enumerate(p.eligibility.pools):
        pairs = [k for k in by_member.get(pool.member, []) if p.pair_lot[k] in set(pool.lots)]
        if len(pairs) < 2 or _most(p, pairs) <= pool.amount:
            continue  # one lot (the pool is that pair's capacity already), or cannot bind
        add(
            f"pooled_capacity:{ids[pool.member]}:{n}",
            "pooled_capacity",
            pairs,
            None,
            "<=",
            pool.amount,
            pool.amount,
            f"{ids[pool.member]}'s awards over lots with {pool.label} stay within its pooled "
            f"capacity £{pool.amount / 100:,.2f}",
            member=ids[pool.member],
        )
    return rows, info
