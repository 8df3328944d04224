"""Tables analysts can compute with: money numeric by default, exact on request, one keyword."""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from allocate import Allocation, Problem, solve
from allocate.core.frames import MONEY_CHOICES, numeric
from allocate.examples import demo_problem, tender_demo_dict
from allocate.scenarios import (
    Scenario,
    SweepResults,
    compare,
    constraint_prices,
    glide_path,
    remove_member,
    sensitivity,
    set_policy,
    set_top_slice,
    sweep,
)


@pytest.fixture(scope="module")
def demo() -> Problem:
    return demo_problem()


@pytest.fixture(scope="module")
def allocation(demo: Problem) -> Allocation:
    return solve(demo)


@pytest.fixture(scope="module")
def ring_fenced(demo: Problem) -> Problem:
    return Scenario("rf", [set_policy(small_org_share="0.05")]).apply(demo)


def _tables(demo: Problem, ring_fenced: Problem) -> dict[str, Callable[..., pd.DataFrame]]:
    """Every function and method that returns a DataFrame, ready to call with ``money=``."""
    a = solve(demo)
    tendered = solve(Problem.model_validate(tender_demo_dict()))
    five = [Scenario("5%", [set_top_slice(rate="0.05")])]
    return {
        "to_frame": a.to_frame,
        "members_frame": a.members_frame,
        "pairs_frame": a.pairs_frame,
        "eligibility_frame": a.eligibility_frame,
        "contracts_frame": a.contracts_frame,
        "tenders_frame": tendered.tenders_frame,
        "compare": lambda **kw: compare(demo, five, **kw),
        "glide_path": lambda **kw: glide_path(demo, "advice-2026", **kw),
        "sensitivity": lambda **kw: sensitivity(
            demo, ["luton-youth"], capacity_factors=["1.1"], quality_deltas=[-0.05], **kw
        ),
        "constraint_prices": lambda **kw: constraint_prices(ring_fenced, **kw),
        "constraint_prices by member": lambda **kw: constraint_prices(
            ring_fenced, by_member=True, **kw
        ),
        "SweepResults.to_frame": lambda **kw: sweep(demo, five).to_frame(**kw),
    }


#: The money columns of each table (pounds), and those that hold money on some rows only.
MONEY = {
    "to_frame": ["amount"],
    "members_frame": ["capacity", "fair_share", "award", "top_slice_contribution"],
    "pairs_frame": ["capacity", "fair_share", "award"],
    "eligibility_frame": [],
    "contracts_frame": ["value", "top_slice", "members_total"],
    "tenders_frame": ["capacity", "award"],
    "compare": ["value", "baseline", "change"],
    "glide_path": ["income", "change"],
    "sensitivity": ["base", "value", "award_base", "award", "change"],
    "constraint_prices": ["moved_on", "moved_off", "price", "largest_change"],
    "constraint_prices by member": ["award_on", "award_off", "change"],
    "SweepResults.to_frame": ["value"],
}


def test_every_table_takes_the_same_money_keyword() -> None:
    from allocate.analysis.scenarios.results import SweepResults as Results

    functions = [
        Allocation.to_frame,
        Allocation.members_frame,
        Allocation.pairs_frame,
        Allocation.eligibility_frame,
        Allocation.contracts_frame,
        Allocation.tenders_frame,
        compare,
        glide_path,
        sensitivity,
        constraint_prices,
        Results.to_frame,
    ]
    from allocate.review import Reallocation, TradeDecision, YearPlan, takers_frame

    functions += [
        Reallocation.to_frame,
        TradeDecision.to_frame,
        takers_frame,
        YearPlan.to_frame,
        YearPlan.years_frame,
        YearPlan.contracts_frame,
    ]
    for f in functions:
        p = inspect.signature(f).parameters["money"]
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, f.__qualname__
        assert p.default == "float" == MONEY_CHOICES[0], f.__qualname__


def test_money_is_numeric_by_default_so_tables_plot_and_describe(
    demo: Problem, ring_fenced: Problem
) -> None:
    for name, make in _tables(demo, ring_fenced).items():
        table = make()
        assert set(MONEY[name]) <= set(table.columns) | {table.index.name}, name
        for column in MONEY[name]:
            assert table[column].dtype == "float64", (name, column)
            # what failed with Decimal objects: arithmetic with floats, and statistics
            assert (table[column] * 1.5).notna().sum() == table[column].notna().sum()
        if MONEY[name]:
            assert set(MONEY[name]) <= set(table.describe().columns), name
        assert not any(isinstance(v, Decimal) for c in table.columns for v in table[c].tolist()), (
            name
        )


def test_exact_decimal_on_request_and_pence_as_whole_numbers(allocation: Allocation) -> None:
    exact = allocation.to_frame(money="decimal")
    assert all(isinstance(v, Decimal) for v in exact["amount"])
    assert list(exact["amount"]) == [a.amount for a in allocation.awards]
    pence = allocation.to_frame(money="pence")
    assert pence["amount"].dtype == "Int64"
    assert list(pence["amount"]) == [int(a.amount * 100) for a in allocation.awards]
    assert int(pence["amount"].sum()) == int(sum(a.amount for a in allocation.awards) * 100)
    floats = allocation.to_frame()
    assert list(floats["amount"]) == [float(a.amount) for a in allocation.awards]


def test_pence_keeps_fair_shares_finer_than_a_penny(allocation: Allocation) -> None:
    exact = allocation.pairs_frame(money="decimal")
    pence = allocation.pairs_frame(money="pence")
    assert pence["fair_share"].dtype == "float64" and pence["award"].dtype == "Int64"
    for d, p in zip(exact["fair_share"], pence["fair_share"], strict=True):
        assert p == pytest.approx(float(d * 100), abs=1e-6)


def test_compare_in_pence_scales_money_rows_only(demo: Problem) -> None:
    five = [Scenario("5%", [set_top_slice(rate="0.05")])]
    exact = compare(demo, five, money="decimal").set_index(["scenario", "measure", "item"])
    pence = compare(demo, five, money="pence").set_index(["scenario", "measure", "item"])
    key_money = ("5%", "total", "top_slice")
    key_ratio = ("5%", "fairness", "gini")
    assert pence.loc[key_money, "value"] == float(exact.loc[key_money, "value"] * 100)
    assert pence.loc[key_ratio, "value"] == float(exact.loc[key_ratio, "value"])


def test_an_unknown_money_choice_is_refused_by_name(demo: Problem, ring_fenced: Problem) -> None:
    for name, make in _tables(demo, ring_fenced).items():
        with pytest.raises(ValueError, match=r"money must be one of .*not 'pounds'"):
            make(money="pounds")
        assert name


def test_numeric_refuses_money_that_is_not_whole_pence() -> None:
    table = pd.DataFrame({"award": [Decimal("1.005")]})
    with pytest.raises(ValueError, match=r"column 'award'.*1\.005"):
        numeric(table, "pence", pounds=["award"])


# -- sweep results as one frame ---------------------------------------------------------------


def test_sweep_results_are_a_list_that_becomes_one_tidy_frame(demo: Problem) -> None:
    scenarios = [
        Scenario("5%", [set_top_slice(rate="0.05")]),
        Scenario("broken", [remove_member("ghost")]),
        Scenario("too tight", [set_policy(max_member_share="0.01")]),
    ]
    results = sweep(demo, scenarios, errors="record")
    assert isinstance(results, SweepResults) and isinstance(results, list)
    assert results == list(results) and pickle.loads(pickle.dumps(results)) == results
    table = results.to_frame(money="decimal")
    assert list(table.columns) == ["scenario", "status", "measure", "item", "value"]
    ok, _, tight = results
    rows = table[table.scenario == "5%"].set_index(["measure", "item"])["value"]
    for member, amount in ok.awards.items():
        assert rows["award", member] == amount
    for contract, amount in ok.top_slices.items():
        assert rows["top_slice", contract] == amount
    assert rows["total", "awards"] == ok.metrics["awards"]
    # the invalid scenario shows up, once, with nothing measured
    invalid = table[table.scenario == "broken"]
    assert len(invalid) == 1 and invalid.iloc[0]["status"] == "invalid"
    assert invalid["measure"].isna().all()
    # an infeasible one keeps its rows, values missing
    assert tight.status == "infeasible"
    assert table[table.scenario == "too tight"]["value"].isna().all()


def test_sweep_frame_agrees_with_compare(demo: Problem) -> None:
    scenarios = [Scenario("baseline"), Scenario("9%", [set_top_slice(rate="0.09")])]
    swept = sweep(demo, scenarios).to_frame()
    compared = compare(demo, scenarios[1:])
    keys = ["scenario", "measure", "item"]
    merged = compared.merge(swept, on=keys, suffixes=("", "_sweep"))
    assert len(merged) == len(compared)
    assert (merged["value"].fillna(-1) == merged["value_sweep"].fillna(-1)).all()


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, float) for v in values)


def test_to_frame_in_pence_gives_money_rows_in_pence(demo: Problem) -> None:
    results = sweep(demo, [Scenario("base")])
    exact = results.to_frame(money="decimal")
    pence = results.to_frame(money="pence")
    assert _numeric(pence["value"].tolist())
    for (m, i, d), p in zip(
        exact[["measure", "item", "value"]].itertuples(index=False), pence["value"], strict=True
    ):
        money = m in ("award", "fair_share", "capacity", "top_slice") or i in (
            "top_slice",
            "awards",
            "moved_from_rule",
        )
        expected = d * 100 if money else d
        assert p == pytest.approx(float(expected)), (m, i)


def test_the_tenders_table_gives_every_bid_exactly_and_in_pence() -> None:
    a = solve(Problem.model_validate(tender_demo_dict()))
    exact = a.tenders_frame(money="decimal")
    bids = [(t, b) for t in a.audit.tenders for b in t.bids]
    assert len(exact) == len(bids) > 0
    assert list(exact["member"]) == [b.member for _, b in bids]
    assert list(exact["award"]) == [b.award for _, b in bids]
    assert list(exact["total"]) == [Decimal(b.total) for _, b in bids]
    assert list(exact["winner"]) == [b.member in t.winners for t, b in bids]
    # the awards of a lot's bids are the lot's awards, to the penny
    for lot, rows in exact.groupby("lot"):
        assert rows["award"].sum() == sum(x.amount for x in a.awards if x.lot == lot)
    pence = a.tenders_frame(money="pence")
    assert pence["award"].dtype == "Int64" and str(pence["rank"].dtype) == "Int64"
    assert list(pence["award"]) == [int(b.award * 100) for _, b in bids]
    floats = a.tenders_frame()
    assert floats["total"].dtype == "float64" and floats["quality"].dtype == "float64"
    # a problem without a sub-tendered lot has an empty table with the same columns
    empty = solve(demo_problem()).tenders_frame()
    assert empty.empty and list(empty.columns) == list(floats.columns)
