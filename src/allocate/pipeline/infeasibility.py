r"""An infeasibility proof over every whole allocation and every sub-contract choice.

A single Farkas combination (:func:`allocate.pipeline.certify.infeasibility_certificate`) proves
that no *fractional* allocation exists under the plan's sub-contract choice.  Two kinds of
infeasible problem escape it: those with a fractional allocation but none in whole pence or
units, and those with a minimum award where no choice of sub-contracts works (the choice MILP
found none), where a combination under one choice says nothing of the others.

:func:`proof_tree` proves both by a small branch and bound, in the style of VIPR (verified
integer programming results).  The root's boxes are every award's ``[0, capacity]``, whatever
sub-contracts are made.  A node solves the elastic programme (the least total relaxation of the
budgets and side rows) within its boxes with HiGHS.  When the relaxation is positive, its duals
are a Farkas ray: rounded to integers over a power of two, as
:func:`~allocate.pipeline.certify.farkas_combination` does, and checked exactly against the node's
boxes, they make the node a leaf.  Otherwise the node splits on one pair's award, by a valid
disjunction read off the programme's answer:

* ``subcontract`` (first): an award strictly between 0 and the minimum award (in the lot's
  quantity) splits into ``award = 0`` or ``award ≥ minimum``;
* ``integer``: the most fractional award, ``t < award < t + 1``, splits into ``award ≤ t`` or
  ``award ≥ t + 1`` (pence, or units on a unit-priced lot);
* with a minimum number of providers per area, when a case's answer is whole but leaves an area
  short of providers: a member not providing there splits on a pair's award, ``integer`` at a
  provider's least less one (it provides there, or it does not).

A case whose boxes leave an area fewer members able to receive a provider's least (the minimum
award, or a penny or a unit) than the area needs is a leaf proved by counting.

A case whose box is empty (a member whose capacity is below the minimum award, made) is a leaf
with no combination.  A case whose answer is whole and keeps every disjunction (each award 0 or
at least its minimum) is an allocation in whole pence and units: checked exactly (lot totals,
side rows in integers, providers per area), it is a *witness* and ends the search —
:func:`decide` returns it, and ``solve`` then allocates under its sub-contract choice.  The
tree is bounded: at most :data:`NODE_LIMIT` nodes, within the solve's ``time_limit`` (or
:data:`TREE_SECONDS` without one); beyond either, or when a node's answer offers no split, its
combination proves nothing and it is no witness, neither proof nor witness is issued.  The checker
(:mod:`allocate.checks.certificate`) verifies the tree without a solver.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from allocate.core.apportion import ExactShares, largest_remainder
from allocate.core.certificate import Branch, Certificate, Farkas, ProofNode, SubcontractChoice
from allocate.core.outcome import Status
from allocate.pipeline.certify import farkas_combination, farkas_multipliers
from allocate.pipeline.formulation import lp_spec
from allocate.pipeline.milp import ArrayModel
from allocate.pipeline.plan import LpSpec, Plan
from allocate.pipeline.repair import crossed, int_rows
from allocate.pipeline.subcontracts import (
    decisions_of,
    floor_in_quantity,
    min_provider_pence,
    provider_areas,
    restore_decisions,
)

__all__ = ["NODE_LIMIT", "TREE_CLAIM", "TREE_SECONDS", "Decision", "decide", "proof_tree"]

#: The most nodes a proof tree may have; beyond it no tree is issued.
NODE_LIMIT = 2000
#: Seconds the tree may take when the solve sets no ``time_limit``.
TREE_SECONDS = 60.0
#: An award this close to a whole number (in the lot's quantity) is read as whole.
_WHOLE = 1e-6
#: A case proved by an empty box (no combination needed).
_EMPTY = "empty"
#: A least relaxation above this (pounds) is worth trying as a leaf's combination.
_POSITIVE = 1e-9

TREE_CLAIM = (
    "No allocation in whole pence and whole units exists, whatever sub-contracts are made: the "
    "proof tree splits every award's box into cases (whole pence or units, a sub-contract made "
    "with the minimum award or not), and in every case the named conditions, added up with the "
    "multipliers given, need more money placed than the capacities, floors and caps allow."
)

SINGLE_CLAIM = (
    "No allocation exists, whatever sub-contracts are made: the named conditions, added up with "
    "the multipliers given, need more money placed than the capacities and caps allow."
)


@dataclass(frozen=True, slots=True)
class _Split:
    """A node's split: the pair, the kind and the integer it is at (the lot's quantity)."""

    k: int
    kind: str
    at: int


@dataclass(frozen=True, slots=True)
class _Short:
    """A case proved by counting: the area its boxes leave short of members able to provide."""

    area: str


@dataclass(frozen=True, slots=True)
class Decision:
    """What the branch and bound decided: a proof, a witness, or neither (and why not)."""

    certificate: Certificate | None = None
    """The proof that no allocation in whole pence and units exists, for any choice."""
    witness: list[int] | None = None
    """An allocation in whole pence and units, by pair, in each lot's quantity."""
    stopped: str = ""
    """Why neither was found (a limit reached, or a case neither proved nor split)."""


class _Tree:
    """The branch and bound over one plan, every sub-contract open, in each lot's quantity."""

    def __init__(self, p: Plan, spec: LpSpec, deadline: float) -> None:
        self.p, self.spec, self.deadline = p, spec, deadline
        ids = p.eligibility.member_ids
        min_award = p.problem.policy.min_award
        pence = int(min_award * 100) if min_award is not None else 0
        self.unit: list[Fraction] = []
        self.value: list[int] = []
        self.claim: list[int] = []
        self.floor: list[int] = []
        self.ref: list[tuple[str, str]] = []
        for k, (j, pos) in enumerate(zip(p.pair_lot, p.pair_pos, strict=True)):
            lot = p.lots[j]
            self.unit.append(lot.unit_value)
            self.value.append(lot.value)
            self.claim.append(lot.claims[pos])
            self.floor.append(floor_in_quantity(lot, pence) if pence > 0 else 0)
            self.ref.append((ids[p.pair_member[k]], lot.lot_id))
        #: a provider's least award on each pair, in the lot's quantity (with providers per area)
        self.least: list[int] = []
        self.areas = self._areas()
        self.nodes: list[dict[str, Any]] = []
        self.stopped = ""
        """Why :meth:`run` found neither proof nor witness."""
        self.witness: list[int] | None = None
        """Whole awards by pair, when a case's answer is an allocation."""

    def _areas(self) -> list[tuple[str, int, list[list[int]]]]:
        """Each area's providers needed and each member's pairs there that can provide.

        A pair can provide when its capacity reaches a provider's least (in the lot's quantity);
        an area needs ``min(k, members who can)``, as :func:`allocate.verify` reads the policy.
        """
        p = self.p
        k = p.problem.policy.min_providers_per_area
        if k is None:
            return []
        pence = min_provider_pence(p.problem)
        self.least = [floor_in_quantity(p.lots[j], pence) for j in p.pair_lot]
        by_area: dict[str, dict[int, list[int]]] = {}
        for n, j in enumerate(p.pair_lot):
            if self.claim[n] >= self.least[n]:
                area = p.problem.lot_index[p.lots[j].lot_id][1].area
                by_area.setdefault(area, {}).setdefault(p.pair_member[n], []).append(n)
        return [
            (area, min(k, len(members)), [members[i] for i in sorted(members)])
            for area, members in sorted(by_area.items())
        ]

    def _short(self, hi: list[int]) -> _Short | None:
        """An area whose boxes leave fewer members able to provide than it needs, if any."""
        for area, need, members in self.areas:
            able = sum(any(hi[k] >= self.least[k] for k in pairs) for pairs in members)
            if able < need:
                return _Short(area)
        return None

    def _provider_split(self, lo: list[int], hi: list[int], values: list[float]) -> _Split | None:
        """In an area the answer leaves short, a member not providing: provides there, or not.

        The pair is the one nearest a provider's least among those whose box allows both.
        """
        quantity = [y * v / float(u) for y, v, u in zip(values, self.value, self.unit, strict=True)]
        for _, need, members in self.areas:
            providing = [any(quantity[k] >= self.least[k] - _WHOLE for k in ks) for ks in members]
            if sum(providing) >= need:
                continue
            best: tuple[float, int] | None = None
            for ks, done in zip(members, providing, strict=True):
                for k in [] if done else ks:
                    if lo[k] < self.least[k] <= hi[k]:
                        score = quantity[k] / self.least[k]
                        if best is None or score > best[0]:
                            best = (score, k)
            if best is not None:
                return _Split(best[1], "integer", self.least[best[1]] - 1)
        return None

    def run(self) -> list[ProofNode] | None:
        """The tree's nodes (node 0 the root), or None.

        None when a case's answer is an allocation (:attr:`witness`), past a limit, or where a
        case is neither proved nor split (:attr:`stopped` says).
        """
        self.nodes = [{}]
        stack: list[tuple[int, list[int], list[int]]] = [(0, [0] * len(self.claim), self.claim)]
        while stack:
            if time.perf_counter() > self.deadline:
                self.stopped = f"the search reached its time limit after {len(self.nodes)} cases"
                return None
            index, lo, hi = stack.pop()
            node = self._node(lo, hi)
            if node is None:
                return None
            if isinstance(node, list):
                self.witness = node
                return None
            if isinstance(node, _Split):
                if len(self.nodes) + 2 > NODE_LIMIT:
                    self.stopped = f"the search reached its limit of {NODE_LIMIT} cases"
                    return None
                down_hi, up_lo = list(hi), list(lo)
                if node.kind == "subcontract":
                    down_hi[node.k] = 0
                    up_lo[node.k] = max(lo[node.k], node.at)
                else:
                    down_hi[node.k] = min(hi[node.k], node.at)
                    up_lo[node.k] = max(lo[node.k], node.at + 1)
                first = len(self.nodes)
                self.nodes += [{}, {}]
                member, lot = self.ref[node.k]
                branch = {"member": member, "lot": lot, "kind": node.kind, "at": str(node.at)}
                self.nodes[index] = {
                    "branch": Branch.from_trusted(branch),
                    "children": [first, first + 1],
                    "farkas": None,
                    "providers": None,
                }
                stack.append((first + 1, up_lo, hi))
                stack.append((first, lo, down_hi))
            else:
                farkas = node if isinstance(node, Farkas) else None
                area = node.area if isinstance(node, _Short) else None
                self.nodes[index] = {
                    "branch": None,
                    "children": [],
                    "farkas": farkas,
                    "providers": area,
                }
        return [ProofNode.from_trusted(node) for node in self.nodes]

    def _node(
        self, lo: list[int], hi: list[int]
    ) -> _Split | Farkas | _Short | str | list[int] | None:
        """A leaf's proof (:data:`_EMPTY`: a box is empty), the split, a witness, or None.

        None: the case is neither proved nor split, nor its answer a witness (:attr:`stopped`).
        """
        if any(a > b for a, b in zip(lo, hi, strict=True)):
            return _EMPTY
        short = self._short(hi)
        if short is not None:
            return short
        solved = self._elastic(lo, hi)
        if solved is None:
            self.stopped = "the solver gave no answer for a case (or the time ran out)"
            return None
        relaxation, values, duals = solved
        if relaxation > _POSITIVE:
            boxes = (
                [a * u for a, u in zip(lo, self.unit, strict=True)],
                [b * u for b, u in zip(hi, self.unit, strict=True)],
            )
            raw = farkas_multipliers(self.p, self.spec, duals)
            found = farkas_combination(self.p, self.spec, raw, boxes)
            if found is not None:
                return found
        split = self._split(lo, hi, values)
        if split is not None:
            return split
        whole = self._witness(lo, hi, values) if relaxation <= _POSITIVE else None
        if whole is None and relaxation <= _POSITIVE:
            # whole, perhaps, but an area short of providers: split on who provides there
            split = self._provider_split(lo, hi, values)
            if split is not None:
                return split
        if whole is None:
            self.stopped = "a case was neither proved impossible nor split, nor its answer whole"
        return whole

    def _witness(self, lo: list[int], hi: list[int], values: list[float]) -> list[int] | None:
        """The case's answer as whole awards, when it checks exactly as an allocation.

        Whole numbers within the boxes, each 0 or at least its minimum, adding up to each lot's
        estate; the money following the units by largest remainder; every side row kept in
        integers (:func:`~allocate.pipeline.repair.crossed`); each area's providers kept.
        """
        p = self.p
        whole = [round(y * v / u) for y, v, u in zip(values, self.value, self.unit, strict=True)]
        for k, q in enumerate(whole):
            if not lo[k] <= q <= hi[k] or 0 < q < self.floor[k]:
                return None
        by_lot: dict[int, list[int]] = {}
        for k, j in enumerate(p.pair_lot):
            by_lot.setdefault(j, []).append(k)
        pence = list(whole)
        for lot in p.lots:
            ks = by_lot.get(lot.index, [])
            if sum(whole[k] for k in ks) != lot.estate:
                return None
            if lot.units is not None and ks:
                shares = ExactShares(tuple(whole[k] * lot.pot for k in ks), lot.units)
                for k, money in zip(ks, largest_remainder(lot.pot, shares), strict=True):
                    pence[k] = money
        if crossed(int_rows(self.spec.side_rows), pence):
            return None
        return whole if self._providers_kept(whole) else None

    def _providers_kept(self, whole: list[int]) -> bool:
        """Whether every area keeps its providers: members with an award of a provider's least."""
        if self.p.problem.policy.min_providers_per_area is None:
            return True
        areas, _ = provider_areas(self.p)
        pence = min_provider_pence(self.p.problem)
        least = [floor_in_quantity(self.p.lots[j], pence) for j in self.p.pair_lot]
        return all(
            sum(any(whole[k] >= least[k] for k in pairs) for pairs in members) >= need
            for need, members in areas
        )

    def _split(self, lo: list[int], hi: list[int], values: list[float]) -> _Split | None:
        """Floors first: the award furthest inside ``(0, minimum)``; then the most fractional."""
        quantity = [y * v / float(u) for y, v, u in zip(values, self.value, self.unit, strict=True)]
        best: tuple[float, _Split] | None = None
        for k, q in enumerate(quantity):
            f = self.floor[k]
            if f > 1 and lo[k] < f and hi[k] > 0 and _WHOLE < q < f - _WHOLE:
                score = min(q, f - q) / f
                if best is None or score > best[0]:
                    best = (score, _Split(k, "subcontract", f))
        if best is not None:
            return best[1]
        for k, q in enumerate(quantity):
            t = math.floor(q)
            frac = q - t
            if _WHOLE < frac < 1 - _WHOLE and lo[k] <= t < hi[k]:
                score = min(frac, 1 - frac)
                if best is None or score > best[0]:
                    best = (score, _Split(k, "integer", t))
        return None if best is None else best[1]

    def _elastic(
        self, lo: list[int], hi: list[int]
    ) -> tuple[float, list[float], dict[str, float]] | None:
        """The least relaxation (pounds) within the boxes, the awards and the rows' duals.

        Awards as fractions of their lot's value, as the programme has them; each budget and
        side row may give, at its pence per unit of the row.
        """
        m = ArrayModel()
        cols = [
            m.var(float(a * u / v), float(b * u / v))
            for a, b, u, v in zip(lo, hi, self.unit, self.value, strict=True)
        ]
        names: list[str] = []
        slack: list[tuple[int, float]] = []

        def give(cost: float) -> int:
            col = m.var(0, math.inf, cost=cost)
            slack.append((col, cost))
            return col

        by_lot: dict[int, list[int]] = {}
        for k, j in enumerate(self.p.pair_lot):
            by_lot.setdefault(j, []).append(cols[k])
        for lot in self.p.lots:
            up, down = give(lot.value / 100), give(lot.value / 100)
            pairs = by_lot.get(lot.index, [])
            rhs = lot.pot / lot.value
            m.row([*pairs, up, down], [1.0] * len(pairs) + [1.0, -1.0], rhs, rhs)
            names.append(f"budget:{lot.lot_id}")
        for row in self.spec.side_rows:
            columns = [cols[k] for k in row.coefficients]
            coefficients = list(row.coefficients.values())
            cost = row.scale / 100
            if row.sense in (">=", "=="):
                columns.append(give(cost))
                coefficients.append(1.0)
            if row.sense in ("<=", "=="):
                columns.append(give(cost))
                coefficients.append(-1.0)
            lower = row.rhs if row.sense in (">=", "==") else -math.inf
            upper = row.rhs if row.sense in ("<=", "==") else math.inf
            m.row(columns, coefficients, lower, upper)
            names.append(row.name)
        remaining = self.deadline - time.perf_counter()
        if m.solve(time_limit=max(remaining, 0.0)) is not Status.OPTIMAL or not m.row_duals:
            return None
        relaxation = sum(cost * m.values[col] for col, cost in slack)
        duals = {name: d for name, d in zip(names, m.row_duals, strict=True) if d}
        return relaxation, m.values[: len(cols)], duals


def proof_tree(p: Plan, *, time_limit: float | None) -> Certificate | None:
    """A proof that no allocation in whole pence and units exists, for any sub-contract choice.

    A tree of cases (:mod:`allocate.pipeline.infeasibility`), or a single combination when the
    root alone is proved (no case split needed).  None when the tree passes :data:`NODE_LIMIT` nodes
    or the time (``time_limit``, else :data:`TREE_SECONDS`), when a case is neither proved nor
    split, or when an allocation exists.
    """
    return decide(p, time_limit=time_limit).certificate


def decide(p: Plan, *, time_limit: float | None) -> Decision:
    """Whether an allocation in whole pence and units exists, for any sub-contract choice.

    The branch and bound of :func:`proof_tree`: its proof when every case is impossible, a
    witness (whole awards by pair, each 0 or at least the minimum award) when a case's answer is
    one, or neither, with the reason, past a limit.  ``p`` is left as it was.
    """
    deadline = time.perf_counter() + (time_limit if time_limit is not None else TREE_SECONDS)
    saved = decisions_of(p)
    try:
        # every sub-contract open, with no floor: the side rows over every pair
        for lot in p.lots:
            lot.open = [True] * len(lot.members)
            lot.floor = [0] * len(lot.members)
        p.sync_open()
        spec, _ = lp_spec(p)
        tree = _Tree(p, spec, deadline)
        nodes = tree.run()
    finally:
        restore_decisions(p, saved)
    if nodes is None:
        return Decision(witness=tree.witness, stopped=tree.stopped)
    proof = nodes
    single = len(proof) == 1 and proof[0].farkas is not None
    cert = Certificate.from_trusted(
        {
            "kind": "infeasible",
            "claim": SINGLE_CLAIM if single else TREE_CLAIM,
            "choice": SubcontractChoice.from_trusted({"made": [], "closed": []}),
            "stages": [],
            "water_levels": [],
            "rounding": {},
            "farkas": proof[0].farkas if single else None,
            "proof": None if single else proof,
            "tender": [],
        }
    )
    return Decision(certificate=cert)
