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
    caps_ = list(caps) if caps is not None else None
    lows = list(floors) if floors is not None else [0] * len(nums)
    _check_bounds(total, caps_, lows)
    result, rems = _round_down(shares, caps_, lows)
    missing = total - sum(result)
    if missing > 0:
        _hand_out(total, result, rems, caps_, prefer, allow)
    elif missing < 0:
        _take_back(total, result, rems, lows, den)
    return result


def _check_bounds(total: int, caps: list[int] | None, lows: list[int]) -> None:
    """Raise ``ValueError`` when the caps cannot hold ``total`` or the floors exceed it."""
    if caps is not None and sum(caps) < total:
        raise ValueError(f"caps sum to {sum(caps)}, less than the total {total}")
    if sum(lows) > total:
        raise ValueError(f"floors sum to {sum(lows)}, more than the total {total}")


def _round_down(
    shares: ExactShares, caps: list[int] | None, lows: list[int]
) -> tuple[list[int], list[int]]:
    """Each share rounded down and held within its cap and floor, with its remainder.

    A share moved to its cap or floor gets remainder 0: it has no claim to the pennies handed
    out by remainder.
    """
    den = shares.denominator
    n = len(shares.numerators)
    result = [v // den for v in shares.numerators]
    rems = [v % den for v in shares.numerators]
    if caps is not None:
        for i in range(n):
            if result[i] > caps[i]:
                result[i] = caps[i]
                rems[i] = 0
    for i in range(n):
        if result[i] < lows[i]:
            result[i] = lows[i]
            rems[i] = 0
    return result, rems


def _hand_out(
    total: int,
    result: list[int],
    rems: list[int],
    caps: list[int] | None,
    prefer: Callable[[int], tuple[int, int]] | None,
    allow: Callable[[int], bool] | None,
) -> None:
    """Add the units ``result`` lacks, one each by largest remainder, in place."""
    n = len(result)
    missing = total - sum(result)
    # repeat rounds in case a solver share was far short
    while missing > 0:
        if prefer is None:
            # largest remainder first, ties in order: a stable sort, reversed, keeps the order
            # of equal keys, so this is the sort by (-remainder, i) below without a key per share
            order = sorted(
                [i for i in range(n) if caps is None or result[i] < caps[i]],
                key=rems.__getitem__,
                reverse=True,
            )
        else:
            order = sorted(
                (i for i in range(n) if caps is None or result[i] < caps[i]),
                key=lambda i: (prefer(i)[0], -rems[i], i),
            )
        if not order:  # pragma: no cover - only with no shares at all; caps are checked up front
            raise ValueError("no share has room left")
        if allow is not None:
            order = [i for i in order if allow(i)] + [i for i in order if not allow(i)]
        for i in order[:missing]:
            result[i] += 1
            rems[i] = 0
        missing = total - sum(result)


def _take_back(total: int, result: list[int], rems: list[int], lows: list[int], den: int) -> None:
    """Remove the units ``result`` has too many, one each by smallest remainder, in place."""
    n = len(result)
    surplus = sum(result) - total
    while surplus > 0:
        order = sorted((i for i in range(n) if result[i] > lows[i]), key=lambda i: (rems[i], -i))
        if not order:  # pragma: no cover - excluded by the floors check
            raise ValueError("no share can give back")
        for i in order[:surplus]:
            result[i] -= 1
            # a share given back is last in line to give again
            rems[i] = den
        surplus = sum(result) - total
