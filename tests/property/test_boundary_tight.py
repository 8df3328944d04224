"""Boundary-tight problems: an allocation exists, but only with equality somewhere.

Each problem (``tests/support/boundary.py``) is built around a witness allocation that meets
some conditions exactly — share caps adding up to the pot, dependency limits, a ring-fence,
pooled capacities, a minimum award of exactly one unit, a £10m lot split at exactly 50% — so it
is **feasible by construction**, and the independent oracle (``tests/support/oracle.py``, its own
MILP in whole pence, re-checked in fractions) must find a whole-penny allocation too.  On such a
problem ``solve`` must answer ``optimal``, keep every condition exactly (the kit's assertions and
the oracle's exact re-check), pay awards + top-slice = every lot's and contract's value to the
penny, and leave nobody more than a penny (a unit) below the oracle's max-min level t* times its
fair share (beyond the solvers' tolerance, 2e-9 of the lot: see ``oracle.gaps``).

Each twin (``short``) takes one penny (or the least step of the policy value) from the witness: no
whole-penny allocation exists, the oracle agrees, and ``solve`` must answer ``infeasible``.

Fixed regression cases from issue 10 close the file.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocate import Allocation, Problem, Status, solve
from allocate.testing import assert_valid_allocation, examples
from tests.support import oracle
from tests.support.boundary import KINDS
from tests.support.strategies import boundary_cases


def _status(allocation: Allocation) -> str:
    why = allocation.diagnosis.summary if allocation.diagnosis else ""
    return f"{allocation.status.value}: {why}"


def assert_exact(data: dict[str, Any], problem: Problem, allocation: Allocation) -> None:
    """Every condition kept exactly, and nobody below t* by more than rounding."""
    m = oracle.model(data)
    assert allocation.status is Status.OPTIMAL, _status(allocation)
    assert_valid_allocation(problem, allocation, require_ok=True)
    awards = oracle.awards_from(allocation.awards)
    # every condition, re-checked exactly by the oracle (caps, budgets, share caps, dependency,
    # ring-fence, pools, minimum award, whole units)
    assert oracle.violations(m, awards) == []
    # the top-slices are the documented method's, and awards + top-slice = value to the penny
    reported = {
        lot: oracle.pence(amount)
        for c in allocation.contracts
        for lot, amount in c.lot_top_slices.items()
    }
    assert reported == {lot.id: lot.top_slice for lot in m.lots}
    for c in allocation.contracts:
        paid = sum(oracle.pence(a.amount) for a in allocation.awards if a.contract == c.id)
        assert paid + oracle.pence(c.top_slice) == m.contracts[c.id], c.id
    # the worst-off ratio is measured against the rule's fair shares: the audit's are the oracle's
    table = allocation.audit.pairs
    audit_fair = {
        (mid, lid): Fraction(f)
        for mid, lid, f, ok in zip(
            table.member, table.lot, table.fair_share, table.eligible, strict=True
        )
        if ok
    }
    for p in m.pairs:
        mine = p.fair * p.lot.unit_value / 100
        assert abs(audit_fair[p.member, p.lot.id] - mine) <= Fraction(1, 10**6), (
            p.member,
            p.lot.id,
        )
    level = oracle.max_min_level(m)
    assert level is not None, "the oracle's relaxation is empty, yet an allocation exists"
    # the allocation is a point of the relaxation: its worst ratio cannot beat t*
    worst = oracle.worst_ratio(m, awards)
    assert worst is None or worst <= level + 1e-9, (float(worst), level)
    # and leximin rounded to whole pence (units) leaves nobody more than one below t* × fair share
    below = {pair: gap for pair, gap in oracle.gaps(m, awards, level).items() if gap > 1}
    assert not below, f"t* = {level}: awards more than a quantum below t* × fair share: {below}"


def assert_exact_diagnosis(m: oracle.Model, allocation: Allocation) -> None:
    """Each relaxation the diagnosis reports is the least whole-penny one the oracle finds.

    For the conditions the oracle models (share caps, dependency, ring-fence, pools, and
    ``budget``: money left unplaced): possible exactly when relaxing that condition alone lets a
    whole-penny allocation exist, and then by exactly the least amount in whole pence.
    """
    assert allocation.diagnosis is not None
    for r in allocation.diagnosis.relaxations:
        if r.condition not in oracle.FAMILIES:
            continue
        least = oracle.least_relaxation(m, r.condition)
        assert r.possible is (least is not None), (r.condition, r.possible, least)
        if least is not None:
            assert r.amount is not None, r.condition
            assert oracle.pence(r.amount) == least, (r.condition, str(r.amount), least)


@pytest.mark.parametrize("kind", sorted(KINDS))
@examples(0.25)
@given(data=st.data())
def test_boundary_tight_problem_is_solved_exactly(kind, data):
    case = data.draw(boundary_cases(kind, short=False))
    # feasible by construction (case.why); the oracle must agree, or the generator is wrong
    assert oracle.find_allocation(oracle.model(case.data)) is not None, case.why
    problem = Problem.model_validate(case.data)
    assert_exact(case.data, problem, solve(problem))


@pytest.mark.parametrize("kind", sorted(KINDS))
@examples(0.25)
@given(data=st.data())
def test_just_infeasible_twin_is_infeasible(kind, data):
    case = data.draw(boundary_cases(kind, short=True))
    # a penny short by construction (case.why): the oracle finds no whole-penny allocation
    assert oracle.find_allocation(oracle.model(case.data)) is None, case.why
    problem = Problem.model_validate(case.data)
    allocation = solve(problem)
    assert allocation.status is Status.INFEASIBLE, _status(allocation)
    assert_valid_allocation(problem, allocation)
    # one penny (or one unit's price) short: the diagnosis says so, exactly
    assert_exact_diagnosis(oracle.model(case.data), allocation)


# -- issue 10: the cases as reported -----------------------------------------------------------


def _member(mid: str) -> dict[str, Any]:
    return {
        "id": mid,
        "annual_income": "50000.00",
        "quality_score": 0.8,
        "qa_passed": True,
        "reporting_compliance": 0.9,
        "themes": ["advice"],
        "areas": ["Luton"],
    }


def _share_capped(
    capacities: list[str], pot: str = "370000.00", share: str = "0.2"
) -> dict[str, Any]:
    """Five eligible members, one lot, no top-slice: the member pot is the lot's value."""
    ids = [f"m{i}" for i in range(len(capacities))]
    return {
        "members": [_member(mid) for mid in ids],
        "contracts": [
            {
                "id": "c",
                "value": pot,
                "lots": [{"id": "l", "value": pot, "theme": "advice", "area": "Luton"}],
            }
        ],
        "capacities": [
            {"member": mid, "lot": "l", "amount": c} for mid, c in zip(ids, capacities, strict=True)
        ],
        "top_slice": {"max_rate": "0", "target_rate": "0"},
        "policy": {"max_member_share": share},
    }


def _ten_clients(counts: list[int]) -> dict[str, Any]:
    """Ten clients at £100 each, capacities in clients, a minimum award of one client's price."""
    ids = [f"m{i}" for i in range(len(counts))]
    lot = {
        "id": "l",
        "value": "1000.00",
        "theme": "advice",
        "area": "Luton",
        "unit": "client",
        "unit_price": "100.00",
    }
    return {
        "members": [_member(mid) for mid in ids],
        "contracts": [{"id": "c", "value": "1000.00", "lots": [lot]}],
        "capacities": [
            {"member": mid, "lot": "l", "units": n} for mid, n in zip(ids, counts, strict=True)
        ],
        "top_slice": {"max_rate": "0", "target_rate": "0"},
        "policy": {"min_award": "100.00"},
    }


ISSUE_10: dict[str, dict[str, Any]] = {
    # £74,000 each satisfies every rule: 5 × 0.2 × £370,000 is the whole pot
    "five_members_at_a_fifth_of_370000": _share_capped(["100000.00"] * 5),
    # the share caps and the last capacity: 4 × £74,000 + £70,000 = £366,000 < £370,000
    "four_capped_and_one_at_70000": _share_capped(["100000.00"] * 4 + ["70000.00"]),
    # the issue's diagnosis said £44,000.08: 4 × £74,000 + £30,000 is short by whole pounds
    "four_capped_and_one_at_30000": _share_capped(["100000.00"] * 4 + ["30000.00"]),
    # every sub-contract at exactly the minimum award or more: m0 has one client, £100
    "ten_clients_at_100_min_award_100": _ten_clients([1, 2, 3, 4]),
}


@pytest.mark.parametrize("name", sorted(ISSUE_10))
def test_issue_10_case(name):
    data = ISSUE_10[name]
    m = oracle.model(data)
    witness = oracle.find_allocation(m)
    problem = Problem.model_validate(data)
    allocation = solve(problem)
    if witness is not None:
        assert_exact(data, problem, allocation)
        return
    assert allocation.status is Status.INFEASIBLE, _status(allocation)
    assert_valid_allocation(problem, allocation)
    assert allocation.diagnosis is not None
    relaxations = {r.condition: r for r in allocation.diagnosis.relaxations}
    assert "max_member_share" in relaxations, allocation.diagnosis.summary
    # the least relaxation of each condition alone, in whole pence: exact, not £x.08
    assert_exact_diagnosis(m, allocation)
    # the least share cap that works in the precision it is stated in: the oracle accepts it,
    # and not a step less in its last decimal place
    required = relaxations["max_member_share"].required
    assert required is not None
    step = Decimal(1).scaleb(Decimal(required).as_tuple().exponent)
    for share, exists in (
        (Decimal(required), True),
        (Decimal(required) - step, False),
    ):
        changed = copy.deepcopy(data)
        changed["policy"]["max_member_share"] = str(share)
        assert (oracle.find_allocation(oracle.model(changed)) is not None) is exists, share


def test_five_members_get_exactly_a_fifth_each():
    data = ISSUE_10["five_members_at_a_fifth_of_370000"]
    allocation = solve(Problem.model_validate(data))
    assert allocation.status is Status.OPTIMAL, _status(allocation)
    # five caps of a fifth add up to the whole pot: each award is forced to exactly its cap
    cap = Decimal(data["policy"]["max_member_share"]) * Decimal(data["contracts"][0]["value"])
    assert {a.member: a.amount for a in allocation.awards} == {
        m["id"]: cap for m in data["members"]
    }
