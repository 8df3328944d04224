"""Money over time, full cost and social value of an allocation, as tables.

* :func:`cash_flow` — every member's and the hub's cash flow month by month (the forecast of
  :mod:`allocate.core.cashflow`), and :func:`cash_flow_summary`, one row per member: peak
  working capital, its month, reserves and whether it is flagged;
* :func:`full_cost` — each award's full cost and margin, and what a member would subsidise;
* :func:`social_value` — per contract and in total: the share to micro and small organisations
  and to organisations based in the lot's area, the organisations funded, the hub's share,
  against the policy's targets.

Every table takes the ``money=`` keyword of :mod:`allocate.core.frames`.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from allocate.core import cashflow, value
from allocate.core.frames import MoneyAs, check_money, frame, numeric
from allocate.core.model import Problem
from allocate.core.money import from_pence
from allocate.core.outcome import Allocation

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["cash_flow", "cash_flow_summary", "forecast", "full_cost", "social_value"]


def forecast(problem: Problem, allocation: Allocation) -> cashflow.Forecast:
    """The cash-flow forecast of ``allocation`` (see :mod:`allocate.core.cashflow`)."""
    awards = [(a.member, a.lot, a.amount) for a in allocation.awards]
    tops = {lot: amount for c in allocation.contracts for lot, amount in c.lot_top_slices.items()}
    return cashflow.forecast(problem, awards, tops)


def cash_flow(
    problem: Problem, allocation: Allocation, *, money: MoneyAs = "float"
) -> pd.DataFrame:
    """Month by month for the hub (``who`` = ``hub``) and each member with an award.

    Columns: ``who``, ``month``, ``money_in``, ``money_out`` (a member's cost of delivery; the
    hub's payments to members plus its running cost), ``balance`` (running) and ``need``
    (working capital: the negative balance).
    """
    check_money(money)
    f = forecast(problem, allocation)
    rows: list[dict[str, Any]] = []
    if f.hub is not None:
        out = [a + b for a, b in zip(f.hub.paid_to_members, f.hub.running_cost, strict=True)]
        rows += _rows("hub", f.hub.commissioner_in, out, f.hub.balance)
    for mid, m in f.members.items():
        rows += _rows(mid, m.money_in, m.money_out, m.balance)
    table = frame(rows, columns=["who", "month", "money_in", "money_out", "balance", "need"])
    return numeric(table, money, pounds=["money_in", "money_out", "balance", "need"])


def _rows(who: str, money_in: list[int], money_out: list[int], balance: list[int]) -> list[Any]:
    return [
        {
            "who": who,
            "month": t,
            "money_in": from_pence(i),
            "money_out": from_pence(o),
            "balance": _signed(b),
            "need": from_pence(max(0, -b)),
        }
        for t, (i, o, b) in enumerate(zip(money_in, money_out, balance, strict=True), start=1)
    ]


def _signed(pence: int) -> Decimal:
    return -from_pence(-pence) if pence < 0 else from_pence(pence)


def cash_flow_summary(
    problem: Problem, allocation: Allocation, *, money: MoneyAs = "float"
) -> pd.DataFrame:
    """One row per member with an award, and one for the hub: the peak need and when.

    Columns: ``who``, ``size_band``, ``awards``, ``full_cost``, ``peak_need`` (exact, rounded up
    to the penny), ``peak_month`` (the first month of the peak), ``reserves``, ``limit`` (the
    flag share of the reserves), ``flagged``, and for the hub ``advance_cost`` (how much its
    advances to members raise its peak).
    """
    check_money(money)
    f = forecast(problem, allocation)
    rows: list[dict[str, Any]] = []
    for mid, m in f.members.items():
        rows.append(
            {
                "who": mid,
                "size_band": problem.member_index[mid].size_band.value,
                "awards": from_pence(m.awards),
                "full_cost": from_pence(m.cost),
                "peak_need": from_pence(m.peak_need),
                "peak_month": m.peak_month,
                "reserves": None if m.reserves is None else from_pence(m.reserves),
                "limit": None if m.limit is None else from_pence(m.limit),
                "flagged": m.flagged,
                "advance_cost": None,
            }
        )
    if f.hub is not None:
        top = sum(f.hub.top_slice)
        rows.append(
            {
                "who": "hub",
                "size_band": None,
                "awards": from_pence(top),
                "full_cost": from_pence(sum(f.hub.running_cost)),
                "peak_need": from_pence(f.hub.peak_need),
                "peak_month": f.hub.peak_month,
                "reserves": None,
                "limit": None,
                "flagged": f.hub.peak_need > 0,
                "advance_cost": from_pence(f.hub.advance_cost),
            }
        )
    columns = [
        "who", "size_band", "awards", "full_cost", "peak_need", "peak_month", "reserves",
        "limit", "flagged", "advance_cost",
    ]  # fmt: skip
    table = frame(rows, columns=columns)
    pounds = ["awards", "full_cost", "peak_need", "reserves", "limit", "advance_cost"]
    return numeric(table, money, pounds=pounds)


def full_cost(
    problem: Problem, allocation: Allocation, *, money: MoneyAs = "float"
) -> pd.DataFrame:
    """Each award on a capacity that declares its full cost: cost, margin and subsidy.

    ``full_cost`` is the award × the full cost of a pound (``cost_ratio``, or ``unit_cost``
    over what a unit pays the members), rounded up to the penny; ``margin`` is award less cost
    (negative: a loss); ``subsidy`` what the member would have to put in (0 when covered).
    """
    check_money(money)
    rows = [
        {
            "member": c.member,
            "lot": c.lot,
            "contract": c.contract,
            "award": from_pence(c.award),
            "full_cost": from_pence(c.cost),
            "margin": _signed(c.margin),
            "subsidy": from_pence(c.subsidy),
            "covered": c.margin >= 0,
        }
        for c in value.award_costs(problem, _awards(allocation), _lot_tops(allocation))
    ]
    columns = ["member", "lot", "contract", "award", "full_cost", "margin", "subsidy", "covered"]
    return numeric(
        frame(rows, columns=columns), money, pounds=["award", "full_cost", "margin", "subsidy"]
    )


def social_value(
    problem: Problem, allocation: Allocation, *, money: MoneyAs = "float"
) -> pd.DataFrame:
    """Per contract and in total (``contract`` = ``total``): where the money goes.

    ``small_share``: share of the members' awards to micro and small organisations;
    ``local_share``: share to organisations whose ``based_in`` is the lot's area;
    ``organisations``: members with an award; ``hub_share``: top-slice over value.  With
    ``policy.social_value`` targets, ``targets_missed`` names each target a row misses.
    """
    check_money(money)
    tops = {c.id: c.top_slice for c in allocation.contracts}
    rows = [
        {
            "contract": r.contract,
            "value": from_pence(r.value),
            "top_slice": from_pence(r.top_slice),
            "hub_share": _share(r.hub_share),
            "awards": from_pence(r.awards),
            "small": from_pence(r.small),
            "small_share": _share(r.small_share),
            "local": from_pence(r.local),
            "local_share": _share(r.local_share),
            "organisations": r.organisations,
            "targets_missed": r.targets_missed,
        }
        for r in value.social_value(problem, _awards(allocation), tops)
    ]
    columns = [
        "contract", "value", "top_slice", "hub_share", "awards", "small", "small_share",
        "local", "local_share", "organisations", "targets_missed",
    ]  # fmt: skip
    return numeric(
        frame(rows, columns=columns),
        money,
        pounds=["value", "top_slice", "awards", "small", "local"],
        numbers=["hub_share", "small_share", "local_share"],
    )


def _awards(allocation: Allocation) -> list[tuple[str, str, str, Decimal]]:
    return [(a.member, a.lot, a.contract, a.amount) for a in allocation.awards]


def _lot_tops(allocation: Allocation) -> dict[str, Decimal]:
    return {lot: amount for c in allocation.contracts for lot, amount in c.lot_top_slices.items()}


def _share(x: Fraction | None) -> Decimal | None:
    return None if x is None else _ratio(x)


def _ratio(x: Fraction) -> Decimal:
    """An exact share as a Decimal to twelve places."""
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("1e-12"))
