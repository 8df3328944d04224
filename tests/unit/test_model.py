import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from allocate import Problem, ProblemError, SizeBand
from tests.conftest import member, simple_problem


def test_valid_problem_round_trips_through_json():
    p = Problem.model_validate(simple_problem({"a": "600", "b": "700"}))
    again = Problem.model_validate_json(p.model_dump_json())
    assert again == p
    assert again.model_dump_json() == p.model_dump_json()


def test_money_from_json_numbers_is_exact():
    text = json.dumps(simple_problem({"a": "600"})).replace('"600"', "600.1")
    p = Problem.model_validate_json(text)
    assert p.capacities[0].amount == Decimal("600.10")


def test_inputs_are_frozen_and_reject_unknown_fields():
    p = Problem.model_validate(simple_problem({"a": "600"}))
    with pytest.raises(ValidationError):
        p.members[0].quality_score = 0.1  # type: ignore[misc]
    data = simple_problem({"a": "600"})
    data["members"][0]["colour"] = "blue"
    with pytest.raises(ProblemError, match="colour"):
        Problem.model_validate(data)


@pytest.mark.parametrize(
    ("income", "band"),
    [
        ("0", SizeBand.MICRO),
        ("9999.99", SizeBand.MICRO),
        ("10000", SizeBand.SMALL),
        ("99999.99", SizeBand.SMALL),
        ("100000", SizeBand.MEDIUM),
        ("999999", SizeBand.MEDIUM),
        ("1000000", SizeBand.LARGE),
        ("9999999.99", SizeBand.LARGE),
        ("10000000", SizeBand.MAJOR),
    ],
)
def test_size_bands_follow_the_sector_thresholds(income, band):
    data = simple_problem({"a": "600"})
    data["members"][0]["annual_income"] = income
    assert Problem.model_validate(data).members[0].size_band is band


def test_every_issue_is_reported_together_with_id_and_value():
    data = simple_problem({"a": "600", "b": "700"})
    data["members"][0]["annual_income"] = "-5"
    data["members"][1]["quality_score"] = 1.5
    data["members"].append(member("a"))
    data["capacities"].append({"member": "ghost", "lot": "l1", "amount": "5"})
    data["capacities"].append({"member": "a", "lot": "nowhere", "amount": "5"})
    with pytest.raises(ProblemError) as info:
        Problem.model_validate(data)
    issues = info.value.issues
    text = str(info.value)
    # field-level problems
    assert any(
        i.location == "members[0].annual_income" and i.id == "a" and i.value == "-5" for i in issues
    )
    assert any(
        i.location == "members[1].quality_score" and i.id == "b" and i.value == 1.5 for i in issues
    )
    assert "must not be negative" in text


def test_cross_reference_issues_are_all_reported():
    data = simple_problem({"a": "600", "b": "700"})
    data["members"].append(member("a"))
    data["capacities"].append({"member": "ghost", "lot": "l1", "amount": "5"})
    data["capacities"].append({"member": "a", "lot": "nowhere", "amount": "5"})
    data["capacities"].append({"member": "b", "lot": "l1", "amount": "5"})
    data["contracts"][0]["value"] = "999"
    data["top_slice"] = {"rate": "0.2", "target_rate": "0.5"}
    with pytest.raises(ProblemError) as info:
        Problem.model_validate(data)
    by_message = {(i.location, i.message.split(" (")[0]): i for i in info.value.issues}
    messages = " | ".join(str(i) for i in info.value.issues)
    assert "duplicate member id" in messages
    assert any(i.message == "unknown member" and i.value == "ghost" for i in info.value.issues)
    assert any(i.message == "unknown lot" and i.value == "nowhere" for i in info.value.issues)
    assert "declared twice" in messages
    assert any(
        i.location == "contracts[0].value" and i.id == "c1" and i.value == "999.00"
        for i in info.value.issues
    )
    assert any(i.location == "top_slice.rate" for i in info.value.issues)
    assert any(i.location == "top_slice.target_rate" for i in info.value.issues)
    assert len(info.value.issues) >= 7
    assert by_message


def test_problem_error_is_a_value_error():
    with pytest.raises(ValueError, match="JSON"):
        Problem.model_validate_json("{not json")
    with pytest.raises(ProblemError, match="top level"):
        Problem.model_validate_json("[1, 2]")


def test_unit_priced_lots_are_checked():
    data = simple_problem({"a": "600"})
    lot = data["contracts"][0]["lots"][0]
    lot["unit"] = "client"
    lot["unit_price"] = "300"
    with pytest.raises(ProblemError, match="whole number of units"):
        Problem.model_validate(data)
    lot["unit_price"] = "250"
    data["capacities"] = [{"member": "a", "lot": "l1", "units": 4}]
    p = Problem.model_validate(data)
    assert p.lots[0].units == 4
    data["capacities"] = [{"member": "a", "lot": "l1", "units": 4, "amount": "1000"}]
    with pytest.raises(ProblemError, match="exactly one"):
        Problem.model_validate(data)
    del lot["unit"]
    data["capacities"] = [{"member": "a", "lot": "l1", "amount": "1000"}]
    with pytest.raises(ProblemError, match="both 'unit' and 'unit_price'"):
        Problem.model_validate(data)


def test_units_on_a_money_lot_are_rejected():
    data = simple_problem({"a": "600"})
    data["capacities"] = [{"member": "a", "lot": "l1", "units": 3}]
    with pytest.raises(ProblemError, match="not unit-priced"):
        Problem.model_validate(data)


def test_method_requirements():
    data = simple_problem({"a": "2000"}, top_slice={"method": "glide_path"})
    with pytest.raises(ProblemError, match="target_year"):
        Problem.model_validate(data)
    data = simple_problem({"a": "2000"}, top_slice={"method": "cost_recovery"})
    with pytest.raises(ProblemError, match="annual_cost"):
        Problem.model_validate(data)


def test_evolve_returns_a_validated_copy():
    p = Problem.model_validate(simple_problem({"a": "600", "b": "700"}))
    q = p.evolve(name="what-if")
    assert q.name == "what-if" and p.name == ""
    with pytest.raises(ProblemError):
        p.evolve(members=[])


def test_json_schema_describes_the_core_fields():
    schema = Problem.model_json_schema()
    defs = schema["$defs"]
    assert {"members", "contracts", "capacities", "hub", "top_slice", "policy"} <= set(
        schema["properties"]
    )
    member_fields = set(defs["Member"]["properties"])
    assert {
        "id",
        "name",
        "membership",
        "annual_income",
        "quality_score",
        "qa_passed",
        "reporting_compliance",
        "themes",
        "areas",
    } <= member_fields
    assert {"id", "value", "theme", "area", "unit", "unit_price"} <= set(defs["Lot"]["properties"])
    assert defs["Member"]["properties"]["quality_score"]["description"]
