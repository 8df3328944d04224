r"""Which sub-contracts to make, and which providers to keep: a MILP solved through relaxations.

**The programme.**  A binary :math:`b_k` per pair with a floor, :math:`\ell_k b_k \le y_k \le u_k
b_k` (:math:`u_k` the pair's capacity, at most the lot); the lot budgets and every side row over
the awards :math:`y`; for each area that must keep providers, enough members with a sub-contract
made there (or, on a pair without a floor, an award of at least a provider's).  It maximises the
fair share kept in sub-contracts, :math:`\sum_k w_k b_k` with :math:`w_k = \varphi_k +`
:data:`TIE` (ties: as many as possible).

**How it is solved.**  Written out, the programme has a binary, an award and two rows per pair,
and HiGHS takes minutes over it at 10,000 members; yet almost all of it decides nothing.  So the
solver is handed a *relaxation* — the same objective under fewer conditions — and its answer is
checked against every condition; what the answer breaks joins the relaxation, which is solved
again.  A relaxation's answer that keeps every condition is the programme's optimum: no choice
does better than the relaxation allows, and this one is a choice.  The relaxation:

* keeps the lot budgets, floors and capacities, and the side rows and areas that answers have
  broken so far (none at first);
* keeps every *implication* a side row makes of the floors alone: when pair :math:`k` made at its
  floor breaks the row whatever the pairs without a floor receive, one of the pairs with a floor
  that offset it must be made too, :math:`b_k \le \sum_m b_m` (a case-mix band: hard-to-help work
  needs standard work beside it).  A pair that breaks a row even with every offsetting pair at
  its capacity is never made;
* adds the awards of pairs that no kept row tells apart (same lot, floor and coefficients in the
  kept rows) into one amount :math:`Y_c` per *class*, with :math:`\ell\,(\text{made}) \le Y_c \le`
  their capacities: exact, since such a total can always be split among them;
* counts, among a class's pairs in no implication, only *how many* are made, :math:`s_c`: the
  best :math:`s_c` by fair share, worth the concave :math:`G_c(s) = \sum_{i<s} w_{(i)}`, bounded
  by some of its chords, their capacity by the :math:`s_c` largest capacities (a missing chord
  where the answer falls joins; a class whose best by fair share cannot hold :math:`Y_c` gets a
  binary per pair);
* is solved one *component* at a time — lots that no kept row, implication or area links are
  independent programmes — each warm-started from its previous answer, and only when it changed.

The answer is checked by spreading each :math:`Y_c` over the pairs made in the class (in
proportion to fair shares, within floors and capacities) and testing every side row, with the
solver's own tolerance, and every area.  When the spread breaks a row, a feasibility LP over the
awards of the lots it touches (the choice fixed) looks for a better split; a row that no split
keeps joins the relaxation, with the rows on the same pairs (a case-mix band's other side).
Every round adds something, so the rounds end; after :data:`MAX_ROUNDS` every row and area joins
at once.  Each solve is the engine's (scaled rows, failed solves retried:
:data:`allocate.pipeline.engine.RETRIES`), with HiGHS's default MIP gap: the choice is optimal to
within that gap, as the programme solved whole was.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
import pulp

from allocate.core.outcome import Status
from allocate.pipeline.engine import (
    ROW_RANGE,
    _add_budget_rows,
    _add_side_rows,
    _base_model,
    _scaled_row,
    _solve,
    linear,
)
from allocate.pipeline.formulation import lp_spec
from allocate.pipeline.plan import LpSpec, Plan, SideRow
from allocate.pipeline.subcontracts import provider_areas, release_providers, reopen

__all__ = [
    "DENSE",
    "MAX_ROUNDS",
    "MIP_OPTIONS",
    "SHARES",
    "TIE",
    "candidates",
    "choose_subcontracts",
]

#: Each sub-contract made is worth its fair share plus this (fractions of its lot): among choices
#: keeping the same fair share, one making the most sub-contracts.
TIE = 1e-6
#: A class whose lot can hold at most this many of its counted pairs has a share variable for each
#: of its best (exact); a larger one has its gain bounded by chords, added as answers need them.
SHARES = 512
#: A relaxation with fewer rows than one per this many integers (a few dense rows: lot budgets,
#: class floors) is solved with HiGHS's presolve off, which otherwise takes longer than the solve.
DENSE = 8
#: HiGHS options for each relaxation (its defaults, so the MIP gap is HiGHS's 1e-4, as the
#: programme solved whole had).
MIP_OPTIONS: dict[str, Any] = {}
#: Rounds of checking after which every side row and area joins the relaxation at once.
MAX_ROUNDS = 30

_Floats = npt.NDArray[np.float64]
_Ints = npt.NDArray[np.int64]
_Bools = npt.NDArray[np.bool_]
#: A class of pairs: ``(lot, floor, ((row, coefficient), ...))``; ``(-1 - pair, 0.0, ())`` for a
#: pair that stands alone.
_Key = tuple[int, float, tuple[tuple[int, float], ...]]


def candidates(p: Plan) -> tuple[LpSpec, list[tuple[int, list[list[int]]]], list[float]]:
    """What the choice is made among: the programme, areas and provider floors to hand it.

    The plan's providers are released and, under a minimum award, every sub-contract that can
    reach the minimum is reopened (``p`` is changed); then the programme with each such
    sub-contract a candidate, each area's providers needed and candidates
    (:func:`~allocate.pipeline.subcontracts.provider_areas`), and each pair's least provider award.
    """
    release_providers(p)
    if p.problem.policy.min_award is not None:
        reopen(p)
    spec, _ = lp_spec(p)
    areas, least = provider_areas(p)
    return spec, areas, least


def choose_subcontracts(
    spec: LpSpec,
    *,
    time_limit: float | None = None,
    areas: Sequence[tuple[int, Sequence[Sequence[int]]]] = (),
    provider_floor: Sequence[float] | None = None,
) -> tuple[list[bool], set[int]] | None:
    r"""Which sub-contracts with a floor to make, and which providers to keep in each area.

    The semi-continuous choice as a MILP: a binary :math:`b_k` per pair with a floor, and
    :math:`\ell_k b_k \le y_k \le u_k b_k` (:math:`u_k` at most the lot: no award is more); it
    maximises the fair share kept in sub-contracts, :math:`\sum_k \varphi_k b_k` (ties: as many
    as possible).  ``areas`` lists, for each area that must keep providers, how many it needs and
    each member's candidate pairs there: a member provides when one of its pairs is made (with a
    floor) or receives at least ``provider_floor`` (without one), and each area keeps as many as
    it needs.  Returns one flag per pair (True: made) and the pairs kept as providers — in each
    area, among the members providing, those with the largest fair shares, each by its pair with
    the largest — or None when no choice satisfies the other conditions.  Solved through
    relaxations (:mod:`allocate.pipeline.choice`); a failed solve is tried again as a leximin
    stage is.
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    choice = _Choice(spec, areas, provider_floor)
    if not choice.pairs.floored.any() and not choice.area_candidates:
        return None
    if not choice.run(deadline):
        return None
    return choice.answer()


# -- the pairs and rows as arrays -------------------------------------------------------------


@dataclass
class _Pairs:
    """Every pair's data, on the programme's scale (fractions of its lot)."""

    lot: _Ints
    floor: _Floats
    hi: _Floats
    """Capacity, at most the lot."""
    target: _Floats
    weight: _Floats
    floored: _Bools
    """Candidates for a sub-contract with a floor (a binary each in the programme)."""


@dataclass
class _Rows:
    """The side rows, flat: entry ``e`` is ``coef[e]`` on pair ``pair[e]`` in row ``row[e]``."""

    rows: Sequence[SideRow]
    row: _Ints
    pair: _Ints
    coef: _Floats
    rhs: _Floats
    tol: _Floats
    """What the solver forgives each row: its feasibility tolerance on the row as scaled."""
    le: _Bools
    ge: _Bools
    start: _Ints
    """Row ``r``'s entries are ``start[r]:start[r + 1]``."""
    by_pair: _Ints
    """The entries by pair: pair ``k``'s are ``by_pair[at[k]:at[k + 1]]``."""
    at: _Ints

    @classmethod
    def of(cls, rows: Sequence[SideRow], n_pairs: int) -> _Rows:
        sizes = np.array([len(row.coefficients) for row in rows], dtype=np.int64)
        total = int(sizes.sum())
        pair = np.fromiter(
            (k for row in rows for k in row.coefficients), dtype=np.int64, count=total
        )
        coef = np.fromiter(
            (c for row in rows for c in row.coefficients.values()), dtype=np.float64, count=total
        )
        start = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        # the engine divides a row out of range by its largest coefficient (_row_unit), and the
        # solver's tolerance applies to the row so divided
        size = np.abs(coef)
        row = np.repeat(np.arange(len(rows), dtype=np.int64), sizes)
        big = np.zeros(len(rows))
        small = np.full(len(rows), np.inf)
        np.maximum.at(big, row, size)
        np.minimum.at(small, row, np.where(size > 0, size, np.inf))
        fits = (small >= 1 / ROW_RANGE) & (big <= ROW_RANGE) & (big <= small * ROW_RANGE)
        unit = np.where(fits | (big == 0), 1.0, big)
        return cls(
            rows=rows,
            row=row,
            pair=pair,
            coef=coef,
            rhs=np.array([row.rhs for row in rows], dtype=np.float64),
            tol=1e-9 * unit,
            le=np.array([row.sense in ("<=", "==") for row in rows], dtype=np.bool_),
            ge=np.array([row.sense in (">=", "==") for row in rows], dtype=np.bool_),
            start=start,
            by_pair=np.argsort(pair, kind="stable").astype(np.int64),
            at=np.concatenate(([0], np.cumsum(np.bincount(pair, minlength=n_pairs)))).astype(
                np.int64
            ),
        )

    def entries_of(self, k: int) -> _Ints:
        """The entries on pair ``k``, by row."""
        return self.by_pair[int(self.at[k]) : int(self.at[k + 1])]

    def pairs_of(self, r: int) -> _Ints:
        return self.pair[int(self.start[r]) : int(self.start[r + 1])]

    def broken(self, y: _Floats) -> _Bools:
        """The rows that awards ``y`` break by more than the solver forgives."""
        act = np.bincount(self.row, weights=self.coef * y[self.pair], minlength=len(self.rows))
        return (self.le & (act > self.rhs + self.tol)) | (self.ge & (act < self.rhs - self.tol))

    def same_pairs(self, r: int) -> list[int]:
        """The rows on exactly the pairs of row ``r`` (``r`` among them)."""
        mine = self.rows[r].coefficients
        first = next(iter(mine), None)
        if first is None:
            return [r]
        return [
            int(o)
            for o in self.row[self.entries_of(first)]
            if self.rows[o].coefficients.keys() == mine.keys()
        ]


def _floor_logic(pairs: _Pairs, rows: _Rows) -> tuple[_Bools, list[tuple[int, tuple[int, ...]]]]:
    """Pairs that no row lets be made, and the implications the rows make of the floors.

    Each row read as ``Σ a·y ≤ rhs`` (a ``>=`` row negated, an ``==`` row both ways).  A pair with
    a floor and ``a > 0``, made at its floor, that breaks the row by more than the solver forgives
    even with every offsetting pair (``a < 0``) at its capacity cannot be made; the rows are read
    again without it.  One that breaks it when only the pairs without a floor offset it needs one
    of the offsetting pairs with a floor made: ``b_k ≤ Σ b_m``.
    """
    closed = pairs.floored & (pairs.floor > pairs.hi)
    sides = [(1.0, rows.le), (-1.0, rows.ge)]
    n_rows = len(rows.rows)

    def breaking(hi: _Floats, sign: float, on: _Bools, offsets: _Bools) -> _Bools:
        a = sign * rows.coef
        helps = np.where(offsets & (a < 0), a * hi[rows.pair], 0.0)
        least = (
            a * pairs.floor[rows.pair]
            + np.bincount(rows.row, weights=helps, minlength=n_rows)[rows.row]
        )
        return (
            on[rows.row]
            & (a > 0)
            & pairs.floored[rows.pair]
            & (hi[rows.pair] > 0)
            & (least > sign * rows.rhs[rows.row] + rows.tol[rows.row])
        )

    while True:
        hi = np.where(closed, 0.0, pairs.hi)
        newly = np.zeros_like(closed)
        for sign, on in sides:
            newly[rows.pair[breaking(hi, sign, on, np.ones_like(on[rows.row]))]] = True
        newly &= ~closed
        if not newly.any():
            break
        closed |= newly
    hi = np.where(closed, 0.0, pairs.hi)
    implications: set[tuple[int, tuple[int, ...]]] = set()
    for sign, on in sides:
        fails = breaking(hi, sign, on, ~pairs.floored[rows.pair])
        if not fails.any():
            continue
        a = sign * rows.coef
        offsets = (a < 0) & pairs.floored[rows.pair] & (hi[rows.pair] > 0)
        helpers: dict[int, tuple[int, ...]] = {}
        for e in np.flatnonzero(fails):
            r = int(rows.row[e])
            if r not in helpers:
                span = slice(int(rows.start[r]), int(rows.start[r + 1]))
                helpers[r] = tuple(int(m) for m in rows.pair[span][offsets[span]])
            implications.add((int(rows.pair[e]), helpers[r]))
    return closed, sorted(implications)


def _spread(total: float, lo: _Floats, hi: _Floats, weight: _Floats) -> _Floats:
    """Awards within ``[lo, hi]`` summing to ``total``: ``clamp(θ·weight)``, the rest by room."""
    if len(lo) == 1:
        return np.array([min(max(total, float(lo[0])), float(hi[0]))], dtype=np.float64)
    if total <= lo.sum():
        return lo.copy()
    full = np.where(weight > 0, hi, lo)
    if total >= full.sum():
        room = hi - full
        spare = float(room.sum())
        return full + room * (min(1.0, (total - float(full.sum())) / spare) if spare > 0 else 0.0)
    a, b = 0.0, 1.0
    while np.clip(b * weight, lo, hi).sum() < total:
        b *= 2.0
    for _ in range(100):
        mid = (a + b) / 2
        if mid in (a, b):
            break
        if np.clip(mid * weight, lo, hi).sum() < total:
            a = mid
        else:
            b = mid
    return np.asarray(np.clip(b * weight, lo, hi), dtype=np.float64)


# -- the relaxation ---------------------------------------------------------------------------


@dataclass
class _Class:
    """Pairs whose awards the relaxation adds into one amount."""

    key: _Key
    lot: int
    floor: float
    counted: _Ints
    """Pairs with a floor, counted not named: best fair share first."""
    named: _Ints
    """Pairs with a floor and a binary each."""
    free: _Ints
    """Pairs without a floor."""
    hi: float
    """Their capacities, in all."""


@dataclass
class _Answers:
    """The relaxations' latest answers, by class and pair (each component's until re-solved)."""

    count: dict[_Key, int] = field(default_factory=dict)
    total: dict[_Key, float] = field(default_factory=dict)
    made: dict[int, bool] = field(default_factory=dict)
    provides: dict[int, bool] = field(default_factory=dict)


class _Choice:
    """The programme, its relaxation, and the rounds that tighten it."""

    def __init__(
        self,
        spec: LpSpec,
        areas: Sequence[tuple[int, Sequence[Sequence[int]]]],
        provider_floor: Sequence[float] | None,
    ) -> None:
        n = len(spec.pair_names)
        n_lots = len(spec.lot_names)
        self.spec = spec
        floors = np.array(list(spec.pair_floor or [0.0] * n), dtype=np.float64)
        cap = np.maximum(np.array(spec.pair_cap, dtype=np.float64), 0.0)
        target = np.array(spec.pair_target, dtype=np.float64)
        floored = (floors > 0) & (cap > 0)
        self.pairs = _Pairs(
            lot=np.array(spec.pair_lot, dtype=np.int64),
            floor=np.where(floored, floors, 0.0),
            hi=np.minimum(cap, 1.0),
            target=target,
            weight=target + TIE,
            floored=floored,
        )
        self.rows = _Rows.of(spec.side_rows, n)
        closed, self.implications = _floor_logic(self.pairs, self.rows)
        self.open = (self.pairs.hi > 0) & ~closed
        self.hi = np.where(self.open, self.pairs.hi, 0.0)
        lot = self.pairs.lot
        self.by_lot = [np.flatnonzero(self.open & (lot == j)) for j in range(n_lots)]
        self.lots_of: dict[int, set[int]] = {}
        self.links = {
            tuple(sorted({int(lot[m]) for m in (k, *helpers)})) for k, helpers in self.implications
        }
        # the areas, flat: entry e is pair area_pair[e] of member slot area_member[e] of area_of[e]
        self.areas = [(int(need), [list(p) for p in members]) for need, members in areas]
        self.least = np.array(list(provider_floor or [0.0] * n), dtype=np.float64)
        flat = [
            (a, slot, k)
            for slot, (a, p) in enumerate(
                (a, p) for a, (_, ms) in enumerate(self.areas) for p in ms
            )
            for k in p
        ]
        self.area_of = np.array([e[0] for e in flat], dtype=np.int64)
        self.area_member = np.array([e[1] for e in flat], dtype=np.int64)
        self.area_pair = np.array([e[2] for e in flat], dtype=np.int64)
        self.area_need = np.array([need for need, _ in self.areas], dtype=np.int64)
        self.area_lots = [
            {int(lot[k]) for k in self.area_pair[self.area_of == a] if self.open[k]}
            for a in range(len(self.areas))
        ]
        self.area_candidates = {int(k) for k in self.area_pair if not floored[k]}
        # what the relaxation keeps
        self.kept_rows = np.zeros(len(spec.side_rows), dtype=np.bool_)
        self.in_kept = np.zeros(n, dtype=np.int64)
        self.kept_areas = np.zeros(len(self.areas), dtype=np.bool_)
        self.named = np.zeros(n, dtype=np.bool_)
        for k, helpers in self.implications:
            self.named[[k, *helpers]] = True
        # pairs that each need the other alone (the two sides of a case-mix band) are made
        # together or not at all: one binary for both
        alone_helper = {k: h[0] for k, h in self.implications if len(h) == 1}
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            while parent.get(x, x) != x:
                x = parent[x]
            return x

        for k, h in alone_helper.items():
            if alone_helper.get(h) == k:
                a, b = find(k), find(h)
                parent[max(a, b)] = min(a, b)
        self.twin = {k: find(k) for k in parent}
        self.alone = np.zeros(n, dtype=np.bool_)
        self.chords: dict[_Key, set[int]] = {}
        self.caps: dict[_Key, set[int]] = {}
        # its answers
        self.answers = _Answers()
        self.lot_classes: list[list[_Class]] = [[] for _ in range(n_lots)]
        self.dirty: set[int] = set(range(n_lots))
        self.solved: set[tuple[int, ...]] = set()
        self.made = np.zeros(n, dtype=np.bool_)
        self.y = np.zeros(n, dtype=np.float64)
        self.rounds = 0
        self.solves = 0

    # -- the rounds --------------------------------------------------------------------------

    def run(self, deadline: float | None) -> bool:
        """Solve relaxations until one keeps every condition; False when none can."""
        reach = np.bincount(
            self.rows.row,
            weights=self.open[self.rows.pair].astype(np.float64),
            minlength=len(self.rows.rows),
        )
        if (self.rows.broken(np.zeros(len(self.open))) & (reach == 0)).any():
            return False  # a row that no pair left open can meet
        can = np.unique(self.area_member[self.open[self.area_pair]])
        first = np.unique(self.area_member, return_index=True)[1]
        if (
            np.bincount(self.area_of[first][can], minlength=len(self.areas)) < self.area_need
        ).any():
            return False  # an area without enough members left who could provide
        while True:
            self.rounds += 1
            if self.rounds == MAX_ROUNDS:
                self.keep_everything()
            for j in self.dirty:
                self.lot_classes[j] = self.classes_of(j)
            solved: list[int] = []
            for lots in self.components():
                if tuple(lots) not in self.solved or self.dirty.intersection(lots):
                    if not self.solve(lots, deadline):
                        return False
                    self.solved.add(tuple(lots))
                    solved += lots
            self.dirty = set()
            self.read(solved)
            if not self.tighten(solved, deadline):
                return True

    def keep_everything(self) -> None:
        """Every side row and area joins the relaxation, and every pair with a floor is named."""
        for r in np.flatnonzero(~self.kept_rows):
            self.keep_row(int(r))
        self.kept_areas[:] = True
        self.named |= self.pairs.floored
        self.alone[self.area_pair[~self.pairs.floored[self.area_pair]]] = True
        self.dirty = set(range(len(self.spec.lot_names)))

    def row_lots(self, r: int) -> set[int]:
        """The lots of a row's pairs that may receive money."""
        lots = self.lots_of.get(r)
        if lots is None:
            p = self.rows.pairs_of(r)
            lots = self.lots_of[r] = {int(j) for j in self.pairs.lot[p[self.open[p]]]}
        return lots

    def keep_row(self, r: int) -> None:
        self.kept_rows[r] = True
        self.in_kept[self.rows.pairs_of(r)] += 1
        self.dirty |= self.row_lots(r)

    def classes_of(self, j: int) -> list[_Class]:
        """Lot ``j``'s pairs that may receive money, by floor and coefficients in kept rows."""
        pairs = self.pairs
        ks = self.by_lot[j]
        groups: dict[_Key, list[int]] = {}
        for k in ks[self.alone[ks]]:
            groups[(-1 - int(k), 0.0, ())] = [int(k)]
        rest = ks[~self.alone[ks]]
        for k in rest[self.in_kept[rest] > 0]:
            k = int(k)
            es = self.rows.entries_of(k)
            es = es[self.kept_rows[self.rows.row[es]]]
            sig = tuple(zip(self.rows.row[es].tolist(), self.rows.coef[es].tolist(), strict=True))
            groups.setdefault((j, float(pairs.floor[k]), sig), []).append(k)
        plain = rest[self.in_kept[rest] == 0]
        for f in np.unique(pairs.floor[plain]):
            groups[(j, float(f), ())] = plain[pairs.floor[plain] == f].tolist()
        out = []
        w = pairs.weight
        for key in sorted(groups, key=repr):
            members = np.array(groups[key], dtype=np.int64)
            floored = pairs.floored[members]
            counted = members[floored & ~self.named[members]]
            counted = counted[np.lexsort((counted, -w[counted]))]
            out.append(
                _Class(
                    key=key,
                    lot=j,
                    floor=float(pairs.floor[members[0]]),
                    counted=counted,
                    named=members[floored & self.named[members]],
                    free=members[~floored],
                    hi=float(self.hi[members].sum()),
                )
            )
        return out

    def components(self) -> list[list[int]]:
        """Groups of lots that no kept row, implication or kept area links (union-find)."""
        parent = list(range(len(self.spec.lot_names)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def link(lots: Sequence[int] | set[int]) -> None:
            roots = sorted({find(j) for j in lots})
            for r in roots[1:]:
                parent[r] = roots[0]

        for r in np.flatnonzero(self.kept_rows):
            link(self.row_lots(int(r)))
        for lots in self.links:
            link(lots)
        for a in np.flatnonzero(self.kept_areas):
            link(self.area_lots[a])
        groups: dict[int, list[int]] = {}
        for j in range(len(parent)):
            groups.setdefault(find(j), []).append(j)
        return sorted(groups.values())

    # -- one component's relaxation ------------------------------------------------------------

    def solve(self, lots: list[int], deadline: float | None) -> bool:
        """Build and solve one component's relaxation; False when it has no solution."""
        spec, pairs, ans = self.spec, self.pairs, self.answers
        self.solves += 1
        local = {j: i for i, j in enumerate(lots)}
        classes = [c for j in lots for c in self.lot_classes[j]]
        of_pair = {
            int(k): i for i, c in enumerate(classes) for k in (*c.counted, *c.named, *c.free)
        }
        rows = []
        for r in np.flatnonzero(self.kept_rows).tolist():
            if not self.row_lots(r) or min(self.row_lots(r)) not in local:
                continue
            row = self.rows.rows[r]
            coefficients = {of_pair[k]: c for k, c in row.coefficients.items() if k in of_pair}
            rows.append(SideRow(row.name, row.family, coefficients, row.sense, row.rhs))
        sub = LpSpec(
            lot_names=[spec.lot_names[j] for j in lots],
            pair_names=[f"class:{i}" for i in range(len(classes))],
            pair_lot=[local[c.lot] for c in classes],
            pair_cap=[c.hi for c in classes],
            pair_target=[0.0] * len(classes),
            hub_cap=[spec.hub_cap[j] for j in lots],
            pair_floor=[0.0] * len(classes),
            side_rows=rows,
        )
        m = _base_model(sub, pulp.LpMaximize)
        prob = m.prob
        _add_budget_rows(m)
        _add_side_rows(m)
        w, hi = pairs.weight, self.hi
        objective: list[tuple[Any, float]] = []
        binary: dict[int, Any] = {}
        counts: dict[_Key, Any] = {}
        warm = False
        shared: dict[int, Any] = {}
        for i, c in enumerate(classes):
            total = (m.zs[i], m.scale[i])
            for k in c.named.tolist():
                rep = self.twin.get(k, k)
                if rep not in shared:
                    shared[rep] = prob.add_variable(f"b_{rep}", cat=pulp.LpBinary)
                binary[k] = shared[rep]
                objective.append((binary[k], float(w[k])))
                if k in ans.made:
                    binary[k].varValue = float(ans.made[k])
                    warm = True
            made = [(binary[k], 1.0) for k in c.named.tolist()]
            named_hi = [(binary[k], -float(hi[k])) for k in c.named.tolist()]
            free_hi = float(hi[c.free].sum())
            if len(c.counted):
                n_c, most = len(c.counted), self.most(c)
                s = counts[c.key] = prob.add_variable(
                    f"s_{i}", lowBound=0, upBound=most, cat=pulp.LpInteger
                )
                if c.key in ans.count:
                    s.varValue = float(min(ans.count[c.key], most))
                    warm = True
                if most <= SHARES:
                    # the best s of the first `most`: exact for a whole s (the shares fill in
                    # order of fair share, nothing else constrains them)
                    shares = [
                        prob.add_variable(f"g_{k}", lowBound=0, upBound=1)
                        for k in c.counted[:most].tolist()
                    ]
                    objective += [(g, float(w[k])) for g, k in zip(shares, c.counted, strict=False)]
                    prob.addConstraint(
                        linear([*((g, 1.0) for g in shares), (s, -1.0)]) == 0, f"shares:{i}"
                    )
                else:
                    gains = np.concatenate(([0.0], np.cumsum(w[c.counted])))
                    v = prob.add_variable(f"v_{i}", lowBound=0, upBound=float(gains[-1]))
                    objective.append((v, 1.0))
                    for seg in sorted(x for x in self.chords_of(c) if x < n_c):
                        slope = float(gains[seg + 1] - gains[seg])
                        prob.addConstraint(
                            linear([(v, 1.0), (s, -slope)]) <= float(gains[seg]) - slope * seg,
                            f"gain:{i}:{seg}",
                        )
                room = np.concatenate(([0.0], np.cumsum(np.sort(hi[c.counted])[::-1])))
                for seg in sorted(x for x in self.caps_of(c) if x < n_c):
                    slope = float(room[seg + 1] - room[seg])
                    _scaled_row(
                        prob,
                        [total, *named_hi, (s, -slope)],
                        "<=",
                        free_hi + float(room[seg]) - slope * seg,
                        f"cap:{i}:{seg}",
                    )
                made.append((s, 1.0))
            else:
                _scaled_row(prob, [total, *named_hi], "<=", free_hi, f"cap:{i}")
            if made:
                floor_terms = [(x, -c.floor * a) for x, a in made]
                _scaled_row(prob, [total, *floor_terms], ">=", 0.0, f"floor:{i}")
        for k, helpers in self.implications:
            if k in binary and not any(self.twin.get(h, h) == self.twin.get(k, k) for h in helpers):
                terms = [(binary[k], 1.0), *((binary[h], -1.0) for h in helpers if h in binary)]
                prob.addConstraint(linear(terms) <= 0, f"implies:{k}")
        provides = self.add_areas(m, lots, binary, of_pair)
        for k, x in provides.items():
            if k in ans.provides:
                x.varValue = float(ans.provides[k])
                warm = True
        prob.setObjective(linear(objective))
        options = {**MIP_OPTIONS, **({"warmStart": True} if warm else {})}
        integers = len(shared) + len(counts) + len(provides)
        if prob.numConstraints() * DENSE < integers:
            # a few dense rows over many binaries: HiGHS's presolve takes longer than the solve
            options.setdefault("presolve", "off")
        if _solve(prob, options or None, deadline).status is not Status.OPTIMAL:
            return False
        for i, c in enumerate(classes):
            ans.total[c.key] = float(m.zs[i].varValue or 0.0) * m.scale[i]
            if c.key in counts:
                ans.count[c.key] = round(counts[c.key].varValue or 0.0)
        for k, x in binary.items():
            ans.made[k] = (x.varValue or 0.0) > 0.5
        for k, x in provides.items():
            ans.provides[k] = (x.varValue or 0.0) > 0.5
        return True

    def add_areas(
        self, m: Any, lots: list[int], binary: dict[int, Any], of_pair: dict[int, int]
    ) -> dict[int, Any]:
        """The kept areas in a component: enough members with a made pair, or a provider's award."""
        prob, provides = m.prob, {}
        lot_set = set(lots)
        for a in np.flatnonzero(self.kept_areas):
            if not self.area_lots[a] & lot_set:
                continue
            need, members = self.areas[a]
            chosen: list[tuple[Any, float]] = []
            for slot, p in enumerate(members):
                on: list[Any] = []
                for k in p:
                    if k in binary:
                        on.append(binary[k])
                    elif k in of_pair and not self.pairs.floored[k]:
                        if k not in provides:
                            provides[k] = prob.add_variable(f"p_{k}", cat=pulp.LpBinary)
                            i = of_pair[k]
                            _scaled_row(
                                prob,
                                [(m.zs[i], m.scale[i]), (provides[k], -float(self.least[k]))],
                                ">=",
                                0.0,
                                f"provides:{k}",
                            )
                        on.append(provides[k])
                if on:
                    # continuous: at most 1, and 0 unless one of the member's pairs provides
                    q = prob.add_variable(f"q_{a}_{slot}", lowBound=0, upBound=1)
                    prob.addConstraint(linear([(q, 1.0)] + [(x, -1.0) for x in on]) <= 0)
                    chosen.append((q, 1.0))
            prob.addConstraint(linear(chosen) >= need, f"providers:{a}")
        return provides

    def most(self, c: _Class) -> int:
        """The most counted pairs of a class its lot's budget holds at their floor, plus one.

        The one more stands for the solver's tolerance on the budget.
        """
        budget = 1.0 - max(0.0, self.spec.hub_cap[c.lot])
        return min(len(c.counted), int((budget + 1e-9) / c.floor) + 1)

    def chords_of(self, c: _Class) -> set[int]:
        """Chords of ``G`` bounding a class's gain: the first and the last ``most`` allows."""
        chords = self.chords.get(c.key)
        if chords is None:
            chords = self.chords[c.key] = {0, self.most(c) - 1, len(c.counted) - 1}
        return chords

    def caps_of(self, c: _Class) -> set[int]:
        """Chords of ``Ū`` (the ``s`` largest capacities) bounding a class's capacity."""
        return self.caps.setdefault(c.key, {0, max(0, len(c.counted) - 1)})

    # -- the answer checked --------------------------------------------------------------------

    def read(self, lots: list[int]) -> None:
        """The solved lots' flags, and an award for each pair that may receive money."""
        ans, pairs = self.answers, self.pairs
        for j in lots:
            ks = self.by_lot[j]
            self.made[ks] = False
            self.y[ks] = 0.0
            for c in self.lot_classes[j]:
                made = c.named[[ans.made.get(int(k), False) for k in c.named]]
                made = np.concatenate((made, c.counted[: ans.count.get(c.key, 0)]))
                self.made[made] = True
                on = np.concatenate((made, c.free))
                lo = np.where(pairs.floored[on], pairs.floor[on], 0.0)
                total = ans.total.get(c.key, 0.0)
                self.y[on] = _spread(total, lo, self.hi[on], pairs.target[on])

    def tighten(self, lots: list[int], deadline: float | None) -> bool:
        """Add to the relaxation what its answer gets wrong; False when it gets nothing wrong."""
        changed = False
        ans = self.answers
        for c in (c for j in lots for c in self.lot_classes[j]):
            n_c = len(c.counted)
            if not n_c:
                continue
            s = ans.count.get(c.key, 0)
            # a concave function is exact at s under its chords when one of them meets it there
            around = {seg for seg in (s - 1, s) if 0 <= seg < n_c}
            members = np.concatenate((c.counted, c.named, c.free))
            holding = self.made[members] | ~self.pairs.floored[members]
            held = float(self.hi[members][holding].sum())
            if ans.total.get(c.key, 0.0) > held + 1e-9 * max(1.0, held):
                if not around & self.caps_of(c):
                    self.caps[c.key] |= around
                else:
                    self.named[c.counted] = True  # the best by fair share cannot hold it
                self.dirty.add(c.lot)
                changed = True
            if self.most(c) > SHARES and not around & self.chords_of(c):
                self.chords[c.key] |= around
                self.dirty.add(c.lot)
                changed = True
        broken = self.rows.broken(self.y) & ~self.kept_rows
        if broken.any():
            # the spread may just be a poor split: look for awards that keep every row
            lots_b = {int(j) for j in self.pairs.lot[self.rows.pair[broken[self.rows.row]]]}
            if self.witness(lots_b, deadline):
                broken = self.rows.broken(self.y) & ~self.kept_rows
        for r in np.flatnonzero(broken):
            for o in self.rows.same_pairs(int(r)):
                if not self.kept_rows[o]:
                    self.keep_row(o)
            changed = True
        short = self.short_areas() & ~self.kept_areas
        for a in np.flatnonzero(short):
            self.kept_areas[a] = True
            ks = self.area_pair[self.area_of == a]
            self.named[ks[self.pairs.floored[ks]]] = True
            self.alone[ks[~self.pairs.floored[ks]]] = True
            self.dirty |= self.area_lots[a]
            changed = True
        return changed

    def witness(self, lots: set[int], deadline: float | None) -> bool:
        """Awards on ``lots`` for the sub-contracts made keeping every side row (a feasibility LP).

        The pairs elsewhere keep their awards.  True, with the awards in ``self.y``, when HiGHS
        finds them; False leaves ``self.y`` as it was (the rows broken then join the relaxation).
        """
        pairs, rows = self.pairs, self.rows
        var = np.isin(pairs.lot, list(lots)) & self.open & (self.made | ~pairs.floored)
        idx = np.flatnonzero(var)
        col = np.full(len(var), -1, dtype=np.int64)
        col[idx] = np.arange(len(idx))
        fixed = np.where(var, 0.0, np.where(np.isin(pairs.lot, list(lots)), 0.0, self.y))
        const = np.bincount(
            rows.row, weights=rows.coef * fixed[rows.pair], minlength=len(rows.rows)
        )
        on_var = var[rows.pair]
        touched = np.unique(rows.row[on_var])
        local = np.full(len(rows.rows), -1, dtype=np.int64)
        local[touched] = np.arange(len(touched))
        # side rows touched, then one budget row per lot
        e_row = np.concatenate(
            (
                local[rows.row[on_var]],
                len(touched) + np.searchsorted(np.array(sorted(lots)), pairs.lot[idx]),
            )
        )
        e_col = np.concatenate((col[rows.pair[on_var]], np.arange(len(idx))))
        e_val = np.concatenate((rows.coef[on_var], np.ones(len(idx))))
        order = np.argsort(e_row, kind="stable")
        n_rows = len(touched) + len(lots)
        inf = highspy.kHighsInf
        rhs = rows.rhs[touched] - const[touched]
        budget = np.array([1.0 - max(0.0, self.spec.hub_cap[j]) for j in sorted(lots)])
        lp = highspy.HighsLp()
        lp.num_col_ = len(idx)
        lp.num_row_ = n_rows
        lp.col_cost_ = np.zeros(len(idx))
        # a made pair holds its floor; a pair that provides in a kept area, a provider's award
        providing = np.zeros(len(var), dtype=np.bool_)
        for k, x in self.answers.provides.items():
            providing[k] = x and bool(self.alone[k])
        lp.col_lower_ = np.where(
            pairs.floored[idx], pairs.floor[idx], np.where(providing[idx], self.least[idx], 0.0)
        )
        lp.col_upper_ = self.hi[idx]
        lp.row_lower_ = np.concatenate((np.where(rows.ge[touched], rhs, -inf), budget))
        lp.row_upper_ = np.concatenate((np.where(rows.le[touched], rhs, inf), budget))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = len(idx)
        lp.a_matrix_.num_row_ = n_rows
        lp.a_matrix_.start_ = np.concatenate(
            ([0], np.cumsum(np.bincount(e_row, minlength=n_rows)))
        ).astype(np.int32)
        lp.a_matrix_.index_ = e_col[order].astype(np.int32)
        lp.a_matrix_.value_ = e_val[order]
        h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's wrapper is untyped
        h.setOptionValue("output_flag", False)
        h.setOptionValue("primal_feasibility_tolerance", 1e-10)
        if deadline is not None:
            h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.0))
        h.passModel(lp)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        y = np.clip(np.array(h.getSolution().col_value), lp.col_lower_, lp.col_upper_)
        self.y[np.isin(pairs.lot, list(lots))] = 0.0
        self.y[idx] = y
        return True

    def on(self) -> _Bools:
        """The pairs that make their member a provider."""
        pairs = self.pairs
        on = np.where(pairs.floored, self.made, self.y >= self.least) & self.open
        for k, x in self.answers.provides.items():
            if self.alone[k]:
                on[k] = x
        return np.asarray(on, dtype=np.bool_)

    def short_areas(self) -> _Bools:
        """The areas with fewer providers than they need."""
        if not len(self.area_pair):
            return np.zeros(len(self.areas), dtype=np.bool_)
        slots = np.unique(self.area_member[self.on()[self.area_pair]])
        first = np.unique(self.area_member, return_index=True)[1]
        providers = np.bincount(self.area_of[first][slots], minlength=len(self.areas))
        return np.asarray(providers < self.area_need, dtype=np.bool_)

    def answer(self) -> tuple[list[bool], set[int]]:
        flags = (~self.pairs.floored | self.made).tolist()
        on, target = self.on(), self.pairs.target
        kept: set[int] = set()
        for need, members in self.areas:
            best = [
                max((k for k in p if on[k]), key=lambda k: target[k])
                for p in members
                if any(on[k] for k in p)
            ]
            kept |= set(sorted(best, key=lambda k: -target[k])[:need])
        return flags, kept
