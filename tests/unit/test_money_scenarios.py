"""Scenario helpers for payment terms, reserves and advances; synthetic payment terms; the plot."""

from __future__ import annotations

from decimal import Decimal

import pytest

import allocate
from allocate import Problem
from allocate.cashflow import cash_flow_summary, plot_cash_flow
from allocate.scenarios import (
    Scenario,
    set_advances,
    set_member_payments,
    set_payment_terms,
    set_reserves,
)
from allocate.synthetic import PAYMENT_TERMS, consortium, consortium_dict


def _base() -> Problem:
    member = {
        "quality_score": 0.8, "qa_passed": True, "reporting_compliance": 0.9,
        "themes": ["advice"], "areas": ["Luton"],
    }  # fmt: skip
    return Problem.model_validate({
        "members": [{"id": "m", "annual_income": "9000", **member}],
        "contracts": [{"id": "c", "value": "12000", "lots": [
            {"id": "l", "value": "12000", "theme": "advice", "area": "Luton"}]}],
        "capacities": [{"member": "m", "lot": "l", "amount": "12000"}],
        "top_slice": {"rate": "0"},
    })  # fmt: skip


def _peak(p: Problem) -> tuple[Decimal, int]:
    row = cash_flow_summary(p, allocate.solve(p), money="decimal").set_index("who").loc["m"]
    return row["peak_need"], int(row["peak_month"])


def test_payment_terms_and_advances_change_the_peak_by_hand() -> None:
    base = _base()
    # monthly in arrears: £1,000 a month, paid the month after -> £1,000 in month 1
    assert _peak(base) == (Decimal(1000), 1)
    # quarterly in arrears: £3,000 spent by the end of month 3, nothing paid yet
    quarterly = Scenario("q", [set_payment_terms(frequency="quarterly")]).apply(base)
    assert _peak(quarterly) == (Decimal(3000), 3)
    # the same contract's own terms: the same figures
    own = Scenario("own", [set_payment_terms("c", frequency="quarterly")]).apply(base)
    assert own.contracts[0].payment_terms is not None
    assert _peak(own) == (Decimal(3000), 3)
    # paid 30 days after the hub is paid: each month's £1,000 one month later again -> £2,000
    later = Scenario("later", [set_member_payments(days=30)]).apply(base)
    assert _peak(later) == (Decimal(2000), 2)
    # micro members paid each month's delivery in that month: never short
    advanced = Scenario("adv", [set_advances("micro")]).apply(base)
    summary = cash_flow_summary(advanced, allocate.solve(advanced), money="decimal")
    assert summary.set_index("who").loc["m", "peak_need"] == 0


def test_set_reserves_feeds_the_condition_and_can_be_removed() -> None:
    p = Scenario("r", [set_reserves("m", "1500")]).apply(_base())
    assert p.members[0].reserves == Decimal(1500)
    # with the condition at 0.5: £750 allowed, the whole lot needs £1,000 -> infeasible
    tight = p.evolve(policy=p.policy.model_copy(update={"max_reserves_share": Decimal("0.5")}))
    assert allocate.solve(tight).status == "infeasible"
    gone = Scenario("none", [set_reserves("m", None)]).apply(p)
    assert gone.members[0].reserves is None


def test_unknown_fields_and_ids_are_refused_by_name() -> None:
    with pytest.raises(Exception, match="frequncy"):
        Scenario("bad", [set_payment_terms(frequncy="monthly")]).apply(_base())
    with pytest.raises(Exception, match="nobody"):
        Scenario("bad", [set_reserves("nobody", "1")]).apply(_base())


def test_synthetic_payment_terms_are_off_by_default_and_give_reserves_when_on() -> None:
    plain = consortium_dict(members=30, lots=3, seed=4)
    assert "cash_flow" not in plain
    assert all("reserves" not in m for m in plain["members"])
    p = consortium(members=30, lots=3, seed=4, payment_terms="quarterly_by_results")
    assert p.cash_flow is not None
    assert p.cash_flow.commissioner.results_share == Decimal("0.2")
    # the same consortium otherwise: the same members and capacities
    assert [m.id for m in p.members] == [m["id"] for m in plain["members"]]
    assert len(p.capacities) == len(plain["capacities"])
    # reserves: one month of income for a micro member, six for a major one, never none
    assert all(m.reserves is not None and m.reserves > 0 for m in p.members)
    assert set(PAYMENT_TERMS) >= {"monthly_arrears", "quarterly_arrears"}
    with pytest.raises(ValueError, match="payment_terms"):
        consortium(members=5, lots=1, payment_terms="weekly")


def test_plot_cash_flow_labels_with_ids_marks_the_peak_and_caps_height() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from allocate.plots import MAX_HEIGHT

    p = Scenario("q", [set_payment_terms(frequency="quarterly")]).apply(_base())
    ax = plot_cash_flow(p, allocate.solve(p), "m")
    assert ax.get_title(loc="left") == "m: running balance, peak need £3,000.00 in month 3"
    (peak_line,) = [line for line in ax.get_lines() if line.get_label() == "peak need"]
    assert list(peak_line.get_ydata()) == [-3000.0]
    assert ax.figure.get_size_inches()[1] <= MAX_HEIGHT
    with pytest.raises(ValueError, match="nobody"):
        plot_cash_flow(p, allocate.solve(p), "nobody")
    plt.close("all")
