"""Who may receive a share of which lot, and why not.

Eligibility is decided for every (member, lot) pair from the input alone.  A pair is eligible
when no reason excludes it; every applicable reason is recorded (not just the first), so the audit
can say, for example, that a member is both below the quality threshold *and* does not serve the
lot's area.

Reasons (:class:`Reason`), in the order the audit lists them:

=====================  ===========================================================
``associate``          associate members may not hold sub-contracts (prospectus §13)
``qa_not_passed``      only quality-assured providers receive sub-contracts (§12)
``quality``            ``quality_score`` below ``policy.quality_threshold``
``reporting``          ``reporting_compliance`` below ``policy.reporting_threshold`` (§10)
``theme``              the member does not deliver the lot's theme
``area``               the member does not serve the lot's area
``no_capacity``        no capacity declared on the lot (nor a pool covering it), or zero
``excluded``           named in ``policy.exclusions`` (conflict of interest ...), with its reason
``no_bid``             a sub-tendered lot the member did not bid for
``not_qualified``      a sub-tendered lot whose bid did not qualify (set by the tender step,
                       :mod:`allocate.pipeline.tender`, with the competition's reasons)
``below_full_cost``    with ``policy.full_cost_recovery``: every award on the lot would be below
                       the member's declared full cost (a ``cost_ratio`` above 1, or a
                       ``unit_cost`` above what a unit pays the members)
=====================  ===========================================================

**Full-cost recovery.**  An award ``A`` (pence) costs the member ``⌈κ·A⌉``, with ``κ`` the full
cost of a pound of award (:func:`allocate.core.cashflow.cost_ratio`).  For a whole number
``A > 0``, ``⌈κ·A⌉ ≤ A`` exactly when ``κ ≤ 1``: whether an award covers its full cost does not
depend on its size, so "no award below full cost" is a condition on the pair, decided here.  On
a unit-priced lot ``κ`` is the unit cost over what a unit pays the members, the lot's member pot
(value less the hub's entitlement) over its units; money follows units, and a member with ``u``
units receives at least ``⌊u·pot/units⌋`` pence, never less than ``u × unit_cost`` when a unit
pays at least its cost.  The hub's entitlement is what it receives whenever an allocation exists
(:mod:`allocate.pipeline.topslice`).

On a **sub-tendered** lot a bidder's capacity is its bid's (in pounds or units), or its declared
capacity on the lot when smaller or when the bid gives none, or else the whole lot.

A **pooled** capacity (a ``theme`` and/or ``area`` instead of a lot) covers every matching lot:
the member's claim on each of those lots is the pool (or its own per-lot capacity when it also
declared one, whichever is smaller), and the solver keeps the member's awards over the pool's lots
within the pooled amount.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from allocate.core import cashflow
from allocate.core.model import Bid, Capacity, Lot, Member, Membership, Policy, Problem
from allocate.core.money import format_money, to_pence
from allocate.pipeline import topslice
from allocate.pipeline.plan import Eligibility, Pool, Reason

__all__ = [
    "Eligibility",
    "Reason",
    "assess",
    "below_full_cost",
    "describe_reasons",
    "ineligible_sentences",
]


def assess(problem: Problem) -> Eligibility:
    """Decide eligibility and read capacities for every (member, lot) pair.

    Examples
    --------
    >>> from allocate.examples import example_dict
    >>> e = assess(Problem.model_validate(example_dict()))
    >>> bool(e.eligible[0, 0]), int(e.capacity[0, 0])
    (True, 200000)
    """
    members, lots = problem.members, problem.lots
    member_pos = {m.id: i for i, m in enumerate(members)}
    lot_pos = {lot.id: j for j, lot in enumerate(lots)}
    declared, capacity, pools = _capacities(problem, member_pos, lot_pos)
    reasons = np.broadcast_to(_member_reasons(problem), (len(lots), len(members))).copy()
    _mark_theme_and_area(problem, reasons)
    no_bid = _tender_capacities(problem, member_pos, capacity, declared)
    reasons[(capacity <= 0) & ~no_bid] |= np.uint16(Reason.NO_CAPACITY)
    reasons[no_bid] |= np.uint16(Reason.NO_BID)
    contract_lots = {c.id: [lot_pos[lot.id] for lot in c.lots] for c in problem.contracts}
    for ex in problem.policy.exclusions:
        i = member_pos[ex.member]
        for j in [lot_pos[ex.lot]] if ex.lot is not None else contract_lots[str(ex.contract)]:
            reasons[j, i] |= np.uint16(Reason.EXCLUDED)
    if problem.policy.full_cost_recovery:
        for member_id, lot_id in below_full_cost(problem):
            reasons[lot_pos[lot_id], member_pos[member_id]] |= np.uint16(Reason.BELOW_FULL_COST)
    return Eligibility(
        problem=problem,
        member_ids=tuple(m.id for m in members),
        lot_ids=tuple(lot.id for lot in lots),
        reasons=reasons,
        declared=declared,
        capacity=capacity,
        pools=tuple(pools),
    )


def _member_reasons(problem: Problem) -> npt.NDArray[np.uint16]:
    """The reasons that exclude each member from every lot (membership, QA, thresholds)."""
    policy, members = problem.policy, problem.members
    n_m = len(members)
    member_mask = np.zeros(n_m, dtype=np.uint16)
    associate = [m.membership is Membership.ASSOCIATE for m in members]
    member_mask[np.fromiter(associate, dtype=np.bool_, count=n_m)] |= _ASSOCIATE
    qa_failed = [not m.qa_passed for m in members]
    member_mask[np.fromiter(qa_failed, dtype=np.bool_, count=n_m)] |= _QA_NOT_PASSED
    # the same float comparisons as on the members one by one, made at once
    quality = np.fromiter((m.quality_score for m in members), dtype=np.float64, count=n_m)
    member_mask[quality < policy.quality_threshold] |= _QUALITY
    reporting = np.fromiter((m.reporting_compliance for m in members), np.float64, count=n_m)
    member_mask[reporting < policy.reporting_threshold] |= _REPORTING
    return member_mask


def _mark_theme_and_area(problem: Problem, reasons: npt.NDArray[np.uint16]) -> None:
    """Mark the pairs whose member does not deliver the lot's theme or serve its area."""
    members, lots = problem.members, problem.lots
    themes = sorted({lot.theme for lot in lots})
    areas = sorted({lot.area for lot in lots})
    theme_served = _served([m.themes for m in members], themes)
    area_served = _served([m.areas for m in members], areas)
    theme_row = {t: k for k, t in enumerate(themes)}
    area_row = {a: k for k, a in enumerate(areas)}
    for j, lot in enumerate(lots):
        reasons[j, ~theme_served[theme_row[lot.theme]]] |= _THEME
        reasons[j, ~area_served[area_row[lot.area]]] |= _AREA


def _served(labels: list[tuple[str, ...]], wanted: list[str]) -> npt.NDArray[np.bool_]:
    """``out[k, i]``: whether ``wanted[k]`` is among ``labels[i]`` (a member's themes or areas).

    Every member's labels are looked up once, all together, rather than every wanted label
    searched for in every member's: a county has 12,000 members and 19 wanted labels.
    """
    row = {label: k for k, label in enumerate(wanted)}
    found = np.array([row.get(x, -1) for x in itertools.chain.from_iterable(labels)], np.intp)
    owner = np.repeat(np.arange(len(labels)), [len(x) for x in labels])
    out = np.zeros((len(wanted), len(labels)), dtype=np.bool_)
    out[found[found >= 0], owner[found >= 0]] = True
    return out


def _capacities(
    problem: Problem, member_pos: dict[str, int], lot_pos: dict[str, int]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64], list[Pool]]:
    """Declared capacities per pair in the lot's quantity, and the pooled capacities."""
    lots = problem.lots
    shape = (len(lots), len(problem.members))
    declared = np.zeros(shape, dtype=np.bool_)
    capacity = np.zeros(shape, dtype=np.int64)
    pools: list[Pool] = []
    price = [to_pence(lot.unit_price) if lot.unit_price is not None else None for lot in lots]
    # every per-lot capacity (validated: one per member and lot), written into the arrays at once
    at_lot: list[int] = []
    at_member: list[int] = []
    claims: list[int] = []
    on_lot, of_member, add_claim = at_lot.append, at_member.append, claims.append
    for cap in problem.capacities:
        if cap.lot is None:
            pools.append(_pool(problem, cap, member_pos[cap.member]))
            continue
        j = lot_pos[cap.lot]
        on_lot(j)
        of_member(member_pos[cap.member])
        unit = price[j]
        if unit is not None and cap.units is not None:
            add_claim(cap.units)
        else:
            assert cap.amount is not None  # validated: exactly one of amount/units, units only
            pence = to_pence(cap.amount)  # on unit-priced lots
            add_claim(pence if unit is None else pence // unit)
    declared[at_lot, at_member] = True
    capacity[at_lot, at_member] = claims
    for pool in pools:
        for j in pool.lots:
            unit_price = lots[j].unit_price
            claim = pool.amount if unit_price is None else pool.amount // to_pence(unit_price)
            i = pool.member
            if declared[j, i]:
                capacity[j, i] = min(int(capacity[j, i]), claim)
            else:
                capacity[j, i] = max(int(capacity[j, i]), claim)
                declared[j, i] = True
    return declared, capacity, pools


def below_full_cost(problem: Problem) -> dict[tuple[str, str], str]:
    """The (member, lot) pairs whose every award would be below the member's full cost, in words.

    Every per-lot capacity that declares a full cost (``cost_ratio`` or ``unit_cost``) whose
    cost of a pound of award, ``κ``, is above 1, keyed by (member, lot), with the sentence the
    audit gives.  Independent of ``policy.full_cost_recovery`` (which decides whether they are
    excluded).

    >>> from allocate.examples import example_dict
    >>> data = example_dict()
    >>> data["capacities"][0]["cost_ratio"] = "1.05"
    >>> below_full_cost(Problem.model_validate(data))
    {('a', 'l1'): 'full cost ratio 1.05 is above 1: every award would be below full cost'}
    """
    costs = cashflow.declared_costs(problem)
    if not costs:
        return {}
    slices = topslice.compute(problem)
    out: dict[tuple[str, str], str] = {}
    for (member_id, lot_id), declared in sorted(costs.items()):
        contract, lot = problem.lot_index[lot_id]
        pot = to_pence(lot.value) - slices[contract.id].lot_amounts_pence[lot_id]
        kappa, _ = cashflow.cost_ratio(costs, member_id, lot, pot)
        if kappa <= 1:
            continue
        if declared.cost_ratio is not None or lot.units is None:
            out[member_id, lot_id] = (
                f"full cost ratio {declared.cost_ratio} is above 1: every award would be below "
                "full cost"
            )
            continue
        per_unit = Fraction(pot, lot.units)
        out[member_id, lot_id] = (
            f"unit cost {format_money(declared.unit_cost or 0)} is above what a unit pays the "
            f"members ({format_money(pot, pence=True)} over {lot.units} units: "
            f"{format_money(per_unit.numerator // per_unit.denominator, pence=True)} a unit, "
            "rounded down): every award would be below full cost"
        )
    return out


def _tender_capacities(
    problem: Problem,
    member_pos: dict[str, int],
    capacity: npt.NDArray[np.int64],
    declared: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_]:
    """Set the bidders' capacities on sub-tendered lots; the pairs with no bid there."""
    no_bid = np.zeros(capacity.shape, dtype=np.bool_)
    if not problem.tendered:
        return no_bid
    bids = {(b.member, b.lot): b for b in problem.bids}
    for j, lot in enumerate(problem.lots):
        if lot.id not in problem.tendered:
            continue
        whole = lot.units if lot.units is not None else to_pence(lot.value)
        for member, i in member_pos.items():
            bid = bids.get((member, lot.id))
            if bid is None:
                no_bid[j, i] = True
                capacity[j, i] = 0
                continue
            offered = _bid_quantity(bid, lot)
            own = int(capacity[j, i]) if declared[j, i] else None
            candidates = [q for q in (offered, own) if q is not None]
            capacity[j, i] = min(candidates) if candidates else whole
            declared[j, i] = True
    return no_bid


def _bid_quantity(bid: Bid, lot: Lot) -> int | None:
    """A bid's capacity in the lot's quantity (pence, or whole units), when it gives one."""
    if bid.capacity_units is not None:
        return bid.capacity_units
    if bid.capacity is None:
        return None
    pence = to_pence(bid.capacity)
    return pence if lot.unit_price is None else pence // to_pence(lot.unit_price)


def _pool(problem: Problem, cap: Capacity, member: int) -> Pool:
    """A pooled capacity (a theme and/or area instead of a lot) and the lots it covers."""
    assert cap.amount is not None  # validated: pools are money
    covered = tuple(
        j
        for j, lot in enumerate(problem.lots)
        if (cap.theme is None or lot.theme == cap.theme)
        and (cap.area is None or lot.area == cap.area)
    )
    label = ", ".join(
        f"{k}={v}" for k, v in (("theme", cap.theme), ("area", cap.area)) if v is not None
    )
    return Pool(member, covered, to_pence(cap.amount), label)


#: The reasons that depend on the member alone, on the lot alone (with the declared capacity),
#: and on the pair named in an exclusion.
_OF_MEMBER = int(Reason.ASSOCIATE | Reason.QA_NOT_PASSED | Reason.QUALITY | Reason.REPORTING)
_OF_LOT = int(Reason.THEME | Reason.AREA | Reason.NO_CAPACITY | Reason.NO_BID)
_EXCLUDED = int(Reason.EXCLUDED)
_ASSOCIATE, _QA_NOT_PASSED = int(Reason.ASSOCIATE), int(Reason.QA_NOT_PASSED)
_QUALITY, _REPORTING = int(Reason.QUALITY), int(Reason.REPORTING)
_THEME, _AREA, _NO_CAPACITY = int(Reason.THEME), int(Reason.AREA), int(Reason.NO_CAPACITY)
_NO_BID, _NOT_QUALIFIED = int(Reason.NO_BID), int(Reason.NOT_QUALIFIED)
_BELOW_FULL_COST = int(Reason.BELOW_FULL_COST)


def describe_reasons(problem: Problem, member_id: str, lot_id: str, mask: int) -> list[str]:
    """Sentences explaining each reason in ``mask``, naming the rule, threshold and value.

    >>> from allocate import Policy
    >>> from allocate.examples import example_dict
    >>> p = Problem.model_validate(example_dict()).evolve(policy=Policy(quality_threshold=0.9))
    >>> describe_reasons(p, "a", "l1", int(assess(p).reasons[0, 0]))
    ['quality score 0.8 is below the threshold 0.9']
    """
    contract, lot = problem.lot_index[lot_id]
    return [
        *_member_words(problem.member_index[member_id], problem.policy, mask),
        *_lot_words(lot, mask),
        *(_exclusion_words(problem, member_id, lot_id, contract.id) if mask & _EXCLUDED else ()),
        *([below_full_cost(problem)[member_id, lot_id]] if mask & _BELOW_FULL_COST else []),
    ]


def _member_words(member: Member, policy: Policy, mask: int) -> tuple[str, ...]:
    """The sentences of the member's own reasons in ``mask``, in the documented order."""
    out: list[str] = []
    if mask & _ASSOCIATE:
        out.append("associate members may not hold sub-contracts")
    if mask & _QA_NOT_PASSED:
        out.append("has not passed quality assurance")
    if mask & _QUALITY:
        out.append(
            f"quality score {member.quality_score} is below the threshold "
            f"{policy.quality_threshold}"
        )
    if mask & _REPORTING:
        out.append(
            f"reporting compliance {member.reporting_compliance} is below the threshold "
            f"{policy.reporting_threshold}"
        )
    return tuple(out)


def _lot_words(lot: Lot, mask: int) -> tuple[str, ...]:
    """The sentences of the lot's reasons in ``mask`` (theme, area, no capacity), in order."""
    out: list[str] = []
    if mask & _THEME:
        out.append(f"does not deliver theme {lot.theme!r}")
    if mask & _AREA:
        out.append(f"does not serve area {lot.area!r}")
    if mask & _NO_CAPACITY:
        out.append("declared no capacity on this lot")
    if mask & _NO_BID:
        out.append("did not bid for this sub-tendered lot")
    return tuple(out)


def _exclusion_words(
    problem: Problem, member_id: str, lot_id: str, contract_id: str
) -> tuple[str, ...]:
    """The exclusions naming the member on the lot or its contract, each with its reason."""
    return tuple(
        f"excluded from {scope}: {ex.reason}"
        for ex in problem.policy.exclusions
        if ex.member == member_id and (ex.lot == lot_id or ex.contract == contract_id)
        for scope in [f"lot {lot_id!r}" if ex.lot is not None else f"contract {contract_id!r}"]
    )


def ineligible_sentences(
    eligibility: Eligibility,
    words: list[str | None],
    unqualified: dict[tuple[int, int], str] | None = None,
) -> list[str]:
    """``words`` with every ``None`` replaced by its pair's reasons, as the audit states them.

    ``words`` runs over the pairs lot by lot, every member on each (the audit's pair table).
    A ``None`` stands for an ineligible pair; it becomes ``"not eligible: "`` and its
    :func:`describe_reasons` joined by ``"; "``.  The sentences of a member's own reasons and of a
    lot's are each worked out once, so a county's table takes a fraction of a second.
    """
    problem = eligibility.problem
    members, lots, policy = problem.members, problem.lots, problem.policy
    n_m = len(members)
    contracts = [c.id for c in problem.contracts for _ in c.lots]
    of_member: dict[tuple[int, int], tuple[str, ...]] = {}
    of_lot: dict[tuple[int, int], tuple[str, ...]] = {}
    out: list[str] = [""] * len(words)
    masks = eligibility.reasons.reshape(-1).tolist()
    full_cost = below_full_cost(problem) if policy.full_cost_recovery else {}
    for k, text in enumerate(words):
        if text is not None:
            out[k] = text
            continue
        mask = masks[k]
        if not mask:  # an eligible pair without words (the audit leaves none): no reason
            continue
        j, i = divmod(k, n_m)
        mine = of_member.get((i, mask & _OF_MEMBER))
        if mine is None:
            mine = of_member[i, mask & _OF_MEMBER] = _member_words(members[i], policy, mask)
        its = of_lot.get((j, mask & _OF_LOT))
        if its is None:
            its = of_lot[j, mask & _OF_LOT] = _lot_words(lots[j], mask)
        parts = mine + its
        if mask & _EXCLUDED:
            parts += _exclusion_words(problem, members[i].id, lots[j].id, contracts[j])
        if mask & _NOT_QUALIFIED:
            parts += (f"bid did not qualify: {(unqualified or {}).get((j, i), 'see the tender')}",)
        if mask & _BELOW_FULL_COST:
            parts += (full_cost[members[i].id, lots[j].id],)
        out[k] = "not eligible: " + "; ".join(parts)
    return out
