from decimal import Decimal

import pytest

from allocate.core.money import format_money, from_pence, parse_money, parse_rate, to_pence


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("0", "0.00"),
        ("12.5", "12.50"),
        (7, "7.00"),
        (0.1, "0.10"),
        ("1.10", "1.10"),
        (Decimal("3.000"), "3.00"),
        ("  42 ", "42.00"),
        ("1000000000000", "1000000000000.00"),
    ],
)
def test_parse_money_accepts_exact_amounts(given, expected):
    assert parse_money(given) == Decimal(expected)
    assert str(parse_money(given)) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("-1", "negative"),
        ("1.001", "two decimal places"),
        ("NaN", "finite"),
        (float("inf"), "finite"),
        ("Infinity", "finite"),
        ("abc", "not a number"),
        (True, "boolean"),
        (None, "number"),
        ("1000000000000.01", "exceed"),
    ],
)
def test_parse_money_rejects_with_reason(given, message):
    with pytest.raises(ValueError, match=message):
        parse_money(given)


def test_parse_rate_bounds():
    assert parse_rate("0.05") == Decimal("0.05")
    assert parse_rate(1) == Decimal(1)
    for bad in ("-0.01", "1.01", "nan"):
        with pytest.raises(ValueError, match="rate"):
            parse_rate(bad)


def test_pence_round_trip():
    for text in ("0.01", "123456789.99", "5"):
        d = Decimal(text)
        assert from_pence(to_pence(d)) == d
    with pytest.raises(ValueError, match="whole number of pence"):
        to_pence(Decimal("0.001"))


def test_format_money():
    assert format_money(Decimal("1234567.8")) == "£1,234,567.80"
    assert format_money(5, pence=True) == "£0.05"
