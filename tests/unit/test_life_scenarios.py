"""Scenarios over the life of a contract: reviews and year plans swept and compared like
allocations, each row checked against calling reallocate / plan_years directly, and by hand."""

from __future__ import annotations

import concurrent.futures as cf
import pickle
from decimal import Decimal
from fractions import Fraction

import matplotlib
import matplotlib.pyplot as plt
import pytest

import allocate
import allocate.plots
from allocate.review import YearPlanInput, plan_years, reallocate
from allocate.scenarios import (
    ReviewResult,
    Scenario,
    ScenarioError,
    YearsResult,
    compare,
    scale_capacity,
    scale_deliveries,
    set_delivery,
    set_outcome,
    set_policy,
    set_review,
    set_review_policy,
    set_stability,
    set_top_slice,
    set_year,
    sweep,
)
from tests.unit.test_review import CAPS, _problem, _review
from tests.unit.test_years import _glide
from tests.unit.test_years import _problem as _years_problem

matplotlib.use("Agg")

DELIVERIES = [
    {"member": "a", "lot": "l1", "amount": "180"},
    {"member": "b", "lot": "l1", "amount": "90"},
    {"member": "c", "lot": "l1", "amount": "90"},
]
REVIEW_SCENARIOS = [
    Scenario("no new work", [set_review_policy(requires_improvement="no_new_work")]),
    Scenario("keep", [set_review_policy(requires_improvement="keep")]),
    Scenario("b slower", [scale_deliveries("0.5", member="b")]),
    Scenario("a late, c good", [set_delivery("a", "l1", "120"), set_outcome("c", "good")]),
    Scenario("more capacity", [scale_capacity("c", 2)]),
]


def _setting() -> tuple[allocate.Problem, allocate.Allocation, allocate.review.ReviewInput]:
    p = _problem(CAPS)
    review = _review(
        deliveries=DELIVERIES, outcomes=[{"member": "b", "outcome": "requires_improvement"}]
    )
    return p, allocate.solve(p), review


def _members(frame, scenario: str, measure: str) -> dict[str, Decimal]:
    rows = frame[(frame["scenario"] == scenario) & (frame["measure"] == measure)]
    return dict(zip(rows["item"], rows["value"], strict=True))


def test_each_review_scenario_equals_reallocating_its_changed_review_directly() -> None:
    p, made, review = _setting()
    results = sweep(p, REVIEW_SCENARIOS, version=made, review=review, keep_allocations=True)
    table = results.to_frame(money="decimal")
    for scenario, result in zip(REVIEW_SCENARIOS, results, strict=True):
        assert isinstance(result, ReviewResult) and result.ok
        changed_p, changed_r = scenario.apply_review(p, review, made)
        direct = reallocate(changed_p, made, changed_r)
        assert result.document == direct
        expected: dict[str, Decimal] = {}
        for a in direct.awards:
            expected[a.member] = expected.get(a.member, Decimal(0)) + a.amount
        got = {m: v for m, v in _members(table, scenario.name, "award").items() if v}
        assert got == expected, scenario.name
        totals = _members(table, scenario.name, "total")
        assert totals["moved"] == direct.moved
        assert totals["awards"] + sum(c.top_slice for c in direct.contracts) == Decimal("1000.00")


def test_review_scenarios_by_hand() -> None:
    p, made, review = _setting()
    table = sweep(p, REVIEW_SCENARIOS, version=made, review=review).to_frame(money="pence")
    # no new work for b: £540 remains after £360 delivered; a (£420 left) and c (£210) share it
    # 2 : 1 → £360 and £180; b keeps its £90
    assert _members(table, "no new work", "award") == {"a": 54000, "b": 9000, "c": 27000}
    # b delivered £45, so its rate leaves it £45; £585 remains, shared 420 : 45 : 210
    # → £364, £39, £182
    assert _members(table, "b slower", "remaining_after") == {"a": 36400, "b": 3900, "c": 18200}
    totals = _members(table, "b slower", "total")
    assert totals["members_cut"] == 1 and totals["members_no_new_work"] == 0
    totals = _members(table, "no new work", "total")
    assert totals["members_cut"] == 0 and totals["members_no_new_work"] == 1


def test_a_review_comparison_gives_the_change_from_the_baseline_review() -> None:
    p, made, review = _setting()
    frame = compare(p, REVIEW_SCENARIOS[:2], version=made, review=review, money="decimal")
    base = reallocate(p, made, review)
    base_award = {a.member: a.amount for a in base.awards}
    rows = frame[(frame["scenario"] == "no new work") & (frame["measure"] == "award")]
    for item, value, ref, change in zip(
        rows["item"], rows["value"], rows["baseline"], rows["change"], strict=True
    ):
        assert ref == base_award[item] and change == value - ref
    assert list(frame.columns) == [
        "scenario",
        "status",
        "measure",
        "item",
        "value",
        "baseline",
        "change",
    ]
    ax = allocate.plots.plot_comparison(frame, measure="remaining_after")
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"no new work", "keep"}
    plt.close("all")


def _fixed_years() -> allocate.Problem:
    return _years_problem(method="fixed", rate="0.1")


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    exact = [Fraction(total * w, sum(weights)) for w in weights]
    floors = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda k: -(exact[k] - floors[k]))
    for k in order[: total - sum(floors)]:
        floors[k] += 1
    return floors


def test_a_stability_share_of_zero_holds_awards_and_a_large_one_gives_the_rule() -> None:
    p = _fixed_years()  # £1,000 a year, 10% top-slice: £900 a year for a, b, c
    plan = YearPlanInput.model_validate(
        {"years": [{"year": 2, "capacities": [{"member": "b", "lot": "l1", "amount": "280"}]}]}
    )
    scenarios = [
        Scenario("none", [set_stability(None)]),
        Scenario("zero", [set_stability("0")]),
        Scenario("half", [set_stability("0.5")]),
    ]
    results = sweep(p, scenarios, years=plan, keep_allocations=True)
    table = results.to_frame(money="pence")
    for scenario, result in zip(scenarios, results, strict=True):
        assert isinstance(result, YearsResult) and result.ok
        changed_p, changed_plan = scenario.apply_years(p, plan)
        assert result.document == plan_years(changed_p, changed_plan)

    def year(name: str, y: int) -> dict[str, int]:
        rows = table[
            (table["scenario"] == name) & (table["measure"] == "award") & (table["year"] == y)
        ]
        return dict(zip(rows["item"], rows["value"], strict=True))

    # year 1: capacities 500 : 300 : 200 share £900 → £450, £270, £180
    assert year("zero", 1) == {"a": 45000, "b": 27000, "c": 18000}
    # s = 0: a and c held at last year's award exactly; b (capacity changed) takes the rest
    assert year("zero", 2) == {"a": 45000, "b": 27000, "c": 18000}
    # s = 0.5 binds nobody: the rule's shares of £900 on capacities 500 : 280 : 200
    rule = dict(zip("abc", _largest_remainder(90000, [500, 280, 200]), strict=True))
    assert year("half", 2) == rule == year("none", 2)
    totals = _members(table, "zero", "total")
    assert totals["members_held"] == 4  # a and c in years 2 and 3
    assert _members(table, "none", "total")["members_held"] == 0


def test_a_glide_path_scenario_gives_each_year_its_top_slice() -> None:
    p = _fixed_years()
    frame = compare(
        p,
        [Scenario("glide", [set_top_slice(method="glide_path", target_year=3)])],
        years=YearPlanInput(),
        money="decimal",
    )
    rows = frame[(frame["scenario"] == "glide") & (frame["measure"] == "top_slice")]
    for y, value, base in zip(rows["year"], rows["value"], rows["baseline"], strict=True):
        assert value == Decimal(int(_glide(int(y)) * 1000)).quantize(Decimal("0.01"))
        assert base == Decimal("100.00")  # the fixed 10% of £1,000
    term = frame[(frame["scenario"] == "glide") & (frame["measure"] == "term_award")]
    assert term["year"].isna().all()
    assert sum(term["value"]) == Decimal(3000) - Decimal(100 + 75 + 50)
    ax = allocate.plots.plot_comparison(frame, measure="term_award")
    assert ax.get_legend().get_texts()[0].get_text() == "glide"
    plt.close("all")


def test_review_and_year_sweeps_are_the_same_on_an_executor_and_pickle() -> None:
    p, made, review = _setting()
    here = sweep(p, REVIEW_SCENARIOS, version=made, review=review)
    with cf.ThreadPoolExecutor(2) as pool:
        assert sweep(p, REVIEW_SCENARIOS, pool, version=made, review=review, chunksize=2) == here
    assert pickle.loads(pickle.dumps(here)) == here
    assert pickle.loads(pickle.dumps(REVIEW_SCENARIOS)) == REVIEW_SCENARIOS
    plan = YearPlanInput(stability=Decimal("0.1"))
    years = [Scenario(f"s={s}", [set_stability(s)]) for s in ("0.05", "0.2")]
    with cf.ThreadPoolExecutor(2) as pool:
        assert sweep(_fixed_years(), years, pool, years=plan) == sweep(
            _fixed_years(), years, years=plan
        )


def test_bad_review_and_year_scenarios_name_the_change_the_field_and_the_value() -> None:
    p, made, review = _setting()

    def fails(scenario: Scenario, **kw) -> ScenarioError:
        with pytest.raises(ScenarioError) as caught:
            sweep(p if "years" not in kw else _fixed_years(), [scenario], **kw)
        return caught.value

    on_review = {"version": made, "review": review}
    err = fails(Scenario("over", [set_delivery("a", "l1", "400")]), **on_review)
    assert err.position == 1 and "deliveries" in str(err) and "a/l1" in str(err)
    assert "400" in str(err) and "above the award" in str(err)
    err = fails(Scenario("who", [set_outcome("zz", "good")]), **on_review)
    assert "outcomes" in str(err) and "'zz'" in str(err)
    err = fails(Scenario("what", [set_outcome("a", "terrible")]), **on_review)
    assert "unknown review outcome" in err.reason and err.value == "terrible"
    err = fails(Scenario("late", [set_review(elapsed="1.5")]), **on_review)
    assert "elapsed" in str(err) and "1.5" in str(err)
    err = fails(Scenario("policy", [set_review_policy(good="sack")]), **on_review)
    assert "policy.good" in str(err) and "sack" in str(err)
    err = fails(Scenario("nothing to scale", [scale_deliveries("2", member="zz")]), **on_review)
    assert err.value == "zz"
    on_years = {"years": YearPlanInput()}
    err = fails(Scenario("wobbly", [set_stability("1.5")]), **on_years)
    assert "stability" in str(err) and "1.5" in str(err)
    err = fails(Scenario("year 9", [set_year(9, values={"l1": "10"})]), **on_years)
    assert "years[0]" in str(err) and "9" in str(err)
    # a change of the wrong kind is refused by name, with where it belongs
    err = fails(Scenario("review in a plan", [set_outcome("a", "good")]), **on_years)
    assert err.position == 1 and "review" in err.reason
    with pytest.raises(ScenarioError, match="year plan"):
        Scenario("plan on a problem", [set_stability("0.1")]).apply(p)
    # the blame falls on the first change that breaks the inputs
    two = Scenario("two", [set_policy(rule="talmud"), set_delivery("b", "l1", "999")])
    assert fails(two, **on_review).position == 2


def test_sweep_options_of_reviews_and_year_plans_are_checked() -> None:
    p, made, review = _setting()
    with pytest.raises(ValueError, match="version="):
        sweep(p, [], review=review)
    with pytest.raises(ValueError, match="not both"):
        sweep(p, [], version=made, review=review, years=YearPlanInput())
    with pytest.raises(ValueError, match="time_limit only"):
        sweep(p, [], version=made, review=review, solve_options={"method": "lp"})
    with pytest.raises(TypeError, match="ReviewInput"):
        sweep(p, [], version=made, review={"elapsed": "0.5"})  # type: ignore[arg-type]
    bad = _review(deliveries=[{"member": "a", "lot": "l1", "amount": "999"}])
    with pytest.raises(allocate.ProblemError, match="above the award"):
        sweep(p, [], version=made, review=bad)
    recorded = sweep(
        p,
        [Scenario("fine"), Scenario("over", [set_delivery("a", "l1", "400")])],
        version=made,
        review=review,
        errors="record",
    )
    assert (
        recorded[0].ok
        and recorded[1].status == "invalid"
        and "above the award" in (recorded[1].error or "")
    )
    frame = recorded.to_frame()
    assert frame[frame["scenario"] == "over"]["measure"].isna().all()
