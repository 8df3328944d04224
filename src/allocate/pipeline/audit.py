"""The audit: every pound explained — as objects, DataFrames, JSON and a readable report.

For every (member, lot) pair the audit records whether the member was eligible and, if not, why
(which rule, which threshold, which value); its capacity; its fair share under the rule; its award;
the condition that stopped the award from being higher, and that condition's shadow price when the
solver gives one.  For every contract it records the top-slice computation step by step.  For the
whole: fairness metrics, the solver, the verification checks, a fingerprint of the input and the
library versions.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import math
import platform
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from allocate.core import cashflow, value
from allocate.core import families as fam
from allocate.core.model import Problem
from allocate.core.money import from_pence
from allocate.core.outcome import (
    Allocation,
    Audit,
    Award,
    AwardCost,
    CashFlowMember,
    CashFlowReport,
    ConstraintReport,
    ContractResult,
    Deferred,
    Diagnosis,
    FairnessMetrics,
    MemberSummary,
    PairTable,
    SocialValueRow,
    SolverInfo,
    Status,
)
from allocate.pipeline.eligibility import ineligible_sentences
from allocate.pipeline.plan import (
    Eligibility,
    LeximinResult,
    LotPlan,
    Plan,
    Reason,
    Rounded,
    Solution,
)
from allocate.pipeline.tender import reports as tender_reports
from allocate.pipeline.tender import unqualified_words
from allocate.pipeline.topslice import decimal_rate

__all__ = ["build", "fingerprint", "gini", "gini_float", "versions"]

_Q4 = Decimal("0.0001")
_ZERO6 = Decimal("0.000000")
_ZERO2 = Decimal("0.00")
_Q6 = Decimal("0.000001")


def _dec(x: Fraction, q: Decimal = _Q6) -> Decimal:
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(q)


@functools.cache
def _versions() -> tuple[tuple[str, str], ...]:
    out = {"python": platform.python_version()}
    for name in ("allocate", "pulp", "highspy", "pydantic", "numpy", "pandas"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            out[name] = "not installed"
    return tuple(out.items())


def versions() -> dict[str, str]:
    """Versions of allocate, Python and the libraries that shape an allocation (read once)."""
    return dict(_versions())


def gini(values: list[Fraction] | list[float]) -> Fraction | None:
    """Gini coefficient of non-negative values (0: all equal; near 1: one has everything).

    >>> gini([1, 1, 1]), gini([0, 0, 3])
    (Fraction(0, 1), Fraction(2, 3))
    """
    xs = sorted(Fraction(v) for v in values)
    n = len(xs)
    total = sum(xs, Fraction(0))
    if n == 0 or total == 0:
        return None
    weighted = sum(((2 * (i + 1) - n - 1) * x for i, x in enumerate(xs)), Fraction(0))
    return weighted / (n * total)


def _contract_results(p: Plan) -> list[ContractResult]:
    out = []
    for c in p.problem.contracts:
        ts = p.top_slices[c.id]
        ratio = ts.delivery_ratio
        out.append(
            ContractResult(
                id=c.id,
                commissioner=c.commissioner,
                value=c.value,
                top_slice=from_pence(ts.amount_pence),
                members_total=from_pence(ts.value_pence - ts.amount_pence),
                method=ts.method.value,
                rate=decimal_rate(ts.rate),
                effective_rate=decimal_rate(ts.effective_rate),
                delivery_ratio="all to delivery" if ratio is None else f"{float(ratio):.4g}:1",
                under_funded=from_pence(ts.under_funded_pence) if ts.under_funded_pence else None,
                lot_top_slices={k: from_pence(v) for k, v in ts.lot_amounts_pence.items()},
                steps=ts.steps,
            )
        )
    return out


_CENT = Decimal("0.01")
_MICRO = Decimal("0.000001")


def _pounds(pence: int) -> Decimal:
    """Pence as pounds with two places, fast (no division).

    The product has the coefficient ``pence`` and the exponent -2, as ``scaleb(-2)`` gives, and
    is rounded to the context alike; it is the quicker of the two.
    """
    return Decimal(pence) * _CENT


def _micro(pounds_e6: int) -> Decimal:
    """Millionths of a pound (1/10,000 penny) as pounds with six places."""
    return Decimal(pounds_e6) * _MICRO


def _round_div(a: int, b: int) -> int:
    """A / b rounded half up, on integers."""
    return (2 * a + b) // (2 * b)


@dataclass
class _LotNumbers:
    """One lot's fair shares and awards by member position, in integers."""

    fair_e4: list[int]
    """Fair share in 1/10,000 penny."""
    award: list[int]
    """Award in pence."""
    units: list[int] | None


def _lot_numbers(lot: LotPlan, rounded: Rounded | None) -> _LotNumbers:
    n = len(lot.members)
    fair_e4 = [0] * n
    if lot.fair is not None:
        upv = lot.unit_value
        den = lot.fair.denominator * upv.denominator
        mul = upv.numerator * 10_000
        # _round_div(x * mul, den), written out: this runs once per eligible pair
        fair_e4 = [(2 * x * mul + den) // (2 * den) for x in lot.fair.numerators]
    if rounded is None:
        return _LotNumbers(fair_e4, [0] * n, None)
    return _LotNumbers(fair_e4, list(rounded.pence), rounded.units)


def _scatter(column: list[Any], at: Sequence[int], values: Iterable[Any]) -> None:
    """``column[at[n]] = values[n]`` for every ``n`` (at C speed: a county has 40,000)."""
    deque(map(column.__setitem__, at, values), maxlen=0)


@dataclass(frozen=True, slots=True)
class _LotRows:
    """One lot's eligible pairs as the audit states them, fixed when the audit is built."""

    index: int
    lot_id: str
    contract_id: str
    unit_price: Decimal | None
    members: tuple[int, ...]
    """The eligible members, by position."""
    fair_e4: list[int]
    award: list[int]
    """Each eligible member's award in pence."""
    amounts: list[Decimal]
    """The same in pounds (the awards' own amounts)."""
    units: list[int | None]
    explained: list[tuple[str | None, str, float | None]]
    """Binding condition, explanation and shadow price of each eligible member."""


class _Outcomes:
    """What the audit says of every eligible pair, and the awards, lot by lot.

    This is all that depends on the plan's lots (which later steps may change); the pair table
    is built from it, and the eligibility, when first read (:func:`_pair_table`).
    """

    def __init__(self, p: Plan, lp: _LpView | None, status: Status) -> None:
        self.p, self.lp, self.status = p, lp, status
        self.ids = p.eligibility.member_ids
        self.awards: list[Award] = []
        self.lots: list[_LotRows] = []

    def add_lot(self, lot: LotPlan, nums: _LotNumbers) -> None:
        """One lot's eligible pairs: what bound each, why, and the awards."""
        ids, members = self.ids, lot.members
        amounts = list(map(_pounds, nums.award))
        units = nums.units if nums.units is not None else [None] * len(members)
        plain = self.lp is None and self.status is Status.OPTIMAL and not lot.decisions
        reached = nums.units if nums.units is not None else nums.award
        explained = [
            # what _explain says of a pair the closed form gave its fair share, written out
            _PLAIN[q >= c]
            if plain and not f
            else _explain(self.p, lot, pos, nums.award[pos], units[pos], self.lp, self.status)
            for pos, (q, c, f) in enumerate(zip(reached, lot.claims, lot.floor, strict=True))
        ]
        # a unit-priced award can be worth £0.00 (each unit carries under a penny of the pot,
        # the largest remainder gave this member's fraction to others), yet its units count
        self.awards.extend(
            Award.many_from_trusted(
                {
                    "member": ids[i],
                    "lot": lot.lot_id,
                    "contract": lot.contract_id,
                    "amount": amount,
                    "units": u,
                }
                for i, pence, amount, u in zip(members, nums.award, amounts, units, strict=True)
                if pence > 0 or (u is not None and u > 0)
            )
        )
        price = self.p.problem.lot_index[lot.lot_id][1].unit_price
        self.lots.append(
            _LotRows(
                lot.index,
                lot.lot_id,
                lot.contract_id,
                price,
                tuple(members),
                nums.fair_e4,
                nums.award,
                amounts,
                list(units),
                explained,
            )
        )


def _pair_table(
    e: Eligibility, lots: list[_LotRows], unqualified: dict[tuple[int, int], str]
) -> PairTable:
    """Every (member, lot) pair, lot by lot: eligibility, capacity and the outcome.

    Built from checked data, without re-validation.  Its explanations are deferred in turn: the
    ineligible pairs' sentences, most of a county's table, are written from the eligibility's
    reasons when the column is first read.
    """
    ids, n_m = list(e.member_ids), len(e.member_ids)
    cols: dict[str, list[Any]] = {name: [] for name in PairTable.model_fields}
    codes = {
        mask: [r.code for r in Reason(mask)] if mask else []
        for mask in np.unique(e.reasons).tolist()
    }
    for lot in lots:
        row = e.reasons[lot.index]
        cols["member"].extend(ids)
        cols["lot"].extend([lot.lot_id] * n_m)
        cols["contract"].extend([lot.contract_id] * n_m)
        cols["eligible"].extend((row == 0).tolist())
        cols["reasons"].extend(map(codes.__getitem__, row.tolist()))
        at = np.flatnonzero(e.declared[lot.index]).tolist()
        caps = e.capacity[lot.index][at].tolist()
        capacity: list[Decimal | None] = [None] * n_m
        capacity_units: list[int | None] = [None] * n_m
        price = lot.unit_price
        if price is None:
            _scatter(capacity, at, map(_pounds, caps))
        else:
            _scatter(capacity, at, [price * c for c in caps])
            _scatter(capacity_units, at, caps)
        cols["capacity"].extend(capacity)
        cols["capacity_units"].extend(capacity_units)
        # the outcomes: defaults first, then the eligible filled in
        members = lot.members
        outcome: dict[str, list[Any]] = {
            "fair_share": [_ZERO6] * n_m,
            "award": [_ZERO2] * n_m,
            "award_units": [0 if price is not None else None] * n_m,
            "binding": [None] * n_m,
            # the ineligible pairs' sentences are written when the column is first read
            "explanation": [None] * n_m,
            "shadow_price": [None] * n_m,
        }
        _scatter(outcome["fair_share"], members, map(_micro, lot.fair_e4))
        _scatter(outcome["award"], members, lot.amounts)
        _scatter(outcome["award_units"], members, lot.units)
        for n, name in enumerate(("binding", "explanation", "shadow_price")):
            _scatter(outcome[name], members, [x[n] for x in lot.explained])
        for name, col in outcome.items():
            cols[name].extend(col)
    words = cols["explanation"]
    columns: dict[str, Any] = {
        **cols,
        "explanation": Deferred(functools.partial(ineligible_sentences, e, words, unqualified)),
    }
    return PairTable.model_construct(None, **columns)


def build(
    p: Plan,
    *,
    status: Status,
    awards: dict[int, Rounded] | None,
    solution: Solution | None,
    lp: LeximinResult | None = None,
    diagnosis: Diagnosis | None = None,
) -> Allocation:
    """Assemble the :class:`~allocate.Allocation` with its audit from a solved plan.

    The awards, the metrics and everything about the lots are worked out here; the pair table
    and the member totals, which a county has hundreds of thousands of cells of, are built from
    them when first read, and so is the input's fingerprint (the problem is frozen); see
    :class:`~allocate.core.outcome.Deferred`.
    """
    problem = p.problem
    numbers = [_lot_numbers(lot, None if awards is None else awards[lot.index]) for lot in p.lots]
    lp_info = _LpView(p, solution) if solution is not None and solution.lp is not None else None
    outcomes = _Outcomes(p, lp_info, status)
    for lot, nums in zip(p.lots, numbers, strict=True):
        outcomes.add_lot(lot, nums)
    totals, metrics = _totals_and_metrics(p, numbers, awards is not None)
    top_slices = {c: ts.amount_pence for c, ts in p.top_slices.items()}
    audit: dict[str, Any] = {
        "pairs": Deferred(
            functools.partial(_pair_table, p.eligibility, outcomes.lots, unqualified_words(p))
        ),
        "members": Deferred(
            functools.partial(_member_summaries, problem, top_slices, totals, outcomes.lots)
        ),
        "metrics": metrics,
        "solver": _solver_info(p, solution, lp, status),
        "checks": [],
        "fingerprint": Deferred(functools.partial(fingerprint, problem)),
        "versions": versions(),
        "rounding": "largest_remainder",
        "constraints": _constraint_reports(solution),
        "decisions": _decisions(p),
    }
    if p.tenders:
        audit["tenders"] = tender_reports(p, awards)
    audit.update(_money_over_time(p, outcomes.awards))
    return Allocation(
        status=status,
        problem_name=problem.name,
        rule=problem.policy.rule.value,
        contracts=_contract_results(p),
        awards=outcomes.awards,
        audit=Audit.model_construct(None, **audit),
        diagnosis=None if status is Status.OPTIMAL else diagnosis,
    )


def _money_over_time(p: Plan, awards: list[Award]) -> dict[str, Deferred]:
    """The cash-flow, full-cost and social-value sections the problem uses, each made when read.

    A problem that uses none of them gets none, so its output is what it was before they existed.
    """
    problem = p.problem
    rows = [(a.member, a.lot, a.contract, a.amount) for a in awards]
    lot_tops = {
        lot: _pounds(pence)
        for ts in p.top_slices.values()
        for lot, pence in ts.lot_amounts_pence.items()
    }
    out: dict[str, Deferred] = {}
    if value.uses_cash_flow(problem):
        out["cash_flow"] = Deferred(functools.partial(_cash_flow_report, problem, rows, lot_tops))
    if value.uses_full_cost(problem):
        out["full_cost"] = Deferred(functools.partial(_award_costs, problem, rows, lot_tops))
    if value.uses_social_value(problem):
        tops = {c: _pounds(ts.amount_pence) for c, ts in p.top_slices.items()}
        out["social_value"] = Deferred(functools.partial(_social_value, problem, rows, tops))
    return out


def _cash_flow_report(
    problem: Problem, rows: list[value.AwardRow], lot_tops: dict[str, Decimal]
) -> CashFlowReport:
    f = cashflow.forecast(problem, [(m, lot, amount) for m, lot, _, amount in rows], lot_tops)
    members = CashFlowMember.many_from_trusted(
        {
            "member": m.member,
            "size_band": problem.member_index[m.member].size_band.value,
            "awards": _pounds(m.awards),
            "full_cost": _pounds(m.cost),
            "peak_need": _pounds(m.peak_need),
            "peak_month": m.peak_month,
            "reserves": None if m.reserves is None else _pounds(m.reserves),
            "limit": None if m.limit is None else _pounds(m.limit),
            "flagged": m.flagged,
        }
        for m in f.members.values()
    )
    hub = f.hub
    assert hub is not None  # the forecast always has the hub's
    return CashFlowReport.from_trusted(
        {
            "horizon": f.horizon,
            "members": members,
            "hub_peak_need": _pounds(hub.peak_need),
            "hub_peak_month": hub.peak_month,
            "hub_advance_cost": _pounds(max(0, hub.advance_cost)),
            "flagged": [m.member for m in f.members.values() if m.flagged],
        }
    )


def _award_costs(
    problem: Problem, rows: list[value.AwardRow], lot_tops: dict[str, Decimal]
) -> list[AwardCost]:
    return AwardCost.many_from_trusted(
        {
            "member": c.member,
            "lot": c.lot,
            "contract": c.contract,
            "award": _pounds(c.award),
            "full_cost": _pounds(c.cost),
            "surplus": _pounds(max(0, c.margin)),
            "subsidy": _pounds(c.subsidy),
            "covered": c.margin >= 0,
        }
        for c in value.award_costs(problem, rows, lot_tops)
    )


def _social_value(
    problem: Problem, rows: list[value.AwardRow], tops: dict[str, Decimal]
) -> list[SocialValueRow]:
    def share(x: Fraction | None) -> Decimal | None:
        return None if x is None else _dec(x)

    return SocialValueRow.many_from_trusted(
        {
            "contract": r.contract,
            "value": _pounds(r.value),
            "top_slice": _pounds(r.top_slice),
            "hub_share": share(r.hub_share),
            "awards": _pounds(r.awards),
            "small_share": share(r.small_share),
            "local_share": share(r.local_share),
            "organisations": r.organisations,
            "targets_missed": list(r.targets_missed),
        }
        for r in value.social_value(problem, rows, tops)
    )


class _LpView:
    """The LP's answer seen pair by pair: levels, tight rows, shadow prices."""

    def __init__(self, p: Plan, solution: Solution) -> None:
        assert solution.lp is not None
        assert solution.spec is not None
        res, spec = solution.lp, solution.spec
        self.res = res
        self.key = {(p.pair_lot[k], p.pair_member[k]): k for k in range(len(p.pair_lot))}
        self.tight: dict[str, bool] = {}
        self.rows_of: dict[int, list[str]] = {}
        for row in spec.side_rows:
            activity = res.side_activity.get(row.name, 0.0)
            self.tight[row.name] = abs(activity - row.rhs) <= 1e-7 * max(1.0, abs(row.rhs))
            for k in row.coefficients:
                self.rows_of.setdefault(k, []).append(row.name)

    def binding_rows(self, k: int) -> list[str]:
        return [name for name in self.rows_of.get(k, []) if self.tight[name]]

    def level(self, k: int) -> float | None:
        v = self.res.pair_level[k] if k < len(self.res.pair_level) else math.nan
        return None if math.isnan(v) else v

    def capacity_price(self, k: int, lot_value: int) -> float | None:
        """Worst-off ratio gained per extra pound of capacity (stage 1)."""
        if not self.res.pair_reduced_cost:
            return None
        return abs(self.res.pair_reduced_cost[k]) * 100.0 / lot_value


_PLAIN: dict[bool, tuple[str | None, str, float | None]] = {
    True: (
        "capacity",
        "award reached the member's capacity; rule's fair share of the lot's pot",
        None,
    ),
    False: (
        "budget",
        "the rule's fair share of the lot's member pot, rounded to whole pence",
        None,
    ),
}


def _explain(
    p: Plan,
    lot: LotPlan,
    pos: int,
    pence: int,
    units: int | None,
    lp: _LpView | None,
    status: Status,
) -> tuple[str | None, str, float | None]:
    """The binding condition, the explanation in words and the shadow price of an eligible pair.

    The words name the rule and what held the award; the numbers are in the other columns.
    """
    if status is not Status.OPTIMAL:
        return None, "eligible; no allocation was made (see the diagnosis)", None
    if lp is None and not lot.decisions and not lot.floor[pos]:
        at_cap = (units if units is not None else pence) >= lot.claims[pos]
        return _PLAIN[at_cap]
    decision = lot.decisions.get(pos)
    if not lot.open[pos]:
        return fam.MIN_AWARD.name, decision or "no sub-contract made", None
    quantity = units if units is not None else pence
    bound: list[str] = []
    shadow: float | None = None
    k = lp.key.get((lot.index, lot.members[pos])) if lp is not None else None
    if quantity >= lot.claims[pos]:
        bound.append("capacity")
        if lp is not None and k is not None:
            shadow = lp.capacity_price(k, lot.value)
    if lot.floor[pos] and quantity <= lot.floor[pos]:
        bound.append(fam.MIN_PROVIDERS_PER_AREA.name if decision else fam.MIN_AWARD.name)
    if lp is not None and k is not None:
        bound += lp.binding_rows(k)
    rule = p.problem.policy.rule.value
    if "capacity" in bound:
        text = f"award reached the member's capacity; {rule} fair share of the lot's pot"
    else:
        text = f"{rule} fair share of the lot's member pot, rounded to whole pence"
    level = lp.level(k) if lp is not None and k is not None else None
    if level is not None and abs(level - 1) > 1e-6:
        text += f"; award / fair share {level:.6f} (leximin level)"
    if shadow:
        text += f"; one more pound of capacity would raise the worst-off ratio by {shadow:.3g}"
    if decision:
        text += f"; {decision}"
    others = [b for b in bound if b != "capacity"]
    if others:
        text += "; held by " + ", ".join(others)
    return (", ".join(bound) if bound else "budget"), text, shadow


def _decisions(p: Plan) -> list[str]:
    ids = p.eligibility.member_ids
    return [
        f"{ids[lot.members[pos]]} on {lot.lot_id}: {text}"
        for lot in p.lots
        for pos, text in sorted(lot.decisions.items())
    ]


def _activity_pounds(amount: float) -> Decimal:
    """A row's activity in pounds to the penny; a speck below zero is 0.00, not -0.00."""
    value = Decimal(repr(amount)).quantize(Decimal("0.01"))
    return value.copy_abs() if value == 0 else value


def _constraint_reports(solution: Solution | None) -> list[ConstraintReport]:
    if solution is None or solution.lp is None or solution.spec is None:
        return []
    res = solution.lp
    info = solution.row_info
    out = []
    for row in solution.spec.side_rows:
        activity = res.side_activity.get(row.name, 0.0)
        dual = res.side_duals.get(row.name)
        bound = info[row.name].bound_pence if row.name in info else round(row.rhs * row.scale)
        out.append(
            ConstraintReport(
                name=row.name,
                family=row.family,
                description=row.description,
                sense=row.sense,
                bound=from_pence(max(bound, 0)),
                value=_activity_pounds(activity * row.scale / 100),
                binding=abs(activity - row.rhs) <= 1e-7 * max(1.0, abs(row.rhs)),
                shadow_price=None if dual is None else abs(dual) * 100.0 / row.scale,
            )
        )
    return out


@dataclass
class _Totals:
    """Each member's award and capacity over the lots, in integers, and the money moved."""

    award: list[int]
    """Pence."""
    capacity: list[int]
    """Pence (unit-priced lots: the units' share of the pot, rounded down)."""
    moved: int
    """1/10,000 penny, twice the money moved."""

    @property
    def grand(self) -> int:
        """All member awards, in pence."""
        return sum(self.award)


def _totals(p: Plan, numbers: list[_LotNumbers]) -> _Totals:
    n_m = len(p.problem.members)
    t = _Totals([0] * n_m, [0] * n_m, 0)
    award, capacity = t.award, t.capacity
    for lot, nums in zip(p.lots, numbers, strict=True):
        upv = lot.unit_value
        num, den = upv.numerator, upv.denominator
        for i, a in zip(lot.members, nums.award, strict=True):
            award[i] += a
        if den == 1 and num == 1:  # a money lot: the claims are pence
            for i, claim in zip(lot.members, lot.claims, strict=True):
                capacity[i] += claim
        else:
            for i, claim in zip(lot.members, lot.claims, strict=True):
                capacity[i] += claim * num // den
        t.moved += sum(abs(a * 10_000 - f) for a, f in zip(nums.award, nums.fair_e4, strict=True))
    return t


def _ratio_extremes(
    p: Plan, numbers: list[_LotNumbers]
) -> tuple[Fraction, Fraction] | tuple[None, None]:
    """The smallest and largest award / fair share, found in floats and then made exact.

    Ties in floats go as a sort of ``(ratio, lot, position)`` would: the first pair of the first
    lot for the smallest, the last pair of the last lot for the largest.
    """
    lo: tuple[float, int, int] | None = None
    hi: tuple[float, int, int] | None = None
    for lot, nums in zip(p.lots, numbers, strict=True):
        ratios = [
            a * 10_000 / f if f > 0 else math.nan
            for a, f in zip(nums.award, nums.fair_e4, strict=True)
        ]
        shared = [r for r in ratios if r == r]  # the pairs with a fair share (not NaN)
        if not shared:
            continue
        least, most = min(shared), max(shared)
        first = ratios.index(least)
        last = len(ratios) - 1 - ratios[::-1].index(most)
        if lo is None or (least, lot.index, first) < lo:
            lo = (least, lot.index, first)
        if hi is None or (most, lot.index, last) > hi:
            hi = (most, lot.index, last)
    if lo is None or hi is None:
        return None, None

    def exact(j: int, pos: int) -> Fraction:
        lot = p.lots[j]
        return Fraction(numbers[j].award[pos]) / (lot.fair_share(pos) * lot.unit_value)

    return exact(lo[1], lo[2]), exact(hi[1], hi[2])


_ZERO4 = Decimal("0.0000")


def _member_summaries(
    problem: Problem, top_slices: dict[str, int], t: _Totals, lots: list[_LotRows]
) -> list[MemberSummary]:
    """Each member's totals, and its part of the top-slices (``top_slices``: pence by contract).

    A member's part is ``Σ top-slice(c) × award(c) / awards(c)`` over its contracts ``c``: summed
    here over the least common denominator of its contracts' totals, in integers, and divided
    once; a decimal division is correctly rounded, so the digits are those the exact ``Fraction``
    sum gives.
    """
    members = problem.members
    n_m = len(members)
    fair, eligible_lots = [0] * n_m, [0] * n_m
    by_contract: dict[str, int] = {}
    member_contract: dict[tuple[int, str], int] = {}
    for lot in lots:
        c = lot.contract_id
        for i, a, f in zip(lot.members, lot.award, lot.fair_e4, strict=True):
            fair[i] += f
            eligible_lots[i] += 1
            if a:
                member_contract[i, c] = member_contract.get((i, c), 0) + a
        by_contract[c] = by_contract.get(c, 0) + sum(lot.award)
    parts: list[list[tuple[int, int]]] = [[] for _ in members]
    for (i, c), amount in member_contract.items():
        parts[i].append((top_slices[c] * amount, by_contract[c]))
    grand = t.grand
    out = []
    for i, m in enumerate(members):
        award, mine = t.award[i], parts[i]
        contribution = _ZERO4
        if mine:
            common = math.lcm(*(total for _, total in mine))
            exact = sum(top * (common // total) for top, total in mine)
            contribution = (Decimal(exact) / Decimal(common * 100)).quantize(_Q4)
        out.append(
            MemberSummary.from_trusted(
                {
                    "member": m.id,
                    "name": m.label,
                    "membership": m.membership.value,
                    "size_band": m.size_band.value,
                    "eligible_lots": eligible_lots[i],
                    "capacity": _pounds(t.capacity[i]),
                    "fair_share": Decimal(_round_div(fair[i], 100)).scaleb(-4),
                    "award": _pounds(award),
                    "share_of_awards": (Decimal(award) / Decimal(grand)).quantize(_Q6)
                    if grand
                    else _ZERO6,
                    "top_slice_contribution": contribution,
                }
            )
        )
    return out


def _totals_and_metrics(
    p: Plan, numbers: list[_LotNumbers], solved: bool
) -> tuple[_Totals, FairnessMetrics]:
    """Each member's totals (for the member summaries) and the fairness metrics."""
    problem = p.problem
    n_m = len(problem.members)
    t = _totals(p, numbers)
    worst, best = _ratio_extremes(p, numbers) if solved else (None, None)
    g = None
    if solved:
        g = gini_float([t.award[i] / t.capacity[i] for i in range(n_m) if t.capacity[i] > 0])
    grand = t.grand
    largest = None
    if grand:
        # ties go to the smallest id, so reordering the members changes nothing
        top = max(t.award)
        ids = [m.id for m in problem.members]
        largest = min((i for i in range(n_m) if t.award[i] == top), key=lambda i: ids[i])
    metrics = FairnessMetrics(
        min_ratio=_dec(worst) if worst is not None else None,
        max_ratio=_dec(best) if best is not None else None,
        gini=None if g is None else Decimal(repr(g)).quantize(_Q6),
        largest_member=problem.members[largest].id if largest is not None else None,
        largest_member_share=_dec(Fraction(t.award[largest], grand))
        if largest is not None
        else None,
        moved_from_rule=_pounds(_round_div(t.moved, 20_000)) if solved else None,
    )
    return t, metrics


def gini_float(values: list[float]) -> float | None:
    """Gini coefficient in floating point, for large populations (sorted, one pass).

    >>> round(gini_float([0.0, 0.0, 3.0]), 6)
    0.666667
    """
    xs = np.sort(np.asarray(values, dtype=np.float64))
    n = len(xs)
    total = float(xs.sum())
    if n == 0 or total == 0:
        return None
    weights = 2 * np.arange(1, n + 1) - n - 1
    return float(np.dot(weights, xs)) / (n * total)


def _solver_info(
    p: Plan, solution: Solution | None, lp: LeximinResult | None, status: Status
) -> SolverInfo:
    res = lp if lp is not None else (solution.lp if solution is not None else None)
    if res is not None:
        v = versions()
        return SolverInfo(
            method="lp",
            solver=f"HiGHS {v.get('highspy', '?')} via PuLP {v.get('pulp', '?')}",
            status=res.solver_status,
            stages=res.stages,
            variables=res.variables,
            constraints=res.constraints,
            worst_ratio=res.first_level,
        )
    return SolverInfo(
        method="closed_form",
        solver="exact",
        status="optimal" if status is Status.OPTIMAL else status.value,
        stages=0,
        variables=0,
        constraints=0,
        worst_ratio=1.0 if status is Status.OPTIMAL else None,
    )


def fingerprint(problem: Problem) -> str:
    """SHA-256 of the problem's canonical JSON: the same input always has the same print."""
    return hashlib.sha256(problem.model_dump_json().encode()).hexdigest()
