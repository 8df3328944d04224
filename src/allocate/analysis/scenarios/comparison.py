"""Comparison: scenarios solved and tabulated against a baseline, as a tidy DataFrame."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from allocate.analysis.scenarios.life_results import ReviewResult, YearsResult, life_compare
from allocate.analysis.scenarios.results import METRICS, ScenarioResult, is_money
from allocate.analysis.scenarios.scenario import Scenario
from allocate.analysis.scenarios.sweeps import HasExecutor, sweep
from allocate.core.frames import MoneyAs, check_money, frame, numeric
from allocate.core.model import Problem

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COMPARE_COLUMNS", "compare"]


COMPARE_COLUMNS = ["scenario", "status", "measure", "item", "value", "baseline", "change"]


def compare(
    problem: Problem,
    scenarios: Iterable[Scenario],
    *,
    baseline: str | None = None,
    executor: cf.Executor | HasExecutor | None = None,
    money: MoneyAs = "float",
    **sweep_options: Any,
) -> pd.DataFrame:
    """Solve scenarios and tabulate them against a baseline, as a tidy DataFrame.

    One row per scenario and quantity (``measure``, ``item``):

    ============  =====================  ====================================================
    measure       item                   value
    ============  =====================  ====================================================
    award         a member id            its total award across contracts (£)
    top_slice     a contract id          the hub's top-slice of the contract (£)
    total         ``top_slice``,         the hub's total, the members' total, how many
                  ``awards``,            members receive anything
                  ``members_funded``
    fairness      ``min_ratio``, ...     the audit's fairness metrics
    ============  =====================  ====================================================

    ``value``, ``baseline`` and ``change`` (value − baseline) are computed exactly and given
    as ``money`` asks: ``float64`` by default, ready to plot; a member absent from one side
    (joined or left) counts £0 there; values of a scenario with no allocation (``status`` not
    ``optimal``) are missing.

    Parameters
    ----------
    problem
        The problem.
    scenarios
        Scenarios with unique names.
    baseline
        The name of the scenario to compare against; by default the unchanged problem, added
        as a scenario named ``"baseline"``.
    executor, **sweep_options
        As for :func:`sweep`; with ``version=`` and ``review=`` it compares reviews, with
        ``years=`` year plans (below).
    money
        ``"float"`` (the default): money as ``float64`` pounds, other numbers as ``float64``;
        ``"pence"``: money as whole pence; ``"decimal"``: exact ``Decimal`` as computed.  The
        same keyword as every table of ``allocate`` (:mod:`allocate.core.frames`).
        ``value`` holds money and ratios together, so under ``"pence"`` it is ``float64``
        with the money rows in pence.

    **Reviews and year plans.**  Compared the same way, measure by measure: for reviews
    ``award`` (the new version's award), ``remaining_after``, ``moved``, ``delivered``,
    ``remaining_before``, ``as_made`` per member and the ``total`` rows; for year plans, with a
    ``year`` column, ``award`` per member and ``top_slice`` per contract each year, then the
    term's ``term_award`` per member and ``total`` rows (``year`` missing); see
    :meth:`SweepResults.to_frame`.  :func:`allocate.plots.plot_comparison` draws either
    (``measure="remaining_after"``; a year plan's ``measure="term_award"``, or one year's rows).

    Examples
    --------
    >>> from allocate.examples import demo_problem
    >>> from allocate.scenarios import Scenario, set_top_slice
    >>> f = compare(demo_problem(), [Scenario("5%", [set_top_slice(rate="0.05")])])
    >>> totals = f.query("scenario == '5%' and measure == 'total'")
    >>> print(totals[["item", "value", "change"]].to_string(index=False))
              item     value   change
         top_slice   61000.0 -61000.0
            awards 1159000.0  61000.0
    members_funded       8.0      0.0
    """
    check_money(money)
    items, base = _with_baseline(list(scenarios), baseline)
    results = sweep(problem, items, executor, **sweep_options)
    if isinstance(results[base], ReviewResult | YearsResult):
        return life_compare(results, results[base], money)
    table = _tidy(results, results[base])
    money_rows = [is_money(m, i) for m, i in zip(table["measure"], table["item"], strict=True)]
    return numeric(table, money, mixed=["value", "baseline", "change"], money_rows=money_rows)


def _with_baseline(items: list[Scenario], baseline: str | None) -> tuple[list[Scenario], int]:
    """The scenarios to solve and the position of the baseline among them.

    With no baseline named, the unchanged problem is added first as ``"baseline"``.
    """
    if baseline is None:
        items = [Scenario("baseline"), *items]
        baseline = "baseline"
    names = [s.name for s in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"scenario names must be unique in a comparison; repeated: {dupes}")
    if baseline not in names:
        raise ValueError(f"no scenario is named {baseline!r} (the baseline)")
    return items, names.index(baseline)


def _quantities(r: ScenarioResult) -> dict[tuple[str, str], Decimal | None]:
    out: dict[tuple[str, str], Decimal | None] = {}
    for member, amount in r.awards.items():
        out["award", member] = amount if r.ok else None
    for contract, amount in r.top_slices.items():
        out["top_slice", contract] = amount if r.ok else None
    for key in METRICS:
        out[key] = r.metrics.get(key[1]) if r.ok else None
    return out


def _tidy(results: list[ScenarioResult], base: ScenarioResult) -> pd.DataFrame:
    base_q = _quantities(base)
    order: dict[tuple[str, str], int] = {}
    per: list[dict[tuple[str, str], Decimal | None]] = []
    for r in results:
        q = _quantities(r)
        per.append(q)
        for key in q:
            order.setdefault(key, len(order))
    measures = {"award": 0, "top_slice": 1, "total": 2, "fairness": 3}
    keys = sorted(order, key=lambda k: (measures[k[0]], order[k]))
    rows = []
    for r, q in zip(results, per, strict=True):
        for key in keys:
            if r.status == "invalid":
                continue
            absent_is_zero = key[0] in ("award", "top_slice")
            value = q.get(key, Decimal(0) if absent_is_zero and r.ok else None)
            ref = base_q.get(key, Decimal(0) if absent_is_zero and base.ok else None)
            change = value - ref if value is not None and ref is not None else None
            rows.append((r.scenario, r.status, key[0], key[1], value, ref, change))
    return frame(rows, columns=COMPARE_COLUMNS)
