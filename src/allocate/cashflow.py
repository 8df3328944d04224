"""Money over time: cash-flow forecasts, full cost and social value, in one public place.

The forecast and its linear form live in :mod:`allocate.core.cashflow`, the tables in
:mod:`allocate.analysis.money_over_time`, the exact full cost and social value in
:mod:`allocate.core.value`; this module gathers what a user needs:

>>> from allocate import Problem, solve
>>> from allocate.examples import money_demo_dict
>>> p = Problem.model_validate(money_demo_dict())
>>> a = solve(p)
>>> summary = cash_flow_summary(p, a, money="decimal").set_index("who")
>>> str(summary.loc["harpur-arts", "peak_need"]), int(summary.loc["harpur-arts", "peak_month"])
('2934.79', 4)
"""

from allocate.analysis.money_over_time import (
    cash_flow,
    cash_flow_summary,
    forecast,
    full_cost,
    social_value,
)
from allocate.analysis.plots import plot_cash_flow
from allocate.core.cashflow import (
    CashFlowTiming,
    Forecast,
    HubForecast,
    MemberForecast,
    cost_ratio,
    need_coefficients,
)
from allocate.core.model import CashFlowTerms, MemberPaymentTerms, PaymentTerms, SocialValueTargets
from allocate.core.value import AwardCost, SocialValue, award_costs

__all__ = [
    "AwardCost",
    "CashFlowTerms",
    "CashFlowTiming",
    "Forecast",
    "HubForecast",
    "MemberForecast",
    "MemberPaymentTerms",
    "PaymentTerms",
    "SocialValue",
    "SocialValueTargets",
    "award_costs",
    "cash_flow",
    "cash_flow_summary",
    "cost_ratio",
    "forecast",
    "full_cost",
    "need_coefficients",
    "plot_cash_flow",
    "social_value",
]
