"""Which sub-contracts are made, and their floors: minimum award and providers per area.

**Minimum award** (a sub-contract is made only if it is worth at least ``min_award``): the rule
decides which sub-contracts are made.  On each lot the smallest fair shares are dropped, one by
one in order of fair share (ties by member id), until the rule applied to the remaining members
gives each of them at least the minimum; the kept sub-contracts then have the minimum as a floor
in the programme.  When those floors conflict with another condition, the MILP of
:func:`~allocate.pipeline.choice.choose_subcontracts` chooses which to make (:func:`reopen`
makes every sub-contract that can reach the minimum a candidate, :func:`close` applies the
choice).

**Providers per area**: where fewer than the required number of members would receive an award
in an area, the eligible members with the largest fair shares there are kept as providers at the
minimum award (at least a penny, or one unit).  When those providers conflict with another
condition, :func:`release_providers` undoes them, :func:`provider_areas` lists every member that
could provide in each area, and the same MILP chooses them with the sub-contracts
(:func:`keep_providers` applies the choice).  Both decisions are reported in the audit, member
by member (``LotPlan.decisions``).
"""

from __future__ import annotations

import math

from allocate.core.model import Problem
from allocate.pipeline.fair_shares import lot_fair_shares
from allocate.pipeline.plan import LotPlan, Plan

__all__ = [
    "apply_min_award",
    "apply_min_providers",
    "close",
    "decisions_of",
    "floor_in_quantity",
    "keep_providers",
    "min_provider_pence",
    "provider_areas",
    "release_providers",
    "reopen",
    "restore_decisions",
]


def apply_min_award(problem: Problem, lot: LotPlan) -> None:
    """Close the smallest sub-contracts until every remaining fair share reaches the minimum."""
    policy = problem.policy
    if policy.min_award is None or lot.fair is None:
        return
    floor = floor_in_quantity(lot, int(policy.min_award * 100))
    n = len(lot.members)
    # the fair shares have one denominator: their numerators order them exactly
    fair = lot.fair.numerators
    order = sorted(range(n), key=lambda pos: (fair[pos], pos))

    def ok(dropped: int) -> bool:
        keep = sorted(order[dropped:])
        claims = [lot.claims[pos] for pos in keep]
        if sum(claims) < lot.estate:
            return False
        shares = lot_fair_shares(problem, lot.estate, claims, [lot.members[pos] for pos in keep])
        least = floor * shares.denominator
        return all(x >= least for x in shares.numerators)

    if ok(0):
        dropped = 0
    else:
        lo, hi = 0, n  # ok(hi) may still be False: then keep as many as capacity needs
        while lo < hi:
            mid = (lo + hi) // 2
            if ok(mid):
                hi = mid
            else:
                lo = mid + 1
        dropped = lo
        # never drop so many that the rest cannot absorb the lot
        while dropped > 0 and sum(lot.claims[pos] for pos in order[dropped:]) < lot.estate:
            dropped -= 1
    money = f"£{policy.min_award:,}"
    for pos in order[:dropped]:
        lot.open[pos] = False
        share = float(lot.fair_share(pos) * lot.unit_value) / 100
        lot.decisions[pos] = (
            f"no sub-contract: its fair share £{share:,.2f} is among the smallest, and the rule "
            f"cannot give it the minimum award {money}"
        )
    for pos in order[dropped:]:
        if lot.claims[pos] >= floor:
            lot.floor[pos] = floor
        else:
            lot.open[pos] = False
            lot.decisions[pos] = f"no sub-contract: its capacity is below the minimum award {money}"


def floor_in_quantity(lot: LotPlan, pence: int) -> int:
    """The smallest award in the lot's quantity that is still worth ``pence`` after rounding."""
    if lot.units is None:
        return pence
    # money follows units to within a penny, never below a whole number of pence the units
    # are worth: units worth at least ``pence`` always carry at least ``pence``
    return max(1, math.ceil(pence / lot.unit_value)) if pence > 0 else 1


def apply_min_providers(problem: Problem, p: Plan) -> None:
    """Keep at least k providers in every area where enough members are eligible.

    The k eligible members with the largest fair shares in the area (then the largest capacity,
    then the smallest id) each keep a sub-contract with a floor: the minimum award, or at least a
    penny (one unit on a unit-priced lot).  A floor that the rule's share already exceeds changes
    nothing; it only stops rounding or another condition from leaving the area short.
    """
    k = problem.policy.min_providers_per_area
    if k is None:
        return
    min_pence = min_provider_pence(problem)
    areas: dict[str, list[LotPlan]] = {}
    for lot in p.lots:
        areas.setdefault(problem.lot_index[lot.lot_id][1].area, []).append(lot)
    for area, lots in sorted(areas.items()):
        # fair shares in money over one common denominator: whole numbers compare exactly, and
        # fast (a county has tens of thousands of pairs)
        dens = {
            lot.index: lot.fair.denominator * lot.unit_value.denominator for lot in lots if lot.fair
        }
        common = math.lcm(*dens.values()) if dens else 1
        best: dict[int, tuple[int, int, int, int, LotPlan]] = {}
        for lot in lots:
            scale = lot.unit_value.numerator * (common // dens[lot.index]) if lot.fair else 0
            numerators = lot.fair.numerators if lot.fair else [0] * len(lot.members)
            for pos, i in enumerate(lot.members):
                option = (numerators[pos] * scale, lot.claims[pos], -lot.index, pos, lot)
                if lot.claims[pos] >= floor_in_quantity(lot, min_pence) and (
                    i not in best or option[:3] > best[i][:3]
                ):
                    best[i] = option
        ranked = sorted(
            best.items(), key=lambda kv: (-kv[1][0], -kv[1][1], problem.members[kv[0]].id)
        )
        for _, (_, _, _, pos, lot) in ranked[:k]:
            _keep(lot, pos, area, k, min_pence)


def _keep(lot: LotPlan, pos: int, area: str, k: int, pence: int) -> None:
    """Keep a member as one of an area's ``k`` providers: its sub-contract made, at least ``pence``.

    The reason is recorded unless the rule's own share keeps it there.
    """
    floor = floor_in_quantity(lot, pence)
    kept_by_rule = lot.open[pos] and lot.fair is not None and lot.fair_share(pos) >= floor
    lot.open[pos] = True
    lot.floor[pos] = max(lot.floor[pos], floor)
    lot.kept.add(pos)
    if not kept_by_rule:
        lot.decisions[pos] = (
            f"kept as a provider so that area {area!r} has {k} provider(s): at least "
            f"£{pence / 100:,.2f}"
        )


def reopen(p: Plan) -> None:
    """Make every sub-contract that can reach the minimum award a candidate again."""
    assert p.problem.policy.min_award is not None
    pence = int(p.problem.policy.min_award * 100)
    for lot in p.lots:
        floor = floor_in_quantity(lot, pence)
        for pos, claim in enumerate(lot.claims):
            if claim >= floor:
                lot.open[pos] = True
                lot.floor[pos] = max(lot.floor[pos], floor)
                lot.decisions.pop(pos, None)
    p.sync_open()


#: Why a sub-contract is not made, under the choice MILP's choice.
CLOSED_BY_CHOICE = (
    "no sub-contract: the minimum award cannot be met together with the other "
    "conditions; the choice of sub-contracts keeps as much of the fair shares as possible"
)


def close(p: Plan, made: list[bool], reason: str = CLOSED_BY_CHOICE) -> None:
    """Apply a choice: sub-contracts not made are closed, with the reason."""
    for k, keep in enumerate(made):
        if keep or not p.pair_open[k]:
            continue
        lot = p.lots[p.pair_lot[k]]
        pos = p.pair_pos[k]
        lot.open[pos] = False
        lot.floor[pos] = 0
        p.pair_open[k] = False
        lot.decisions[pos] = reason


def min_provider_pence(problem: Problem) -> int:
    """The least award a provider holds: the minimum award, or a penny."""
    return int(problem.policy.min_award * 100) if problem.policy.min_award else 1


def release_providers(p: Plan) -> None:
    """Undo the providers kept by :func:`apply_min_providers`, for the MILP to choose them."""
    for lot in p.lots:
        for pos in lot.kept:
            lot.floor[pos] = 0
            lot.decisions.pop(pos, None)
        lot.kept.clear()


def provider_areas(p: Plan) -> tuple[list[tuple[int, list[list[int]]]], list[float]]:
    """Each area's providers needed and each candidate member's pairs there (pair indices).

    Also the least award of a provider on each pair, as a fraction of its lot's value.  A member
    is a candidate where it can take the least award a provider holds (the minimum
    award, or a penny); an area needs ``min(k, candidates)``.
    """
    problem = p.problem
    k = problem.policy.min_providers_per_area
    least = [0.0] * len(p.pair_lot)
    if k is None:
        return [], least
    pence = min_provider_pence(problem)
    # each lot's floor, its share of the lot, and its area, worked out once per lot
    floors = [floor_in_quantity(lot, pence) for lot in p.lots]
    shares = [float(f * lot.unit_value / lot.value) for f, lot in zip(floors, p.lots, strict=True)]
    area_of = [problem.lot_index[lot.lot_id][1].area for lot in p.lots]
    by_area: dict[str, dict[int, list[int]]] = {}
    for n, (j, pos) in enumerate(zip(p.pair_lot, p.pair_pos, strict=True)):
        if not p.pair_open[n] or p.lots[j].claims[pos] < floors[j]:
            continue
        least[n] = shares[j]
        by_area.setdefault(area_of[j], {}).setdefault(p.pair_member[n], []).append(n)
    areas = [
        (min(k, len(members)), [members[i] for i in sorted(members)])
        for _, members in sorted(by_area.items())
    ]
    return areas, least


def keep_providers(p: Plan, kept: set[int]) -> None:
    """Apply the MILP's choice of providers: each kept pair holds at least a provider's award."""
    problem = p.problem
    pence = min_provider_pence(problem)
    k = problem.policy.min_providers_per_area
    if k is None:
        return  # providers are kept only under a providers-per-area policy
    for n in sorted(kept):
        lot = p.lots[p.pair_lot[n]]
        _keep(lot, p.pair_pos[n], problem.lot_index[lot.lot_id][1].area, k, pence)


#: Every lot's sub-contract decisions: open, floors, reasons and providers kept, by lot.
Decisions = list[tuple[list[bool], list[int], dict[int, str], set[int]]]


def decisions_of(p: Plan) -> Decisions:
    """A copy of every lot's decisions, to restore when a new choice is not made."""
    return [(list(lot.open), list(lot.floor), dict(lot.decisions), set(lot.kept)) for lot in p.lots]


def restore_decisions(p: Plan, saved: Decisions) -> None:
    """Put back decisions copied by :func:`decisions_of`."""
    for lot, (is_open, floor, decisions, kept) in zip(p.lots, saved, strict=True):
        lot.open, lot.floor, lot.decisions, lot.kept = is_open, floor, decisions, kept
    p.sync_open()
