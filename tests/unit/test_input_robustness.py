"""Bad input gets a clear error naming the field, the id and the value; never a crash."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from allocate import Problem, ProblemError
from allocate.core import jsontext
from allocate.core.money import MAX_MONEY, parse_money, parse_number, parse_rate
from allocate.examples import demo_dict, example_dict


def _issues(data: Any = None, text: str | None = None) -> list[str]:
    def parse() -> Problem:
        if text is not None:
            return Problem.model_validate_json(text)
        return Problem.model_validate(data)

    with pytest.raises(ProblemError) as info:
        parse()
    return [str(i) for i in info.value.issues]


# -- the JSON text ----------------------------------------------------------------------------


def test_a_key_given_twice_is_refused_naming_the_key_and_the_object() -> None:
    text = json.dumps(example_dict()).replace(
        '"annual_income": "50000"', '"annual_income": "50000", "annual_income": "5"'
    )
    assert text.count("annual_income") == 2
    (issue,) = _issues(text=text)
    assert "duplicate key 'annual_income'" in issue and "id 'a'" in issue


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_numbers(constant: str) -> None:
    text = json.dumps(example_dict()).replace(
        '"quality_score": 0.8', f'"quality_score": {constant}'
    )
    (issue,) = _issues(text=text)
    assert constant.lstrip("-") in issue


def test_deep_nesting_is_refused_before_parsing_naming_the_field() -> None:
    depth = 100_000
    text = '{"name": ' + "[" * depth + "]" * depth + "}"
    (issue,) = _issues(text=text)
    assert issue.startswith("name:") and f"deeper than {jsontext.MAX_DEPTH}" in issue


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    data = example_dict()
    data["name"] = "[" * 100 + "{" * 100
    assert Problem.model_validate_json(json.dumps(data)).name == data["name"]


def test_an_overlong_whole_number_is_refused() -> None:
    text = json.dumps(example_dict()).replace(
        '"quality_score": 0.8', '"quality_score": 1' + "0" * 60
    )
    (issue,) = _issues(text=text)
    assert "digits" in issue


@pytest.mark.parametrize("literal", ["1e-999999999", "1e999999999", "2.5e-101"])
def test_an_absurd_exponent_in_the_text_is_refused_naming_its_field(literal: str) -> None:
    text = json.dumps(example_dict()).replace(
        '"contracts": [{', f'"contracts": [{{"year": {literal}, '
    )
    assert literal in text
    (issue,) = _issues(text=text)
    assert issue.startswith("year:") and "out of range" in issue


def test_an_absurd_exponent_for_a_whole_number_is_refused_from_python() -> None:
    data = example_dict()
    data["contracts"][0]["year"] = Decimal("1e-999999999")
    (issue,) = _issues(data)
    assert issue.startswith("contracts[0].year (id 'c1')") and "out of range" in issue


def test_nesting_the_reader_takes_is_refused_by_the_field() -> None:
    data = example_dict()
    data["name"] = [[["deep"]]]
    (issue,) = _issues(text=json.dumps(data))
    assert issue.startswith("name:")


def test_numbers_are_read_exactly_not_through_floats() -> None:
    assert jsontext.loads('{"x": 0.1000000000000000055511151231257827}') == {
        "x": Decimal("0.1000000000000000055511151231257827")
    }


def test_a_byte_order_mark_is_no_part_of_the_document() -> None:
    text = json.dumps(example_dict())
    assert Problem.model_validate_json("\ufeff" + text) == Problem.model_validate_json(text)
    assert Problem.model_validate_json(("\ufeff" + text).encode()).members[0].id == "a"


def test_text_that_is_not_utf8_is_refused() -> None:
    (issue,) = _issues(text=b"\xff\xfe{}")  # type: ignore[arg-type]
    assert "UTF-8" in issue


# -- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["6_00", "٦٠٠", "１２", "0x10", "1,000", "12 00", "", "--1"])
def test_money_takes_only_ascii_digits(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_money(text)


@pytest.mark.parametrize("text", ["1e-400", "1e-999999999", "1e999999999", "1e17"])
def test_exponents_far_out_of_range_are_refused_at_once(text: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_number(text)


def test_a_tiny_rate_is_refused_with_its_field_and_value() -> None:
    data = example_dict()
    data["top_slice"] = {"method": "fixed", "rate": "1e-400"}
    (issue,) = _issues(data)
    assert issue.startswith("top_slice.rate") and "1e-400" in issue


def test_minus_zero_pounds_is_zero_pounds() -> None:
    assert str(parse_money("-0")) == "0.00"
    assert str(parse_money("-0.00")) == "0.00"


def test_ordinary_numbers_still_read() -> None:
    assert parse_money(" 1e3 ") == Decimal("1000.00")
    assert parse_money(".5") == Decimal("0.50")
    assert parse_rate("0.05") == Decimal("0.05")
    assert parse_number(Decimal("12.5")) == Decimal("12.5")


def test_a_huge_dependency_exponent_is_refused_not_hung_on() -> None:
    data = example_dict()
    data["policy"] = {"max_dependency": "1e-999999999"}
    (issue,) = _issues(data)
    assert issue.startswith("policy.max_dependency")


def test_units_beyond_the_bound_are_refused_naming_the_capacity() -> None:
    data = example_dict()
    lot = data["contracts"][0]["lots"][0]
    lot.update(unit="client", unit_price="10")
    data["capacities"][0] = {"member": "a", "lot": "l1", "units": 10**20}
    (issue,) = _issues(data)
    assert issue.startswith("capacities[0].units (id 'a/l1')") and str(10**20) in issue


def test_a_portfolio_above_the_largest_amount_is_refused() -> None:
    data = example_dict()
    lot = data["contracts"][0]["lots"][0]
    data["contracts"] = [
        {
            "id": f"c{n}",
            "value": str(MAX_MONEY),
            "lots": [{**lot, "id": f"l{n}", "value": str(MAX_MONEY)}],
        }
        for n in range(2)
    ]
    data["capacities"] = [
        {"member": "a", "lot": f"l{n}", "amount": str(MAX_MONEY)} for n in range(2)
    ]
    (issue,) = _issues(data)
    assert issue.startswith("contracts:") and "add up to more than" in issue


# -- every issue at once ---------------------------------------------------------------------------


def test_field_errors_and_cross_references_are_reported_together() -> None:
    data = demo_dict()
    data["members"][3]["annual_income"] = "-5"
    data["capacities"][7]["lot"] = "carers-luton"
    issues = _issues(data)
    assert len(issues) == 2
    assert issues[0].startswith("members[3].annual_income") and "'-5'" in issues[0]
    assert issues[1].startswith("capacities[7].lot") and "unknown lot" in issues[1]


def test_references_to_an_item_with_a_wrong_field_are_not_blamed() -> None:
    data = demo_dict()
    bad_lot = data["contracts"][1]["lots"][0]
    bad_lot["value"] = "not money"
    on_bad_lot = [n for n, c in enumerate(data["capacities"]) if c.get("lot") == bad_lot["id"]]
    assert on_bad_lot
    data["capacities"][0]["member"] = "nobody"
    issues = _issues(data)
    assert any(i.startswith("contracts[1].lots[0].value") for i in issues)
    assert any(i.startswith("capacities[0].member") and "nobody" in i for i in issues)
    assert not any(i.startswith(f"capacities[{n}]") for n in on_bad_lot for i in issues)


def test_places_are_those_of_the_input_when_earlier_items_are_wrong() -> None:
    data = demo_dict()
    data["capacities"][0]["amount"] = "-1"  # wrong field: left out of the second pass
    data["capacities"][5]["lot"] = "nowhere"
    issues = _issues(data)
    assert any(i.startswith("capacities[0].amount") for i in issues)
    assert any(i.startswith("capacities[5].lot") and "nowhere" in i for i in issues)
