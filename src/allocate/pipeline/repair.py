"""Exact integer repair: whole awards that keep every condition exactly, a penny from the optimum.

The programme is solved at the policy's true bounds, with no margin kept back for rounding, so
its exact answer may sit on a bound, and rounding each lot to whole pence (or units) on its own
can cross a bound by a penny.  This module checks the rounded awards against every side row in
**exact integer arithmetic** (:class:`IntRow`), and when one is crossed it re-rounds the lots
concerned together, as a small integer programme over whole pence and units:

* each award stays within its *window* around the exact solution — rounded down or up
  (``⌊v⌋ ≤ x ≤ ⌈v⌉``), widened one step at a time only when no whole-number point in the
  narrowest window keeps every row — and within its capacity and floor;
* every lot's awards add up to its estate exactly; on a unit-priced lot the money follows the
  units (each member's pence within a penny of its units' share of the pot, adding up to the
  pot);
* every side row holds exactly; the answer of the integer solver (HiGHS, with its own
  tolerances) is accepted only after the same exact check;
* the total distance from the exact solution is as small as possible: proved so within
  :data:`CLOSEST_NODES` nodes of branch and bound, or else to within :data:`DISTANCE_GAP` (a
  penny or a unit, summed over every award re-rounded), the integer programme solved again to
  stop once no point is proved closer by more than that.  Closing the last fraction of a penny
  can take minutes of branching without moving any award by a penny.

Only lots touched by a crossed row are re-rounded at first, the others held as they are; the set
grows along the rows when that is not enough.  Before a window goes to the integer solver, exact
bound propagation (:class:`_Propagation`) may prove it has no point; it is then skipped.  A side
of the case-mix band (a share of awards, which whole pence may not meet exactly on a tiny award)
is given its documented rounding allowance only when no whole-number point keeps it exactly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from allocate.core import families as fam
from allocate.core.outcome import Status
from allocate.pipeline.milp import ArrayModel
from allocate.pipeline.plan import LotPlan, Plan, Rounded, SideRow

__all__ = [
    "CLOSEST_NODES",
    "DISTANCE_GAP",
    "IntRow",
    "Repair",
    "RepairTimeLimitError",
    "crossed",
    "int_rows",
    "pence_of_pairs",
]

#: Awards in pence by pair index: whole pence after rounding, exact fractions before.
Awards = Sequence[int] | Mapping[int, Fraction]

#: Windows tried around the exact solution, in pence or units either side of ``⌊v⌋..⌈v⌉``;
#: None is the whole range between floor and capacity.
WINDOWS: tuple[int | None, ...] = (0, 1, 4, None)
#: Nodes of branch and bound within which the repair proves its point the closest to the exact
#: solution; past them it settles for :data:`DISTANCE_GAP`.
CLOSEST_NODES = 1000

#: How far the repaired point's total distance from the exact solution (in pence and units,
#: summed over the awards re-rounded) may lie above the least possible, when proving the least
#: takes more than :data:`CLOSEST_NODES` nodes: one penny or unit.  A whole-range window of five
#: lots (a sub-tendered lot, case-mix bands) found its answer in 0.2 s and spent 122 s proving
#: the last third of a penny of total distance.
DISTANCE_GAP = 1.0

#: Pence by which a second attempt draws in every bound, when the solver's answer crossed one by
#: less than its tolerance.
SHAVE = 1e-3


class RepairTimeLimitError(Exception):
    """The integer repair reached its time limit before it decided (never a verdict of its own)."""


@dataclass(frozen=True, slots=True)
class IntRow:
    """A side row in whole numbers: ``Σ num[k]·pence_k (sense) bound / den``, exactly."""

    name: str
    family: str
    num: dict[int, int]
    bound: int
    """The bound times ``den`` (the row's right-hand side over the common denominator)."""
    den: int
    sense: str

    @classmethod
    def of(cls, row: SideRow) -> IntRow:
        """The row over the least common denominator of its weights and bound."""
        den = math.lcm(row.bound.denominator, *(w.denominator for w in row.weights.values()))
        # w × den in integers: den is a multiple of every denominator
        return cls(
            name=row.name,
            family=row.family,
            num={k: w.numerator * (den // w.denominator) for k, w in row.weights.items()},
            bound=row.bound.numerator * (den // row.bound.denominator),
            den=den,
            sense=row.sense,
        )

    def activity(self, pence: Awards) -> Fraction:
        """``Σ num[k]·pence_k``: the row's left-hand side times ``den``."""
        return Fraction(sum(n * pence[k] for k, n in self.num.items()))

    def excess(self, pence: Awards, allowance: Fraction = Fraction(0)) -> Fraction:
        """By how much (pence) the awards cross the row beyond ``allowance``; ≤ 0 when kept.

        ``pence`` are the awards by pair: whole, or exact fractions before rounding.
        """
        lhs = Fraction(self.activity(pence), self.den)
        rhs = Fraction(self.bound, self.den)
        if self.sense == "<=":
            return lhs - rhs - allowance
        if self.sense == ">=":
            return rhs - lhs - allowance
        return abs(lhs - rhs) - allowance


def int_rows(rows: Iterable[SideRow]) -> list[IntRow]:
    """The exact whole-number form of each side row."""
    return [IntRow.of(row) for row in rows]


def pence_of_pairs(p: Plan, rounded: dict[int, Rounded]) -> list[int]:
    """Each pair's award in pence, from the rounded lots."""
    return [rounded[j].pence[pos] for j, pos in zip(p.pair_lot, p.pair_pos, strict=True)]


def case_mix_allowance(p: Plan, row: IntRow) -> Fraction:
    """The documented rounding allowance of a case-mix row, in pence.

    A penny per lot of the service, a unit's worth on unit-priced lots.
    """
    lots = {p.pair_lot[k] for k in row.num}
    return sum((Fraction(math.ceil(p.lots[j].unit_value)) for j in lots), Fraction(0))


def crossed(rows: Sequence[IntRow], pence: Sequence[int]) -> list[int]:
    """Indices of the rows whole awards cross (exactly, no allowance).

    In integers: ``Σ num·pence`` against ``bound``, both over the row's ``den``.
    """
    out = []
    for r, row in enumerate(rows):
        lhs = sum(n * pence[k] for k, n in row.num.items())
        if row.sense == "<=":
            bad = lhs > row.bound
        elif row.sense == ">=":
            bad = lhs < row.bound
        else:
            bad = lhs != row.bound
        if bad:
            out.append(r)
    return out


class Repair:
    """Re-round some lots together so that every side row holds exactly."""

    def __init__(
        self,
        p: Plan,
        targets: dict[int, list[Fraction]],
        rows: list[IntRow],
        time_limit: float | None = None,
    ) -> None:
        self.p = p
        self.targets = targets
        """The exact solution per lot, in the lot's quantity, by position."""
        self.rows = rows
        self.time_limit = time_limit
        """Seconds the whole repair may take (every integer programme it solves together)."""
        self._deadline: float | None = None
        self.pair_of = {
            (j, pos): k for k, (j, pos) in enumerate(zip(p.pair_lot, p.pair_pos, strict=True))
        }
        self.rows_of_lot: dict[int, list[int]] = {}
        for r, row in enumerate(rows):
            for j in {p.pair_lot[k] for k in row.num}:
                self.rows_of_lot.setdefault(j, []).append(r)
        self.window: int | None = 0
        """The window the answer was found in (None: the whole range)."""
        self.allowance_used: list[str] = []
        """Case-mix rows that needed their rounding allowance."""

    def run(
        self, rounded: dict[int, Rounded], also: Iterable[int] = ()
    ) -> dict[int, Rounded] | None:
        """Rounded awards keeping every row, or None when no whole-number point does.

        Raises :class:`RepairTimeLimitError` when :attr:`time_limit` runs out first: whether whole
        numbers keep every row is then undecided, and never reported as "no".

        ``also`` names lots that must be re-rounded whatever the rows say (their rounding
        failed).  Windows widen from ``⌊v⌋..⌈v⌉`` through :data:`WINDOWS`; for each, the lots
        re-rounded grow along the rows until no more are linked.  The last window is the whole
        range between floor and capacity: when even that fails, no allocation in whole pence
        keeps every row (the integer programme is the exact feasibility check).
        """
        pence = pence_of_pairs(self.p, rounded)
        bad = crossed(self.rows, pence)
        start = set(also) | {self.p.pair_lot[k] for r in bad for k in self.rows[r].num}
        if not start:
            return rounded
        if self.time_limit is not None:
            self._deadline = time.perf_counter() + self.time_limit
        for allow_mix in (False, True):
            if allow_mix and not any(row.family == fam.CASE_MIX.name for row in self.rows):
                break
            for window in WINDOWS:
                free = set(start)
                while True:
                    found = self._solve(rounded, free, window, allow_mix)
                    if found is not None:
                        self.window = window
                        return found
                    grown = free | {
                        self.p.pair_lot[k]
                        for j in free
                        for r in self.rows_of_lot.get(j, ())
                        for k in self.rows[r].num
                    }
                    if grown == free:
                        break
                    free = grown
        return None

    # -- the integer programme ----------------------------------------------------------------

    def _bounds(self, lot: LotPlan, pos: int, window: int | None) -> tuple[int, int]:
        """Whole-number range of one award (lot quantity): window ∩ [floor, capacity]."""
        if not lot.open[pos]:
            return 0, 0
        if window is None:
            return lot.floor[pos], lot.claims[pos]
        v = self.targets[lot.index][pos]
        lo = max(math.floor(v) - window, lot.floor[pos], 0)
        hi = min(math.ceil(v) + window, lot.claims[pos])
        if lo > hi:  # the exact solution sits outside [floor, capacity]: keep to those
            lo, hi = lot.floor[pos], lot.claims[pos]
        return lo, hi

    def _solve(
        self, rounded: dict[int, Rounded], free: set[int], window: int | None, allow_mix: bool
    ) -> dict[int, Rounded] | None:
        """The integer programme for the ``free`` lots, others held; its answer checked exactly.

        The solver keeps rows to its tolerance, so a row with fractional weights may come back
        crossed by a hair: then once more with every bound drawn in by :data:`SHAVE` pence.
        """
        if _Propagation(self, rounded, free, window, allow_mix).empty():
            return None  # proved: no whole-number point in this window keeps every row
        for shave in (0.0, SHAVE):
            found = self._attempt(rounded, free, window, allow_mix, shave)
            if found is None or self._exact(found, free, window, allow_mix):
                return found
        return None

    def _attempt(
        self,
        rounded: dict[int, Rounded],
        free: set[int],
        window: int | None,
        allow_mix: bool,
        shave: float,
    ) -> dict[int, Rounded] | None:
        p = self.p
        m = ArrayModel()
        inf = math.inf
        qty: dict[int, int] = {}
        money: dict[int, int] = {}
        for j in sorted(free):
            lot = p.lots[j]
            units_cols: list[int] = []
            money_cols: list[int] = []
            for pos in range(len(lot.members)):
                k = self.pair_of[j, pos]
                lo, hi = self._bounds(lot, pos, window)
                if hi == 0:
                    # a sub-contract not made (or with no capacity): 0, no variable of its own
                    continue
                x = m.var(lo, hi, integer=True)
                qty[k] = x
                units_cols.append(x)
                # e ≥ |x − v|: the distance from the exact solution, minimised
                v = float(self.targets[j][pos])
                e = m.var(0.0, inf, cost=1.0)
                m.row([e, x], [1.0, -1.0], -v, inf)
                m.row([e, x], [1.0, 1.0], v, inf)
                if lot.units is None:
                    money[k] = x
                    continue
                # the money follows the units: within a penny of units × unit value
                uv = lot.unit_value
                a, b = uv.numerator, uv.denominator
                cash = m.var(math.floor(lo * uv), math.ceil(hi * uv), integer=True)
                money[k] = cash
                money_cols.append(cash)
                m.row([cash, x], [float(b), -float(a)], -(b - 1), b - 1)
            m.row(units_cols, [1.0] * len(units_cols), lot.estate, lot.estate)
            if lot.units is not None:
                m.row(money_cols, [1.0] * len(money_cols), lot.pot, lot.pot)
        for row, rest, allowance in self._free_rows(rounded, free, money, allow_mix):
            bound = Fraction(rest, row.den) + (allowance if row.sense == "<=" else -allowance)
            cols = [money[k] for k in row.num if k in money]
            coefficients = [n / row.den for k, n in row.num.items() if k in money]
            if row.sense == "<=":
                m.row(cols, coefficients, -inf, float(bound) - shave)
            elif row.sense == ">=":
                m.row(cols, coefficients, float(bound) + shave, inf)
            else:
                m.row(cols, coefficients, float(bound), float(bound))
        limit = None
        if self._deadline is not None:
            limit = self._deadline - time.perf_counter()
            if limit <= 0:
                raise RepairTimeLimitError(
                    f"the rounding repair reached its time limit ({self.time_limit} s)"
                )
        # HiGHS's MIP presolve has called feasible programmes infeasible: a failure is believed
        # only after the engine's retries
        status = m.solve({"mip_rel_gap": 1e-6}, limit, node_limit=CLOSEST_NODES)
        if m.node_limited:
            if self._deadline is not None:
                limit = max(0.0, self._deadline - time.perf_counter())
            status = m.solve({"mip_rel_gap": 0.0, "mip_abs_gap": DISTANCE_GAP}, limit)
        if status is Status.TIME_LIMIT:
            raise RepairTimeLimitError(
                f"the rounding repair reached its time limit ({self.time_limit} s)"
            )
        if status is not Status.OPTIMAL:
            return None
        out = dict(rounded)
        for j in free:
            lot = p.lots[j]
            ks = [self.pair_of[j, pos] for pos in range(len(lot.members))]
            whole = [round(m.values[qty[k]]) if k in qty else 0 for k in ks]
            cash_of = [round(m.values[money[k]]) if k in money else 0 for k in ks]
            out[j] = Rounded(pence=cash_of, units=whole if lot.units is not None else None)
        return out

    def _free_rows(
        self,
        rounded: dict[int, Rounded],
        free: set[int],
        variable: Container[int],
        allow_mix: bool,
    ) -> list[tuple[IntRow, int, Fraction]]:
        """Each row on the ``free`` lots, with what it leaves the awards in ``variable``.

        That is the row's bound less the held awards' part (over the row's ``den``), and the
        case-mix allowance in pence the row may take (0 unless ``allow_mix``).
        """
        pence = pence_of_pairs(self.p, rounded)
        out = []
        for r in sorted({r for j in free for r in self.rows_of_lot.get(j, ())}):
            row = self.rows[r]
            fixed = sum(n * pence[k] for k, n in row.num.items() if k not in variable)
            allowance = Fraction(0)
            if allow_mix and row.family == fam.CASE_MIX.name:
                allowance = case_mix_allowance(self.p, row)
            out.append((row, row.bound - fixed, allowance))
        return out

    def _stopped(self) -> str:
        return f"the rounding repair reached its time limit ({self.time_limit or 0:g} s)"

    def _exact(
        self, out: dict[int, Rounded], free: set[int], window: int | None, allow_mix: bool
    ) -> bool:
        """The integer solver's answer checked again in exact arithmetic."""
        p = self.p
        for j in free:
            lot = p.lots[j]
            got = out[j]
            whole = got.units if got.units is not None else got.pence
            if sum(whole) != lot.estate or sum(got.pence) != lot.pot:
                return False
            for pos, x in enumerate(whole):
                lo, hi = self._bounds(lot, pos, window)
                if not lo <= x <= hi:
                    return False
                if lot.units is not None and abs(got.pence[pos] - x * lot.unit_value) >= 1:
                    return False
        pence = pence_of_pairs(p, out)
        for row in self.rows:
            allowance = (
                case_mix_allowance(p, row)
                if allow_mix and row.family == fam.CASE_MIX.name
                else Fraction(0)
            )
            if row.excess(pence, allowance) > 0:
                return False
        if allow_mix:
            self.allowance_used = [
                row.name
                for row in self.rows
                if row.family == fam.CASE_MIX.name and row.excess(pence) > 0
            ]
        return True


#: Rounds of bound propagation tried before the integer programme decides.
PROPAGATION_ROUNDS = 20


class _Propagation:
    """Whether a window's integer programme has no point, proved by exact bound propagation.

    Each award's whole-number range (its window ∩ [floor, capacity]) is narrowed by every row it
    is in, given the others' ranges, and by its lot's total, given the others' (the presolve of
    an integer solver, here in exact integers): a range left empty proves that no whole-number
    point in the window keeps every row, and the integer programme is not needed.  Propagation
    never narrows a range a point of the programme lies outside, so a range left non-empty
    decides nothing: the programme then decides, as before.  The money of a unit-priced award is
    within a penny of its units' worth, ``⌊x·u⌋`` to ``⌈x·u⌉`` pence.
    """

    def __init__(
        self,
        repair: Repair,
        rounded: dict[int, Rounded],
        free: set[int],
        window: int | None,
        allow_mix: bool,
    ) -> None:
        p = repair.p
        self.lo: dict[int, int] = {}
        self.hi: dict[int, int] = {}
        self.per: dict[int, tuple[int, int]] = {}
        """Pence per unit of each award on a unit-priced lot, as ``(a, b)``: ``a/b``."""
        self.lots: list[tuple[int, list[int]]] = []
        for j in sorted(free):
            lot = p.lots[j]
            ks = []
            for pos in range(len(lot.members)):
                lo, hi = repair._bounds(lot, pos, window)
                if hi == 0:
                    continue  # nothing, as in the programme
                k = repair.pair_of[j, pos]
                self.lo[k], self.hi[k] = lo, hi
                if lot.units is not None:
                    uv = lot.unit_value
                    self.per[k] = (uv.numerator, uv.denominator)
                ks.append(k)
            self.lots.append((lot.estate, ks))
        # each row as one or two ``Σ n·money ≤ bound`` (a ``>=`` side negated); the sum is a
        # whole number, so the bound is too (rounded down)
        self.rows: list[tuple[list[tuple[int, int]], int]] = []
        for row, bound, allowance in repair._free_rows(rounded, free, self.lo, allow_mix):
            extra = allowance * row.den  # over the row's den, as the terms are
            terms = [(k, n) for k, n in row.num.items() if k in self.lo and n != 0]
            if row.sense in ("<=", "=="):
                self.rows.append((terms, math.floor(bound + extra)))
            if row.sense in (">=", "=="):
                self.rows.append(([(k, -n) for k, n in terms], math.floor(extra - bound)))

    def _at_most(self, k: int, pence: int) -> bool:
        """Narrow award ``k`` to carry at most ``pence``; whether its range changed."""
        per = self.per.get(k)
        if per is None:
            most = pence
        else:  # ⌊x·a/b⌋ ≤ pence  ⟺  a·x < b·(pence + 1)
            a, b = per
            most = (b * (pence + 1) - 1) // a
        if most < self.hi[k]:
            self.hi[k] = most
            return True
        return False

    def _at_least(self, k: int, pence: int) -> bool:
        """Narrow award ``k`` to carry at least ``pence``; whether its range changed."""
        per = self.per.get(k)
        if per is None:
            least = pence
        else:  # ⌈x·a/b⌉ ≥ pence  ⟺  a·x > b·(pence − 1)
            a, b = per
            least = (b * (pence - 1)) // a + 1
        if least > self.lo[k]:
            self.lo[k] = least
            return True
        return False

    def _row(self, terms: list[tuple[int, int]], upper: int) -> bool | None:
        """``Σ n·money ≤ upper``: None when no point keeps it, else whether a range narrowed."""
        lo, hi, per = self.lo, self.hi, self.per
        parts = []  # each term at its least: n × (its least money if n > 0, else its most)
        for k, n in terms:
            unit = per.get(k)
            if unit is None:
                parts.append(n * (lo[k] if n > 0 else hi[k]))
            else:
                a, b = unit
                parts.append(n * ((a * lo[k]) // b if n > 0 else -((-a * hi[k]) // b)))
        low = sum(parts)
        if low > upper:
            return None
        changed = False
        for (k, n), own in zip(terms, parts, strict=True):
            room = upper - (low - own)  # the most this term may reach, a whole number
            if n > 0:
                changed |= self._at_most(k, room // n)
            else:  # n·money ≤ room  ⟺  money ≥ ⌈room / n⌉ = −⌊room / −n⌋
                changed |= self._at_least(k, -(room // -n))
        return changed

    def empty(self) -> bool:
        """True when propagation proves no point exists (never a guess)."""
        for _ in range(PROPAGATION_ROUNDS):
            changed = False
            for terms, upper in self.rows:
                narrowed = self._row(terms, upper)
                if narrowed is None:
                    return True
                changed |= narrowed
            for estate, ks in self.lots:
                low = sum(self.lo[k] for k in ks)
                high = sum(self.hi[k] for k in ks)
                if not low <= estate <= high:
                    return True
                for k in ks:
                    most = estate - (low - self.lo[k])
                    least = estate - (high - self.hi[k])
                    if most < self.hi[k] or least > self.lo[k]:
                        self.hi[k] = min(self.hi[k], most)
                        self.lo[k] = max(self.lo[k], least)
                        changed = True
            if any(self.lo[k] > self.hi[k] for k in self.lo):
                return True
            if not changed:
                return False
        return False
