"""An independent exact oracle for small allocation problems, from the raw problem dict.

It shares nothing with ``allocate``: it reads the JSON-ready dict (the input format of
``docs/format.md``), never the library's model, pipeline or checks, and builds its own programmes
directly with ``highspy``.  For a problem in its class it answers:

* :func:`find_allocation` — does an allocation in whole pence (and whole units) exist that keeps
  every condition exactly?  A MILP with one integer column per eligible (member, lot) pair, in
  pence on money lots and in units on unit-priced lots; its answer is re-checked in exact
  :class:`~fractions.Fraction` arithmetic by :func:`violations` before it is believed;
* :func:`max_min_level` — the max-min level t* = max min_k award_k / fair_share_k over the
  continuous relaxation (an LP), the fair shares being the rule's closed form;
* :func:`least_relaxation` — the least relaxation, in whole pence, of one condition alone (its
  rows made elastic) that lets a whole-penny allocation exist: the amounts a diagnosis reports;
* :func:`leximin` (and :func:`leximin_levels`) — the leximin-optimal level of every pair (award
  over fair share) over the continuous relaxation, by progressive filling with its own LP (see
  there), and :func:`rule_closed`, the sub-contracts the rule does not make under a minimum
  award, computed as documented;
* :func:`near_allocation` — a whole-penny allocation keeping every condition with every award
  within one quantum (and the solvers' tolerance) of the leximin one, if any exists: whether
  rounding the leximin allocation could have kept that close.

The class: money lots and unit-priced lots whose member pot is a whole number of pence per unit;
the ``proportional`` and ``constrained_equal_awards`` rules; ``max_member_share``,
``max_dependency``, ``small_org_share``, ``min_award``, exclusions and pooled capacities (one pool
per member and lot); top-slices by the documented method.  Anything else raises
:class:`UnsupportedError`.

Every policy bound is kept as the exact fraction the policy states (``share × pot``); a sum of
whole pence meets it exactly when it meets the bound rounded to whole pence in the safe direction
(down for ``≤``, up for ``≥``), so the programmes use those whole bounds and lose no whole-penny
allocation.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import highspy
import numpy as np

__all__ = [
    "LEVEL_TOLERANCE",
    "Awards",
    "Leximin",
    "Model",
    "OracleError",
    "UnsupportedError",
    "awards_from",
    "excess",
    "failures",
    "find_allocation",
    "gaps",
    "least_relaxation",
    "level_tolerance",
    "levels_of",
    "leximin",
    "leximin_levels",
    "max_min_level",
    "model",
    "near_allocation",
    "rule_closed",
    "violations",
    "worst_ratio",
]

#: (member, lot) -> (pence, units or None): an allocation as the oracle reads it.
Awards = dict[tuple[str, str], tuple[int, int | None]]

RULES = ("proportional", "constrained_equal_awards")
#: Size bands by annual income in pence: micro < £10k ≤ small < £100k ≤ medium < £1m ≤ large
#: < £10m ≤ major (docs/format.md).
BANDS = ((1_000_000, "micro"), (10_000_000, "small"), (100_000_000, "medium"), (10**9, "large"))
#: The families whose rows :func:`least_relaxation` can make elastic, and ``budget`` (money left
#: unplaced on a lot).
FAMILIES = ("max_member_share", "max_dependency", "small_org_share", "pooled_capacity", "budget")


class UnsupportedError(ValueError):
    """The problem is outside the oracle's class."""


class OracleError(AssertionError):
    """The oracle's own programme gave an answer that fails the exact re-check."""


def pence(value: Any) -> int:
    """Money in the input (pounds, a string or a number) as whole pence."""
    exact = Decimal(str(value)) * 100
    if exact != exact.to_integral_value():
        raise UnsupportedError(f"money {value!r} is not whole pence")
    return int(exact)


def exact(value: Any) -> Fraction:
    """A rate, score or multiple in the input, exactly as written."""
    return Fraction(Decimal(str(value)))


def band(income_pence: int) -> str:
    return next((name for limit, name in BANDS if income_pence < limit), "major")


@dataclass(frozen=True, slots=True)
class Lot:
    id: str
    contract: str
    theme: str
    area: str
    value: int
    """Pence."""
    top_slice: int
    """The hub's top-slice from this lot, in pence."""
    units: int | None
    """Whole units on a unit-priced lot."""
    unit_value: int
    """Pence of member pot per unit of the lot's quantity: the pot per unit, or 1 on money lots."""

    @property
    def pot(self) -> int:
        return self.value - self.top_slice

    @property
    def estate(self) -> int:
        """What the members share, in the lot's quantity (pence, or units)."""
        return self.units if self.units is not None else self.pot


@dataclass(frozen=True, slots=True)
class Pair:
    """An eligible (member, lot) pair; quantities in pence, or units on unit-priced lots."""

    member: str
    lot: Lot
    claim: int
    fair: Fraction
    """The rule's closed-form share of the lot's estate (0 when eligible capacity is short)."""
    floor: int
    """The minimum award in the lot's quantity (0 without ``min_award``)."""


@dataclass(frozen=True, slots=True)
class Row:
    """``Σ money over pairs (sense) bound``: one side-condition, with its exact bound in pence."""

    name: str
    family: str
    pairs: tuple[int, ...]
    sense: str
    bound: Fraction

    @property
    def whole(self) -> int:
        """The bound in whole pence, rounded the safe way: sums of whole pence meet either."""
        return math.floor(self.bound) if self.sense == "<=" else math.ceil(self.bound)


@dataclass(frozen=True, slots=True)
class Model:
    """A problem as the oracle sees it: lots, eligible pairs and side rows."""

    lots: tuple[Lot, ...]
    contracts: dict[str, int]
    """Contract values, in pence."""
    pairs: tuple[Pair, ...]
    rows: tuple[Row, ...]
    min_award: int | None
    """Pence."""
    short: tuple[str, ...]
    """Lots whose eligible capacity cannot absorb them."""
    rule: str = "proportional"

    def lot(self, lot_id: str) -> Lot:
        return next(lot for lot in self.lots if lot.id == lot_id)

    @property
    def index(self) -> dict[tuple[str, str], int]:
        return {(p.member, p.lot.id): k for k, p in enumerate(self.pairs)}


# -- reading the problem ---------------------------------------------------------------------


def _top_slices(data: Mapping[str, Any]) -> dict[str, int]:
    """Each lot's top-slice: rate × contract value rounded down, spread by largest remainder."""
    ts = data.get("top_slice") or {}
    top = exact(ts.get("max_rate", "0.10"))
    target = exact(ts.get("target_rate", "0.05"))
    method = ts.get("method", "fixed")
    contracts = data["contracts"]
    out: dict[str, int] = {}
    for c in contracts:
        value = pence(c["value"])
        if method == "fixed":
            rate = exact(ts["rate"]) if ts.get("rate") is not None else top
        elif method == "glide_path":
            year, last = int(c.get("year", 1)), int(ts["target_year"])
            rate = target if year >= last else top - (top - target) * Fraction(year - 1, last - 1)
        else:  # cost_recovery
            annual = sum(
                Fraction(pence(k["value"]), int(k.get("term_years", 1))) for k in contracts
            )
            rate = min(top, Fraction(pence(data["hub"]["annual_cost"])) / annual)
        amount = math.floor(rate * value)
        parts = [Fraction(amount * pence(lot["value"]), value) for lot in c["lots"]]
        whole = [math.floor(x) for x in parts]
        # the pennies left go to the largest remainders, ties to the earlier lot
        order = sorted(range(len(parts)), key=lambda j: (-(parts[j] - whole[j]), j))
        for j in order[: amount - sum(whole)]:
            whole[j] += 1
        out.update({lot["id"]: w for lot, w in zip(c["lots"], whole, strict=True)})
    return out


def _lots(data: Mapping[str, Any]) -> list[Lot]:
    top = _top_slices(data)
    lots = []
    for c in data["contracts"]:
        for raw in c["lots"]:
            value = pence(raw["value"])
            units = None
            unit_value = 1
            if raw.get("unit_price") is not None:
                units = value // pence(raw["unit_price"])
                pot = value - top[raw["id"]]
                if pot % units:
                    raise UnsupportedError(f"lot {raw['id']}: the pot is not whole pence per unit")
                unit_value = pot // units
            lots.append(
                Lot(
                    raw["id"],
                    c["id"],
                    raw["theme"],
                    raw["area"],
                    value,
                    top[raw["id"]],
                    units,
                    unit_value,
                )
            )
    return lots


def _covers(cap: Mapping[str, Any], lot: Lot) -> bool:
    if cap.get("lot") is not None:
        return bool(cap["lot"] == lot.id)
    return cap.get("theme") in (None, lot.theme) and cap.get("area") in (None, lot.area)


def _claim(capacities: Iterable[Mapping[str, Any]], lot: Lot) -> int:
    """The least of a member's capacities covering the lot, in its quantity.

    An amount buys the lot's whole units.
    """
    found = []
    for cap in capacities:
        if not _covers(cap, lot):
            continue
        if cap.get("units") is not None:
            found.append(int(cap["units"]))
        elif lot.units is None:
            found.append(pence(cap["amount"]))
        else:
            found.append(pence(cap["amount"]) // (lot.value // lot.units))
    return min(found, default=0)


def _eligible(
    data: Mapping[str, Any], m: Mapping[str, Any], lot: Lot, excluded_ids: set[tuple[str, str]]
) -> bool:
    """``excluded_ids``: (member, lot or contract id) of every exclusion."""
    policy = data.get("policy") or {}
    excluded = (m["id"], lot.id) in excluded_ids or (m["id"], lot.contract) in excluded_ids
    return (
        m.get("membership", "full") == "full"
        and bool(m["qa_passed"])
        and exact(m["quality_score"]) >= exact(policy.get("quality_threshold", 0))
        and exact(m["reporting_compliance"]) >= exact(policy.get("reporting_threshold", 0))
        and lot.theme in m.get("themes", [])
        and lot.area in m.get("areas", [])
        and not excluded
    )


def _shares(rule: str, estate: int, claims: list[int]) -> list[Fraction]:
    """The rule's closed form: proportional, or constrained equal awards (water-filling)."""
    total = sum(claims)
    if total < estate or not claims:
        return [Fraction(0)] * len(claims)
    if rule == "proportional":
        return [Fraction(estate * c, total) for c in claims]
    out = [Fraction(0)] * len(claims)
    left = Fraction(estate)
    order = sorted(range(len(claims)), key=claims.__getitem__)
    for done, i in enumerate(order):
        out[i] = min(Fraction(claims[i]), left / (len(claims) - done))
        left -= out[i]
    return out


def model(data: Mapping[str, Any]) -> Model:
    """Read a problem dict into the oracle's model; :class:`UnsupportedError` outside its class."""
    policy = data.get("policy") or {}
    for name in ("case_mix_tolerance", "min_providers_per_area"):
        if policy.get(name) is not None:
            raise UnsupportedError(f"{name} is not modelled")
    rule = policy.get("rule", "proportional")
    if rule not in RULES:
        raise UnsupportedError(f"rule {rule}")
    lots = _lots(data)
    members = sorted(data["members"], key=lambda m: m["id"])
    least = pence(policy["min_award"]) if policy.get("min_award") is not None else None
    pairs: list[Pair] = []
    short = []
    declared: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for cap in data["capacities"]:
        declared[cap["member"]].append(cap)
    excluded = {
        (ex["member"], ex.get("lot") if ex.get("lot") is not None else ex.get("contract"))
        for ex in policy.get("exclusions", [])
    }
    for lot in lots:
        claims = {
            m["id"]: _claim(declared[m["id"]], lot)
            for m in members
            if _eligible(data, m, lot, excluded)
        }
        ids = [mid for mid, c in claims.items() if c > 0]
        if sum(claims[mid] for mid in ids) < lot.estate:
            short.append(lot.id)
        fair = _shares(rule, lot.estate, [claims[mid] for mid in ids])
        # the minimum award in the lot's quantity: whole units worth at least that much
        floor = 0 if least is None else -(-least // lot.unit_value)
        pairs += [Pair(mid, lot, claims[mid], f, floor) for mid, f in zip(ids, fair, strict=True)]
    return Model(
        lots=tuple(lots),
        contracts={c["id"]: pence(c["value"]) for c in data["contracts"]},
        pairs=tuple(pairs),
        rows=tuple(_rows(data, lots, pairs)),
        min_award=least,
        short=tuple(short),
        rule=rule,
    )


def _rows(data: Mapping[str, Any], lots: list[Lot], pairs: list[Pair]) -> Iterable[Row]:
    policy = data.get("policy") or {}
    pot: dict[str, int] = defaultdict(int)
    for lot in lots:
        pot[lot.contract] += lot.pot
    by_member: dict[str, list[int]] = defaultdict(list)
    for k, p in enumerate(pairs):
        by_member[p.member].append(k)
    if policy.get("max_member_share") is not None:
        share = exact(policy["max_member_share"])
        for mid, ks in sorted(by_member.items()):
            contracts = sorted({pairs[k].lot.contract for k in ks})
            for c in contracts:
                mine = tuple(k for k in ks if pairs[k].lot.contract == c)
                yield Row(
                    f"max_member_share:{mid}:{c}", "max_member_share", mine, "<=", share * pot[c]
                )
            if len(contracts) > 1:  # a single contract's row implies the portfolio's
                yield Row(
                    f"max_member_share:{mid}:portfolio",
                    "max_member_share",
                    tuple(ks),
                    "<=",
                    share * sum(pot.values()),
                )
    if policy.get("max_dependency") is not None:
        multiple = exact(policy["max_dependency"])
        income = {m["id"]: pence(m["annual_income"]) for m in data["members"]}
        for mid, ks in sorted(by_member.items()):
            yield Row(
                f"max_dependency:{mid}", "max_dependency", tuple(ks), "<=", multiple * income[mid]
            )
    if policy.get("small_org_share") is not None and exact(policy["small_org_share"]) > 0:
        share = exact(policy["small_org_share"])
        bands = set(policy.get("small_org_bands", ["micro", "small"]))
        small = {m["id"] for m in data["members"] if band(pence(m["annual_income"])) in bands}
        for c in data["contracts"]:
            mine = tuple(
                k for k, p in enumerate(pairs) if p.lot.contract == c["id"] and p.member in small
            )
            yield Row(
                f"small_org_share:{c['id']}", "small_org_share", mine, ">=", share * pot[c["id"]]
            )
    for n, cap in enumerate(data["capacities"]):
        if cap.get("lot") is None:
            mine = tuple(k for k in by_member[cap["member"]] if _covers(cap, pairs[k].lot))
            yield Row(
                f"pooled_capacity:{cap['member']}:{n}",
                "pooled_capacity",
                mine,
                "<=",
                Fraction(pence(cap["amount"])),
            )


# -- the exact re-check ----------------------------------------------------------------------


def awards_from(awards: Iterable[Any]) -> Awards:
    """Read awards (objects with ``member``, ``lot``, ``amount`` in pounds and ``units``)."""
    return {(a.member, a.lot): (pence(a.amount), a.units) for a in awards}


def _money(m: Model, awards: Awards, pairs: Iterable[int]) -> int:
    return sum(awards.get((m.pairs[k].member, m.pairs[k].lot.id), (0, None))[0] for k in pairs)


def excess(m: Model, awards: Awards) -> dict[str, int]:
    """How far each row and each lot budget is from holding, in whole pence (0 when it holds).

    Budgets as ``budget:<lot>``: money the awards leave unplaced (negative when they overspend).
    """
    out = {}
    for row in m.rows:
        total = _money(m, awards, row.pairs)
        out[row.name] = max(0, total - row.whole if row.sense == "<=" else row.whole - total)
    for lot in m.lots:
        paid = sum(p for (_, lid), (p, _) in awards.items() if lid == lot.id)
        out[f"budget:{lot.id}"] = lot.pot - paid
    return out


def failures(m: Model, awards: Awards) -> list[tuple[str, str]]:
    """Every condition the awards break, checked exactly, as (condition, detail).

    Conditions: ``eligibility``, ``capacity``, ``whole_units``, ``min_award``, each row's family,
    ``budget`` (a lot's awards + top-slice against its value) and ``contract`` (the same for a
    contract).
    """
    bad = []
    index = m.index
    for (mid, lid), (money, units) in sorted(awards.items()):
        k = index.get((mid, lid))
        if k is None:
            if money or units:
                bad.append(("eligibility", f"{mid} on {lid}: {money}p, not an eligible pair"))
            continue
        pair = m.pairs[k]
        lot = pair.lot
        quantity = money if lot.units is None else units
        if quantity is None or (lot.units is None) != (units is None):
            bad.append(("whole_units", f"{mid} on {lid}: units {units}, the lot has {lot.units}"))
            continue
        if money < 0 or not 0 <= quantity <= pair.claim:
            bad.append(("capacity", f"{mid} on {lid}: {quantity} outside 0..{pair.claim}"))
        if money != quantity * lot.unit_value:
            bad.append(
                ("whole_units", f"{mid} on {lid}: {money}p != {quantity} × {lot.unit_value}p")
            )
        if m.min_award is not None and 0 < money < m.min_award:
            bad.append(("min_award", f"{mid} on {lid}: {money}p < {m.min_award}p"))
    for row in m.rows:
        total = Fraction(_money(m, awards, row.pairs))
        if total > row.bound if row.sense == "<=" else total < row.bound:
            bad.append((row.family, f"{row.name}: {total}p, the bound is {row.sense} {row.bound}p"))
    contract_of = {lot.id: lot.contract for lot in m.lots}
    paid: dict[str, int] = defaultdict(int)
    for (_, lid), (money, _) in awards.items():
        if lid in contract_of:
            paid[contract_of[lid]] += money
    off = excess(m, awards)
    for lot in m.lots:
        left = off[f"budget:{lot.id}"]
        if left:
            bad.append(("budget", f"lot {lot.id}: awards + top-slice are {-left:+}p off its value"))
    for c, value in m.contracts.items():
        top = sum(lot.top_slice for lot in m.lots if lot.contract == c)
        if paid[c] + top != value:
            bad.append(("contract", f"{c}: awards {paid[c]}p + top-slice {top}p != {value}p"))
    return bad


def violations(m: Model, awards: Awards) -> list[str]:
    """Every condition the awards break, checked exactly (an empty list when they keep all)."""
    return [f"[{name}] {detail}" for name, detail in failures(m, awards)]


# -- the programmes ----------------------------------------------------------------------------


class _Program:
    """One highspy model of the conditions: a column per eligible pair, in the lot's quantity."""

    def __init__(self, m: Model, *, whole: bool) -> None:
        self.m = m
        self.h = h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.silent()
        h.setOptionValue("mip_rel_gap", 0.0)
        self.kind = highspy.HighsVarType.kInteger if whole else highspy.HighsVarType.kContinuous
        # a column fixed at 0 starts every expression, so that an empty sum is still a row
        self.zero = h.addVariable(0, 0)
        # a pair whose capacity cannot reach the minimum award receives nothing
        self.y = [
            h.addVariable(0, p.claim if p.floor <= p.claim else 0, type=self.kind) for p in m.pairs
        ]
        self.slacks: list[Any] = []
        if m.min_award is None:
            return
        for p, y in zip(m.pairs, self.y, strict=True):
            if p.floor > p.claim:
                continue
            if whole:  # nothing, or at least the minimum: a semi-continuous pair
                made = h.addVariable(0, 1, type=highspy.HighsVarType.kInteger)
                h.addConstr(self.zero + y - p.floor * made >= 0)
                h.addConstr(self.zero + y - p.claim * made <= 0)
            else:
                # the relaxation for the max-min level: a pair with a positive level receives
                # something, so (made) at least the minimum -- see max_min_level
                h.addConstr(self.zero + y >= p.floor)

    def money(self, pairs: Iterable[int]) -> Any:
        expr = self.zero + 0
        for k in pairs:
            expr = expr + self.m.pairs[k].lot.unit_value * self.y[k]
        return expr

    def conditions(self, elastic: str | None = None) -> None:
        """Lot budgets and side rows; those of family ``elastic`` may give, at a slack."""
        h = self.h
        for lot in self.m.lots:
            ks = [k for k, p in enumerate(self.m.pairs) if p.lot.id == lot.id]
            if elastic == "budget":
                self.slacks.append(s := h.addVariable(0, lot.pot, type=self.kind))
                h.addConstr(self.money(ks) + s == lot.pot)
            else:
                h.addConstr(self.money(ks) == lot.pot)
        for row in self.m.rows:
            expr = self.money(row.pairs)
            if row.family == elastic:
                self.slacks.append(s := h.addVariable(0, highspy.kHighsInf, type=self.kind))
                expr = expr - s if row.sense == "<=" else expr + s
            h.addConstr(expr <= row.whole if row.sense == "<=" else expr >= row.whole)

    def optimal(self) -> bool:
        return bool(self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal)

    def awards(self) -> Awards:
        out: Awards = {}
        for p, y in zip(self.m.pairs, self.y, strict=True):
            q = round(self.h.val(y))
            if q:
                out[p.member, p.lot.id] = (
                    q * p.lot.unit_value,
                    q if p.lot.units is not None else None,
                )
        return out


#: HiGHS's MIP presolve (1.15.1) has called a feasible model of this kind infeasible (a lot of
#: £49.51 among three members with a minimum award of a penny): every MILP is solved with
#: presolve off and on, a witness is believed only once re-checked exactly, and "none exists"
#: only when both runs say so.
PRESOLVE = ("off", "on")


def _runs(m: Model, elastic: str | None = None) -> Iterable[_Program]:
    """The MILP (with ``elastic`` rows minimised when given), solved each way; optimal runs."""
    for presolve in PRESOLVE:
        program = _Program(m, whole=True)
        program.h.setOptionValue("presolve", presolve)
        program.conditions(elastic=elastic)
        if elastic is None:
            program.h.run()
        else:
            program.h.minimize(program.zero + sum(program.slacks, start=program.zero + 0))
        if program.optimal():
            yield program


def find_allocation(m: Model) -> Awards | None:
    """A whole-penny allocation keeping every condition exactly, or None when none exists."""
    for program in _runs(m):
        awards = program.awards()
        bad = violations(m, awards)
        if bad:
            raise OracleError(f"the oracle's MILP answer fails the exact check: {bad}")
        return awards
    return None


def least_relaxation(m: Model, family: str) -> int | None:
    """The least total relaxation in whole pence of one family's rows (or ``budget``) alone.

    None when relaxing that family alone cannot make a whole-penny allocation possible; 0 when
    none is needed.
    """
    if family not in FAMILIES:
        raise ValueError(f"family {family!r} is not one of {FAMILIES}")
    totals = []
    for program in _runs(m, elastic=family):
        # the witness, re-checked: every other condition exact, this family short by the total
        awards = program.awards()
        total = sum(v for name, v in excess(m, awards).items() if name.split(":")[0] == family)
        # money left unplaced also leaves its contract short: that is the same relaxation
        allowed = {family, "contract"} if family == "budget" else {family}
        others = [f for f in failures(m, awards) if f[0] not in allowed]
        if others or total != round(program.h.getObjectiveValue()):
            raise OracleError(f"relaxing {family}: the witness breaks {others} or totals {total}")
        totals.append(total)
    if len(set(totals)) > 1:
        raise OracleError(f"relaxing {family}: the two runs disagree, {totals}")
    return totals[0] if totals else None


#: The solvers' feasibility tolerance: the level is HiGHS's optimum to about this (at 1e-10
#: HiGHS 1.15.1 has called a one-member lot unbounded), and :func:`gaps` forgives it.
LEVEL_TOLERANCE = 1e-9
#: The tolerance :func:`max_min_level` falls back to when HiGHS finds no optimum at the tight one.
FALLBACK_TOLERANCE = 1e-8


def max_min_level(m: Model) -> float | None:
    """t* = max min_k award_k / fair_k over the continuous relaxation; None when it is empty.

    With ``min_award``, a pair whose level is positive receives something, so at least the
    minimum: the relaxation gives every pair its floor.  That is the documented condition only
    when every fair share reaches the floor (the rule then closes no sub-contract); otherwise
    :class:`UnsupportedError`.  The level is a float (see :data:`LEVEL_TOLERANCE`), solved with
    presolve off and on; the two must agree.
    """
    if m.short:
        return None
    if m.min_award is not None and any(p.fair < p.floor for p in m.pairs):
        raise UnsupportedError("the rule would close a sub-contract below the minimum award")
    levels: list[float] = []
    # HiGHS 1.15.1 has called a feasible relaxation infeasible at 1e-9 (a one-penny contract
    # beside one of £246,951.28, every member at exactly its dependency cap), and solved it at
    # 1e-8: the looser tolerance is tried only when neither run at the tight one is optimal
    for tolerance in (LEVEL_TOLERANCE, FALLBACK_TOLERANCE):
        for presolve in PRESOLVE:
            program = _Program(m, whole=False)
            h = program.h
            h.setOptionValue("presolve", presolve)
            for option in ("primal_feasibility_tolerance", "dual_feasibility_tolerance"):
                h.setOptionValue(option, tolerance)
            level = h.addVariable(0, highspy.kHighsInf)
            for p, y in zip(m.pairs, program.y, strict=True):
                if p.fair > 0:
                    h.addConstr(program.zero + y - float(p.fair) * level >= 0)
            program.conditions()
            h.maximize(program.zero + level)
            if program.optimal():
                levels.append(float(h.val(level)))
        if levels:
            break
    if levels and max(levels) - min(levels) > 10 * LEVEL_TOLERANCE * max(1.0, max(levels)):
        raise OracleError(f"the level differs with presolve off and on: {levels}")
    return min(levels) if levels else None


def worst_ratio(m: Model, awards: Awards) -> Fraction | None:
    """min_k award_k / fair_k over pairs with a positive fair share, exactly, in quantities."""
    ratios = [_quantity(awards, p) / p.fair for p in m.pairs if p.fair > 0]
    return min(ratios, default=None)


def _quantity(awards: Awards, p: Pair) -> int:
    money, units = awards.get((p.member, p.lot.id), (0, None))
    return money if p.lot.units is None else (units or 0)


def gaps(m: Model, awards: Awards, level: float) -> dict[tuple[str, str], float]:
    """How far each award falls below ``level`` × its fair share, in quanta (pence or units).

    Negative when the award is above.  Solver noise is forgiven first: 2 × LEVEL_TOLERANCE of the
    lot's estate (``allocate`` solves on fractions of each lot's value with a feasibility
    tolerance of 1e-9, and so is this level solved): a penny on a £5m lot.  A leximin allocation
    rounded to whole pence and units then keeps every gap at most one quantum.
    """
    return {
        (p.member, p.lot.id): level * float(p.fair)
        - _quantity(awards, p)
        - 2 * LEVEL_TOLERANCE * p.lot.estate
        for p in m.pairs
        if p.fair > 0
    }


# -- leximin by progressive filling ------------------------------------------------------------

#: Duals of ratio rows at least this large (the rows are ``z − t ≥ 0`` with ``z`` the pair's award
#: over its fair share, so a dual is the level's rate per unit of ratio) freeze their pair.
DUAL_FREEZE = 1e-9
#: A tie that can rise by more than this share of its lot's estate (in money, with every other
#: unfrozen pair still at the level) is not frozen.  A tie frozen although it could rise by less
#: is off by less than this: half the solvers' allowance in :func:`level_tolerance`.  (A tie the
#: solver's noise lets "rise" only costs a stage: it is frozen at the next, at the same level.)
RISE = LEVEL_TOLERANCE


@dataclass(frozen=True, slots=True)
class Leximin:
    """The leximin-optimal levels of a problem's continuous relaxation, pair by pair."""

    levels: dict[tuple[str, str], float]
    """Each open pair's level (award / fair share), and 0.0 for each closed one."""
    stages: int
    """Progressive-filling stages (one ``max t`` LP each)."""
    lp_solves: int
    """Every LP solved: the stages and the "can it rise" checks."""
    closed: frozenset[tuple[str, str]]
    """Sub-contracts not made (minimum award), held at zero."""
    seconds: float


def rule_closed(m: Model) -> frozenset[tuple[str, str]]:
    """The sub-contracts the rule does not make under a minimum award, as documented.

    On each lot the smallest fair shares (ties by member id) are dropped one by one until the rule
    applied to the members left gives each of them at least the minimum, but never so many that
    those left cannot absorb the lot; then any member left whose capacity cannot reach the minimum
    is not made either.  Empty without a minimum award.
    """
    if m.min_award is None:
        return frozenset()
    out: set[tuple[str, str]] = set()
    for lot in m.lots:
        mine = [p for p in m.pairs if p.lot.id == lot.id]
        if not mine:
            continue
        floor = mine[0].floor
        order = sorted(mine, key=lambda p: (p.fair, p.member))
        dropped = 0
        for d in range(len(order) + 1):
            left = order[d:]
            if sum(p.claim for p in left) < lot.estate:
                dropped = max(0, d - 1)
                break
            if all(s >= floor for s in _shares(m.rule, lot.estate, [p.claim for p in left])):
                dropped = d
                break
        out |= {(p.member, lot.id) for p in order[:dropped]}
        out |= {(p.member, lot.id) for p in order[dropped:] if p.claim < floor}
    return frozenset(out)


class _Filling:
    """One highspy LP in ratio units: ``z_k`` is pair k's award over its fair share.

    Columns: ``z_k`` for every pair (bounds floor/fair .. claim/fair; 0 for a closed pair), then
    the level ``t``.  Rows: each lot's budget and each side row (money, divided by its own
    size so every coefficient is at most 1), then one ratio row ``z_k − t ≥ 0`` per claimant.
    """

    def __init__(self, m: Model, closed: frozenset[tuple[str, str]]) -> None:
        self.m = m
        self.h = h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.silent()
        for option in ("primal_feasibility_tolerance", "dual_feasibility_tolerance"):
            h.setOptionValue(option, LEVEL_TOLERANCE)
        n = len(m.pairs)
        self.unit = [float(p.fair) if p.fair > 0 else float(max(p.claim, 1)) for p in m.pairs]
        self.claimants = [
            k
            for k, p in enumerate(m.pairs)
            if p.fair > 0
            and p.claim > 0
            and p.floor <= p.claim
            and (p.member, p.lot.id) not in closed
        ]
        lower = np.zeros(n)
        upper = np.zeros(n)
        for k, p in enumerate(m.pairs):
            if (p.member, p.lot.id) in closed or p.floor > p.claim:
                continue
            lower[k] = p.floor / self.unit[k]
            upper[k] = p.claim / self.unit[k]
        top = max((upper[k] for k in self.claimants), default=1.0)
        self.top = max(1.0, float(top))
        h.addCols(
            n,
            np.zeros(n),
            lower,
            upper,
            0,
            np.zeros(n, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        self.t = n
        h.addCol(1.0, 0.0, self.top, 0, np.zeros(0, dtype=np.int32), np.zeros(0))
        # money rows: budgets (== pot) and side rows (whole bounds), each over its own size
        by_lot: dict[str, list[int]] = defaultdict(list)
        for k, p in enumerate(m.pairs):
            by_lot[p.lot.id].append(k)
        rows: list[tuple[list[int], float, float]] = [
            (by_lot[lot.id], float(lot.pot), float(lot.pot)) for lot in m.lots
        ]
        for row in m.rows:
            bound = float(row.whole)
            lo, hi = (
                (-highspy.kHighsInf, bound) if row.sense == "<=" else (bound, highspy.kHighsInf)
            )
            rows.append((list(row.pairs), lo, hi))
        for ks, lo, hi in rows:
            coef = np.array([self.unit[k] * m.pairs[k].lot.unit_value for k in ks], dtype=float)
            finite = [abs(b) for b in (lo, hi) if math.isfinite(b)]
            size = max(finite) if finite and max(finite) > 0 else max(coef, default=1.0)
            h.addRow(
                lo / size if math.isfinite(lo) else lo,
                hi / size if math.isfinite(hi) else hi,
                len(ks),
                np.array(ks, dtype=np.int32),
                coef / size,
            )
        self.ratio_row: dict[int, int] = {}
        for k in self.claimants:
            self.ratio_row[k] = h.getNumRow()
            h.addRow(
                0.0,
                highspy.kHighsInf,
                2,
                np.array([k, self.t], dtype=np.int32),
                np.array([1.0, -1.0]),
            )
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.solves = 0
        self.unfrozen = set(self.claimants)

    def solve(self) -> bool:
        self.h.run()
        self.solves += 1
        return bool(self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal)

    def noise(self, k: int) -> float:
        """The solvers' tolerance in pair k's ratio: LEVEL_TOLERANCE of its lot over its share."""
        p = self.m.pairs[k]
        return LEVEL_TOLERANCE * max(1.0, p.lot.estate / self.unit[k])

    def freeze(self, k: int, level: float, value: float) -> None:
        """Hold pair k at ``level`` and take it off the level ``t``.

        Held at most at what it has in the stage's answer (``value``): the solver keeps rows only
        to its tolerance, and a hold above the answer could leave the next stage without one.
        """
        row = self.ratio_row[k]
        self.h.changeCoeff(row, self.t, 0.0)
        self.h.changeRowBounds(row, min(level, value), highspy.kHighsInf)

    def cannot_rise(self, ties: set[int], level: float, values: Any) -> set[int]:
        """Those of ``ties`` (claimants at ``level``) that cannot rise above it.

        With ``t`` fixed at the level (at most the least unfrozen ratio of the stage's answer,
        ``values``, so that answer stays feasible), each tie gets a column ``e_k ∈ [0, 1]``, its
        rise in money as a share of its lot's estate, in its ratio row (``z_k − t − e_k ·
        estate / fair ≥ 0``), and ``Σ e_k`` is maximised: a tie with ``e_k`` above :data:`RISE`
        can rise (the answer shows it) and leaves the set; repeated until no ``e_k`` does, when
        none of those left can rise alone either (one that could would give a positive sum).
        """
        h = self.h
        held = min([level, *(float(values[k]) for k in self.unfrozen)])
        h.changeColBounds(self.t, held, held)
        h.changeColCost(self.t, 0.0)
        first = h.getNumCol()
        order = sorted(ties)
        for k in order:
            per_estate = self.m.pairs[k].lot.estate / self.unit[k]
            h.addCol(
                1.0,
                0.0,
                1.0,
                1,
                np.array([self.ratio_row[k]], dtype=np.int32),
                np.array([-per_estate]),
            )
        column = {k: first + i for i, k in enumerate(order)}
        left = set(ties)
        while left:
            if not self.solve():
                raise OracleError(f"the rise check at level {level} has no optimum")
            rises = self.h.getSolution().col_value
            rose = {k for k in left if rises[column[k]] > RISE}
            if not rose:
                break
            left -= rose
            for k in rose:
                h.changeColBounds(column[k], 0.0, 0.0)
        h.deleteCols(len(order), np.arange(first, first + len(order), dtype=np.int32))
        h.changeColBounds(self.t, 0.0, self.top)
        h.changeColCost(self.t, 1.0)
        return left


def leximin(m: Model, closed: Iterable[tuple[str, str]] | None = None) -> Leximin | None:
    """The leximin-optimal level of every pair, by progressive filling; None when infeasible.

    Stage k maximises ``t`` with every unfrozen claimant's award at least its fair share × ``t``
    and every frozen one held at its level, subject to the lot budgets, capacities, floors and
    every side row (at their whole-penny bounds, as :func:`find_allocation` keeps them), over the
    continuous relaxation.  Then exactly the claimants held at the level in *every* optimum of
    the stage are frozen there: those whose ratio row has a positive dual (complementary
    slackness), and, among those at the level whose dual is zero (ties), those that cannot rise
    above it with every other unfrozen claimant kept at the level (an LP, :class:`_Filling`).
    The rest can each rise, so together they rise, and the next stage's level is higher.

    ``closed``: sub-contracts not made, held at zero (default :func:`rule_closed`); every made
    one holds at least the minimum award.  A closed pair's level is 0.  The answer is floats to
    the solvers' tolerance (:data:`LEVEL_TOLERANCE`); see :func:`level_tolerance`.
    """
    t0 = time.perf_counter()
    if m.short:
        return None
    shut = rule_closed(m) if closed is None else frozenset(closed)
    lp = _Filling(m, shut)
    levels: dict[int, float] = {}
    stages = 0
    while lp.unfrozen:
        if not lp.solve():
            if stages == 0:
                return None
            raise OracleError(f"stage {stages + 1} has no optimum, though the last one's does")
        stages += 1
        solution = lp.h.getSolution()
        values, duals = list(solution.col_value), list(solution.row_dual)
        level = float(values[lp.t])
        at_level = {
            k for k in lp.unfrozen if values[k] <= level + max(1e-9 * level, 10 * lp.noise(k))
        }
        tight = {k for k in at_level if abs(duals[lp.ratio_row[k]]) > DUAL_FREEZE}
        ties = at_level - tight
        frozen = tight | (lp.cannot_rise(ties, level, values) if ties else set())
        if not frozen:
            raise OracleError(f"stage {stages}: nobody is held at the level {level}")
        for k in frozen:
            lp.freeze(k, level, float(values[k]))
            levels[k] = level
        lp.unfrozen -= frozen
    out = {(p.member, p.lot.id): levels.get(k, 0.0) for k, p in enumerate(m.pairs)}
    return Leximin(out, stages, lp.solves, shut, time.perf_counter() - t0)


def leximin_levels(m: Model) -> dict[tuple[str, str], float] | None:
    """Each pair's leximin level (award / fair share) with the rule's decisions; None if none."""
    result = leximin(m)
    return None if result is None else result.levels


def levels_of(m: Model, awards: Awards) -> dict[tuple[str, str], float]:
    """Each pair's level in ``awards``: its quantity over its fair share (0 with no share)."""
    return {
        (p.member, p.lot.id): (_quantity(awards, p) / float(p.fair) if p.fair > 0 else 0.0)
        for p in m.pairs
    }


def level_tolerance(m: Model) -> dict[tuple[str, str], float]:
    """How far a pair's level may be from the leximin one in whole pence and units.

    One quantum (a penny, or a unit) over its fair share — rounding moves an award by less —
    plus the solvers' tolerance (2 × :data:`LEVEL_TOLERANCE` of the lot's estate, as in
    :func:`gaps`) over its fair share, plus 1e-7.
    """
    return {
        (p.member, p.lot.id): (
            (1 + 2 * LEVEL_TOLERANCE * p.lot.estate) / float(p.fair) + 1e-7 if p.fair > 0 else 0.0
        )
        for p in m.pairs
    }


def near_allocation(m: Model, lx: Leximin, quanta: int = 1) -> Awards | None:
    """A whole-penny allocation near the leximin one, keeping every condition; None if none.

    Every open pair within ``quanta`` quanta (pence, or units) of its leximin quantity (level ×
    fair share), widened by the solvers' tolerance as in :func:`level_tolerance`; every closed
    pair (``lx.closed``) at zero.  The MILP (:class:`_Program`) is solved with presolve off and
    on, and an answer is believed only once re-checked exactly.  When none exists, no rounding of
    the leximin allocation keeps every condition that close, and some award must move further.
    """
    tol = level_tolerance(m)
    for presolve in PRESOLVE:
        program = _Program(m, whole=True)
        h = program.h
        h.setOptionValue("presolve", presolve)
        for p, y in zip(m.pairs, program.y, strict=True):
            key = (p.member, p.lot.id)
            if key in lx.closed or p.floor > p.claim:
                h.changeColBounds(y.index, 0, 0)
            elif p.fair > 0:
                x = lx.levels[key] * float(p.fair)
                width = quanta * tol[key] * float(p.fair)
                low = max(0, math.ceil(x - width))
                high = min(p.claim, math.floor(x + width))
                if low > high:
                    return None  # no whole quantity that close
                h.changeColBounds(y.index, low, high)
        program.conditions()
        h.run()
        if program.optimal():
            awards = program.awards()
            bad = violations(m, awards)
            if bad:
                raise OracleError(f"the oracle's near allocation fails the exact check: {bad}")
            return awards
    return None
