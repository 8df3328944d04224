"""Exact money: parsing, pence and formatting.

Money is a :class:`~decimal.Decimal` with at most two decimal places everywhere in the public
interface.  Internally amounts are whole pence held in Python ``int`` (unbounded, exact).
Floating point lives only inside the solver.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

__all__ = [
    "MAX_MONEY",
    "format_money",
    "from_pence",
    "parse_money",
    "parse_number",
    "parse_rate",
    "to_pence",
]

#: The largest amount accepted anywhere (one trillion pounds): far above any public contract,
#: and small enough that pence stay exact in every computation, float solver included (< 2**53).
MAX_MONEY = Decimal("1000000000000")
_PENNY = Decimal("0.01")


#: A number as text: ASCII digits only, an optional sign, fraction and short exponent.  Python's
#: ``Decimal`` would also take ``"6_00"`` (as 600) and digits of other scripts.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
#: Longest numeric string accepted.
MAX_NUMBER_TEXT = 40
#: Non-zero numbers must have their leading digit within these powers of ten: far beyond any
#: amount, rate or multiple the library takes, and near enough that exact arithmetic on them
#: (fractions, floats in the solver) stays quick and finite.
_SMALLEST_EXPONENT, _LARGEST_EXPONENT = -30, 15


def _to_decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, not a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} must be finite")
        # repr gives the shortest string that round-trips: 0.1 -> "0.1", not 0.1000000000000000055
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_TEXT:
            raise ValueError(f"{what} is written with more than {MAX_NUMBER_TEXT} characters")
        if text.lstrip("+-").lower() in ("nan", "snan", "inf", "infinity"):
            raise ValueError(f"{what} must be finite (NaN and infinity are not amounts)")
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"{what} is not a number (digits 0-9, a point, an exponent)")
        result = Decimal(text)
    else:
        raise ValueError(f"{what} must be a number or a numeric string")
    if not result.is_finite():
        raise ValueError(f"{what} must be finite (NaN and infinity are not amounts)")
    if result and not _SMALLEST_EXPONENT <= result.adjusted() <= _LARGEST_EXPONENT:
        raise ValueError(
            f"{what} is out of range: non-zero numbers run from 1e{_SMALLEST_EXPONENT} "
            f"to 1e{_LARGEST_EXPONENT + 1}"
        )
    return result


def parse_number(value: Any, what: str = "number") -> Decimal:
    """Parse a finite number exactly, refusing text that is not plain ASCII digits.

    >>> parse_number("2.5")
    Decimal('2.5')
    >>> parse_number("6_00")
    Traceback (most recent call last):
    ...
    ValueError: number is not a number (digits 0-9, a point, an exponent)
    """
    return _to_decimal(value, what)


#: Money as it is almost always written: digits, and a point with one or two more.  Such text is
#: a number of at most 15 digits, non-negative, with at most two decimal places, and in range
#: (below the trillion when at most 12 digits precede the point; the 13th is checked).
_PLAIN_MONEY = re.compile(r"[0-9]{1,13}(?:\.[0-9]{1,2})?", re.ASCII)


def parse_money(value: Any) -> Decimal:
    """Parse an amount of money: non-negative, finite, at most two decimal places.

    Accepts ``Decimal``, ``int``, ``float`` (by its shortest representation) and numeric strings.

    Examples
    --------
    >>> parse_money("1234.5")
    Decimal('1234.50')
    >>> parse_money(0.1)
    Decimal('0.10')
    >>> parse_money("1.001")
    Traceback (most recent call last):
    ...
    ValueError: money has more than two decimal places
    """
    if type(value) is str:
        # what the checks below give plain text, without them: a county has 50,000 amounts
        if len(value) <= 12 and value.isdigit() and value.isascii():
            return Decimal(value + ".00")  # whole pounds below the trillion
        if _PLAIN_MONEY.fullmatch(value):
            plain = Decimal(value)
            if plain <= MAX_MONEY:
                return plain.quantize(_PENNY)
    amount = _to_decimal(value, "money")
    if amount < 0:
        raise ValueError("money must not be negative")
    if amount > MAX_MONEY:
        raise ValueError(f"money must not exceed {MAX_MONEY:,} (one trillion)")
    quantized = amount.quantize(_PENNY)
    if quantized != amount:
        raise ValueError("money has more than two decimal places")
    return quantized.copy_abs()  # "-0" is zero pounds, not minus zero


def parse_rate(value: Any) -> Decimal:
    """Parse a rate or share between 0 and 1 inclusive, exactly.

    Examples
    --------
    >>> parse_rate(0.1)
    Decimal('0.1')
    >>> parse_rate("1.5")
    Traceback (most recent call last):
    ...
    ValueError: rate must be between 0 and 1
    """
    rate = _to_decimal(value, "rate")
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError("rate must be between 0 and 1")
    return rate


def to_pence(amount: Decimal) -> int:
    """Whole pence of an amount with at most two decimal places.

    >>> to_pence(Decimal("12.34"))
    1234
    """
    pence = amount * 100
    if pence != pence.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of pence")
    return int(pence)


def from_pence(pence: int) -> Decimal:
    """The amount of money that is ``pence`` pence.

    >>> from_pence(123456)
    Decimal('1234.56')
    """
    return (Decimal(pence) / 100).quantize(_PENNY)


def format_money(amount: Decimal | int | Fraction, *, pence: bool = False) -> str:
    """Format as pounds with thousands separators: ``£1,234.50``.

    ``pence=True`` reads an ``int`` as pence.  A :class:`~fractions.Fraction` is rounded to
    the penny for display only.

    >>> format_money(Decimal("1234.5"))
    '£1,234.50'
    >>> format_money(123456, pence=True)
    '£1,234.56'
    """
    if isinstance(amount, Fraction):
        value = (Decimal(amount.numerator) / Decimal(amount.denominator)).quantize(_PENNY)
    elif isinstance(amount, int) and pence:
        value = from_pence(amount)
    else:
        value = Decimal(amount).quantize(_PENNY)
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"
