"""Year-on-year allocation (issue 14, item 4), on plans worked by hand.

Every expected figure is derived here from the input, independently of the library: the glide
path's rate per year, the year's value and capacities, the proportional split, and the stability
bounds ⌈(1 − s)·prev⌉ .. ⌊(1 + s)·prev⌋ in pence.
"""

from __future__ import annotations

import inspect
import json
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import jsonschema
import pytest

import allocate
from allocate.core.frames import MONEY_CHOICES
from allocate.core.schema import output_schema
from allocate.review import YearPlan, YearPlanInput, plan_years, year_problem
from tests.unit.test_review import _member

CAPS = {"a": "1500", "b": "900", "c": "600"}  # over the three-year term


def _problem(caps: dict[str, str] = CAPS, value: str = "3000", **top: Any) -> allocate.Problem:
    lot = {"id": "l1", "value": value, "theme": "advice", "area": "Luton"}
    return allocate.Problem.model_validate(
        {
            "members": [_member(m) for m in caps],
            "contracts": [{"id": "c1", "value": value, "term_years": 3, "lots": [lot]}],
            "capacities": [{"member": m, "lot": "l1", "amount": c} for m, c in caps.items()],
            "top_slice": top or {"method": "glide_path", "target_year": 3},
        }
    )


def _plan(**fields: Any) -> YearPlanInput:
    return YearPlanInput.model_validate(fields)


def _glide(year: int, target_year: int = 3) -> Fraction:
    """10% in year 1 to 5% in the target year, linearly (the founding rule's glide path)."""
    if year >= target_year:
        return Fraction(5, 100)
    return Fraction(10, 100) - Fraction(5, 100) * Fraction(year - 1, target_year - 1)


def _pence(d: Decimal) -> int:
    return int(d * 100)


def _by_member(plan: YearPlan, year: int) -> dict[str, int]:
    return {m.member: _pence(m.award) for m in plan.years[year - 1].members}


def test_glide_path_per_year_and_the_proportional_split_without_stability() -> None:
    plan = plan_years(_problem(), _plan())
    assert plan.status.is_ok and [y.year for y in plan.years] == [1, 2, 3]
    caps = {m: int(Decimal(c) * 100) // 3 for m, c in CAPS.items()}  # a third of each, exactly
    for y in plan.years:
        value = 100_000  # £3,000 over 3 years
        top = math.floor(_glide(y.year) * value)
        assert _pence(y.contracts[0].top_slice) == top
        pot = value - top
        # capacities 500/300/200 absorb £1,000 > pot: proportional shares pot × c / 1,000
        expected = {m: Fraction(pot * c, sum(caps.values())) for m, c in caps.items()}
        got = _by_member(plan, y.year)
        for m, share in expected.items():
            assert abs(got[m] - share) < 1, (y.year, m)
        assert sum(got.values()) + top == value  # to the penny, every year
    # the hand-worked figures: pots £900, £925, £950 split 5:3:2
    assert _by_member(plan, 1) == {"a": 45000, "b": 27000, "c": 18000}
    assert _by_member(plan, 2) == {"a": 46250, "b": 27750, "c": 18500}
    assert _by_member(plan, 3) == {"a": 47500, "b": 28500, "c": 19000}
    assert plan.checks[0].name == "term_balance" and plan.checks[0].passed


def test_stability_bounds_are_exact_pence_and_bind_after_a_capacity_change() -> None:
    # year 2: b's capacity falls to £250 (changed: not held); a and c are held within ±8%
    share = Fraction(8, 100)
    change = {"year": 2, "capacities": [{"member": "b", "lot": "l1", "amount": "250"}]}
    plan = plan_years(_problem(), _plan(stability="0.08", years=[change]))
    assert plan.status.is_ok
    year1 = _by_member(plan, 1)
    rows = {m.member: m for m in plan.years[1].members}
    for m in ("a", "c"):
        low = math.ceil((1 - share) * year1[m])
        high = math.floor((1 + share) * year1[m])
        assert rows[m].held and (_pence(rows[m].low), _pence(rows[m].high)) == (low, high)
        assert low <= _pence(rows[m].award) <= high
    assert not rows["b"].held and "capacity changed" in rows["b"].reason
    # by hand: pot £925; fair shares 500:250:200 of it would give a £486.84, c £194.74, above
    # their upper bounds £486.00 and £194.40; both are held there (the same ratio to their
    # fair shares, 0.99827 ...) and b takes the rest, £244.60, within its £250 capacity
    got = _by_member(plan, 2)
    assert abs(got["a"] - 48600) <= 1 and abs(got["c"] - 19440) <= 1
    assert abs(got["b"] - (92500 - 48600 - 19440)) <= 1
    assert sum(got.values()) == 92500
    assert {c.name: c.passed for c in plan.years[1].checks}["stability"]
    # year 3: b's capacity is back to the split (£300): changed again, so not held
    assert "capacity changed" in {m.member: m for m in plan.years[2].members}["b"].reason


def test_a_stability_rule_no_year_can_keep_is_diagnosed_by_member() -> None:
    # ±2%: upper bounds 459 + 275.40 + 183.60 = £918 < the year-2 pot of £925: £7 must give
    plan = plan_years(_problem(), _plan(stability="0.02"))
    assert plan.status is allocate.Status.INFEASIBLE
    assert [y.year for y in plan.years] == [1, 2]  # stops at the year that failed
    failed = plan.years[1]
    assert failed.awards == [] and failed.diagnosis is not None
    highs = sum(math.floor(Fraction(102, 100) * p) for p in (45000, 27000, 18000))
    short = 92500 - highs
    assert short == 700
    total = sum(_pence(r.amount or Decimal(0)) for r in failed.diagnosis.relaxations)
    assert total == short
    assert all(r.condition.startswith("stability:") for r in failed.diagnosis.relaxations)
    assert "a, b, c" in failed.diagnosis.summary and "£7.00" in failed.diagnosis.summary


def test_nothing_changed_and_a_loose_rule_gives_the_rule_s_shares_each_year() -> None:
    free = plan_years(_problem(), _plan())
    loose = plan_years(_problem(), _plan(stability="0.5"))
    assert [y.awards for y in free.years] == [y.awards for y in loose.years]
    assert all(m.held for m in loose.years[2].members)


def test_given_values_and_an_even_split_with_odd_pennies() -> None:
    p = _problem(value="1000.01", rate="0.05")  # fixed 5%: £1,000.01 over 3 years
    plan = plan_years(p, _plan())
    values = [_pence(y.contracts[0].value) for y in plan.years]
    assert values == [33334, 33334, 33333]  # the earlier years take the odd pennies
    given = _plan(years=[{"year": n, "values": {"l1": v}} for n, v in ((1, "500"), (2, "300"))])
    with pytest.raises(allocate.ProblemError) as err:
        plan_years(_problem(), given)
    assert "year(s) 3" in str(err.value) and "l1" in str(err.value)
    wrong = _plan(years=[{"year": n, "values": {"l1": "900"}} for n in (1, 2, 3)])
    with pytest.raises(allocate.ProblemError) as err:
        plan_years(_problem(), wrong)
    assert "£2,700.00" in str(err.value) and "£3,000.00" in str(err.value)
    uneven = _plan(years=[{"year": n, "values": {"l1": v}} for n, v in enumerate("123", 1)])
    with pytest.raises(allocate.ProblemError):
        plan_years(_problem(), uneven)  # adds up to £6, not £3,000
    right = _plan(
        years=[{"year": n, "values": {"l1": v}} for n, v in ((1, "1500"), (2, "900"), (3, "600"))]
    )
    plan = plan_years(_problem(), right)
    # capacities follow the work: a's £1,500 splits 750/450/300, and every year the pot is
    # below total capacity, so shares stay 5:3:2
    y2 = year_problem(_problem(), right, 2)
    assert y2 is not None
    assert {c.member: c.amount for c in y2.capacities} == {
        "a": Decimal("450.00"),
        "b": Decimal("270.00"),
        "c": Decimal("180.00"),
    }
    for y in plan.years:
        total = sum(_by_member(plan, y.year).values()) + _pence(y.contracts[0].top_slice)
        assert total == _pence(y.contracts[0].value)


def test_refused_inputs_name_the_field_and_value() -> None:
    with pytest.raises(allocate.ProblemError) as err:
        plan_years(_problem(method="cost_recovery"), _plan())
    assert "cost_recovery" in str(err.value)
    with pytest.raises(allocate.ProblemError) as err:
        plan_years(_problem(), _plan(years=[{"year": 4}]))
    assert "years[0].year" in str(err.value) and "[value: 4]" in str(err.value)
    with pytest.raises(allocate.ProblemError) as err:
        plan_years(_problem(), _plan(years=[{"year": 2, "values": {"nope": "1"}}]))
    assert "unknown lot" in str(err.value) and "nope" in str(err.value)


def test_an_eligibility_change_releases_the_member_from_its_bounds() -> None:
    caps = {"a": "2400", "b": "1200", "c": "600"}  # 800/400/200 a year: room without c
    failed_qa = {**_member("c"), "qa_passed": False}
    plan = plan_years(
        _problem(caps), _plan(stability="0.25", years=[{"year": 2, "members": [failed_qa]}])
    )
    assert plan.status.is_ok
    rows = {m.member: m for m in plan.years[1].members}
    assert rows["c"].award == 0 and not rows["c"].held
    assert "eligibility changed" in rows["c"].reason and "no longer for l1" in rows["c"].reason
    year1 = _by_member(plan, 1)
    for m in ("a", "b"):  # still held: within ±25% of last year, in exact pence
        low = math.ceil(Fraction(3, 4) * year1[m])
        high = math.floor(Fraction(5, 4) * year1[m])
        assert rows[m].held and low <= _pence(rows[m].award) <= high
    # by hand: pot £925 split 8:4 (c's work goes to a and b), inside both bounds
    assert _by_member(plan, 2) == {"a": 61667, "b": 30833, "c": 0}


def test_tables_take_the_money_keyword_and_the_years_table_adds_up() -> None:
    plan = plan_years(_problem(), _plan(stability="0.1"))
    for method in (YearPlan.to_frame, YearPlan.years_frame, YearPlan.contracts_frame):
        p = inspect.signature(method).parameters["money"]
        assert p.kind is inspect.Parameter.KEYWORD_ONLY and p.default == MONEY_CHOICES[0]
    wide = plan.years_frame(money="pence")
    assert list(wide.columns) == [1, 2, 3]
    for year in (1, 2, 3):
        column = wide[year]
        assert int(column.drop(["top_slice", "value"]).sum()) + int(column["top_slice"]) == int(
            column["value"]
        )
    assert plan.years_frame()[1].dtype == "float64"
    exact = plan.to_frame(money="decimal")
    assert all(isinstance(v, Decimal) for v in exact["award"])
    assert plan.contracts_frame()["rate"].tolist() == [float(_glide(y)) for y in (1, 2, 3)]


def test_the_year_plan_validates_against_the_published_output_schema() -> None:
    plan = plan_years(_problem(), _plan(stability="0.02"))
    doc = json.loads(plan.model_dump_json())
    jsonschema.validate(doc, output_schema())
    assert YearPlan.model_validate_json(plan.model_dump_json()) == plan


def test_year_and_reallocation_plots_label_members_by_id_and_cap_their_height() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from allocate.plots import MAX_HEIGHT, plot_reallocation, plot_years
    from allocate.review import ReviewInput, reallocate

    plan = plan_years(_problem(), _plan(stability="0.1"))
    ax = plot_years(plan, top=2)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a", "b", "1 other", "hub's top-slice"]
    p = _problem()
    made = allocate.solve(p)
    after = reallocate(p, made, ReviewInput.model_validate({"elapsed": "0.5"}))
    ax = plot_reallocation(after, top=1)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2 others", "a"]
    assert ax.figure.get_size_inches()[1] <= MAX_HEIGHT
    plt.close("all")
