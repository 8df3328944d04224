"""The price of each side-constraint: how far it moves the allocation from the rule.

The constraints priced are those :func:`allocate.pipeline.prices.active` finds switched on (the
audit's prices use the same list), each switched off to its registry value.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from allocate.analysis.scenarios.changes import set_policy
from allocate.analysis.scenarios.results import ScenarioResult
from allocate.analysis.scenarios.scenario import Scenario
from allocate.analysis.scenarios.sweeps import HasExecutor, sweep
from allocate.core import families
from allocate.core.frames import MoneyAs, check_money, frame, nullable_ints, numeric
from allocate.core.model import Problem
from allocate.core.outcome import Allocation
from allocate.pipeline import prices

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MEMBER_PRICE_COLUMNS", "PRICE_COLUMNS", "SWITCHED_OFF", "constraint_prices"]

_PENNY = Decimal("0.01")
_Q6 = Decimal("0.000001")


#: How :func:`constraint_prices` switches a policy setting off (from the family registry).
SWITCHED_OFF: dict[str, Any] = families.switched_off()


class _Price(NamedTuple):
    """What one side-constraint (or all of them) moves: a row of :func:`constraint_prices`."""

    constraint: str
    setting: str
    status_on: str
    status_off: str
    min_ratio_on: Decimal | None
    min_ratio_off: Decimal | None
    max_ratio_on: Decimal | None
    max_ratio_off: Decimal | None
    moved_on: Decimal | None
    moved_off: Decimal | None
    price: Decimal | None
    members_affected: int | None
    largest_change_member: str | None
    largest_change: Decimal | None


class _MemberPrice(NamedTuple):
    """What one side-constraint gives one member (takes, when negative)."""

    constraint: str
    member: str
    award_on: Decimal
    award_off: Decimal
    change: Decimal


class _Distance(NamedTuple):
    """How far an allocation is from the reference fair shares (None: no allocation)."""

    moved: Decimal | None = None
    min_ratio: Decimal | None = None
    max_ratio: Decimal | None = None


PRICE_COLUMNS = list(_Price._fields)
MEMBER_PRICE_COLUMNS = list(_MemberPrice._fields)


def constraint_prices(
    problem: Problem,
    *,
    by_member: bool = False,
    executor: cf.Executor | HasExecutor | None = None,
    money: MoneyAs = "float",
    **sweep_options: Any,
) -> pd.DataFrame:
    r"""The price of each side-constraint: how far it moves the allocation from the rule.

    Every side-constraint switched on in the policy (``min_award``, ``max_member_share``,
    ``max_dependency``, ``small_org_share``, ``case_mix_tolerance``, ``min_providers_per_area``)
    and the ``exclusions``, if any, is switched off in turn, and the allocation with all of
    them **on** is compared with the one with that constraint **off**; a last row, ``all``,
    compares with none of them on.  Distances are measured against one reference: the rule's
    fair shares with no side-constraint and no exclusion, :math:`f_k` for each (member, lot)
    pair :math:`k`.

    * ``moved`` — money moved away from the reference,
      :math:`\tfrac12\sum_k |a_k - f_k|` (each pound moved shows twice in the sum: once
      where it is missing, once where it lands).  With no exclusion this is the audit's
      ``moved_from_rule``;
    * ``price`` — ``moved_on − moved_off``: the money this constraint moves, given the others
      (it can be negative when constraints interact);
    * ``min_ratio``/``max_ratio`` — the smallest and largest award / reference fair share;
    * ``members_affected`` — members whose total award differs, and the ``largest_change``
      (on − off) of one member's total.

    Parameters
    ----------
    problem
        The problem with its side-constraints.
    by_member
        Return instead one row per constraint and member: ``award_on``, ``award_off`` and
        ``change`` (what the constraint gives a member, or takes when negative).
    executor, **sweep_options
        As for :func:`sweep`.
    money
        ``"float"`` (the default): money as ``float64`` pounds, other numbers as ``float64``;
        ``"pence"``: money as whole pence; ``"decimal"``: exact ``Decimal`` as computed.  The
        same keyword as every table of ``allocate`` (:mod:`allocate.core.frames`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PRICE_COLUMNS` (or :data:`MEMBER_PRICE_COLUMNS`); no rows when no
        side-constraint is on.

    Examples
    --------
    >>> from allocate.examples import demo_problem
    >>> ring_fenced = Scenario("5% for small", [set_policy(small_org_share="0.05")])
    >>> prices = constraint_prices(ring_fenced.apply(demo_problem()))
    >>> print(prices[["constraint", "moved_on", "moved_off", "price"]].to_string(index=False))
         constraint  moved_on  moved_off   price
    small_org_share   11778.8      137.5 11641.3
                all   11778.8      137.5 11641.3

    Ring-fencing 5% of each pot for micro and small members moves £11,641.30 from the
    proportional shares (the £137.50 without it is rounding to whole clients on unit-priced
    lots).
    """
    check_money(money)
    active = [f.setting for f in prices.active(problem, exclusions=True, pools=False) if f.setting]
    if not active:
        return _member_table([], money) if by_member else _price_table([], money)
    options = {**sweep_options, "keep_allocations": True}
    on, *offs = sweep(problem, _switchings(active), executor, **options)
    settings = [_setting(getattr(problem.policy, n)) for n in active] + ["every one above"]
    switched = [_Off(*off) for off in zip([*active, "all"], settings, offs, strict=True)]
    if by_member:
        rows = [row for off in switched for row in _member_prices(off.constraint, on, off.result)]
        return _member_table(rows, money)
    return _price_table(_prices(on, switched), money)


def _member_table(rows: list[_MemberPrice], money: MoneyAs) -> pd.DataFrame:
    table = frame(rows, columns=MEMBER_PRICE_COLUMNS)
    return numeric(table, money, pounds=["award_on", "award_off", "change"])


def _price_table(rows: list[_Price], money: MoneyAs) -> pd.DataFrame:
    table = frame(rows, columns=PRICE_COLUMNS)
    table["members_affected"] = nullable_ints(list(table["members_affected"]))
    return numeric(
        table,
        money,
        pounds=["moved_on", "moved_off", "price", "largest_change"],
        numbers=["min_ratio_on", "min_ratio_off", "max_ratio_on", "max_ratio_off"],
    )


class _Off(NamedTuple):
    """A constraint (or ``all``) switched off, its setting when on, and what that gave."""

    constraint: str
    setting: str
    result: ScenarioResult


def _switchings(active: list[str]) -> list[Scenario]:
    """Every constraint on; each switched off in turn; all of them off."""
    return [
        Scenario("on"),
        *(Scenario(f"without {n}", [set_policy(**{n: SWITCHED_OFF[n]})]) for n in active),
        Scenario("none", [set_policy(**{n: SWITCHED_OFF[n] for n in active})]),
    ]


def _member_prices(name: str, on: ScenarioResult, off: ScenarioResult) -> list[_MemberPrice]:
    """Each member's total award with the constraint on and off (none when either failed)."""
    if not (on.ok and off.ok):
        return []
    rows = []
    for member in sorted(set(on.awards) | set(off.awards)):
        a_on = on.awards.get(member, Decimal(0))
        a_off = off.awards.get(member, Decimal(0))
        rows.append(_MemberPrice(name, member, a_on, a_off, a_on - a_off))
    return rows


def _prices(on: ScenarioResult, switched: list[_Off]) -> list[_Price]:
    """One row per constraint switched off, all measured from the rule's fair shares."""
    none = switched[-1].result  # the last switches every constraint off
    reference = _pair_fair_shares(none.allocation) if none.ok else {}
    d_on = _distance(on, reference)
    return [_price(on, off, d_on, _distance(off.result, reference)) for off in switched]


def _price(on: ScenarioResult, off: _Off, d_on: _Distance, d_off: _Distance) -> _Price:
    """The row of one constraint: distances on and off, their difference, who it moves."""
    changes = _member_prices(off.constraint, on, off.result)
    moved = {m.member: m.change for m in changes if m.change != 0}
    largest = max(moved, key=lambda m: (abs(moved[m]), m), default=None)
    price = d_on.moved - d_off.moved if d_on.moved is not None and d_off.moved is not None else None
    return _Price(
        off.constraint,
        off.setting,
        on.status,
        off.result.status,
        d_on.min_ratio,
        d_off.min_ratio,
        d_on.max_ratio,
        d_off.max_ratio,
        d_on.moved,
        d_off.moved,
        price,
        len(moved) if on.ok and off.result.ok else None,
        largest,
        moved[largest] if largest is not None else None,
    )


def _setting(value: Any) -> str:
    if isinstance(value, tuple):
        return f"{len(value)} exclusion(s)"
    return str(value)


def _pair_fair_shares(allocation: Allocation | None) -> dict[tuple[str, str], Decimal]:
    assert allocation is not None
    t = allocation.audit.pairs
    return {(t.member[k], t.lot[k]): t.fair_share[k] for k in range(len(t)) if t.eligible[k]}


def _distance(result: ScenarioResult, reference: Mapping[tuple[str, str], Decimal]) -> _Distance:
    """Money moved from the reference fair shares, and the range of award / fair share."""
    if not result.ok or result.allocation is None or not reference:
        return _Distance()
    t = result.allocation.audit.pairs
    awards = {(t.member[k], t.lot[k]): t.award[k] for k in range(len(t))}
    total = sum((abs(awards.get(key, Decimal(0)) - f) for key, f in reference.items()), Decimal(0))
    # an award on a pair the reference does not fund is all moved
    total += sum((a for key, a in awards.items() if key not in reference), Decimal(0))
    ratios = [awards.get(key, Decimal(0)) / f for key, f in reference.items() if f > 0]
    return _Distance(
        moved=(total / 2).quantize(_PENNY, ROUND_HALF_EVEN),
        min_ratio=min(ratios).quantize(_Q6) if ratios else None,
        max_ratio=max(ratios).quantize(_Q6) if ratios else None,
    )
