"""Another sub-contract choice when the rule's has no allocation in whole pence or units.

The minimal case: a lot of 3 sessions at £1 among members able to take 1, 2 and 2 sessions,
each capped at half the lot (£1.50, so one session), with a minimum award of a penny.  The rule
closes the first member (its fair share is the smallest), and the other two cannot take 3 whole
sessions between them; one session each is the only allocation.  The oracle enumerates every
whole allocation of the lot, here in the test.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest

from allocate import Problem, Status, check_certificate, solve, verify
from allocate.pipeline import solve as solve_module
from allocate.pipeline.infeasibility import decide
from allocate.pipeline.planning import plan
from allocate.pipeline.review import solve_least_movement
from allocate.review import ReviewInput, reallocate
from tests.conftest import simple_problem

NO_TOP_SLICE = {"max_rate": "0", "target_rate": "0", "method": "fixed", "rate": "0"}
CAPS = {"m0": 1, "m1": 2, "m2": 2}


def _sessions(caps: dict[str, int], units: int = 3, share: str = "0.5") -> Problem:
    """A lot of ``units`` sessions at £1, capacities in sessions, a share cap, a penny minimum."""
    data = simple_problem(dict.fromkeys(caps, "0"), value=f"{units}.00")
    data["contracts"][0]["lots"][0].update(unit_price="1", unit="session")
    data["capacities"] = [{"member": m, "lot": "l1", "units": u} for m, u in caps.items()]
    data["top_slice"] = NO_TOP_SLICE
    data["policy"] = {"max_member_share": share, "min_award": "0.01"}
    return Problem.model_validate(data)


def _whole_allocations(caps: dict[str, int], units: int, share: Fraction) -> list[dict[str, int]]:
    """Oracle: every split of the sessions within capacity and the share cap (100 pence each)."""
    most = math.floor(share * units * 100) // 100
    names = list(caps)
    return [
        dict(zip(names, split, strict=True))
        for split in itertools.product(*(range(min(caps[m], most) + 1) for m in names))
        if sum(split) == units
    ]


def _solved_one_session_each(problem: Problem) -> None:
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL
    (only,) = _whole_allocations(CAPS, 3, Fraction(1, 2))
    assert {a.member: a.units for a in allocation.awards} == only
    assert all(check.passed for check in verify(problem, allocation))
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
    cert = allocation.certificate
    assert cert is not None and len(cert.choice.made) == 3 and not cert.choice.closed
    assert sum(a.amount for a in allocation.awards) + allocation.top_slice == 3


def test_the_rule_closes_a_member_another_choice_is_whole():
    problem = _sessions(CAPS)
    p = plan(problem)
    assert not all(p.lots[0].open)  # the rule's own choice closes the first member
    _solved_one_session_each(problem)


def test_the_tree_s_witness_decides_when_the_choice_milp_does_not(monkeypatch):
    # the choice MILP finds nothing: the branch and bound's witness must give the allocation
    monkeypatch.setattr(solve_module, "choose_subcontracts", lambda *a, **k: None)
    problem = _sessions(CAPS)
    allocation = solve(problem)
    assert "proof_tree" in allocation.timings
    _solved_one_session_each(problem)


def test_decide_returns_a_whole_allocation_or_a_proof():
    p = plan(_sessions(CAPS))
    found = decide(p, time_limit=None)
    assert found.certificate is None and found.witness is not None
    ids = p.eligibility.member_ids
    whole = {ids[p.pair_member[k]]: q for k, q in enumerate(found.witness)}
    assert whole in _whole_allocations(CAPS, 3, Fraction(1, 2))
    assert not all(p.lots[0].open)  # the plan's decisions are left as they were
    # two members capped at 1½ sessions each: no whole allocation, and the tree proves it
    two = {"m1": 3, "m2": 3}
    assert not _whole_allocations(two, 3, Fraction(1, 2))
    p = plan(_sessions(two))
    found = decide(p, time_limit=None)
    assert found.witness is None and found.certificate is not None


@pytest.mark.parametrize("limit", [1, 2])
def test_a_search_stopped_at_its_limit_is_not_called_proved(monkeypatch, limit):
    import allocate.pipeline.infeasibility as infeasibility

    monkeypatch.setattr(infeasibility, "NODE_LIMIT", limit)  # no split fits
    problem = _sessions({"m1": 3, "m2": 3})
    allocation = solve(problem)
    assert allocation.status is Status.INFEASIBLE and allocation.certificate is None
    diagnosis = allocation.diagnosis
    assert diagnosis is not None and "not proved" in diagnosis.summary
    assert "limit of" in " ".join(diagnosis.messages)
    # within the limit the same problem is proved impossible
    monkeypatch.setattr(infeasibility, "NODE_LIMIT", 2000)
    proved = solve(problem)
    assert proved.status is Status.INFEASIBLE and proved.certificate is not None
    assert check_certificate(problem, proved).ok


def _two_lots() -> Problem:
    """Lot 1: 3 sessions at £1; lot 2: 5 sessions at £4; two members; each at most 55% (£12.65).

    Found by a two-lot search like the property test's: the choice MILP keeps both members on
    lot 1 (a fractional allocation exists), but whole sessions need one member off lot 1.
    """
    data = simple_problem({"m0": "0", "m1": "0"}, value="23.00")
    data["contracts"][0]["lots"] = [
        {"id": "l1", "value": "3.00", "theme": "advice", "area": "Luton"},
        {"id": "l2", "value": "20.00", "theme": "advice", "area": "Luton"},
    ]
    data["contracts"][0]["lots"][0].update(unit_price="1", unit="session")
    data["contracts"][0]["lots"][1].update(unit_price="4", unit="session")
    caps = {("m0", "l1"): 3, ("m1", "l1"): 3, ("m0", "l2"): 3, ("m1", "l2"): 4}
    data["capacities"] = [{"member": m, "lot": j, "units": u} for (m, j), u in caps.items()]
    data["top_slice"] = NO_TOP_SLICE
    data["policy"] = {"max_member_share": "0.55", "min_award": "0.02"}
    return Problem.model_validate(data)


def test_a_choice_the_milp_does_not_make_is_found_by_the_tree():
    problem = _two_lots()
    # oracle: every split of both lots in whole sessions, within capacity and £12.65 a member
    whole = [
        (a, b)
        for a in range(4)
        for b in range(5)
        if a <= 3
        and 3 - a <= 3
        and b <= 3
        and 5 - b <= 4
        and 100 * a + 400 * b <= 1265
        and 100 * (3 - a) + 400 * (5 - b) <= 1265
    ]
    assert len(whole) == 2  # (m0's sessions of lot 1, of lot 2); one member off lot 1
    allocation = solve(problem)
    assert allocation.status is Status.OPTIMAL
    assert "proof_tree" in allocation.timings  # the MILP's choice did not round
    got = {(a.member, a.lot): a.units or 0 for a in allocation.awards}
    m0 = (got.get(("m0", "l1"), 0), got.get(("m0", "l2"), 0))
    assert m0 in whole
    assert got.get(("m1", "l1"), 0) == 3 - m0[0] and got.get(("m1", "l2"), 0) == 5 - m0[1]
    off = "m0" if m0[0] == 0 else "m1"
    (why,) = [d for d in allocation.audit.decisions if d.startswith(f"{off} on l1:")]
    assert "search over every choice" in why  # the audit says why it holds no sub-contract
    assert all(check.passed for check in verify(problem, allocation))
    found = check_certificate(problem, allocation)
    assert found.ok, found.failures
    assert sum(a.amount for a in allocation.awards) + allocation.top_slice == 23


def test_a_review_takes_another_choice_when_the_kept_one_has_no_whole_point():
    """A review's remaining work is solved like ``solve``: no false "infeasible" in whole pence.

    Least movement from a reference that the rule's own choice (closing ``m0``) cannot reach in
    whole sessions: the only whole allocation is one session each (the oracle), and the note
    says another choice was taken.
    """
    problem = _sessions(CAPS)
    allocation, note = solve_least_movement(problem, {("m1", "l1"): 2, ("m2", "l1"): 1})
    assert allocation.status is Status.OPTIMAL
    (only,) = _whole_allocations(CAPS, 3, Fraction(1, 2))
    assert {a.member: a.units for a in allocation.awards} == only
    assert all(check.passed for check in verify(problem, allocation))
    assert "another sub-contract choice" in note


def test_reallocating_at_a_review_with_nothing_delivered_keeps_the_whole_allocation():
    problem = _sessions(CAPS)
    made = solve(problem)
    review = ReviewInput.model_validate({"label": "mid-term", "elapsed": "0.25"})
    after = reallocate(problem, made, review)
    assert after.status is Status.OPTIMAL
    assert {a.member: a.units for a in after.awards} == {a.member: a.units for a in made.awards}
    assert after.moved == 0


def test_a_review_with_no_whole_allocation_under_any_choice_stays_infeasible():
    # two sessions capped at a third of the lot each (no whole session fits under £1): the
    # branch and bound proves it, and the review says infeasible rather than inventing one
    caps = {"m0": 1, "m1": 1, "m2": 1}
    problem = _sessions(caps, units=2, share="0.3")
    assert not _whole_allocations(caps, 2, Fraction(3, 10))
    allocation, _ = solve_least_movement(problem, {})
    assert allocation.status is Status.INFEASIBLE
