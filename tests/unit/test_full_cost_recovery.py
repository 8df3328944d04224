"""Full-cost recovery as a policy condition: no award below the member's full cost.

Every figure is worked out by hand in the comments: what a unit pays the members (the lot's
value less the hub's 10% over its units), against the declared unit cost, and the cost ratios.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import allocate
from allocate import Problem
from allocate.analysis import money_over_time as mot
from allocate.checks.verify import verify
from allocate.testing import allocation_failures, is_eligible


def _member(mid: str) -> dict[str, Any]:
    return {
        "id": mid, "annual_income": "100000", "quality_score": 0.8, "qa_passed": True,
        "reporting_compliance": 0.9, "themes": ["advice"], "areas": ["Luton"],
    }  # fmt: skip


def _problem(costs: dict[str, dict[str, str]], *, units: bool, recovery: bool) -> Problem:
    """One £10,000 lot (100 units of £100 when ``units``), a 10% top-slice, members a, b, c."""
    lot: dict[str, Any] = {"id": "l", "value": "10000", "theme": "advice", "area": "Luton"}
    if units:
        lot.update({"unit": "client", "unit_price": "100"})
    caps = []
    for mid in ("a", "b", "c"):
        cap: dict[str, Any] = {"member": mid, "lot": "l"}
        cap.update({"units": 60} if units else {"amount": "6000"})
        cap.update(costs.get(mid, {}))
        caps.append(cap)
    policy: dict[str, Any] = {"full_cost_recovery": True} if recovery else {}
    return Problem.model_validate({
        "members": [_member(m) for m in ("a", "b", "c")],
        "contracts": [{"id": "c1", "value": "10000", "lots": [lot]}],
        "capacities": caps,
        "top_slice": {"rate": "0.1"},
        "policy": policy,
    })  # fmt: skip


def test_unit_cost_above_what_a_unit_pays_excludes_the_member_with_words() -> None:
    # pot = £10,000 − 10% = £9,000 over 100 units: a unit pays the members £90.00.
    # a's unit cost £95 > £90: every award below cost; b's £90 = £90 covers; c declares none.
    p = _problem({"a": {"unit_cost": "95"}, "b": {"unit_cost": "90"}}, units=True, recovery=True)
    a = allocate.solve(p)
    assert a.status == "optimal"
    assert a.award("a") == 0
    # b and c split the 100 units proportionally to 60:60 -> 50 each, £4,500 each
    assert (a.award("b"), a.award("c")) == (Decimal(4500), Decimal(4500))
    table = a.eligibility_frame().set_index("member")
    assert table.loc["a", "reasons"] == "below_full_cost"
    assert "unit cost £95.00 is above what a unit pays the members" in table.loc["a", "explanation"]
    assert "£9,000.00 over 100 units: £90.00 a unit" in table.loc["a", "explanation"]
    assert table.loc["b", "eligible"] and table.loc["c", "eligible"]
    assert not is_eligible(p, "a", "l") and is_eligible(p, "b", "l")
    checks = {c.name: c for c in verify(p, a)}
    assert checks["full_cost"].passed
    assert allocation_failures(p, a) == []
    # b's award covers its cost exactly: 50 units × £90 = £4,500, margin 0
    costs = mot.full_cost(p, a, money="decimal").set_index("member")
    assert costs.loc["b", "full_cost"] == Decimal(50 * 90)
    assert costs.loc["b", "margin"] == 0


def test_without_the_policy_the_member_is_paid_below_cost_and_the_table_says_by_how_much() -> None:
    p = _problem({"a": {"unit_cost": "95"}}, units=True, recovery=False)
    a = allocate.solve(p)
    # 100 units split 60:60:60 -> 34, 33, 33 by largest remainder (a first among equals);
    # a's 34 units pay 34 × £90 = £3,060 and cost 34 × £95 = £3,230: it subsidises £170
    assert a.award("a") == Decimal(34 * 90)
    row = mot.full_cost(p, a, money="decimal").set_index("member").loc["a"]
    assert (row["full_cost"], row["subsidy"]) == (Decimal(34 * 95), Decimal(34 * 5))
    assert "full_cost" not in {c.name for c in verify(p, a)}  # not asked for: not reported
    assert "full_cost_recovery" not in p.model_dump_json()  # absent while off


def test_cost_ratio_above_one_excludes_on_a_money_lot() -> None:
    # a costs £1.05 a pound: every award A costs ⌈1.05·A⌉ > A; b costs exactly what it is paid
    p = _problem(
        {"a": {"cost_ratio": "1.05"}, "b": {"cost_ratio": "1"}}, units=False, recovery=True
    )
    a = allocate.solve(p)
    assert a.award("a") == 0
    assert (a.award("b"), a.award("c")) == (Decimal(4500), Decimal(4500))
    words = a.explain("a", "l")
    assert "full cost ratio 1.05 is above 1" in words
    assert allocation_failures(p, a) == []


def test_everyone_below_cost_leaves_the_lot_short_and_the_diagnosis_says_so() -> None:
    p = _problem({m: {"cost_ratio": "1.2"} for m in ("a", "b", "c")}, units=False, recovery=True)
    a = allocate.solve(p)
    # no member may take the lot: the whole member pot, £10,000 − 10% = £9,000, is short
    assert a.status == "infeasible"
    assert a.diagnosis is not None
    (short,) = a.diagnosis.lots
    assert (short.lot, short.shortfall, short.available) == ("l", Decimal(9000), Decimal(0))
    assert [x.member for x in short.excluded] == ["a", "b", "c"]
    assert all("full cost ratio 1.2 is above 1" in x.reasons[0] for x in short.excluded)


def test_a_tampered_award_below_cost_fails_both_checks() -> None:
    p = _problem({"a": {"cost_ratio": "1.05"}}, units=False, recovery=True)
    a = allocate.solve(p)
    # move £100 from b to a (a was given nothing: its award is below cost)
    awards = [
        x.model_copy(update={"amount": x.amount - 100}) if x.member == "b" else x for x in a.awards
    ]
    template = awards[0]
    bad_award = template.model_copy(update={"member": "a", "amount": Decimal(100)})
    bad = a.model_copy(update={"awards": [bad_award, *awards]})
    failed = {c.name for c in verify(p, bad) if not c.passed}
    assert "full_cost" in failed
    kit = {f.condition for f in allocation_failures(p, bad, checks=["full_cost"])}
    assert kit == {"full_cost"}


@pytest.mark.parametrize(
    ("unit_cost", "excluded"), [("89.99", False), ("90", False), ("90.01", True)]
)
def test_the_boundary_is_exact_to_the_penny(unit_cost: str, excluded: bool) -> None:
    # a unit pays exactly £90.00: a unit cost of £90.00 is covered, £90.01 is not
    p = _problem({"a": {"unit_cost": unit_cost}}, units=True, recovery=True)
    assert is_eligible(p, "a", "l") is not excluded
    a = allocate.solve(p)
    assert (a.award("a") == 0) is excluded
    assert allocation_failures(p, a) == []
