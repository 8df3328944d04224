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
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from allocate.core import families as fam
from allocate.core.model import Problem
from allocate.core.money import from_pence
from allocate.core.outcome import (
    Allocation,
    Audit,
    Award,
    ConstraintReport,
    ContractResult,
    Deferred,
    Diagnosis,
    FairnessMetrics,
    MemberSummary,
    PairTable,
    SolverInfo,
    Status,
)
from allocate.pipeline.eligibility import ineligible_sentences
from allocate.pipeline.plan import LeximinResult, LotPlan, Plan, Reason, Rounded, Solution
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


def _pounds(pence: int) -> Decimal:
    """Pence as pounds with two places, fast (no division)."""
    return Decimal(pence).scaleb(-2)


def _micro(pounds_e6: int) -> Decimal:
    """Millionths of a pound (1/10,000 penny) as pounds with six places."""
    return Decimal(pounds_e6).scaleb(-6)


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
        fair_e4 = [_round_div(x * mul, den) for x in lot.fair.numerators]
    if rounded is None:
        return _LotNumbers(fair_e4, [0] * n, None)
    return _LotNumbers(fair_e4, list(rounded.pence), rounded.units)


class _PairColumns:
    """The audit's pair table built column by column, lot by lot, and the awards on the way."""

    def __init__(self, p: Plan, lp: _LpView | None, status: Status) -> None:
        self.p, self.lp, self.status = p, lp, status
        self.ids = list(p.eligibility.member_ids)
        self.cols: dict[str, list[Any]] = {name: [] for name in PairTable.model_fields}
        self.awards: list[Award] = []
        self._reason_codes: dict[int, list[str]] = {}

    def add_lot(self, lot: LotPlan, nums: _LotNumbers) -> None:
        """Every member's row on one lot: the ineligible with their reasons, then the eligible."""
        masks = self.p.eligibility.reasons[lot.index].tolist()
        self._declared(lot, masks)
        self._outcomes(lot, nums, masks)

    def _declared(self, lot: LotPlan, masks: list[int]) -> None:
        """Who the row is about, eligibility and the declared capacity."""
        e, cols, n_m = self.p.eligibility, self.cols, len(self.ids)
        price = self.p.problem.lot_index[lot.lot_id][1].unit_price
        declared = e.declared[lot.index].tolist()
        caps = e.capacity[lot.index].tolist()
        for mask in set(masks) - self._reason_codes.keys():
            self._reason_codes[mask] = [r.code for r in Reason(mask)] if mask else []
        cols["member"].extend(self.ids)
        cols["lot"].extend([lot.lot_id] * n_m)
        cols["contract"].extend([lot.contract_id] * n_m)
        cols["eligible"].extend([m == 0 for m in masks])
        cols["reasons"].extend([self._reason_codes[m] for m in masks])
        if price is None:
            cols["capacity"].extend(
                [_pounds(c) if d else None for c, d in zip(caps, declared, strict=True)]
            )
            cols["capacity_units"].extend([None] * n_m)
        else:
            cols["capacity"].extend(
                [price * c if d else None for c, d in zip(caps, declared, strict=True)]
            )
            cols["capacity_units"].extend(
                [c if d else None for c, d in zip(caps, declared, strict=True)]
            )

    def _outcomes(self, lot: LotPlan, nums: _LotNumbers, masks: list[int]) -> None:
        """Fair share, award, what bound it and why: defaults first, then the eligible filled in."""
        problem, ids, n_m = self.p.problem, self.ids, len(self.ids)
        priced = problem.lot_index[lot.lot_id][1].unit_price is not None
        fair_col: list[Decimal] = [_ZERO6] * n_m
        award_col: list[Decimal] = [_ZERO2] * n_m
        units_col: list[int | None] = [0 if priced else None] * n_m
        binding_col: list[str | None] = [None] * n_m
        shadow_col: list[float | None] = [None] * n_m
        # the ineligible pairs' sentences are written when the column is first read
        words_col: list[str | None] = [None] * n_m
        for pos, i in enumerate(lot.members):
            pence = nums.award[pos]
            units = nums.units[pos] if nums.units is not None else None
            amount = _pounds(pence)
            fair_col[i] = _micro(nums.fair_e4[pos])
            award_col[i] = amount
            units_col[i] = units
            binding_col[i], words_col[i], shadow_col[i] = _explain(
                self.p, lot, pos, pence, units, self.lp, self.status
            )
            # a unit-priced award can be worth £0.00 (each unit carries under a penny of the pot,
            # the largest remainder gave this member's fraction to others), yet its units count
            if pence > 0 or (units is not None and units > 0):
                self.awards.append(
                    Award.from_trusted(
                        {
                            "member": ids[i],
                            "lot": lot.lot_id,
                            "contract": lot.contract_id,
                            "amount": amount,
                            "units": units,
                        }
                    )
                )
        for name, col in (
            ("fair_share", fair_col),
            ("award", award_col),
            ("award_units", units_col),
            ("binding", binding_col),
            ("explanation", words_col),
            ("shadow_price", shadow_col),
        ):
            self.cols[name].extend(col)

    def table(self) -> PairTable:
        """The finished table (built from checked data, without re-validation).

        Its explanations are deferred: the ineligible pairs' sentences, most of a county's
        table, are written from the eligibility's reasons when the column is first read.
        """
        words = self.cols["explanation"]
        columns: dict[str, Any] = {
            **self.cols,
            "explanation": Deferred(
                functools.partial(ineligible_sentences, self.p.eligibility, words)
            ),
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
    """Assemble the :class:`~allocate.Allocation` with its audit from a solved plan."""
    problem = p.problem
    numbers = [_lot_numbers(lot, None if awards is None else awards[lot.index]) for lot in p.lots]
    lp_info = _LpView(p, solution) if solution is not None and solution.lp is not None else None
    columns = _PairColumns(p, lp_info, status)
    for lot, nums in zip(p.lots, numbers, strict=True):
        columns.add_lot(lot, nums)
    summaries, metrics = _members_and_metrics(p, numbers, awards is not None)
    return Allocation(
        status=status,
        problem_name=problem.name,
        rule=problem.policy.rule.value,
        contracts=_contract_results(p),
        awards=columns.awards,
        audit=Audit(
            pairs=columns.table(),
            members=summaries,
            metrics=metrics,
            solver=_solver_info(p, solution, lp, status),
            checks=[],
            fingerprint=fingerprint(problem),
            versions=versions(),
            rounding="largest_remainder",
            constraints=_constraint_reports(solution),
            decisions=_decisions(p),
        ),
        diagnosis=None if status is Status.OPTIMAL else diagnosis,
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
                value=Decimal(repr(activity * row.scale / 100)).quantize(Decimal("0.01")),
                binding=abs(activity - row.rhs) <= 1e-7 * max(1.0, abs(row.rhs)),
                shadow_price=None if dual is None else abs(dual) * 100.0 / row.scale,
            )
        )
    return out


@dataclass
class _Totals:
    """Each member's totals over the lots, in integers, and the money moved from the rule."""

    award: list[int]
    """Pence."""
    fair: list[int]
    """1/10,000 penny."""
    capacity: list[int]
    """Pence (unit-priced lots: the units' share of the pot, rounded down)."""
    eligible_lots: list[int]
    by_contract: dict[str, int]
    member_contract: dict[tuple[int, str], int]
    moved: int
    """1/10,000 penny, twice the money moved."""

    @property
    def grand(self) -> int:
        """All member awards, in pence."""
        return sum(self.award)


def _totals(p: Plan, numbers: list[_LotNumbers]) -> _Totals:
    n_m = len(p.problem.members)
    t = _Totals([0] * n_m, [0] * n_m, [0] * n_m, [0] * n_m, {}, {}, 0)
    for lot, nums in zip(p.lots, numbers, strict=True):
        upv = lot.unit_value
        c = lot.contract_id
        for pos, i in enumerate(lot.members):
            a = nums.award[pos]
            t.award[i] += a
            t.fair[i] += nums.fair_e4[pos]
            t.capacity[i] += lot.claims[pos] * upv.numerator // upv.denominator
            t.eligible_lots[i] += 1
            t.by_contract[c] = t.by_contract.get(c, 0) + a
            t.member_contract[i, c] = t.member_contract.get((i, c), 0) + a
            t.moved += abs(a * 10_000 - nums.fair_e4[pos])
    return t


def _ratio_extremes(
    p: Plan, numbers: list[_LotNumbers]
) -> tuple[Fraction, Fraction] | tuple[None, None]:
    """The smallest and largest award / fair share, found in floats and then made exact."""
    ratio_floats: list[tuple[float, int, int]] = []
    for lot, nums in zip(p.lots, numbers, strict=True):
        ratio_floats.extend(
            (nums.award[pos] * 10_000 / f, lot.index, pos)
            for pos, f in enumerate(nums.fair_e4)
            if f > 0
        )
    if not ratio_floats:
        return None, None

    def exact(j: int, pos: int) -> Fraction:
        lot = p.lots[j]
        return Fraction(numbers[j].award[pos]) / (lot.fair_share(pos) * lot.unit_value)

    lo, hi = min(ratio_floats), max(ratio_floats)
    return exact(lo[1], lo[2]), exact(hi[1], hi[2])


def _member_summaries(p: Plan, t: _Totals) -> list[MemberSummary]:
    contrib = [Fraction(0)] * len(p.problem.members)
    for (i, c), amount in t.member_contract.items():
        total = t.by_contract.get(c, 0)
        if total:
            contrib[i] += Fraction(p.top_slices[c].amount_pence * amount, total)
    grand = t.grand
    return [
        MemberSummary.from_trusted(
            {
                "member": m.id,
                "name": m.label,
                "membership": m.membership.value,
                "size_band": m.size_band.value,
                "eligible_lots": t.eligible_lots[i],
                "capacity": _pounds(t.capacity[i]),
                "fair_share": Decimal(_round_div(t.fair[i], 100)).scaleb(-4),
                "award": _pounds(t.award[i]),
                "share_of_awards": _dec(Fraction(t.award[i], grand)) if grand else _ZERO6,
                "top_slice_contribution": _dec(contrib[i] / 100, _Q4),
            }
        )
        for i, m in enumerate(p.problem.members)
    ]


def _members_and_metrics(
    p: Plan, numbers: list[_LotNumbers], solved: bool
) -> tuple[list[MemberSummary], FairnessMetrics]:
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
    return _member_summaries(p, t), metrics


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
