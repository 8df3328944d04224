import copy
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


def issues_of(data):
    """The issues a problem reports, as (location, message, id, value), in the order given."""
    with pytest.raises(ProblemError) as info:
        Problem.model_validate(data)
    return [(i.location, i.message, i.id, i.value) for i in info.value.issues]


def test_mistakes_of_every_kind_are_reported_together_in_check_order():
    data = simple_problem({"a": "600", "b": "700"})
    # listed here in an order unlike the checks', which is duplicates, contracts and their lots,
    # capacities, exclusions, rates, methods
    data["top_slice"] = {"rate": "0.2", "method": "glide_path"}
    data["policy"] = {"exclusions": [{"member": "a", "contract": "c9", "reason": "conflict"}]}
    data["capacities"].append({"member": "a", "theme": "housing", "amount": "5"})
    data["capacities"].append({"member": "ghost", "lot": "l1", "amount": "5"})
    data["contracts"].append(
        {
            "id": "c1",
            "value": "300",
            "year": 3,
            "term_years": 2,
            "lots": [{"id": "l2", "value": "300", "theme": "advice", "area": "Luton", "unit": "x"}],
        }
    )
    data["members"].append(member("b"))
    assert issues_of(data) == [
        ("members", "duplicate member id", "b", "b"),
        ("contracts", "duplicate contract id", "c1", "c1"),
        ("contracts[1].year", "contract year 3 is beyond the term of 2 year(s)", "c1", 3),
        (
            "contracts[1].lots[0].unit_price",
            "a unit-priced lot needs both 'unit' and 'unit_price'",
            "l2",
            "x",
        ),
        (
            "capacities[2]",
            "no lot matches this pooled capacity's theme/area",
            "a/housing/None",
            None,
        ),
        ("capacities[3].member", "unknown member", "ghost/l1", "ghost"),
        ("policy.exclusions[0].contract", "unknown contract", "a/c9", "c9"),
        ("top_slice.rate", "rate 0.2 is above the maximum rate 0.10", None, "0.2"),
        ("top_slice.target_year", "the glide_path method needs a target_year", None, None),
    ]


def test_duplicate_contract_and_lot_ids_are_reported():
    data = simple_problem({"a": "600"})
    data["contracts"].append(copy.deepcopy(data["contracts"][0]))
    assert issues_of(data) == [
        ("contracts", "duplicate contract id", "c1", "c1"),
        ("contracts[].lots", "duplicate lot id (lot ids are unique across contracts)", "l1", "l1"),
    ]


def test_a_contract_needs_a_positive_value_and_a_year_within_its_term():
    data = simple_problem({"a": "600"}, value="0")
    assert issues_of(data) == [
        ("contracts[0].value", "a contract must have a positive value", "c1", "0.00")
    ]
    data = simple_problem({"a": "600"})
    data["contracts"][0].update(year=2, term_years=1)
    assert issues_of(data) == [
        ("contracts[0].year", "contract year 2 is beyond the term of 1 year(s)", "c1", 2)
    ]
    data["contracts"][0].update(year=2, term_years=2)
    assert Problem.model_validate(data).contracts[0].year == 2


def test_a_unit_price_must_be_positive():
    data = simple_problem({"a": "600"})
    data["contracts"][0]["lots"][0].update(unit="client", unit_price="0")
    assert issues_of(data) == [
        ("contracts[0].lots[0].unit_price", "unit price must be positive", "l1", "0.00")
    ]


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [
        (
            {"member": "a", "amount": "5"},
            (
                "capacities[1]",
                "name a 'lot', or a 'theme' and/or 'area' to pool over",
                "a/None/None",
            ),
        ),
        (
            {"member": "a", "theme": "housing", "amount": "5"},
            ("capacities[1]", "no lot matches this pooled capacity's theme/area", "a/housing/None"),
        ),
        (
            {"member": "a", "area": "Luton", "units": 3},
            ("capacities[1].units", "a pooled capacity is money: give 'amount'", "a/None/Luton"),
        ),
        (
            {"member": "a", "lot": "l1", "theme": "advice", "amount": "5"},
            ("capacities[1]", "give a 'lot' or a 'theme'/'area' pool, not both", "a/l1"),
        ),
    ],
)
def test_pooled_capacities_are_checked(capacity, expected):
    data = simple_problem({"a": "600"})
    data["capacities"].append({"member": "a", "theme": "advice", "area": "Luton", "amount": "9"})
    assert len(Problem.model_validate(data).capacities) == 2  # a well-formed pool passes
    data["capacities"][1] = capacity
    assert [issue[:3] for issue in issues_of(data)] == [expected]


@pytest.mark.parametrize(
    ("exclusion", "expected"),
    [
        (
            {"member": "ghost", "lot": "l1"},
            ("policy.exclusions[0].member", "unknown member", "ghost/l1", "ghost"),
        ),
        (
            {"member": "a"},
            ("policy.exclusions[0]", "give exactly one of 'lot' or 'contract'", "a/None", None),
        ),
        (
            {"member": "a", "lot": "l1", "contract": "c1"},
            ("policy.exclusions[0]", "give exactly one of 'lot' or 'contract'", "a/l1", None),
        ),
        ({"member": "a", "lot": "l9"}, ("policy.exclusions[0].lot", "unknown lot", "a/l9", "l9")),
        (
            {"member": "a", "contract": "c9"},
            ("policy.exclusions[0].contract", "unknown contract", "a/c9", "c9"),
        ),
    ],
)
def test_exclusions_name_a_known_member_and_one_known_lot_or_contract(exclusion, expected):
    data = simple_problem({"a": "600"})
    data["policy"] = {"exclusions": [{"member": "a", "contract": "c1", "reason": "conflict"}]}
    assert len(Problem.model_validate(data).policy.exclusions) == 1  # a well-formed one passes
    data["policy"]["exclusions"][0] = {**exclusion, "reason": "conflict"}
    assert issues_of(data) == [expected]


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
