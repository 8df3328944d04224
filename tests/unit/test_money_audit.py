"""The audit's money-over-time sections: written only when used, figures worked by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import allocate
from allocate import Allocation, Problem
from allocate.examples import demo_dict, demo_problem, money_demo_dict


def _one_lot(**extra: Any) -> Problem:
    """£12,000 for one year, no top-slice, members m (micro, £9,000 income) and s (small)."""
    member = {
        "quality_score": 0.8, "qa_passed": True, "reporting_compliance": 0.9,
        "themes": ["advice"], "areas": ["Luton"],
    }  # fmt: skip
    data: dict[str, Any] = {
        "members": [
            {"id": "m", "annual_income": "9000", "reserves": "2000", "based_in": "Luton",
             **member},
            {"id": "s", "annual_income": "90000", "reserves": "500", **member},
        ],
        "contracts": [{"id": "c", "value": "12000", "lots": [
            {"id": "l", "value": "12000", "theme": "advice", "area": "Luton"}]}],
        "capacities": [
            {"member": "m", "lot": "l", "amount": "6000"},
            {"member": "s", "lot": "l", "amount": "18000", "cost_ratio": "1.1"},
        ],
        "top_slice": {"rate": "0"},
        **extra,
    }  # fmt: skip
    return Problem.model_validate(data)


def test_a_problem_without_the_features_writes_none_of_the_sections() -> None:
    audit = json.loads(allocate.solve(demo_problem()).model_dump_json())["audit"]
    assert not {"cash_flow", "full_cost", "social_value"} & set(audit)
    plain = demo_dict()
    assert "reserves" not in json.dumps(plain)


def test_cash_flow_section_by_hand() -> None:
    # proportional to 6,000 : 18,000 -> m £3,000, s £9,000, paid monthly in arrears (defaults).
    # m spends £250 a month, paid the month after: £250 short from month 1 (κ = 1).
    # s costs 1.1 a pound: £825 a month against £750 paid a month later; short £825 at the
    # end of month 1, then £75 more each month to month 12: 825 + 11·75 = £1,650 in month 12.
    p = _one_lot(cash_flow={})
    a = allocate.solve(p)
    assert (a.award("m"), a.award("s")) == (Decimal(3000), Decimal(9000))
    report = a.audit.cash_flow
    assert report is not None
    rows = {m.member: m for m in report.members}
    assert (rows["m"].peak_need, rows["m"].peak_month) == (Decimal(250), 1)
    assert (rows["s"].peak_need, rows["s"].peak_month) == (Decimal(825 + 11 * 75), 12)
    assert rows["s"].full_cost == Decimal(9900)
    # flagged against the whole reserves: s's £1,650 > £500, m's £250 <= £2,000
    assert report.flagged == ["s"]
    assert report.horizon == 13


def test_full_cost_section_by_hand() -> None:
    # s: £9,000 at 1.1 costs £9,900: subsidy £900; m declares no cost and is not listed
    a = allocate.solve(_one_lot())
    (row,) = a.audit.full_cost or []
    assert (row.member, row.full_cost, row.subsidy, row.surplus, row.covered) == (
        "s",
        Decimal(9900),
        Decimal(900),
        Decimal(0),
        False,
    )
    assert a.audit.cash_flow is None  # no terms and no reserves condition
    assert a.audit.social_value is not None  # m says where it is based


def test_social_value_section_against_targets_by_hand() -> None:
    # m is based in Luton (the lot's area): local share 3,000/12,000 = 0.25; by income m
    # (£9,000) is micro and s (£90,000) small, so the small share is 1; two organisations
    targets = {"min_small_share": "0.5", "min_local_share": "0.3", "min_organisations": 3,
               "max_hub_share": "0"}  # fmt: skip
    a = allocate.solve(_one_lot(policy={"social_value": targets}))
    rows = {r.contract: r for r in a.audit.social_value or []}
    assert set(rows) == {"c", "total"}
    total = rows["total"]
    assert total.local_share == Decimal("0.250000")
    assert total.small_share == Decimal("1.000000")
    assert total.organisations == 2
    assert total.hub_share == Decimal("0.000000")
    assert total.targets_missed == ["min_local_share", "min_organisations"]


def test_sections_round_trip_and_are_deferred_until_read() -> None:
    p = Problem.model_validate(money_demo_dict())
    a = allocate.solve(p)
    assert type(a.audit.__dict__["cash_flow"]).__name__ == "Deferred"
    again = Allocation.model_validate_json(a.model_dump_json())
    assert again == a
    assert again.audit.full_cost == a.audit.full_cost
    # every flagged member's peak is above its limit
    report = a.audit.cash_flow
    assert report is not None
    for m in report.members:
        assert m.flagged == (m.limit is None or m.peak_need > m.limit)


def test_reports_have_the_sections_only_when_the_problem_uses_them() -> None:
    from allocate.report.html import html_report
    from allocate.report.markdown import markdown_report

    plain = allocate.solve(demo_problem())
    money = allocate.solve(Problem.model_validate(money_demo_dict()))
    for title in ("Cash flow", "Full cost", "Social value"):
        assert f"## {title}" not in markdown_report(plain)
        assert f"<h2>{title}</h2>" not in html_report(plain)
        assert f"## {title}" in markdown_report(money)
        assert f"<h2>{title}</h2>" in html_report(money)
    # the full-cost words add up the subsidies of the awards below cost, read from the audit
    costs = money.audit.full_cost or []
    subsidy = sum((c.subsidy for c in costs if not c.covered), Decimal(0))
    assert subsidy > 0
    assert f"subsidise £{subsidy:,.2f} in all" in markdown_report(money)
