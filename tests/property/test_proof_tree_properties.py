"""Proof trees on random one-lot problems, against an exact count of whole allocations.

Each draw is one lot (in pence, or in units at a unit price) shared by two to four members with
capacities, a share cap and a minimum award, all small enough for the oracle written here: the
totals reachable in whole pence (units) when each member takes 0 or anything from its floor to
its bound, by dynamic programming over the lot's estate in exact integers.  ``solve`` says
infeasible exactly when the oracle finds no whole allocation (whatever sub-contracts are made),
and the certificate verifies; when it finds an allocation, the allocation keeps every condition,
adds up to the value to the penny, and carries no proof tree.  A second test draws two lots of
one contract, whose share cap binds across them, against an enumeration of whole allocations.
A tree with a case removed, a split that skips awards or a leaf's multipliers dropped is
refused.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from hypothesis import assume, event, given
from hypothesis import strategies as st

from allocate import Allocation, Problem, Status, check_certificate, solve, verify
from allocate.core.certificate import Branch
from allocate.testing import examples
from tests.conftest import simple_problem

NO_TOP_SLICE = {"max_rate": "0", "target_rate": "0", "method": "fixed", "rate": "0"}


@st.composite
def lots(draw: st.DrawFn) -> dict[str, Any]:
    """A one-lot problem's numbers: estate, price per unit (None: pence), caps, share, minimum."""
    unit_price = draw(st.one_of(st.none(), st.integers(1, 40)))  # pounds per unit
    estate = draw(st.integers(1, 12) if unit_price else st.integers(20, 600))
    caps = draw(st.lists(st.integers(0, estate), min_size=2, max_size=4))
    share = draw(st.one_of(st.none(), st.integers(4, 19).map(lambda k: Fraction(k, 20))))
    least = draw(st.one_of(st.none(), st.integers(1, 400)))  # pence
    return {
        "unit_price": unit_price,
        "estate": estate,
        "caps": caps,
        "share": share,
        "least": least,
    }


def _problem(d: dict[str, Any]) -> Problem:
    names = [f"m{n}" for n in range(len(d["caps"]))]
    if d["unit_price"] is None:
        value = Fraction(d["estate"], 100)
        data = simple_problem({m: f"{c / 100:.2f}" for m, c in zip(names, d["caps"], strict=True)})
    else:
        value = Fraction(d["estate"] * d["unit_price"])
        data = simple_problem(dict.fromkeys(names, "0"))
        data["contracts"][0]["lots"][0].update(unit_price=str(d["unit_price"]), unit="session")
        data["capacities"] = [
            {"member": m, "lot": "l1", "units": c}
            for m, c in zip(names, d["caps"], strict=True)
            if c > 0
        ]
        data["capacities"] = data["capacities"] or [{"member": names[0], "lot": "l1", "units": 0}]
    text = f"{float(value):.2f}"
    data["contracts"][0]["value"] = text
    data["contracts"][0]["lots"][0]["value"] = text
    data["top_slice"] = NO_TOP_SLICE
    policy: dict[str, Any] = {}
    if d["share"] is not None:
        policy["max_member_share"] = f"{float(d['share']):.2f}"
    if d["least"] is not None:
        policy["min_award"] = f"{d['least'] / 100:.2f}"
    data["policy"] = policy
    return Problem.model_validate(data)


def _whole_allocation_exists(d: dict[str, Any]) -> bool:
    """Oracle: awards in whole pence (units), each 0 or in [floor, bound], adding up to the estate.

    A unit carries ``pot / units`` pence; a share cap bounds each award at ``⌊share × pot⌋``
    pence, and a minimum award is, on a unit-priced lot, the least whole units worth it.
    """
    estate = d["estate"]
    pot = estate * 100 * d["unit_price"] if d["unit_price"] else estate
    unit = Fraction(pot, estate) if d["unit_price"] else Fraction(1)
    cap_pence = math.floor(d["share"] * pot) if d["share"] is not None else None
    least = 1
    if d["least"] is not None:
        least = max(1, math.ceil(d["least"] / unit))
    reach = [True] + [False] * estate
    for cap in d["caps"]:
        bound = cap if cap_pence is None else min(cap, math.floor(cap_pence / unit))
        prefix = [0]
        for r in reach:
            prefix.append(prefix[-1] + r)
        new = list(reach)
        for total in range(estate + 1):
            lo, hi = (
                total - bound,
                total - least,
            )  # previous totals a take in [least, bound] reaches
            if hi >= 0 and bound >= least and prefix[hi + 1] - prefix[max(lo, 0)] > 0:
                new[total] = True
        reach = new
    return reach[estate]


def _tampered(problem: Problem, allocation: Allocation) -> None:
    """Every tampering of the tree is refused."""
    cert = allocation.certificate
    assert cert is not None and cert.proof is not None
    nodes = list(cert.proof)
    splits = [n for n, node in enumerate(nodes) if node.branch is not None]
    leaves = [n for n, node in enumerate(nodes) if node.farkas is not None]
    changed = []
    if splits:
        one = [*nodes]
        one[splits[0]] = nodes[splits[0]].model_copy(
            update={"children": nodes[splits[0]].children[1:]}
        )
        changed.append(one)
    for n in splits:
        branch = nodes[n].branch
        assert branch is not None
        if branch.kind == "subcontract":
            wider = Branch.model_validate({**branch.model_dump(), "at": str(int(branch.at) + 1)})
            skip = [*nodes]
            skip[n] = nodes[n].model_copy(update={"branch": wider})
            changed.append(skip)
            break
    if leaves:
        farkas = nodes[leaves[0]].farkas
        assert farkas is not None
        dropped = [*nodes]
        dropped[leaves[0]] = nodes[leaves[0]].model_copy(
            update={"farkas": farkas.model_copy(update={"multipliers": {}})}
        )
        changed.append(dropped)
    for proof in changed:
        bad = allocation.model_copy(
            update={"certificate": cert.model_copy(update={"proof": proof})}
        )
        assert not check_certificate(problem, bad).ok


@examples(1.0)
@given(lots())
def test_infeasible_is_proved_and_feasible_gets_no_tree(d):
    problem = _problem(d)
    allocation = solve(problem, price_constraints=False)
    assume(allocation.status in (Status.OPTIMAL, Status.INFEASIBLE))
    exists = _whole_allocation_exists(d)
    cert = allocation.certificate
    if allocation.status is Status.OPTIMAL:
        assert exists
        assert cert is not None and cert.proof is None and cert.kind != "infeasible"
        _whole_and_kept(problem, allocation)
        return
    assert not exists  # infeasible only when no whole allocation exists, for any choice
    assert cert is not None and cert.kind == "infeasible"
    event("proof tree" if cert.proof is not None else "one combination")
    assert not cert.choice.made and not cert.choice.closed  # for every sub-contract choice
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
    if cert.proof is not None:
        _tampered(problem, allocation)


def _whole_and_kept(problem: Problem, allocation: Allocation) -> None:
    """Every condition verified again, and awards plus top-slice the value to the penny."""
    checks = verify(problem, allocation)
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
    results = {c.id: c for c in allocation.contracts}
    for contract in problem.contracts:
        awarded = sum(a.amount for a in allocation.awards if a.contract == contract.id)
        assert awarded + results[contract.id].top_slice == contract.value
    event("whole choice: " + _path(allocation))


def _path(allocation: Allocation) -> str:
    """Which step found the whole allocation (from the stages timed)."""
    timed = allocation.timings
    if "whole_choice" not in timed:
        return "rule's choice"
    return "witness of the tree" if "proof_tree" in timed else "choice MILP"


@st.composite
def two_lots(draw: st.DrawFn) -> dict[str, Any]:
    """Two lots of one contract (each in pence or in units), two or three members, one minimum.

    Small enough to enumerate every whole allocation of the first lot.
    """
    n = draw(st.integers(2, 3))
    lots_ = []
    for _ in range(2):
        unit_price = draw(st.one_of(st.none(), st.integers(1, 5)))  # pounds per unit
        estate = draw(st.integers(1, 6) if unit_price else st.integers(3, 40))
        caps = draw(st.lists(st.integers(estate // 3, estate), min_size=n, max_size=n))
        lots_.append({"unit_price": unit_price, "estate": estate, "caps": caps})
    share = draw(st.one_of(st.none(), st.integers(10, 19).map(lambda k: Fraction(k, 20))))
    # pence: a minimum that binds on the lots in pence, or on those in units
    least = draw(st.one_of(st.none(), st.integers(1, 30), st.integers(100, 600)))
    return {"lots": lots_, "share": share, "least": least, "n": n}


def _pot(lot: dict[str, Any]) -> int:
    """The lot's value in pence."""
    return lot["estate"] * 100 * lot["unit_price"] if lot["unit_price"] else lot["estate"]


def _two_lot_problem(d: dict[str, Any]) -> Problem:
    names = [f"m{n}" for n in range(d["n"])]
    lots_, capacities = [], []
    for j, lot in enumerate(d["lots"]):
        entry: dict[str, Any] = {
            "id": f"l{j + 1}",
            "value": f"{_pot(lot) / 100:.2f}",
            "theme": "advice",
            "area": "Luton",
        }
        if lot["unit_price"]:
            entry.update(unit_price=str(lot["unit_price"]), unit="session")
        lots_.append(entry)
        for m, c in zip(names, lot["caps"], strict=True):
            if lot["unit_price"]:
                capacities.append({"member": m, "lot": entry["id"], "units": c})
            else:
                capacities.append({"member": m, "lot": entry["id"], "amount": f"{c / 100:.2f}"})
    total = sum(_pot(lot) for lot in d["lots"])
    data = simple_problem(dict.fromkeys(names, "0"))
    data["contracts"][0].update(value=f"{total / 100:.2f}", lots=lots_)
    data["capacities"] = capacities
    data["top_slice"] = NO_TOP_SLICE
    policy: dict[str, Any] = {}
    if d["share"] is not None:
        policy["max_member_share"] = f"{float(d['share']):.2f}"
    if d["least"] is not None:
        policy["min_award"] = f"{d['least'] / 100:.2f}"
    data["policy"] = policy
    return Problem.model_validate(data)


def _two_lot_whole_allocation_exists(d: dict[str, Any]) -> bool:
    """Oracle: whole awards on both lots, each 0 or at least the minimum, within capacity,
    each member's money over the contract within its share cap.

    Every whole allocation of the first lot is enumerated; for each, whether the second lot's
    estate is reachable within what each member has left, by dynamic programming.
    """
    n = d["n"]
    total = sum(_pot(lot) for lot in d["lots"])
    cap_pence = math.floor(d["share"] * total) if d["share"] is not None else total
    first, second = d["lots"]

    def unit(lot: dict[str, Any]) -> int:
        return 100 * lot["unit_price"] if lot["unit_price"] else 1

    def least(lot: dict[str, Any]) -> int:
        return 1 if d["least"] is None else max(1, math.ceil(d["least"] / unit(lot)))

    def takes(lot: dict[str, Any], i: int, money_left: int) -> range:
        return range(least(lot), min(lot["caps"][i], money_left // unit(lot)) + 1)

    def reachable(lot: dict[str, Any], left: list[int]) -> bool:
        reach = {0}
        for i in range(n):
            reach |= {r + x for r in reach for x in takes(lot, i, left[i])}
            reach = {r for r in reach if r <= lot["estate"]}
        return lot["estate"] in reach

    def allocations(i: int, remaining: int) -> Any:
        if i == n:
            if remaining == 0:
                yield []
            return
        for x in [0, *takes(first, i, cap_pence)]:
            if x <= remaining:
                for rest in allocations(i + 1, remaining - x):
                    yield [x, *rest]

    return any(
        reachable(second, [cap_pence - x * unit(first) for x in xs])
        for xs in allocations(0, first["estate"])
    )


@examples(1.0)
@given(two_lots())
def test_two_lots_infeasible_exactly_when_no_whole_allocation(d):
    problem = _two_lot_problem(d)
    allocation = solve(problem, price_constraints=False)
    assume(allocation.status in (Status.OPTIMAL, Status.INFEASIBLE))
    exists = _two_lot_whole_allocation_exists(d)
    if allocation.status is Status.OPTIMAL:
        assert exists
        _whole_and_kept(problem, allocation)
        return
    assert not exists
    cert = allocation.certificate
    assert cert is not None and cert.kind == "infeasible"
    event("infeasible: proof tree" if cert.proof is not None else "infeasible: one combination")
    assert not cert.choice.made and not cert.choice.closed
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
