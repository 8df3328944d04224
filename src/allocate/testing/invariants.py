r"""Invariant checkers: given a problem and a transformation, assert that a fairness property holds.

Each checker solves the problem and its transformed copy (with :func:`allocate.solve`, or any
``solve`` callable you pass, so a system that wraps ``allocate`` can check its wrapper), compares
the allocations, and raises :class:`InvariantError` — an :class:`AssertionError` whose message
names the property, every member and lot at fault, and ends with **both problems as JSON** so that
``allocate solve`` replays each side.  A checker returns ``True`` when it compared something, and
``False`` when the property says nothing about the case (the transformed problem has no
allocation, say); a test can ``assert`` or :func:`hypothesis.assume` it.

The properties are those of the claims-problem literature (Thomson, *Axiomatic and
game-theoretic analysis of bankruptcy and taxation problems*, 2003), stated for one lot: the
estate is the lot's member pot (or its units), the claims are the eligible members' capacities.
Lots are independent when nothing but capacities constrains the split, so each property holds on
every lot of a problem with no side-constraint and no pooled capacity.

=========================  =====  ===  ===  ======  ==  =====
property                   prop.  CEA  CEL  Talmud  WP  WCEA
=========================  =====  ===  ===  ======  ==  =====
equal treatment of equals  yes    yes  yes  yes     yes yes
anonymity                  yes    yes  yes  yes     yes yes
order preservation         yes    yes  yes  yes     yes yes
resource monotonicity      yes    yes  yes  yes     yes yes
claims monotonicity        yes    yes  yes  yes     yes yes
population monotonicity    yes    yes  yes  yes     yes yes
consistency                yes    yes  yes  yes     yes yes
self-duality               yes    —    —    yes     —   —
=========================  =====  ===  ===  ======  ==  =====

(CEA and CEL are each other's duals: :data:`DUAL_RULES`.)  For the weighted rules (WP: weights
capacity × factor; WCEA: weights the factor alone) *equals* have equal claims **and** equal
factors, and order preservation compares members with equal factors — the transformations here
copy a member with all its scores, so both hold.

**Rounding.**  Awards are the exact shares rounded by largest remainder, each less than one
*quantum* (a penny; a unit on unit-priced lots) from its exact share.  So a property comparing two
awards holds up to one quantum: equal treatment (``|xᵢ − xⱼ| ≤ 1``), order preservation,
the monotonicities, self-duality (``xᵢ + xᵢ* − cᵢ`` within one), and anonymity under a renaming
that changes the id order (ties are broken by member id); anonymity under a permutation, or a
renaming that keeps the id order, is exact.  Consistency re-solves the sub-group's *rounded*
total, which differs from its exact total by the sub-group's rounding error ε, so it holds up to
``1 + ⌈|ε|⌉`` quanta.  On a contract with several lots the top-slice is spread over the lots by
largest remainder, so enlarging one lot can move a penny of top-slice onto another: resource
monotonicity is checked on every lot whose estate did not shrink (a single-lot contract's estate
never shrinks when its value grows — that is checked too).

Examples
--------
>>> from allocate.examples import example_dict
>>> p = Problem.model_validate(example_dict())
>>> check_equal_treatment(p, "a")
True
>>> check_determinism(p)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from allocate.core import families
from allocate.core.model import Capacity, Contract, Lot, Problem, Rule
from allocate.core.outcome import Allocation, Status
from allocate.pipeline.solve import solve as allocate_solve
from allocate.testing.assertions import (
    AllocationAssertionError,
    _lot_claims,
    _pence,
    _units_of,
    allocation_failures,
    exact_shares,
    is_eligible,
    replay_json,
)

__all__ = [
    "DUAL_RULES",
    "RULE_PROPERTIES",
    "InvariantError",
    "Property",
    "Solver",
    "check_anonymity",
    "check_best_bid_wins",
    "check_bid_monotonicity",
    "check_claims_monotonicity",
    "check_consistency",
    "check_determinism",
    "check_duality",
    "check_equal_treatment",
    "check_json_round_trip",
    "check_lp_matches_closed_form",
    "check_order_preservation",
    "check_population_monotonicity",
    "check_resource_monotonicity",
    "check_top_slice",
    "copy_member",
    "dual_problem",
    "holds",
    "non_binding_policy",
    "permute_members",
    "remove_member",
    "rename_members",
    "sub_problem",
    "with_bid",
    "with_capacity",
    "with_lot_value",
]

#: Anything that turns a problem into an allocation (``allocate.solve`` or a wrapper of it).
Solver = Callable[..., Allocation]


class Property(StrEnum):
    """The classical properties of a claims rule."""

    EQUAL_TREATMENT = "equal_treatment"
    """Members with equal claims (and weights) receive equal awards."""
    ANONYMITY = "anonymity"
    """Reordering or renaming members reorders or renames the awards, and changes nothing else."""
    ORDER_PRESERVATION = "order_preservation"
    """A larger claim never gets a smaller award, nor a smaller loss."""
    RESOURCE_MONOTONICITY = "resource_monotonicity"
    """A larger estate never lowers an award."""
    CLAIMS_MONOTONICITY = "claims_monotonicity"
    """A larger claim never lowers the claimant's award."""
    POPULATION_MONOTONICITY = "population_monotonicity"
    """A claimant leaving never lowers the others' awards."""
    CONSISTENCY = "consistency"
    """A sub-group re-dividing its total among itself gets the same awards."""
    SELF_DUALITY = "self_duality"
    """Dividing the losses by the rule gives the same awards as dividing the estate."""


_COMMON = frozenset(p for p in Property if p is not Property.SELF_DUALITY)

#: Which properties each rule has (Thomson 2003; Young 1994).  Tests check exactly these.
RULE_PROPERTIES: Mapping[Rule, frozenset[Property]] = {
    Rule.PROPORTIONAL: _COMMON | {Property.SELF_DUALITY},
    Rule.CONSTRAINED_EQUAL_AWARDS: _COMMON,
    Rule.CONSTRAINED_EQUAL_LOSSES: _COMMON,
    Rule.TALMUD: _COMMON | {Property.SELF_DUALITY},
    Rule.WEIGHTED_PROPORTIONAL: _COMMON,
    Rule.WEIGHTED_CONSTRAINED_EQUAL_AWARDS: _COMMON,
}

#: The dual of each rule that has one: ``R*(E, c) = c − R(Σc − E, c)``.
DUAL_RULES: Mapping[Rule, Rule] = {
    Rule.PROPORTIONAL: Rule.PROPORTIONAL,
    Rule.TALMUD: Rule.TALMUD,
    Rule.CONSTRAINED_EQUAL_AWARDS: Rule.CONSTRAINED_EQUAL_LOSSES,
    Rule.CONSTRAINED_EQUAL_LOSSES: Rule.CONSTRAINED_EQUAL_AWARDS,
}


def holds(rule: Rule | str, prop: Property | str) -> bool:
    """Whether the literature says ``rule`` has ``prop``.

    >>> holds("talmud", "self_duality"), holds("constrained_equal_awards", "self_duality")
    (True, False)
    """
    return Property(prop) in RULE_PROPERTIES[Rule(rule)]


class InvariantError(AssertionError):
    """A fairness property failed; the message ends with every problem involved, as JSON.

    Attributes
    ----------
    property
        The property that failed (a :class:`Property` value, or ``determinism`` ...).
    problems
        The problems compared, by label (``original``, ``transformed`` ...).
    details
        One line per member/lot at fault.
    """

    def __init__(self, prop: str, details: Sequence[str], problems: Mapping[str, Problem]) -> None:
        self.property = prop
        self.details = tuple(details)
        self.problems = dict(problems)
        lines = "\n".join(f"  {d}" for d in self.details[:25])
        if len(self.details) > 25:
            lines += f"\n  ... and {len(self.details) - 25} more"
        replays = "\n".join(
            f"--- {label} problem (save as {label}.json; `allocate solve {label}.json`):\n"
            f"{replay_json(problem)}"
            for label, problem in self.problems.items()
        )
        super().__init__(f"{prop} fails:\n{lines}\n{replays}")


# -- transformations: pure functions from a problem to a validated problem ---------------------


def _data(problem: Problem) -> dict[str, Any]:
    return problem.model_dump(mode="json")


def permute_members(problem: Problem, order: Sequence[int]) -> Problem:
    """The problem with its members listed in another order (``order[k]``: old position).

    >>> from allocate.examples import example_dict
    >>> p = Problem.model_validate(example_dict())
    >>> permute_members(p, [0]) == p
    True
    """
    if sorted(order) != list(range(len(problem.members))):
        raise ValueError(f"order must be a permutation of 0..{len(problem.members) - 1}")
    data = _data(problem)
    data["members"] = [data["members"][k] for k in order]
    return Problem.model_validate(data)


def rename_members(problem: Problem, mapping: Mapping[str, str]) -> Problem:
    """The problem with member ids renamed (in members, capacities and exclusions).

    >>> from allocate.examples import example_dict
    >>> p = rename_members(Problem.model_validate(example_dict()), {"a": "z"})
    >>> [m.id for m in p.members], p.capacities[0].member
    (['z'], 'z')
    """
    data = _data(problem)

    def new(mid: str) -> str:
        return mapping.get(mid, mid)

    for m in data["members"]:
        m["id"] = new(m["id"])
    for c in data["capacities"]:
        c["member"] = new(c["member"])
    for ex in data["policy"]["exclusions"]:
        ex["member"] = new(ex["member"])
    for bid in data.get("bids", []):
        bid["member"] = new(bid["member"])
    return Problem.model_validate(data)


def _fresh_id(problem: Problem, base: str) -> str:
    taken = {m.id for m in problem.members}
    k = 1
    while f"{base}~{k}" in taken:
        k += 1
    return f"{base}~{k}"


def copy_member(
    problem: Problem,
    member_id: str,
    new_id: str | None = None,
    *,
    extra: Mapping[str, int] | None = None,
) -> Problem:
    """The problem with a copy of a member: same scores, income, themes, areas, capacities.

    Parameters
    ----------
    problem
        The problem.
    member_id
        The member to copy.
    new_id
        Id of the copy (``<member_id>~1`` when None: it sorts just after the original).
    extra
        More capacity for the copy, by lot id, in the lot's quantity (pence, or units); each
        lot named must be one the member declared a capacity on.

    >>> from allocate.examples import example_dict
    >>> p = copy_member(Problem.model_validate(example_dict()), "a", extra={"l1": 100})
    >>> [m.id for m in p.members], [str(c.amount) for c in p.capacities]
    (['a', 'a~1'], ['2000.00', '2001.00'])
    """
    original = problem.member_index[member_id]
    cid = new_id or _fresh_id(problem, member_id)
    data = _data(problem)
    member = original.model_dump(mode="json")
    member["id"] = cid
    data["members"].append(member)
    extra = dict(extra or {})
    for cap in problem.capacities:
        if cap.member == member_id:
            more = extra.pop(cap.lot, 0) if cap.lot is not None else 0
            data["capacities"].append(_copied_capacity(problem, cap, cid, more))
    if extra:
        raise ValueError(f"{member_id} declared no capacity on {sorted(extra)}")
    for ex in problem.policy.exclusions:
        if ex.member == member_id:
            data["policy"]["exclusions"].append({**ex.model_dump(mode="json"), "member": cid})
    return Problem.model_validate(data)


def _copied_capacity(problem: Problem, cap: Capacity, member_id: str, more: int) -> dict[str, Any]:
    """A capacity as JSON for another member, ``more`` larger in its lot's quantity."""
    copy = cap.model_dump(mode="json")
    copy["member"] = member_id
    if more:
        lot = problem.lot_index[cap.lot][1] if cap.lot is not None else None
        if cap.units is not None:
            copy["units"] = cap.units + more
        else:
            assert cap.amount is not None
            price = _pence(lot.unit_price) if lot is not None and lot.unit_price else 1
            copy["amount"] = _money(_pence(cap.amount) + more * price)
    return copy


def remove_member(problem: Problem, member_id: str) -> Problem:
    """The problem without a member (and its capacities and exclusions).

    >>> from allocate.examples import example_dict
    >>> p = copy_member(Problem.model_validate(example_dict()), "a")
    >>> [m.id for m in remove_member(p, "a").members]
    ['a~1']
    """
    data = _data(problem)
    data["members"] = [m for m in data["members"] if m["id"] != member_id]
    data["capacities"] = [c for c in data["capacities"] if c["member"] != member_id]
    data["policy"]["exclusions"] = [
        x for x in data["policy"]["exclusions"] if x["member"] != member_id
    ]
    return Problem.model_validate(data)


def _money(pence: int) -> str:
    return f"{pence // 100}.{pence % 100:02d}"


def with_capacity(problem: Problem, member_id: str, lot_id: str, quantity: int) -> Problem:
    """The problem with a member's capacity on a lot set to ``quantity`` (pence, or units).

    >>> from allocate.examples import example_dict
    >>> p = with_capacity(Problem.model_validate(example_dict()), "a", "l1", 150)
    >>> str(p.capacities[0].amount)
    '1.50'
    """
    lot = problem.lot_index[lot_id][1]
    data = _data(problem)
    data["capacities"] = [
        c for c in data["capacities"] if not (c["member"] == member_id and c["lot"] == lot_id)
    ]
    cap: dict[str, Any] = {"member": member_id, "lot": lot_id}
    if lot.unit_price is not None:
        cap["units"] = quantity
    else:
        cap["amount"] = _money(quantity)
    data["capacities"].append(cap)
    return Problem.model_validate(data)


def with_lot_value(problem: Problem, lot_id: str, value: Decimal) -> Problem:
    """The problem with a lot worth ``value`` (its contract's value follows).

    >>> from allocate.examples import example_dict
    >>> p = with_lot_value(Problem.model_validate(example_dict()), "l1", Decimal("1500"))
    >>> str(p.contracts[0].value)
    '1500.00'
    """
    data = _data(problem)
    for contract in data["contracts"]:
        for lot in contract["lots"]:
            if lot["id"] == lot_id:
                lot["value"] = _money(_pence(value))
                contract["value"] = _money(
                    sum(_pence(Decimal(x["value"])) for x in contract["lots"])
                )
                return Problem.model_validate(data)
    raise KeyError(lot_id)


def _quantity(lot: Lot, amount: Decimal, units: int | None) -> int:
    """An award in its lot's quantity: units on unit-priced lots, else pence."""
    return (units or 0) if lot.unit_price is not None else _pence(amount)


def _awards(problem: Problem, allocation: Allocation) -> dict[tuple[str, str], int]:
    lots = {lot.id: lot for lot in problem.lots}
    return {
        (a.member, a.lot): _quantity(lots[a.lot], a.amount, a.units)
        for a in allocation.awards
        if a.lot in lots
    }


def _estates(problem: Problem, allocation: Allocation) -> dict[str, int]:
    """Each lot's estate in its quantity: its units, or its member pot in pence."""
    ts: dict[str, Decimal] = {}
    for c in allocation.contracts:
        ts.update(c.lot_top_slices)
    return {
        lot.id: lot.units if lot.units is not None else _pence(lot.value - ts[lot.id])
        for lot in problem.lots
    }


def _unit(lot: Lot) -> str:
    return "unit(s)" if lot.unit_price is not None else "pence"


def _require_plain(problem: Problem, what: str) -> None:
    if problem.policy.side_constraints or any(c.lot is None for c in problem.capacities):
        raise ValueError(
            f"{what} is a property of the rule alone: use a problem without side-constraints "
            "or pooled capacities"
        )


def _both(solve: Solver, problem: Problem, other: Problem) -> tuple[Allocation, Allocation] | None:
    a, b = solve(problem), solve(other)
    if a.status is not Status.OPTIMAL or b.status is not Status.OPTIMAL:
        return None
    return a, b


def _default_solver(solve: Solver | None) -> Solver:
    return allocate_solve if solve is None else solve


# -- checkers -----------------------------------------------------------------------------------


def check_equal_treatment(problem: Problem, member_id: str, *, solve: Solver | None = None) -> bool:
    """Equal treatment of equals: a copy of a member receives what the member does, ± 1 quantum.

    The copy has the same scores (so the same weight), income, themes, areas and capacities;
    on every lot the two awards differ by at most one penny (one unit): equal exact shares
    rounded by largest remainder, the tie broken by member id.
    """
    solver = _default_solver(solve)
    twin = copy_member(problem, member_id)
    allocation = solver(twin)
    if allocation.status is not Status.OPTIMAL:
        return False
    copy_id = twin.members[-1].id
    got = _awards(twin, allocation)
    bad = []
    for lot in twin.lots:
        x, y = got.get((member_id, lot.id), 0), got.get((copy_id, lot.id), 0)
        if abs(x - y) > 1:
            bad.append(f"lot {lot.id}: {member_id} gets {x} {_unit(lot)}, its equal {y}")
    if bad:
        raise InvariantError(Property.EQUAL_TREATMENT, bad, {"with_copy": twin})
    return True


def check_anonymity(
    problem: Problem,
    order: Sequence[int],
    renaming: Mapping[str, str] | None = None,
    *,
    audit: bool = True,
    solve: Solver | None = None,
) -> bool:
    """Anonymity: reorder (and rename) the members; awards follow, nothing else changes.

    Compared: status, contract results (top-slices), every award and, with ``audit``, every row
    of the audit's pair table (explanations aside), every member summary and the fairness
    metrics (the largest member by its new name).  Exact when ``renaming`` is None or keeps the
    members' id order; when it changes the order, ties in the largest-remainder rounding fall
    differently, so each award may move by one quantum (lot totals stay exact) and the audit is
    not compared.
    """
    solver = _default_solver(solve)
    renaming = dict(renaming or {})
    other = permute_members(problem, order)
    if renaming:
        other = rename_members(other, renaming)
    a, b = solver(problem), solver(other)
    ids = [m.id for m in problem.members]
    keeps_order = sorted(ids, key=lambda i: renaming.get(i, i)) == sorted(ids)

    def new(mid: str) -> str:
        return renaming.get(mid, mid)

    bad: list[str] = []
    if a.status is not b.status:
        bad.append(f"status {a.status.value} became {b.status.value}")
    if a.contracts != b.contracts:
        bad.append("contract results (top-slices) changed")
    got_a = {(new(m), lot): q for (m, lot), q in _awards(problem, a).items()}
    got_b = _awards(other, b)
    tolerance = 0 if keeps_order else 1
    for key in sorted(set(got_a) | set(got_b), key=str):
        x, y = got_a.get(key, 0), got_b.get(key, 0)
        if abs(x - y) > tolerance:
            bad.append(f"{key[0]} on {key[1]}: {x} became {y}")
    if audit and keeps_order and not bad:
        bad += _audit_changes(problem, a, b, new)
    if bad:
        raise InvariantError(Property.ANONYMITY, bad, {"original": problem, "permuted": other})
    return True


def _audit_changes(
    problem: Problem, a: Allocation, b: Allocation, new: Callable[[str], str]
) -> list[str]:
    """How ``b``'s audit differs from ``a``'s with every member renamed by ``new``."""
    bad = []
    rows_a = _rows(a.audit.pairs.model_dump(), new)
    rows_b = _rows(b.audit.pairs.model_dump(), lambda m: m)
    for key in sorted(set(rows_a) | set(rows_b), key=str):
        if rows_a.get(key) != rows_b.get(key):
            bad.append(f"audit pair {key[0]}/{key[1]}: {rows_a.get(key)} became {rows_b.get(key)}")
    # a member without a name is shown by its id: its summary's name follows the renaming
    named = {m.id for m in problem.members if m.name}
    ms_a = {
        new(x.member): x.model_dump(exclude={"member"})
        | ({} if x.member in named else {"name": new(x.member)})
        for x in a.audit.members
    }
    ms_b = {x.member: x.model_dump(exclude={"member"}) for x in b.audit.members}
    for mid in sorted(set(ms_a) | set(ms_b), key=str):
        if ms_a.get(mid) != ms_b.get(mid):
            bad.append(f"member summary {mid}: {ms_a.get(mid)} became {ms_b.get(mid)}")
    largest = a.audit.metrics.largest_member
    ma = a.audit.metrics.model_copy(
        update={"largest_member": None if largest is None else new(largest)}
    )
    if ma != b.audit.metrics:
        bad.append(f"fairness metrics {ma} became {b.audit.metrics}")
    return bad


def _rows(
    table: dict[str, list[Any]], new: Callable[[str], str]
) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    columns = [c for c in table if c not in ("member", "lot", "explanation")]
    for k, (mid, lid) in enumerate(zip(table["member"], table["lot"], strict=True)):
        out[new(mid), lid] = {c: table[c][k] for c in columns}
    return out


def check_order_preservation(
    problem: Problem, member_id: str, extra: Mapping[str, int], *, solve: Solver | None = None
) -> bool:
    """Order preservation: a copy of a member with more capacity gets no less, nor loses less.

    The copy (equal in everything else, weights included) has ``extra`` more capacity on the
    named lots (pence, or units).  On every lot, in the same allocation, its award is at least
    the original's and its loss (claim − award) at least the original's, each up to one quantum.
    """
    solver = _default_solver(solve)
    bigger = copy_member(problem, member_id, extra=extra)
    allocation = solver(bigger)
    if allocation.status is not Status.OPTIMAL:
        return False
    copy_id = bigger.members[-1].id
    got = _awards(bigger, allocation)
    bad = []
    for contract in bigger.contracts:
        for lot in contract.lots:
            claims = _lot_claims(bigger, contract, lot)
            if member_id not in claims or copy_id not in claims:
                continue
            x, y = got.get((member_id, lot.id), 0), got.get((copy_id, lot.id), 0)
            if y < x - 1:
                bad.append(f"lot {lot.id}: larger claim {claims[copy_id]} gets {y}, smaller {x}")
            lx, ly = claims[member_id] - x, claims[copy_id] - y
            if ly < lx - 1:
                bad.append(f"lot {lot.id}: larger claim loses {ly} {_unit(lot)}, smaller {lx}")
    if bad:
        raise InvariantError(Property.ORDER_PRESERVATION, bad, {"with_larger_copy": bigger})
    return True


def check_resource_monotonicity(
    problem: Problem, lot_id: str, increase: int, *, solve: Solver | None = None
) -> bool:
    """Resource monotonicity: a lot (and its contract) worth more lowers no award.

    ``increase`` is in the lot's quantity (pence, or units at the unit price).  Every award on
    every lot whose estate did not shrink stays at least what it was, up to one quantum; when
    the lot is its contract's only lot, its estate must not shrink either.
    """
    if increase < 0:
        raise ValueError("increase must be non-negative")
    solver = _default_solver(solve)
    contract, lot = problem.lot_index[lot_id]
    step = _pence(lot.unit_price) if lot.unit_price is not None else 1
    bigger = with_lot_value(problem, lot_id, lot.value + Decimal(increase * step) / 100)
    pair = _both(solver, problem, bigger)
    if pair is None:
        return False
    a, b = pair
    before, after = _estates(problem, a), _estates(bigger, b)
    got_a, got_b = _awards(problem, a), _awards(bigger, b)
    bad = []
    if len(contract.lots) == 1 and after[lot_id] < before[lot_id]:
        bad.append(
            f"lot {lot_id}: a bigger contract left its members less ({before[lot_id]} → "
            f"{after[lot_id]} pence)"
        )
    for other in problem.lots:
        if after[other.id] < before[other.id]:
            continue
        for m in problem.members:
            x, y = got_a.get((m.id, other.id), 0), got_b.get((m.id, other.id), 0)
            if y < x - 1:
                bad.append(
                    f"{m.id} on {other.id}: estate {before[other.id]} → {after[other.id]}, "
                    f"award {x} → {y} {_unit(other)}"
                )
    if bad:
        raise InvariantError(
            Property.RESOURCE_MONOTONICITY, bad, {"original": problem, "bigger": bigger}
        )
    return True


def _claim(problem: Problem, member_id: str, lot: Lot) -> int:
    for cap in problem.capacities:
        if cap.member == member_id and cap.lot == lot.id:
            if lot.unit_price is not None:
                return _units_of(cap, lot)
            return _pence(cap.amount or Decimal(0))
    return 0


def check_claims_monotonicity(
    problem: Problem, member_id: str, lot_id: str, increase: int, *, solve: Solver | None = None
) -> bool:
    """Claims monotonicity: more capacity on a lot never lowers the member's award there.

    The member's capacity on the lot grows by ``increase`` (pence, or units); its award on the
    lot stays at least what it was, up to one quantum.
    """
    if increase < 0:
        raise ValueError("increase must be non-negative")
    solver = _default_solver(solve)
    lot = problem.lot_index[lot_id][1]
    bigger = with_capacity(problem, member_id, lot_id, _claim(problem, member_id, lot) + increase)
    pair = _both(solver, problem, bigger)
    if pair is None:
        return False
    x = _awards(problem, pair[0]).get((member_id, lot_id), 0)
    y = _awards(bigger, pair[1]).get((member_id, lot_id), 0)
    if y < x - 1:
        raise InvariantError(
            Property.CLAIMS_MONOTONICITY,
            [f"{member_id} on {lot_id}: capacity +{increase} {_unit(lot)}, award {x} → {y}"],
            {"original": problem, "larger_claim": bigger},
        )
    return True


def check_population_monotonicity(
    problem: Problem, member_id: str, *, solve: Solver | None = None
) -> bool:
    """Population monotonicity: when a member leaves, no other member's award falls.

    Every remaining member's award on every lot stays at least what it was, up to one quantum.
    Returns False when the problem without the member has no allocation.
    """
    if len(problem.members) < 2:
        return False
    solver = _default_solver(solve)
    fewer = remove_member(problem, member_id)
    pair = _both(solver, problem, fewer)
    if pair is None:
        return False
    got_a, got_b = _awards(problem, pair[0]), _awards(fewer, pair[1])
    bad = []
    for lot in problem.lots:
        for m in fewer.members:
            x, y = got_a.get((m.id, lot.id), 0), got_b.get((m.id, lot.id), 0)
            if y < x - 1:
                bad.append(f"{m.id} on {lot.id}: {x} → {y} {_unit(lot)} when {member_id} left")
    if bad:
        raise InvariantError(
            Property.POPULATION_MONOTONICITY, bad, {"original": problem, "without": fewer}
        )
    return True


def sub_problem(
    problem: Problem, allocation: Allocation, lot_id: str, member_ids: Iterable[str]
) -> Problem:
    """A sub-group re-dividing, alone, what it received on a lot.

    One contract with one lot like the original (theme, area, unit price) worth exactly the
    sub-group's awards (its units, on a unit-priced lot), no top-slice, the sub-group's members
    unchanged with their capacities on the lot, the same rule and weight factor.
    """
    _require_plain(problem, "consistency")
    contract, lot = problem.lot_index[lot_id]
    group = sorted(set(member_ids))
    got = _awards(problem, allocation)
    total = sum(got.get((m, lot_id), 0) for m in group)
    price = _pence(lot.unit_price) if lot.unit_price is not None else 1
    data = _data(problem)
    lot_data = next(x for c in data["contracts"] for x in c["lots"] if x["id"] == lot_id)
    lot_data["value"] = _money(total * price)
    data["contracts"] = [
        {
            "id": contract.id,
            "commissioner": contract.commissioner,
            "value": _money(total * price),
            "lots": [lot_data],
        }
    ]
    data["members"] = [m for m in data["members"] if m["id"] in group]
    data["capacities"] = [
        c for c in data["capacities"] if c["member"] in group and c["lot"] == lot_id
    ]
    data["top_slice"] = {"method": "fixed", "max_rate": "0", "target_rate": "0", "rate": "0"}
    data["policy"]["exclusions"] = []
    return Problem.model_validate(data)


def check_consistency(
    problem: Problem, lot_id: str, member_ids: Iterable[str], *, solve: Solver | None = None
) -> bool:
    """Consistency: a sub-group re-dividing its total on a lot among itself gets the same awards.

    The sub-group's awards on the lot are re-divided by :func:`sub_problem`; each member's
    award there matches its original award up to ``1 + ⌈|ε|⌉`` quanta, where ε is the sub-group's
    rounding error (its total award less its total exact share).  Returns False when the
    sub-group received nothing, or when a member named is not eligible for the lot.
    """
    _require_plain(problem, "consistency")
    solver = _default_solver(solve)
    group = sorted(set(member_ids))
    a = solver(problem)
    if a.status is not Status.OPTIMAL or not group:
        return False
    if not all(is_eligible(problem, m, lot_id) for m in group):
        return False
    got = _awards(problem, a)
    exact = exact_shares(problem, a)
    if any((m, lot_id) not in exact for m in group):
        return False
    if sum(got.get((m, lot_id), 0) for m in group) == 0:
        return False
    sub = sub_problem(problem, a, lot_id, group)
    b = solver(sub)
    lot = problem.lot_index[lot_id][1]
    epsilon = sum((got.get((m, lot_id), 0) - exact[m, lot_id] for m in group), Fraction(0))
    tolerance = 1 + math.ceil(abs(epsilon))
    bad = []
    if b.status is not Status.OPTIMAL:
        bad.append(f"the sub-group's re-division has status {b.status.value}")
    else:
        again = _awards(sub, b)
        for m in group:
            x, y = got.get((m, lot_id), 0), again.get((m, lot_id), 0)
            if abs(x - y) > tolerance:
                bad.append(
                    f"{m} on {lot_id}: {x} {_unit(lot)} with everyone, {y} within the sub-group "
                    f"(tolerance {tolerance}: its rounding error is {float(epsilon):.4f})"
                )
    if bad:
        raise InvariantError(Property.CONSISTENCY, bad, {"original": problem, "sub_group": sub})
    return True


def dual_problem(
    problem: Problem, allocation: Allocation, rule: Rule | str | None = None
) -> Problem:
    """The problem of dividing the losses: each lot's estate becomes ``Σ claims − estate``.

    No top-slice, so each lot is worth its new estate (its units × unit price on unit-priced
    lots); lots whose new estate is zero are left out (their dual awards are all zero), and so
    are contracts left with no lot.  ``rule`` defaults to the dual rule (:data:`DUAL_RULES`).
    """
    _require_plain(problem, "duality")
    chosen = Rule(rule) if rule is not None else DUAL_RULES.get(problem.policy.rule)
    if chosen is None:
        raise ValueError(f"the {problem.policy.rule.value} rule has no dual in this library")
    estates = _estates(problem, allocation)
    data = _data(problem)
    kept_lots: set[str] = set()
    contracts = []
    for contract, cdata in zip(problem.contracts, data["contracts"], strict=True):
        lots = []
        for lot, ldata in zip(contract.lots, cdata["lots"], strict=True):
            losses = sum(_lot_claims(problem, contract, lot).values()) - estates[lot.id]
            if losses <= 0:
                continue
            price = _pence(lot.unit_price) if lot.unit_price is not None else 1
            ldata["value"] = _money(losses * price)
            lots.append(ldata)
            kept_lots.add(lot.id)
        if lots:
            cdata["lots"] = lots
            cdata["value"] = _money(sum(_pence(Decimal(x["value"])) for x in lots))
            contracts.append(cdata)
    if not contracts:
        raise ValueError("every lot's claims equal its estate: the losses are all zero")
    kept_contracts = {c["id"] for c in contracts}
    data["contracts"] = contracts
    data["capacities"] = [c for c in data["capacities"] if c["lot"] in kept_lots]
    data["policy"]["rule"] = chosen.value
    data["policy"]["exclusions"] = [
        x
        for x in data["policy"]["exclusions"]
        if x.get("lot") in kept_lots or x.get("contract") in kept_contracts
    ]
    data["top_slice"] = {"method": "fixed", "max_rate": "0", "target_rate": "0", "rate": "0"}
    return Problem.model_validate(data)


def check_duality(
    problem: Problem, dual_rule: Rule | str | None = None, *, solve: Solver | None = None
) -> bool:
    """Duality: the rule on the estate equals claims less the dual rule on the losses.

    With ``dual_rule`` None, the dual from :data:`DUAL_RULES` — the rule itself for the
    self-dual proportional and Talmud rules.  For every eligible member and lot,
    ``award + dual award − claim`` is within one quantum of zero.  Returns False when no lot
    has losses to divide.
    """
    _require_plain(problem, "duality")
    solver = _default_solver(solve)
    a = solver(problem)
    if a.status is not Status.OPTIMAL:
        return False
    try:
        dual = dual_problem(problem, a, dual_rule)
    except ValueError as exc:
        if "losses are all zero" in str(exc):
            return False
        raise
    b = solver(dual)
    prop = "self_duality" if dual.policy.rule is problem.policy.rule else "duality"
    if b.status is not Status.OPTIMAL:
        raise InvariantError(
            prop,
            [f"the dual problem has status {b.status.value}"],
            {"original": problem, "dual": dual},
        )
    got_a, got_b = _awards(problem, a), _awards(dual, b)
    bad = []
    for contract in dual.contracts:
        for lot in contract.lots:
            original = problem.lot_index[lot.id][0]
            for m, claim in sorted(_lot_claims(problem, original, lot).items()):
                x, y = got_a.get((m, lot.id), 0), got_b.get((m, lot.id), 0)
                if abs(x + y - claim) > 1:
                    bad.append(
                        f"{m} on {lot.id}: award {x} + dual award {y} ≠ claim {claim} {_unit(lot)}"
                    )
    if bad:
        raise InvariantError(prop, bad, {"original": problem, "dual": dual})
    return True


def check_top_slice(problem: Problem, *, solve: Solver | None = None) -> bool:
    """The top-slice is within its bounds and equal to its method (any status).

    See :func:`allocate.testing.assert_top_slice`.
    """
    solver = _default_solver(solve)
    failures = allocation_failures(problem, solver(problem), checks=["top_slice"])
    if failures:
        raise AllocationAssertionError(failures, problem)
    return True


def check_determinism(problem: Problem, *, solve: Solver | None = None) -> bool:
    """Determinism: the same input, solved twice or read back from JSON, gives identical JSON."""
    solver = _default_solver(solve)
    first = solver(problem).model_dump_json()
    again = solver(problem).model_dump_json()
    copy = Problem.model_validate_json(problem.model_dump_json())
    from_json = solver(copy).model_dump_json()
    bad = []
    if again != first:
        bad.append("solving the same problem twice gave different JSON")
    if from_json != first:
        bad.append("solving the problem read back from its JSON gave different JSON")
    if bad:
        raise InvariantError("determinism", bad, {"problem": problem})
    return True


def check_json_round_trip(problem: Problem, *, solve: Solver | None = None) -> bool:
    """JSON round-trip: the problem and its allocation read back from JSON equal themselves.

    The problem's JSON reads back to an equal problem with the same JSON; the allocation's JSON
    reads back to an equal :class:`~allocate.Allocation` whose JSON is byte-identical.
    """
    solver = _default_solver(solve)
    bad = []
    text = problem.model_dump_json()
    back = Problem.model_validate_json(text)
    if back != problem or back.model_dump_json() != text:
        bad.append("the problem does not survive its JSON")
    indented = Problem.model_validate_json(replay_json(problem))
    if indented != problem:
        bad.append("the problem does not survive its indented (replay) JSON")
    allocation = solver(problem)
    out = allocation.model_dump_json()
    read = Allocation.model_validate_json(out)
    if read != allocation:
        bad.append("the allocation read back from its JSON differs")
    if read.model_dump_json() != out:
        bad.append("the allocation's JSON changes on a second round trip")
    if bad:
        raise InvariantError("json_round_trip", bad, {"problem": problem})
    return True


def non_binding_policy(problem: Problem, allocation: Allocation) -> Problem:
    """The problem with side-constraints switched on, each set so that it cannot bind.

    ``allocation`` is the problem's closed-form allocation.  Each sum bound keeps a margin of
    more than rounding can move any sum of awards (a penny, or a unit's worth, per pair, and
    more) from the rule's exact shares: a share cap above the largest share (left off when that
    would be 1 or more), a dependency limit above the largest ratio to income (left off beyond
    the allowed 100), a ring-fence below the smallest small-member share (left off at 0); then a
    case-mix tolerance of 1 (``|h − R·w| ≤ w`` always holds), as many providers per area as have
    awards already, and a minimum award no higher than the smallest positive share can round to
    (left off under a penny).  None of these binds, so the leximin optimum is still the rule's
    closed form and the LP must return it.  (Bounds met *exactly* are for a separate test: the
    margins here keep clear of them.)
    """
    _require_plain(problem, "non_binding_policy")
    sums = _ExactSums.of(problem, allocation)
    changes: dict[str, Any] = {}
    for family in families.policy_settings():
        value = _NON_BINDING[family.name](sums)
        if value is not None and family.setting is not None:
            changes[family.setting] = value
    return problem.evolve(policy=problem.policy.model_copy(update=changes))


@dataclass(frozen=True, slots=True)
class _ExactSums:
    """The rule's exact shares of a plain problem, in pence, summed as the side-constraints do."""

    problem: Problem
    allocation: Allocation
    lots: dict[str, tuple[Contract, Lot]]
    shares: dict[tuple[str, str], Fraction]
    """Each eligible pair's exact share, in its lot's quantity (pence, or units)."""
    lot_top_slices: dict[str, Decimal]
    slack: int
    """Pence the rounding may move any sum of awards: a penny (a unit's worth) a pair, and more."""
    per_member: dict[str, Fraction]
    per_contract: dict[tuple[str, str], Fraction]
    """By (member, contract)."""
    pots: dict[str, Fraction]
    """Each contract's member pot."""

    @classmethod
    def of(cls, problem: Problem, allocation: Allocation) -> _ExactSums:
        """The sums of the rule's exact shares of ``problem`` next to its ``allocation``."""
        lots = {lot.id: (c, lot) for c in problem.contracts for lot in c.lots}
        ts: dict[str, Decimal] = {}
        for c in allocation.contracts:
            ts.update(c.lot_top_slices)
        shares = exact_shares(problem, allocation)
        per_member: dict[str, Fraction] = {}
        per_contract: dict[tuple[str, str], Fraction] = {}
        for (mid, lid), share in shares.items():
            v = share * _unit_value(lots[lid][1], ts)
            per_member[mid] = per_member.get(mid, Fraction(0)) + v
            key = (mid, lots[lid][0].id)
            per_contract[key] = per_contract.get(key, Fraction(0)) + v
        return cls(
            problem=problem,
            allocation=allocation,
            lots=lots,
            shares=shares,
            lot_top_slices=ts,
            slack=1 + sum(math.ceil(_unit_value(lots[lid][1], ts)) + 2 for (_, lid) in shares),
            per_member=per_member,
            per_contract=per_contract,
            pots={c.id: Fraction(_pence(c.value - c.top_slice)) for c in allocation.contracts},
        )

    def unit_value(self, lot: Lot) -> Fraction:
        """Pence a unit of the lot's quantity is worth (1 on money lots)."""
        return _unit_value(lot, self.lot_top_slices)

    @property
    def everything(self) -> Fraction:
        """All the contracts' member pots."""
        return sum(self.pots.values(), Fraction(0))


def _unit_value(lot: Lot, lot_top_slices: Mapping[str, Decimal]) -> Fraction:
    if lot.units is None:
        return Fraction(1)
    return Fraction(_pence(lot.value - lot_top_slices[lot.id]), lot.units)


def _up(x: Fraction) -> Decimal:
    return Decimal(math.ceil(x * 100)) / 100


def _down(x: Fraction) -> Decimal:
    return Decimal(max(0, math.floor(x * 100))) / 100


def _loose_share_cap(x: _ExactSums) -> Decimal | None:
    """Above the largest share of a contract or the portfolio; none when that reaches 1."""
    caps = [(v + x.slack) / x.pots[c] for (_, c), v in x.per_contract.items() if x.pots[c] > 0]
    everything = x.everything
    caps += [(v + x.slack) / everything for v in x.per_member.values() if everything > 0]
    cap = _up(max(caps, default=Fraction(0)))
    return cap if cap < 1 else None


def _loose_dependency(x: _ExactSums) -> Decimal | None:
    """Above the largest ratio of awards to income; none beyond the allowed 100."""
    limits = []
    for mid, v in x.per_member.items():
        income = _pence(x.problem.member_index[mid].annual_income)
        if v > 0:
            limits.append((v + x.slack) / income if income > 0 else Fraction(1000))
    d = _up(max(limits, default=Fraction(1, 100)))
    return max(d, Decimal("0.01")) if d <= 100 else None


def _loose_reserves_share(x: _ExactSums) -> Decimal | None:
    """Above the largest ratio of awards (times the dearest cost ratio) to reserves.

    A member never needs more working capital than the whole cost of its awards, so a share of
    its reserves above that cannot bind.  None when a member lacks reserves (the condition needs
    them), a unit cost is declared (its ratio depends on the top-slice) or the share would pass 1.
    """
    caps = x.problem.capacities
    if any(c.unit_cost is not None for c in caps):
        return None
    kappa = max([Fraction(1), *(Fraction(c.cost_ratio) for c in caps if c.cost_ratio)])
    shares = []
    for mid, v in x.per_member.items():
        reserves = x.problem.member_index[mid].reserves
        if v > 0:
            if not reserves:
                return None
            shares.append(kappa * (v + x.slack) / _pence(reserves))
    share = _up(max(shares, default=Fraction(1, 100)))
    return max(share, Decimal("0.01")) if share <= 1 else None


def _loose_ring_fence(x: _ExactSums) -> Decimal | None:
    """Below the smallest share small members have of a contract; none at 0."""
    bands = set(x.problem.policy.small_org_bands)
    rings = []
    for contract in x.problem.contracts:
        if x.pots[contract.id] == 0:
            continue
        small = sum(
            (
                v
                for (m, cid), v in x.per_contract.items()
                if cid == contract.id and x.problem.member_index[m].size_band in bands
            ),
            Fraction(0),
        )
        rings.append((small - x.slack) / x.pots[contract.id])
    ring = _down(min(rings, default=Fraction(0)))
    return ring if ring > 0 else None


def _loose_case_mix(x: _ExactSums) -> Decimal:
    """A tolerance of 1: ``|h − R·w| ≤ w`` always holds."""
    return Decimal(1)


def _loose_providers(x: _ExactSums) -> int | None:
    """As many providers per area as the area with the fewest has already; none at 0."""
    providers: dict[str, set[str]] = {lot.area: set() for lot in x.problem.lots}
    for (mid, lid), q in _awards(x.problem, x.allocation).items():
        if q > 0:
            providers[x.lots[lid][1].area].add(mid)
    fewest = min(len(p) for p in providers.values())
    return fewest if fewest >= 1 else None


def _loose_min_award(x: _ExactSums) -> Decimal | None:
    """No higher than the smallest positive share can round to; none under a penny."""
    smallest: list[Fraction] = []
    for (_, lid), share in x.shares.items():
        if share > 0:
            lot = x.lots[lid][1]
            # the rounding may take a share down to its floor; money follows units to a penny
            whole = math.floor(share) * x.unit_value(lot)
            smallest.append(whole - 1 if lot.units is not None else whole)
    least = math.floor(min(smallest, default=Fraction(0)))
    return Decimal(least) / 100 if least >= 1 else None


#: For each family a single policy value switches on, a value that cannot bind (None: none can).
_NON_BINDING: Mapping[str, Callable[[_ExactSums], Decimal | int | None]] = {
    families.MIN_AWARD.name: _loose_min_award,
    families.MAX_MEMBER_SHARE.name: _loose_share_cap,
    families.MAX_DEPENDENCY.name: _loose_dependency,
    families.SMALL_ORG_SHARE.name: _loose_ring_fence,
    families.CASE_MIX.name: _loose_case_mix,
    families.MIN_PROVIDERS_PER_AREA.name: _loose_providers,
    families.CASH_FLOW.name: _loose_reserves_share,
}


def check_lp_matches_closed_form(
    problem: Problem, *, non_binding: bool = False, solve: Solver | None = None
) -> bool:
    """The leximin LP gives the closed form's awards exactly when no side-constraint binds.

    ``method="lp"`` on the problem (no side-constraint, no pooled capacity) must equal
    ``method="closed_form"``, award for award and top-slice for top-slice.  With
    ``non_binding=True`` the LP solves :func:`non_binding_policy` instead: every side-constraint
    on, none binding — the answer must still be the closed form's.
    """
    _require_plain(problem, "lp_matches_closed_form")
    solver = _default_solver(solve)
    closed = solver(problem, method="closed_form")
    if closed.status is not Status.OPTIMAL:
        return False
    other = non_binding_policy(problem, closed) if non_binding else problem
    lp = solver(other, method="lp")
    bad = []
    if lp.status is not Status.OPTIMAL:
        bad.append(f"the LP has status {lp.status.value}")
    else:
        if [c.top_slice for c in lp.contracts] != [c.top_slice for c in closed.contracts]:
            bad.append("top-slices differ")
        x, y = _awards(problem, closed), _awards(other, lp)
        for key in sorted(set(x) | set(y)):
            if x.get(key, 0) != y.get(key, 0):
                bad.append(f"{key[0]} on {key[1]}: closed form {x.get(key, 0)}, LP {y.get(key, 0)}")
    if bad:
        label = "lp_problem" if non_binding else "problem"
        problems = {"problem": problem} | ({label: other} if non_binding else {})
        raise InvariantError("lp_matches_closed_form", bad, problems)
    return True


# -- sub-tendering ------------------------------------------------------------------------------


def with_bid(problem: Problem, member_id: str, lot_id: str, **changes: Any) -> Problem:
    """The problem with one bid changed (``quality=0.9``, ``price="900"`` ...).

    >>> from allocate.examples import tender_demo_dict
    >>> p = with_bid(Problem.model_validate(tender_demo_dict()), "luton-youth",
    ...              "debt-advice-luton", quality=1.0)
    >>> next(b.quality for b in p.bids if b.member == "luton-youth")
    1.0
    """
    data = _data(problem)
    for bid in data["bids"]:
        if bid["member"] == member_id and bid["lot"] == lot_id:
            bid.update(changes)
            return Problem.model_validate(data)
    raise ValueError(f"no bid by {member_id!r} for lot {lot_id!r}")


def _single_winner_lots(problem: Problem) -> list[Lot]:
    tender = problem.policy.tender
    if (
        problem.policy.side_constraints
        or any(c.lot is None for c in problem.capacities)
        or tender.max_winners != 1
        or tender.split.value != "rank_order"
        or tender.competition.value != "fixed_price"
    ):
        return []
    return [lot for lot in problem.lots if lot.id in problem.tendered]


def check_best_bid_wins(problem: Problem, *, solve: Solver | None = None) -> bool:
    """The best qualifying bid wins a single-winner lot (absent side-constraints).

    For a ``fixed_price`` competition with one winner (``rank_order``: winners added for capacity
    fill in rank order) and no side-constraint or pool, the total
    Σ weight × score of every eligible bid of at least the minimum quality is computed here from
    the input (capacity scored min(1, claim ÷ lot)); the best (ties: quality, then capacity,
    then id) must receive min(its claim, the lot), and the next-ranked bids only what it cannot
    take.  ``False`` when the property says nothing (no such lot, or no allocation).
    """
    lots = _single_winner_lots(problem)
    if not lots:
        return False
    a = _default_solver(solve)(problem)
    if not a.status.is_ok:
        return False
    w = problem.policy.tender.weights
    got = _awards(problem, a)
    estates = _estates(problem, a)
    bad = []
    for lot in lots:
        claims = _lot_claims(problem, problem.lot_index[lot.id][0], lot)
        bids = {b.member: b for b in problem.bids if b.lot == lot.id and b.member in claims}
        estate = estates[lot.id]

        totals = {
            m: Fraction(w.quality) * Fraction(repr(b.quality))
            + Fraction(w.social_value) * Fraction(repr(b.social_value or 0.0))
            + Fraction(w.impact) * Fraction(repr(b.impact or 0.0))
            + Fraction(w.capacity)
            * (min(Fraction(1), Fraction(claims[m], estate)) if estate else Fraction(1))
            for m, b in bids.items()
        }
        ranked = sorted(
            (m for m in bids if bids[m].quality >= problem.policy.tender.min_quality),
            key=lambda m: (-totals[m], -bids[m].quality, -claims[m], m),
        )
        left = estate
        for m in ranked:
            want = min(claims[m], left)
            if abs(got.get((m, lot.id), 0) - want) > 1:
                bad.append(f"{m} on {lot.id}: {got.get((m, lot.id), 0)}, its rank gives {want}")
            left -= want
    if bad:
        raise InvariantError("best_bid_wins", bad, {"problem": problem})
    return True


def check_bid_monotonicity(
    problem: Problem,
    member_id: str,
    lot_id: str,
    delta: float = 0.1,
    *,
    solve: Solver | None = None,
) -> bool:
    """Raising one bidder's quality never lowers its award on the lot.

    The bid's ``quality`` is raised by ``delta`` (at most 1).  ``False`` when the property
    says nothing: side-constraints or pools (which may hold it back either way), savings passed
    to other winners (a better rank can mean paying the bidder's own price instead of receiving
    a saving), or either problem without an allocation.  One quantum of rounding is allowed.
    """
    if (
        problem.policy.side_constraints
        or any(c.lot is None for c in problem.capacities)
        or problem.policy.tender.saving.value != "more_units"
    ):
        return False
    bid = next((b for b in problem.bids if b.member == member_id and b.lot == lot_id), None)
    if bid is None:
        raise ValueError(f"no bid by {member_id!r} for lot {lot_id!r}")
    raised = with_bid(problem, member_id, lot_id, quality=min(1.0, bid.quality + delta))
    both = _both(_default_solver(solve), problem, raised)
    if both is None:
        return False
    before = _awards(problem, both[0]).get((member_id, lot_id), 0)
    after = _awards(raised, both[1]).get((member_id, lot_id), 0)
    if after < before - 1:
        raise InvariantError(
            "bid_monotonicity",
            [f"{member_id} on {lot_id}: {before} became {after} with quality raised"],
            {"original": problem, "raised": raised},
        )
    return True
