"""The pipeline's data: what each step takes and gives, typed, with no behaviour beyond helpers.

Every step of :mod:`allocate.pipeline` reads and writes these objects, and only these:

==========================  ==================================================================
step                        gives
==========================  ==================================================================
eligibility                 :class:`Eligibility` (with :class:`Reason` flags and :class:`Pool`)
top-slice                   :class:`ContractTopSlice` per contract
fair shares, sub-contracts  a :class:`Plan` of :class:`LotPlan` (exact shares, open pairs, floors)
side-constraints            :class:`SideRow` with its :class:`RowInfo`
formulation                 the scaled programme, :class:`LpSpec`
engine                      :class:`LeximinResult` (or :class:`ElasticResult` when diagnosing)
reading the answer          :class:`Solution`: exact shares per lot
rounding                    :class:`Rounded` awards per lot
==========================  ==================================================================

Like linopy's ``constants.py`` and cvxpy's ``reductions/solution.py``, this module is a leaf: it
imports only :mod:`allocate.core`, so any step can use it without importing another step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntFlag
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt

from allocate.core.apportion import ExactShares
from allocate.core.model import Problem, TopSliceMethod
from allocate.core.outcome import Status
from allocate.core.tendering import LotTender

__all__ = [
    "ContractTopSlice",
    "ElasticResult",
    "Eligibility",
    "LeximinResult",
    "LotPlan",
    "LpSpec",
    "Method",
    "Plan",
    "Pool",
    "Reason",
    "Rounded",
    "RowInfo",
    "Sense",
    "SideRow",
    "Solution",
    "StageDuals",
]

#: How :func:`allocate.solve` computes the split: closed form when provably optimal, or forced.
Method = Literal["auto", "closed_form", "lp"]
#: The sense of a side row.
Sense = Literal["<=", ">=", "=="]


# -- eligibility ----------------------------------------------------------------------------


class Reason(IntFlag):
    """Why a member may not receive a share of a lot (combinable flags)."""

    ASSOCIATE = 1
    QA_NOT_PASSED = 2
    QUALITY = 4
    REPORTING = 8
    THEME = 16
    AREA = 32
    NO_CAPACITY = 64
    EXCLUDED = 128
    NO_BID = 256
    NOT_QUALIFIED = 512
    BELOW_FULL_COST = 1024

    @property
    def code(self) -> str:
        """Stable lower-case code used in JSON and DataFrames."""
        return _CODES[self]


_CODES: dict[Reason, str] = {
    Reason.ASSOCIATE: "associate",
    Reason.QA_NOT_PASSED: "qa_not_passed",
    Reason.QUALITY: "quality",
    Reason.REPORTING: "reporting",
    Reason.THEME: "theme",
    Reason.AREA: "area",
    Reason.NO_CAPACITY: "no_capacity",
    Reason.EXCLUDED: "excluded",
    Reason.NO_BID: "no_bid",
    Reason.NOT_QUALIFIED: "not_qualified",
    Reason.BELOW_FULL_COST: "below_full_cost",
}
_SINGLE_REASONS: tuple[Reason, ...] = tuple(_CODES)


@dataclass(frozen=True, slots=True)
class Pool:
    """A pooled capacity: one amount shared by a member over several lots."""

    member: int
    """Index of the member."""
    lots: tuple[int, ...]
    """Indices of the lots it covers."""
    amount: int
    """The pooled amount, in pence."""
    label: str
    """``theme=…, area=…`` for messages and constraint names."""


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Eligibility and capacity of every (member, lot) pair, as arrays indexed ``[lot, member]``.

    Capacity is in the lot's own quantity: pence for money lots, whole units for unit-priced lots.
    """

    problem: Problem
    member_ids: tuple[str, ...]
    lot_ids: tuple[str, ...]
    reasons: npt.NDArray[np.uint16]
    """Bitmask of :class:`Reason` per pair; 0 means eligible."""
    declared: npt.NDArray[np.bool_]
    """Whether a capacity was declared for the pair (even if zero)."""
    capacity: npt.NDArray[np.int64]
    """Claim in pence (money lots) or units (unit-priced lots): the per-lot capacity, or the
    pool's amount when only a pool covers the lot (the smaller when both); 0 where none."""
    pools: tuple[Pool, ...] = ()
    """Pooled capacities, shared across lots."""

    @property
    def eligible(self) -> npt.NDArray[np.bool_]:
        """Boolean mask of eligible pairs."""
        return np.asarray(self.reasons == 0, dtype=np.bool_)

    def reasons_of(self, lot: int, member: int) -> list[Reason]:
        """The single reasons excluding one pair, in documented order."""
        mask = Reason(int(self.reasons[lot, member]))
        return [r for r in _SINGLE_REASONS if r in mask]


# -- top-slice ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractTopSlice:
    """The top-slice of one contract, with its lots' shares and the steps that led to it."""

    contract_id: str
    method: TopSliceMethod
    rate: Fraction
    """The exact rate the method gives (before rounding the amount down)."""
    amount_pence: int
    value_pence: int
    lot_amounts_pence: dict[str, int]
    """The contract's top-slice spread over its lots."""
    steps: tuple[str, ...]
    under_funded_pence: int = 0
    """For ``cost_recovery``: the part of the hub's annual cost the capped rate leaves unmet."""

    @property
    def effective_rate(self) -> Fraction:
        """Amount over value, after rounding down to the penny."""
        return Fraction(self.amount_pence, self.value_pence)

    @property
    def delivery_ratio(self) -> Fraction | None:
        """Delivery money per pound of top-slice (9 for 10%, 19 for 5%); None at 0%."""
        if self.amount_pence == 0:
            return None
        return Fraction(self.value_pence - self.amount_pence, self.amount_pence)


# -- the plan -------------------------------------------------------------------------------


@dataclass
class LotPlan:
    """Everything about one lot that the solve needs, in exact integers."""

    index: int
    lot_id: str
    contract_id: str
    value: int
    """Lot value in pence."""
    top_slice: int
    """The hub's entitlement from this lot, in pence."""
    pot: int
    """Money for the members: value − top-slice, in pence."""
    units: int | None
    """Whole units the lot buys (unit-priced lots)."""
    members: list[int]
    """Indices of the eligible members, sorted by member id (the tie-break order)."""
    claims: list[int]
    """Their capacities, in the lot's quantity (pence, or units)."""
    fair: ExactShares | None = None
    """The rule's exact shares of the estate, with no side-constraint (None when capacity is
    short)."""
    open: list[bool] = field(default_factory=list)
    """Whether each member's sub-contract may be made (False: below the minimum award)."""
    floor: list[int] = field(default_factory=list)
    """Smallest award of each made sub-contract, in the lot's quantity (0: none)."""
    decisions: dict[int, str] = field(default_factory=dict)
    """Why a position was closed or given a floor, by position."""
    kept: set[int] = field(default_factory=set)
    """Positions given a floor to keep a provider in the area (providers per area)."""

    @property
    def estate(self) -> int:
        """What the members share, in the lot's quantity: pence, or units."""
        return self.units if self.units is not None else self.pot

    @property
    def unit_value(self) -> Fraction:
        """Pence of member pot per lot quantity (1 for money lots)."""
        return Fraction(self.pot, self.units) if self.units is not None else Fraction(1)

    @property
    def shortfall(self) -> int:
        """How much of the estate eligible capacity cannot absorb (0 when it can)."""
        return max(0, self.estate - sum(self.claims))

    def fair_share(self, pos: int) -> Fraction:
        """Exact fair share of a position, in the lot's quantity."""
        assert self.fair is not None
        return Fraction(self.fair.numerators[pos], self.fair.denominator)


@dataclass
class Plan:
    """The problem digested for solving: eligibility, top-slices, fair shares, decisions."""

    problem: Problem
    eligibility: Eligibility
    top_slices: dict[str, ContractTopSlice]
    lots: list[LotPlan]
    pair_lot: list[int] = field(default_factory=list)
    pair_pos: list[int] = field(default_factory=list)
    pair_member: list[int] = field(default_factory=list)
    pair_open: list[bool] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    tenders: dict[int, LotTender] = field(default_factory=dict)
    """The competition of each sub-tendered lot, by lot index."""
    tender_limits: dict[int, dict[str, int]] = field(default_factory=dict)
    """Awards a side-constraint held a tender winner to, by lot index and member id."""
    tender_moves: dict[int, list[str]] = field(default_factory=dict)
    """Work a side-constraint moved down a lot's ranking, in words, by lot index."""

    @property
    def feasible(self) -> bool:
        """Whether eligible capacity can absorb every lot (before side-constraints)."""
        return all(lot.shortfall == 0 for lot in self.lots)

    @property
    def has_floors(self) -> bool:
        """Whether a sub-contract decision closed a pair or gave it a floor."""
        return any(any(lot.floor) or not all(lot.open) for lot in self.lots)

    def sync_open(self) -> None:
        """Read ``pair_open`` again from the lots, after a decision changed them."""
        self.pair_open = [
            self.lots[j].open[pos] for j, pos in zip(self.pair_lot, self.pair_pos, strict=True)
        ]

    @property
    def needs_lp(self) -> bool:
        """Whether anything beyond capacities and lot budgets constrains the split."""
        policy = self.problem.policy
        return bool(policy.side_constraints) or bool(self.eligibility.pools)


# -- the programme --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SideRow:
    """A named linear side-constraint on the pair variables: ``Σ coef·y  (<=|>=|==)  rhs``."""

    name: str
    """Unique name: ``<family>:<ids>``."""
    family: str
    """The documented condition (``max_member_share``, ``pooled_capacity`` ...)."""
    coefficients: dict[int, float]
    sense: Sense
    rhs: float
    scale: float = 1.0
    """Pence per unit of the row (to read duals and slacks in money)."""
    description: str = ""
    weights: Mapping[int, Fraction] = field(default_factory=dict)
    """The row exactly, on awards in pence: ``Σ weights[k]·pence_k (sense) bound``."""
    bound: Fraction = Fraction(0)
    """The policy's bound in pence, exactly (``rhs × scale`` up to the float's rounding)."""


@dataclass(frozen=True, slots=True)
class RowInfo:
    """What a side row means, for the audit and the diagnosis."""

    member: str | None
    contract: str | None
    bound_pence: int
    """The policy's bound in pence."""


@dataclass(frozen=True, slots=True)
class LpSpec:
    """The data of the programme, already scaled to fractions of each lot's value."""

    lot_names: Sequence[str]
    pair_names: Sequence[str]
    pair_lot: Sequence[int]
    pair_cap: Sequence[float]
    pair_target: Sequence[float]
    hub_cap: Sequence[float]
    pair_floor: Sequence[float] | None = None
    side_rows: Sequence[SideRow] = ()


@dataclass
class StageDuals:
    """One stage of the progressive filling, as the optimality certificate needs it.

    Pair indices are the programme's; every dual is that of the row as formulated (on fractions
    of the lot's value, before the engine's scaling), in the orientation the row is written
    (``≥`` rows ``award − fair share × level ≥ 0`` and holds, ``≤``/``≥`` side rows, ``==``
    budgets), with the sign of a shadow price of a maximisation (see
    :mod:`allocate.pipeline.certify`).  Only non-zero duals are kept.
    """

    level: float
    """The stage's level (the largest worst ratio of award to fair share it reached)."""
    at_level: list[int]
    """Claimants frozen at the level."""
    at_bound: dict[int, str]
    """Claimants frozen at a bound of their own: ``"capacity"`` or ``"floor"``."""
    budget: dict[int, float] = field(default_factory=dict)
    """Dual of each lot's budget row, by lot index."""
    ratio: dict[int, float] = field(default_factory=dict)
    """Dual of the ratio row of each claimant still rising in this stage."""
    hold: dict[int, float] = field(default_factory=dict)
    """Dual of the hold row of each claimant frozen in an earlier stage."""
    side: dict[str, float] = field(default_factory=dict)
    """Dual of each side row, by name."""
    group: int = 0
    """The group of lots (:func:`allocate.pipeline.engine.components`) the stage belongs to."""


@dataclass
class LeximinResult:
    """The solver's answer."""

    status: Status
    """``optimal``, ``infeasible``, ``time_limit`` or ``solver_error``."""
    solver_status: str
    pair_values: list[float] = field(default_factory=list)
    hub_values: list[float] = field(default_factory=list)
    pair_level: list[float] = field(default_factory=list)
    """The level (ratio to fair share) at which each pair was frozen (NaN without a ratio row)."""
    pair_reduced_cost: list[float] = field(default_factory=list)
    """Stage-1 reduced cost of each pair variable: the worst-off ratio's sensitivity to its
    bounds (capacity or floor), per unit of the lot value."""
    budget_dual: list[float] = field(default_factory=list)
    """Stage-1 dual of each lot's budget row."""
    side_duals: dict[str, float] = field(default_factory=dict)
    """Stage-1 dual of each side row: the worst-off ratio's sensitivity to its right-hand side."""
    side_activity: dict[str, float] = field(default_factory=dict)
    """Each side row's left-hand side at the final solution."""
    stages: int = 0
    pinned: int = 0
    """Claimants settled without a stage of their own: their award was the same on the whole
    of an earlier stage's optimal face (see :mod:`allocate.pipeline.face`)."""
    first_level: float | None = None
    variables: int = 0
    constraints: int = 0
    solve_seconds: float = 0.0
    build_seconds: float = 0.0
    message: str = ""
    stage_duals: list[StageDuals] = field(default_factory=list)
    again: Callable[[], LeximinResult] | None = None
    """The same programme solved once more with every stage's duals kept, for a result solved
    without them (whose certificate is made when first read, :mod:`allocate.pipeline.certify`)."""
    """Each stage's level, who it froze and its duals: the optimality certificate's raw data."""
    retries: list[str] = field(default_factory=list)
    """Stages the solver failed at first and solved (or not) on a retry, in words: ``"stage 2:
    Infeasible; Optimal with presolve off"`` (see :data:`allocate.pipeline.engine.RETRIES`)."""


@dataclass
class ElasticResult:
    """The least relaxation, in pence, that makes the programme feasible."""

    status: Status
    total: float = 0.0
    """Total relaxation in pence."""
    side: dict[str, float] = field(default_factory=dict)
    """Relaxation of each side row, in pence (only the non-zero ones)."""
    unallocated: dict[int, float] = field(default_factory=dict)
    """Money each lot could not place, in pence, by lot index."""
    floors: dict[int, float] = field(default_factory=dict)
    """Shortfall below each pair's floor, in pence, by pair index."""
    retries: list[str] = field(default_factory=list)
    """The solve's retries in words, when the first attempt failed (as in LeximinResult)."""
    row_duals: dict[str, float] = field(default_factory=dict)
    """The non-zero dual of each budget row (``budget:<lot>``) and side row, by name, of the row
    as formulated (the infeasibility certificate's raw data)."""


# -- the solution and its rounding -------------------------------------------------------------


@dataclass
class Solution:
    """Exact per-lot shares, in each lot's quantity, before rounding."""

    shares: dict[int, ExactShares]
    method: str
    lp: LeximinResult | None = None
    spec: LpSpec | None = None
    row_info: dict[str, RowInfo] = field(default_factory=dict)
    snapped: bool = False


@dataclass(frozen=True, slots=True)
class Rounded:
    """Whole awards of one lot: pence and (unit-priced lots) units, aligned with LotPlan.members."""

    pence: list[int]
    units: list[int] | None
