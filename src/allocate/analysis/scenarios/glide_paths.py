"""The top-slice glide path over a contract's years, and what it means for each member."""

from __future__ import annotations

import concurrent.futures as cf
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from allocate.analysis.scenarios.changes import set_top_slice, update_contract
from allocate.analysis.scenarios.results import ScenarioResult
from allocate.analysis.scenarios.scenario import Scenario
from allocate.analysis.scenarios.sweeps import HasExecutor, sweep
from allocate.core.frames import MoneyAs, check_money, frame, numeric
from allocate.core.model import Contract, Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["glide_path"]

_PENNY = Decimal("0.01")


def _annual(amount: Decimal, years: int) -> Decimal:
    return (amount / years).quantize(_PENNY, ROUND_HALF_EVEN)


def glide_path(
    problem: Problem,
    contract: str | None = None,
    *,
    target_year: int | None = None,
    max_rate: Any = None,
    target_rate: Any = None,
    executor: cf.Executor | HasExecutor | None = None,
    money: MoneyAs = "float",
    **sweep_options: Any,
) -> pd.DataFrame:
    """The top-slice glide path over a contract's years, and what it means for each member.

    Solves the problem once per contract year with the ``glide_path`` top-slice method (from
    ``max_rate`` in year 1 to ``target_rate`` by ``target_year``, the last year of the term by
    default) and reports, for the hub and for every member funded by the contract, the
    **income in that year** (the award over the term divided by the term, to the penny) and
    its change from year 1.

    Parameters
    ----------
    problem
        The problem; its top-slice policy's rates are kept unless given here.
    contract
        The contract id; by default the one with the longest term.
    target_year
        The year by which the rate reaches ``target_rate``.
    max_rate, target_rate
        Override the policy's rates (e.g. ``"0.10"`` and ``"0.05"``).
    executor, **sweep_options
        As for :func:`sweep`.
    money
        ``"float"`` (the default): money as ``float64`` pounds, other numbers as ``float64``;
        ``"pence"``: money as whole pence; ``"decimal"``: exact ``Decimal`` as computed.  The
        same keyword as every table of ``allocate`` (:mod:`allocate.core.frames`).

    Returns
    -------
    pandas.DataFrame
        Columns ``year``, ``rate`` (the contract's effective rate), ``party`` (``hub`` or a
        member id), ``role`` (``hub``/``member``), ``income``, ``change`` (from year 1) and
        ``status``.

    Examples
    --------
    >>> from allocate.examples import demo_problem
    >>> g = glide_path(demo_problem(), "advice-2026")
    >>> print(g[g.party == "hub"][["year", "rate", "income", "change"]].to_string(index=False))
     year  rate  income  change
        1 0.100 16000.0     0.0
        2 0.075 12000.0 -4000.0
        3 0.050  8000.0 -8000.0
    """
    check_money(money)
    chosen = _contract(problem, contract)
    scenarios = _years(chosen, target_year, max_rate, target_rate)
    results = sweep(problem, scenarios, executor, **sweep_options)
    table = frame(_incomes(chosen, results), columns=list(_Income._fields))
    return numeric(table, money, pounds=["income", "change"], numbers=["rate"])


class _Income(NamedTuple):
    """One party's income in one year of the contract: a row of :func:`glide_path`."""

    year: int
    rate: Decimal | None
    party: str
    role: str
    income: Decimal | None
    change: Decimal | None
    status: str


def _contract(problem: Problem, contract: str | None) -> Contract:
    """The contract of that id, or the one with the longest term."""
    if contract is None:
        return max(problem.contracts, key=lambda c: c.term_years)
    matches = [c for c in problem.contracts if c.id == contract]
    if not matches:
        known = ", ".join(repr(c.id) for c in problem.contracts)
        raise ValueError(f"unknown contract {contract!r} (known: {known})")
    return matches[0]


def _years(
    chosen: Contract, target_year: int | None, max_rate: Any, target_rate: Any
) -> list[Scenario]:
    """One scenario per year of the contract's term, on the glide path."""
    term = chosen.term_years
    policy: dict[str, Any] = {"method": "glide_path", "target_year": target_year or term}
    if max_rate is not None:
        policy["max_rate"] = max_rate
    if target_rate is not None:
        policy["target_rate"] = target_rate
    return [
        Scenario(f"year {y}", [set_top_slice(**policy), update_contract(chosen.id, year=y)])
        for y in range(1, term + 1)
    ]


def _incomes(chosen: Contract, results: list[ScenarioResult]) -> list[_Income]:
    """The hub's and each funded member's income, year by year, with its change from year 1."""
    members = sorted(
        {m for r in results for m, v in r.contract_awards.get(chosen.id, {}).items() if v > 0}
    )
    rows: list[_Income] = []
    first: dict[str, Decimal] = {}
    for y, r in enumerate(results, 1):
        parties = [("hub", "hub", r.top_slices.get(chosen.id))]
        awards = r.contract_awards.get(chosen.id, {})
        parties += [(m, "member", awards.get(m, Decimal(0))) for m in members]
        for party, role, amount in parties:
            income = _annual(amount, chosen.term_years) if amount is not None and r.ok else None
            if y == 1 and income is not None:
                first[party] = income
            change = income - first[party] if income is not None and party in first else None
            rows.append(_Income(y, r.rates.get(chosen.id), party, role, income, change, r.status))
    return rows
