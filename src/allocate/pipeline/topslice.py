"""The hub's top-slice: its rate, its amount and the reasoning behind both.

The founding rule (prospectus §11): the hub keeps *no more than 10% of contract value, aiming to
fall to 5% over time* — a 9:1 ratio in favour of delivery, working towards 19:1.

For each contract the method (:class:`~allocate.model.TopSliceMethod`) gives a rate:

``fixed``
    ``rate`` (or ``max_rate`` when none is given).
``glide_path``
    Linear from ``max_rate`` in contract year 1 to ``target_rate`` in ``target_year``, and
    ``target_rate`` after that: ``max − (max − target) · (year − 1) / (target_year − 1)``.
``cost_recovery``
    What the hub's annual cost needs, spread at one rate over the annual value of all contracts
    (``value / term_years``), capped at ``max_rate``: ``min(max, cost / Σ annual values)``.
    When the cap binds, the hub is under-funded and the audit says by how much.

The rate is exact (a fraction); the amount is ``rate × value`` rounded **down** to the penny, so
the hub never keeps more than its rate allows.  The amount is then spread over the contract's lots
in proportion to lot value by the largest-remainder method, so each lot has an exact pot for its
members: ``lot value − lot top-slice``.

In the linear programme the top-slice is a decision variable per lot, bounded above by this
entitlement (hence never above ``max_rate``).  Less money for the hub can only leave more for
members to absorb, never less, so whenever any allocation exists the hub receives exactly its
entitlement; the variable's dual value tells what the top-slice costs the worst-off member.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from allocate.core.apportion import ExactShares, largest_remainder
from allocate.core.model import Contract, Problem, TopSliceMethod
from allocate.core.money import format_money, to_pence
from allocate.pipeline.plan import ContractTopSlice

__all__ = ["ContractTopSlice", "compute", "rate_for"]


def _pct(rate: Fraction) -> str:
    return f"{float(rate) * 100:.4g}%"


def _ratio(rate: Fraction) -> str:
    if rate == 0:
        return "all of it to delivery"
    return f"{float((1 - rate) / rate):.4g}:1 in favour of delivery"


def rate_for(problem: Problem, contract: Contract) -> tuple[Fraction, list[str], int]:
    """The exact rate for a contract, the reasoning, and any under-funding in pence.

    >>> from allocate.examples import example_dict
    >>> p = Problem.model_validate(example_dict())
    >>> rate_for(p, p.contracts[0])[0]
    Fraction(1, 10)
    """
    ts = problem.top_slice
    max_rate = Fraction(ts.max_rate)
    target = Fraction(ts.target_rate)
    steps: list[str] = []
    under = 0
    if ts.method is TopSliceMethod.FIXED:
        rate = Fraction(ts.rate) if ts.rate is not None else max_rate
        given = "the given rate" if ts.rate is not None else "the maximum rate (no rate given)"
        steps.append(f"method fixed: {given} {_pct(rate)}")
    elif ts.method is TopSliceMethod.GLIDE_PATH:
        assert ts.target_year is not None  # validated
        year, by = contract.year, ts.target_year
        if by <= 1 or year >= by:
            rate = target
            steps.append(
                f"method glide_path: contract year {year} has reached the target year {by}, "
                f"so the target rate {_pct(target)} applies"
            )
        else:
            rate = max_rate - (max_rate - target) * Fraction(year - 1, by - 1)
            steps.append(
                f"method glide_path: linear from {_pct(max_rate)} in year 1 to {_pct(target)} "
                f"in year {by}; year {year} gives {_pct(max_rate)} − ({_pct(max_rate)} − "
                f"{_pct(target)}) × {year - 1}/{by - 1} = {_pct(rate)}"
            )
    else:
        assert problem.hub.annual_cost is not None  # validated
        cost = Fraction(problem.hub.annual_cost)
        annual = sum((Fraction(c.value) / c.term_years for c in problem.contracts), Fraction(0))
        needed = cost / annual
        steps.append(
            f"method cost_recovery: the hub costs {format_money(cost)} a year; the contracts "
            f"bring {format_money(annual)} a year (value / term); recovering the cost needs "
            f"{_pct(needed)} of each contract"
        )
        if needed > max_rate:
            rate = max_rate
            shortfall = cost - max_rate * annual
            under = int(shortfall * 100)  # pence the capped rate leaves unmet each year
            steps.append(
                f"that is above the maximum {_pct(max_rate)}: the rate is capped there and the "
                f"hub is under-funded by {format_money(shortfall)} a year"
            )
        else:
            rate = needed
    if rate > max_rate:  # pragma: no cover - excluded by validation
        raise AssertionError("top-slice rate above max_rate")
    return rate, steps, under


def compute(problem: Problem) -> dict[str, ContractTopSlice]:
    """The top-slice of every contract, keyed by contract id.

    >>> from allocate.examples import example_dict
    >>> ts = compute(Problem.model_validate(example_dict()))["c1"]
    >>> ts.amount_pence, ts.lot_amounts_pence
    (10000, {'l1': 10000})
    """
    out: dict[str, ContractTopSlice] = {}
    for contract in problem.contracts:
        rate, steps, under = rate_for(problem, contract)
        value = to_pence(contract.value)
        exact = rate * value
        amount = exact.numerator // exact.denominator  # down: never more than the rate allows
        steps.append(
            f"{_pct(rate)} of {format_money(contract.value)} is {format_money(exact / 100)}; "
            f"rounded down to the penny: {format_money(amount, pence=True)} "
            f"({_ratio(rate)})"
        )
        lot_values = [to_pence(lot.value) for lot in contract.lots]
        # spread over lots in proportion to lot value: shares amount × v / V, exactly
        shares = ExactShares(tuple(amount * v for v in lot_values), value)
        lot_amounts = largest_remainder(amount, shares, caps=lot_values)
        if len(contract.lots) > 1:
            steps.append(
                "spread over the lots in proportion to lot value (largest remainder): "
                + ", ".join(
                    f"{lot.id} {format_money(a, pence=True)}"
                    for lot, a in zip(contract.lots, lot_amounts, strict=True)
                )
            )
        out[contract.id] = ContractTopSlice(
            contract_id=contract.id,
            method=problem.top_slice.method,
            rate=rate,
            amount_pence=amount,
            value_pence=value,
            lot_amounts_pence={
                lot.id: a for lot, a in zip(contract.lots, lot_amounts, strict=True)
            },
            steps=tuple(steps),
            under_funded_pence=under,
        )
    return out


def decimal_rate(rate: Fraction, places: int = 6) -> Decimal:
    """A rate as a Decimal rounded to ``places`` places, for display and JSON."""
    return (Decimal(rate.numerator) / Decimal(rate.denominator)).quantize(
        Decimal(1).scaleb(-places)
    )
