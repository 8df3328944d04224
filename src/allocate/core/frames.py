"""pandas, loaded when the first table is asked for, and only here; and the money of every table.

pandas is a required dependency, but importing it takes longer than everything else
``import allocate`` needs put together (1.7 s of 2.4 s, measured on the 2-core machine the
benchmarks run on), and the command line, the solver and the worker processes of a sweep never
use it.  So it is imported on first use, by the functions below, and nowhere else: every
module that returns a DataFrame builds it through them (annotations name ``pd.DataFrame`` under
``TYPE_CHECKING``, which costs nothing at run time).

**Money in tables.**  Inside ``allocate`` money is exact ``Decimal`` pounds, but a column of
``Decimal`` objects is text to pandas: ``.plot()`` finds "no numeric data", ``describe()``
counts instead of averaging and ``Decimal * float`` raises.  So every function and method that
returns a DataFrame takes one keyword, ``money``, with the same three choices
(:data:`MONEY_CHOICES`):

``"float"`` (the default)
    money as ``float64`` pounds; other exact numbers (ratios, rates, shares, elasticities) as
    ``float64``.  What plotting, statistics and arithmetic with floats expect.
``"pence"``
    money as whole pence in a nullable ``Int64`` column (exact, and still numeric); a money
    column finer than a penny (fair shares, kept to 1/10,000 of a penny) as ``float64`` pence;
    other numbers as ``float64``.  Where a column holds money on some rows and other numbers on
    others (``compare``'s ``value``), it is ``float64`` with the money rows in pence.
``"decimal"``
    every value exactly as ``allocate`` holds it: ``Decimal`` pounds and ratios, for exact
    sums and comparisons to the penny.

Missing values are ``NaN`` (``<NA>`` in ``Int64`` columns) under ``float`` and ``pence``, and
``None`` under ``decimal``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MONEY_CHOICES", "MoneyAs", "check_money", "frame", "nullable_ints", "numeric"]

#: How a table gives money: see the module's documentation.
MoneyAs = Literal["float", "pence", "decimal"]
#: The choices of the ``money`` keyword, the default first.
MONEY_CHOICES: tuple[str, ...] = get_args(MoneyAs)

_HUNDRED = Decimal(100)


def frame(data: Any = None, *, columns: list[str] | None = None) -> pd.DataFrame:
    """``pandas.DataFrame(data, columns=columns)``.

    >>> frame({"a": [1, 2]}).shape
    (2, 1)
    """
    import pandas as pd

    return pd.DataFrame(data, columns=columns)


def nullable_ints(values: Sequence[int | None]) -> Any:
    """A pandas ``Int64`` array: whole numbers with ``<NA>`` where a value is missing.

    >>> nullable_ints([1, None]).isna().tolist()
    [False, True]
    """
    import pandas as pd

    return pd.array(list(values), dtype="Int64")


def check_money(money: object) -> MoneyAs:
    """``money`` if it is one of :data:`MONEY_CHOICES`; else a ``ValueError`` naming it.

    >>> check_money("pence")
    'pence'
    >>> check_money("pounds")
    Traceback (most recent call last):
    ...
    ValueError: money must be one of 'float', 'pence', 'decimal', not 'pounds'
    """
    if not isinstance(money, str) or money not in MONEY_CHOICES:
        choices = ", ".join(repr(c) for c in MONEY_CHOICES)
        raise ValueError(f"money must be one of {choices}, not {money!r}")
    return money  # type: ignore[return-value]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except TypeError:  # pandas.NA compares to nothing
        return True


def _floats(values: Iterable[Any], scale: Decimal | None = None) -> list[float]:
    out = []
    for v in values:
        if _missing(v):
            out.append(math.nan)
        elif scale is not None:
            out.append(float(Decimal(v) * scale))
        else:
            out.append(float(v))
    return out


def _pence(values: Iterable[Any], column: str) -> list[int | None]:
    out: list[int | None] = []
    for v in values:
        if _missing(v):
            out.append(None)
            continue
        pence = Decimal(v) * _HUNDRED
        if pence != pence.to_integral_value():  # money columns are whole pence by construction
            raise ValueError(f"column {column!r}: {v!r} is not a whole number of pence")
        out.append(int(pence))
    return out


def numeric(
    table: pd.DataFrame,
    money: MoneyAs,
    *,
    pounds: Iterable[str] = (),
    fine: Iterable[str] = (),
    numbers: Iterable[str] = (),
    mixed: Iterable[str] = (),
    money_rows: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """``table`` with its exact columns given as ``money`` asks (changed in place, returned).

    Parameters
    ----------
    table
        A table whose named columns hold ``Decimal`` (or ``None``).
    money
        One of :data:`MONEY_CHOICES`.
    pounds
        Money columns in whole pence.
    fine
        Money columns finer than a penny (fair shares).
    numbers
        Other exact numbers: ratios, rates, shares.
    mixed
        Columns holding money on the rows where ``money_rows`` is true, numbers elsewhere.
    money_rows
        Which rows of the ``mixed`` columns are money.

    >>> t = frame({"award": [Decimal("1.50"), None], "ratio": [Decimal("0.5"), Decimal(1)]})
    >>> numeric(t, "pence", pounds=["award"], numbers=["ratio"]).dtypes.astype(str).tolist()
    ['Int64', 'float64']
    >>> t["award"].tolist()
    [150, <NA>]
    """
    import pandas as pd

    money = check_money(money)
    if money == "decimal":
        return table
    scale = _HUNDRED if money == "pence" else None
    for c in pounds:
        if money == "pence":
            table[c] = pd.array(_pence(table[c], c), dtype="Int64")
        else:
            table[c] = pd.array(_floats(table[c]), dtype="float64")
    for c in fine:
        table[c] = pd.array(_floats(table[c], scale), dtype="float64")
    for c in numbers:
        table[c] = pd.array(_floats(table[c]), dtype="float64")
    mixed = list(mixed)
    if mixed:
        rows = list(money_rows) if money_rows is not None else [False] * len(table)
        for c in mixed:
            values = [
                _floats([v], scale if is_money else None)[0]
                for v, is_money in zip(table[c], rows, strict=True)
            ]
            table[c] = pd.array(values, dtype="float64")
    return table
