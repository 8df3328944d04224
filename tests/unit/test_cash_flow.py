"""Money over time: hand-worked cash flows, the reserves condition, full cost and social value.

The expected figures are worked out here by hand (the comments show the arithmetic), never by
the code under test.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import allocate
from allocate import Problem, ProblemError
from allocate.analysis import money_over_time as mot
from allocate.checks.verify import verify


def _member(
    mid: str, income: str, reserves: str | None, based_in: str | None = None
) -> dict[str, Any]:
    m: dict[str, Any] = {
        "id": mid, "annual_income": income, "quality_score": 0.8, "qa_passed": True,
        "reporting_compliance": 0.9, "themes": ["advice"], "areas": ["Luton"],
    }  # fmt: skip
    if reserves is not None:
        m["reserves"] = reserves
    if based_in is not None:
        m["based_in"] = based_in
    return m


def _problem(cash: dict[str, Any] | None, **policy: Any) -> Problem:
    """One £12,000 lot, no top-slice, one micro member able to take it all."""
    data: dict[str, Any] = {
        "members": [_member("micro", "9000", "2000")],
        "contracts": [{"id": "c", "value": "12000", "lots": [
            {"id": "l", "value": "12000", "theme": "advice", "area": "Luton"}]}],
        "capacities": [{"member": "micro", "lot": "l", "amount": "12000"}],
        "top_slice": {"rate": "0"},
        "policy": policy,
    }  # fmt: skip
    if cash is not None:
        data["cash_flow"] = cash
    return Problem.model_validate(data)


def _hand_peak(spend: list[int], paid: dict[int, int], months: int) -> tuple[int, int]:
    """The largest running shortfall and its first month, from plain lists of pounds."""
    balance, best, when = 0, 0, 0
    for t in range(1, months + 1):
        balance += paid.get(t, 0) - (spend[t - 1] if t <= len(spend) else 0)
        if -balance > best:
            best, when = -balance, t
    return best, when


def test_monthly_in_arrears_by_hand() -> None:
    # £12,000 over 12 months: £1,000 spent a month, each month paid the month after:
    # short £1,000 at the end of month 1 and every month to 12, square in month 13
    p = _problem({})
    a = allocate.solve(p)
    peak, month = _hand_peak([1000] * 12, {t + 1: 1000 for t in range(1, 13)}, 13)
    s = mot.cash_flow_summary(p, a, money="decimal").set_index("who")
    assert (s.loc["micro", "peak_need"], s.loc["micro", "peak_month"]) == (Decimal(peak), month)
    assert (peak, month) == (1000, 1)
    table = mot.cash_flow(p, a, money="pence")
    mine = table[table.who == "micro"]
    assert mine.money_in.sum() == 1_200_000 == mine.money_out.sum()  # months sum exactly


def test_quarterly_in_arrears_with_payment_by_results_by_hand() -> None:
    # quarterly in arrears (paid the month after the quarter), 20% by results 3 months after
    # the quarter: each quarter's £3,000 comes as £2,400 in month 3q+1 and £600 in month 3q+3
    terms = {"frequency": "quarterly", "results_share": "0.2", "results_lag_months": 3}
    p = _problem({"commissioner": terms})
    a = allocate.solve(p)
    paid: dict[int, int] = {}
    for q in range(1, 5):
        paid[3 * q + 1] = paid.get(3 * q + 1, 0) + 2400
        paid[3 * q + 3] = paid.get(3 * q + 3, 0) + 600
    peak, month = _hand_peak([1000] * 12, paid, 15)
    # month 3: £3,000 spent, nothing paid; months 6, 9, 12: 6,000 spent less 2,400 + 600 ...
    assert (peak, month) == (3000, 3)
    s = mot.cash_flow_summary(p, a, money="decimal").set_index("who")
    assert (s.loc["micro", "peak_need"], s.loc["micro", "peak_month"]) == (Decimal(peak), month)
    # its reserves are £2,000: flagged at the default flag share (all of them)
    assert bool(s.loc["micro", "flagged"])


def test_uneven_amounts_sum_to_the_award_and_peak_rounds_up() -> None:
    p = _problem({}).evolve(
        contracts=[{"id": "c", "value": "1000.01",
                    "lots": [{"id": "l", "value": "1000.01", "theme": "advice", "area": "Luton"}]}]
    )  # fmt: skip
    a = allocate.solve(p)
    table = mot.cash_flow(p, a, money="pence")
    mine = table[table.who == "micro"]
    assert mine.money_in.sum() == 100_001 == mine.money_out.sum()
    s = mot.cash_flow_summary(p, a, money="pence").set_index("who")
    # a twelfth of £1,000.01 is 8,333.4166… pence: the peak, rounded up, is 8,334 pence
    assert s.loc["micro", "peak_need"] == -(-100_001 // 12)


def _two_members(share: str, reserves_b: str, cash: dict[str, Any] | None = None) -> Problem:
    data: dict[str, Any] = {
        "members": [_member("a", "8000", "2000"), _member("b", "500000", reserves_b)],
        "contracts": [{"id": "c", "value": "24000", "lots": [
            {"id": "l", "value": "24000", "theme": "advice", "area": "Luton"}]}],
        "capacities": [{"member": "a", "lot": "l", "amount": "24000"},
                       {"member": "b", "lot": "l", "amount": "24000"}],
        "top_slice": {"rate": "0"},
        "policy": {"max_reserves_share": share},
    }  # fmt: skip
    if cash is not None:
        data["cash_flow"] = cash
    return Problem.model_validate(data)


def test_reserves_condition_holds_and_binds() -> None:
    # monthly in arrears: a member's peak need is its award / 12.  a may need at most
    # 0.5 × £2,000 = £1,000, so at most £12,000: exactly its proportional share
    p = _two_members("0.5", "3000")
    a = allocate.solve(p)
    assert a.status is allocate.Status.OPTIMAL
    amounts = {x.member: x.amount for x in a.awards}
    assert amounts["a"] / 12 <= Decimal("0.5") * 2000
    assert {c.name: c.passed for c in verify(p, a)}["cash_flow"]
    assert any(c.name == "cash_flow:a:1" and c.binding for c in a.audit.constraints)


def test_reserves_condition_moves_money_to_who_can_carry_it() -> None:
    # a may need at most 0.25 × £2,000 = £500: at most £6,000 (of its £12,000 fair share)
    p = _two_members("0.25", "50000")
    a = allocate.solve(p)
    amounts = {x.member: x.amount for x in a.awards}
    # the bound holds exactly, the award within a penny of the exact optimum (rounding)
    assert Decimal(500 * 12) - Decimal("0.01") <= amounts["a"] <= Decimal(500 * 12)
    assert amounts["a"] + amounts["b"] == 24000


def test_reserves_condition_diagnosed_when_infeasible() -> None:
    # a ≤ 12 × £1,000 and b ≤ 12 × £500: £18,000 < £24,000; a share s works when
    # 12·s·(2,000 + 1,000) ≥ 24,000, s ≥ 2/3: in the policy's precision, 0.7
    p = _two_members("0.5", "1000")
    a = allocate.solve(p)
    assert a.status is allocate.Status.INFEASIBLE
    assert a.diagnosis is not None
    fix = next(r for r in a.diagnosis.relaxations if r.condition == "cash_flow")
    assert (fix.setting, fix.required) == ("max_reserves_share", "0.7")
    assert fix.amount == Decimal(24000 - 18000) / 12  # the month-1 need short, £500


def test_verify_catches_a_broken_reserves_condition() -> None:
    p = _two_members("0.25", "50000")
    a = allocate.solve(p)
    awards = [
        x.model_copy(update={"amount": Decimal(12000)}) for x in a.awards
    ]  # a at £12,000 needs £1,000 > £500
    broken = a.model_copy(update={"awards": awards})
    assert not {c.name: c.passed for c in verify(p, broken)}["cash_flow"]


def test_reserves_condition_needs_reserves() -> None:
    with pytest.raises(ProblemError) as info:
        _problem(None, max_reserves_share="0.5").evolve(members=[_member("micro", "9000", None)])
    issue = info.value.issues[0]
    assert (issue.location, issue.id) == ("members[0].reserves", "micro")


def test_advance_to_small_members_costs_the_hub() -> None:
    # the micro member paid each month in advance needs nothing; the hub, paid in arrears,
    # carries £1,000 a month instead: its peak rises by £1,000
    p = _problem({"members": {"advance_bands": ["micro"]}})
    a = allocate.solve(p)
    s = mot.cash_flow_summary(p, a, money="decimal").set_index("who")
    assert s.loc["micro", "peak_need"] == 0
    assert s.loc["hub", "peak_need"] == 1000
    assert s.loc["hub", "advance_cost"] == 1000


def test_full_cost_shortfall_by_hand() -> None:
    # 100 units at £100, 10% top-slice: a unit pays members £90.  Member a's units cost £95:
    # on 40 units (£3,600) it spends £3,800 and subsidises £200
    data = {
        "members": [_member("a", "50000", None), _member("b", "50000", None)],
        "contracts": [{"id": "c", "value": "10000", "lots": [
            {"id": "l", "value": "10000", "theme": "advice", "area": "Luton",
             "unit": "client", "unit_price": "100"}]}],
        "capacities": [{"member": "a", "lot": "l", "units": 40, "unit_cost": "95"},
                       {"member": "b", "lot": "l", "units": 60, "cost_ratio": "0.9"}],
        "top_slice": {"rate": "0.1"},
    }  # fmt: skip
    p = Problem.model_validate(data)
    a = allocate.solve(p)
    t = mot.full_cost(p, a, money="decimal").set_index("member")
    award_a = next(x for x in a.awards if x.member == "a")
    assert award_a.units == 40 and award_a.amount == Decimal(3600)
    assert t.loc["a", "full_cost"] == 40 * 95
    assert t.loc["a", "subsidy"] == 40 * 95 - 3600
    assert not t.loc["a", "covered"]
    assert t.loc["b", "full_cost"] == Decimal("0.9") * 5400 and t.loc["b", "subsidy"] == 0


def test_social_value_by_hand() -> None:
    data = {
        "members": [_member("micro", "5000", None, "Luton"),
                    _member("big", "5000000", None, "Bedford"),
                    _member("mid", "500000", None)],
        "contracts": [{"id": "c", "value": "10000", "lots": [
            {"id": "l", "value": "10000", "theme": "advice", "area": "Luton"}]}],
        "capacities": [{"member": "micro", "lot": "l", "amount": "1000"},
                       {"member": "big", "lot": "l", "amount": "6000"},
                       {"member": "mid", "lot": "l", "amount": "3000"}],
        "top_slice": {"rate": "0.1"},
        "policy": {"social_value": {"min_small_share": "0.2", "max_hub_share": "0.1"}},
    }  # fmt: skip
    p = Problem.model_validate(data)
    a = allocate.solve(p)
    amounts = {x.member: x.amount for x in a.awards}
    total = sum(amounts.values())
    t = mot.social_value(p, a, money="decimal").set_index("contract")
    # proportional: £9,000 pot, micro £900 (10%), only micro is based in Luton
    assert t.loc["c", "small_share"] == amounts["micro"] / total == Decimal("0.1")
    assert t.loc["c", "local_share"] == Decimal("0.1")
    assert t.loc["c", "organisations"] == 3
    assert t.loc["c", "hub_share"] == Decimal(1000) / Decimal(10000)
    assert t.loc["c", "targets_missed"] == ["min_small_share"]
    assert t.loc["total", "awards"] == total


def test_absent_fields_leave_a_problem_as_it_was() -> None:
    p = _problem(None)
    dumped = p.model_dump_json()
    for key in ("cash_flow", "reserves_", "unit_cost", "cost_ratio", "max_reserves_share"):
        assert key not in dumped
    assert "reserves" in _problem(None).model_dump()["members"][0]  # present when declared


def test_new_fields_are_left_out_together_whatever_else_the_problem_uses() -> None:
    # each later addition leaves its fields out of a dump while unused, sub-tendering and money
    # over time alike: a problem that uses one must not drag the other's defaults into its
    # canonical JSON (and so its fingerprint)
    from allocate.core.examples import tender_demo_dict

    tendered = Problem.model_validate(tender_demo_dict()).model_dump()
    assert "bids" in tendered and "cash_flow" not in tendered
    assert "max_reserves_share" not in tendered["policy"]
    with_terms = _problem({"commissioner": {"frequency": "monthly"}}).model_dump()
    assert "cash_flow" in with_terms
    assert "bids" not in with_terms and "tender" not in with_terms["policy"]
