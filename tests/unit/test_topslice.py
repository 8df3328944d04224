from fractions import Fraction

import pytest

from allocate import Problem
from allocate.pipeline.topslice import compute
from tests.conftest import simple_problem


def _ts(top_slice, value="1000", hub=None, year=1, term=1):
    data = simple_problem({"a": value}, value=value, top_slice=top_slice)
    data["contracts"][0].update(year=year, term_years=term)
    if hub:
        data["hub"] = hub
    return compute(Problem.model_validate(data))["c1"]


def test_fixed_defaults_to_max_rate():
    ts = _ts({})
    assert ts.rate == Fraction(1, 10) and ts.amount_pence == 10000
    assert ts.delivery_ratio == 9


def test_fixed_given_rate():
    ts = _ts({"method": "fixed", "rate": "0.05"})
    assert ts.amount_pence == 5000 and ts.delivery_ratio == 19


def test_amount_is_rounded_down_so_the_hub_never_exceeds_its_rate():
    ts = _ts({"rate": "0.07"}, value="0.99")  # 6.93p
    assert ts.amount_pence == 6
    assert Fraction(ts.amount_pence, ts.value_pence) <= Fraction(7, 100)


@pytest.mark.parametrize(
    ("year", "expected"), [(1, "0.10"), (2, "0.0875"), (3, "0.075"), (5, "0.05"), (7, "0.05")]
)
def test_glide_path_is_linear_to_the_target_year(year, expected):
    ts = _ts({"method": "glide_path", "target_year": 5}, year=year, term=8)
    assert ts.rate == Fraction(expected)


def test_cost_recovery_takes_just_what_the_hub_needs():
    # £1,000 a year for 2 years = £500 a year; hub costs £30 a year -> 6%
    ts = _ts({"method": "cost_recovery"}, hub={"annual_cost": "30"}, term=2)
    assert ts.rate == Fraction(6, 100)
    assert ts.under_funded_pence == 0


def test_cost_recovery_is_capped_and_reports_underfunding():
    ts = _ts({"method": "cost_recovery"}, hub={"annual_cost": "80"}, term=2)
    assert ts.rate == Fraction(1, 10)
    assert ts.under_funded_pence == 3000  # needs £80 a year, 10% of £500 gives £50
    assert any("under-funded" in s for s in ts.steps)


def test_lot_shares_of_the_top_slice_add_up():
    data = simple_problem({"a": "1000"}, value="1000.03")
    data["contracts"][0]["lots"] = [
        {"id": f"l{k}", "value": v, "theme": "advice", "area": "Luton"}
        for k, v in enumerate(["333.33", "333.35", "333.35"])
    ]
    data["capacities"] = [{"member": "a", "lot": f"l{k}", "amount": "400"} for k in range(3)]
    ts = compute(Problem.model_validate(data))["c1"]
    assert sum(ts.lot_amounts_pence.values()) == ts.amount_pence
    for lot in data["contracts"][0]["lots"]:
        exact = Fraction(ts.amount_pence) * Fraction(lot["value"]) / Fraction("1000.03")
        assert abs(ts.lot_amounts_pence[lot["id"]] - exact) < 1
