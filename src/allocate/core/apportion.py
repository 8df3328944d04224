"""Exact rounding: from exact or solver shares to whole pence and whole units.

Every amount the library returns is a whole number of pence (money) or of units (unit-priced
lots), and the parts of every whole add up to it exactly.  The method is the **largest
remainder** (Hamilton) method:

1. every share is rounded down;
2. the pennies (or units) still missing are handed out one each, to the shares with the largest
   fractional remainders, never past a share's cap;
3. ties are broken by the order the caller gives (the library passes members sorted by id), so
   the same input always gives the same output.

The result differs from each exact share by less than one penny (one unit), and it sums exactly to
the total.  Shares coming from the floating-point solver may carry tiny errors; they are first
turned into exact fractions at a millionth of a penny, and any pennies the solver gained or lost
are given or taken by the same rule (step 2 run in reverse takes pennies from the smallest
remainders).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["ExactShares", "from_floats", "largest_remainder"]

#: Solver shares are read to a millionth of the smallest unit (penny or unit).
FLOAT_RESOLUTION = 1_000_000


@dataclass(frozen=True, slots=True)
class ExactShares:
    """Exact shares ``numerators[i] / denominator`` of one whole (in pence or units)."""

    numerators: tuple[int, ...]
    denominator: int

    def __post_init__(self) -> None:
        if self.denominator <= 0:
            raise ValueError("denominator must be positive")


def from_floats(values: Sequence[float]) -> ExactShares:
    """Exact shares read from solver floats, at a millionth of the unit.

    >>> from_floats([1.5, 2.25]).numerators
    (1500000, 2250000)
    """
    return ExactShares(tuple(max(0, round(v * FLOAT_RESOLUTION)) for v in values), FLOAT_RESOLUTION)


def largest_remainder(
    total: int,
    shares: ExactShares,
    caps: Sequence[int] | None = None,
    floors: Sequence[int] | None = None,
    prefer: Callable[[int], tuple[int, int]] | None = None,
    allow: Callable[[int], bool] | None = None,
) -> list[int]:
    """Round shares to whole numbers summing exactly to ``total`` (largest remainder).

    Parameters
    ----------
    total
        The whole to distribute, in pence or units.
    shares
        The exact shares; they should sum to ``total`` (solver shares may be slightly off).
    caps
        Upper bounds per share (whole numbers); a rounded share never exceeds its cap.
    floors
        Lower bounds per share; pennies are never taken below them when correcting a solver's
        surplus.
    prefer
        Optional rank of each share (smaller first) applied before the remainders: lets a caller
        hand pennies first to shares a constraint needs.
    allow
        Optional test of whether a share may take one more; shares refused are passed over
        while others can take the penny (they take it only as a last resort).

    Returns
    -------
    list of int
        Whole shares, each within one of its exact share when the exact shares sum to
        ``total``, and summing to ``total``.

    Raises
    ------
    ValueError
        When the caps cannot hold ``total`` (or the floors exceed it).

    Examples
    --------
    >>> largest_remainder(10, ExactShares((10, 10, 10), 3))
    [4, 3, 3]
    >>> largest_remainder(10, ExactShares((10, 10, 10), 3), caps=[3, 4, 4])
    [3, 4, 3]
    """
    nums, den = shares.numerators, shares.denominator
    n = len(nums)
    caps_ = list(caps) if caps is not None else None
    lows = list(floors) if floors is not None else [0] * n
    if caps_ is not None and sum(caps_) < total:
        raise ValueError(f"caps sum to {sum(caps_)}, less than the total {total}")
    if sum(lows) > total:
        raise ValueError(f"floors sum to {sum(lows)}, more than the total {total}")
    result = [q for q, _ in (divmod(v, den) for v in nums)]
    rems = [v % den for v in nums]
    if caps_ is not None:
        for i in range(n):
            if result[i] > caps_[i]:
                result[i] = caps_[i]
                rems[i] = 0
    for i in range(n):
        if result[i] < lows[i]:
            result[i] = lows[i]
            rems[i] = 0
    missing = total - sum(result)
    if missing > 0:
        # hand out by largest remainder; repeat rounds in case a solver share was far short
        while missing > 0:
            order = sorted(
                (i for i in range(n) if caps_ is None or result[i] < caps_[i]),
                key=lambda i: ((prefer(i)[0] if prefer else 0), -rems[i], i),
            )
            if not order:  # pragma: no cover - excluded by the caps check above
                raise ValueError("no share has room left")
            if allow is not None:
                order = [i for i in order if allow(i)] + [i for i in order if not allow(i)]
            for i in order[:missing]:
                result[i] += 1
                rems[i] = 0
            missing = total - sum(result)
    elif missing < 0:
        surplus = -missing
        while surplus > 0:
            order = sorted(
                (i for i in range(n) if result[i] > lows[i]),
                key=lambda i: (rems[i], -i),
            )
            if not order:  # pragma: no cover - excluded by the floors check above
                raise ValueError("no share can give back")
            for i in order[:surplus]:
                result[i] -= 1
                rems[i] = den
            surplus = sum(result) - total
    return result
