"""The result of :func:`allocate.solve`: an :class:`Allocation` with its audit.

Everything here is a frozen pydantic model, so an allocation round-trips through JSON exactly::

    Allocation.model_validate_json(a.model_dump_json()) == a

The JSON carries no timings, so the same input always gives byte-identical JSON; the timings of a
run are on :attr:`Allocation.timings`, outside the serialised data.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from pydantic import (
    Field,
    PrivateAttr,
    field_serializer,
)

from allocate.core import present
from allocate.core.certificate import Certificate
from allocate.core.errors import AllocateError
from allocate.core.frames import MoneyAs, check_money, frame, nullable_ints, numeric
from allocate.core.model import Money
from allocate.core.money import format_money
from allocate.core.record import Record

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FORMAT_VERSION",
    "Allocation",
    "Audit",
    "Award",
    "AwardCost",
    "BidEvaluation",
    "CashFlowMember",
    "CashFlowReport",
    "Check",
    "ConstraintPrice",
    "ConstraintReport",
    "ContractResult",
    "Deferred",
    "Diagnosis",
    "ExcludedCapacity",
    "FairnessMetrics",
    "InfeasibleError",
    "LotShortfall",
    "MemberSummary",
    "PairTable",
    "Record",
    "Relaxation",
    "SavingTransfer",
    "SocialValueRow",
    "SolverError",
    "SolverInfo",
    "Status",
    "TenderReport",
]


#: The version of the published JSON formats (the problem and every output; see
#: :mod:`allocate.core.schema`).  The minor number grows when a field is added, the major number
#: when one is removed, renamed or changes meaning.
FORMAT_VERSION: Final = "1.2"


class InfeasibleError(AllocateError):
    """No allocation satisfies every condition of the problem.

    ``allocation`` is the returned result, whose ``diagnosis`` explains the conflict.
    """

    def __init__(self, message: str, allocation: Allocation | None = None) -> None:
        super().__init__(message)
        self.allocation = allocation

    @property
    def diagnosis(self) -> Diagnosis | None:
        """The diagnosis of the allocation that raised, if any."""
        return None if self.allocation is None else self.allocation.diagnosis


class SolverError(AllocateError):
    """The solver failed, hit a limit, or returned a solution that cannot be trusted."""

    def __init__(self, message: str, allocation: Allocation | None = None) -> None:
        super().__init__(message)
        self.allocation = allocation


class Status(StrEnum):
    """Outcome of a solve.  Unknown values read back from JSON map to ``unknown``."""

    OPTIMAL = "optimal"
    """An allocation was found, rounded and verified."""
    INFEASIBLE = "infeasible"
    """No allocation satisfies every condition; see the diagnosis."""
    TIME_LIMIT = "time_limit"
    """The solver stopped at its time limit before proving an answer."""
    SOLVER_ERROR = "solver_error"
    """The solver failed or returned an answer that could not be trusted."""
    UNKNOWN = "unknown"
    """Anything else."""

    @classmethod
    def _missing_(cls, value: object) -> Status:
        return cls.UNKNOWN

    @property
    def is_ok(self) -> bool:
        """Whether the allocation can be used."""
        return self is Status.OPTIMAL


class Award(Record):
    """The money (and units) one member receives on one lot."""

    member: str
    """Member id."""
    lot: str
    """Lot id."""
    contract: str
    """Contract id."""
    amount: Money
    """Pounds, exact to the penny."""
    units: int | None = None
    """Whole units, on unit-priced lots."""


class ContractResult(Record):
    """One contract's split between the hub and the members."""

    id: str
    """Contract id."""
    commissioner: str
    """Who awarded it."""
    value: Money
    """Contract value."""
    top_slice: Money
    """The hub's share, rounded down to the penny."""
    members_total: Money
    """What the members receive: ``value − top_slice`` exactly."""
    method: str
    """Top-slice method."""
    rate: Decimal
    """The method's rate (six decimal places)."""
    effective_rate: Decimal
    """``top_slice / value`` (six decimal places)."""
    delivery_ratio: str
    """Delivery money per pound of top-slice, as ``"9:1"``."""
    under_funded: Money | None = None
    """For ``cost_recovery``: the hub's annual cost left unmet by the capped rate."""
    lot_top_slices: dict[str, Money]
    """The top-slice spread over the lots, by lot id."""
    steps: tuple[str, ...]
    """The computation, step by step, in words."""


class Deferred:
    """A field of an allocation's audit worked out only when it is first read.

    ``make`` gives the field's value.  It is called once, the first time the field is read in any
    way (as an attribute, in a dump or JSON, a comparison, a copy or a pickle), and its value is
    kept.  A county's pair table and member totals cost more than the rest of a solve, and many
    callers never read them; what they read is the same either way.  Copies and pickles carry
    the value itself.
    """

    __slots__ = ("_made", "_make", "_value")

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make: Callable[[], Any] | None = make
        self._value: Any = None
        self._made = False

    def value(self) -> Any:
        """The field's value: made on the first call, the same object on every later one.

        Two threads reading it first at once may both make it (the same value); neither fails.
        """
        if not self._made:
            make = self._make
            if make is not None:
                value = make()
                # the value before the flags: whoever sees the maker gone sees the value
                self._value, self._made, self._make = value, True, None
        return self._value

    def __reduce__(self) -> tuple[Callable[[Any], Any], tuple[Any]]:
        return _identity, (self.value(),)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return copy.deepcopy(self.value(), memo)


def _identity(value: Any) -> Any:
    """What a pickled :class:`Deferred` is read back as: its value."""
    return value


class _DeferredField:
    """A field that may be held as a :class:`Deferred`: read, it is made and kept in its place."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: _Lazy | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name]
        if isinstance(value, Deferred):
            value = obj.__dict__[self.name] = value.value()
        return value

    def __set__(self, obj: _Lazy, value: Any) -> None:  # pragma: no cover - frozen models
        raise AttributeError(f"{self.name} is read-only")


class _Lazy(Record):
    """A model whose fields named in ``_DEFERRED`` may be held as a :class:`Deferred`.

    Reading such a field, dumping the model (to Python or JSON), comparing it, iterating over it
    or showing it makes the value first, so nothing outside can tell the difference.  Each
    deferred field has a plain field serializer that reads it (so makes it) and declares its
    type, so that pydantic serializes the value as the field's own type, in one pass.
    """

    _DEFERRED: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # pydantic's fields are plain instance attributes: a descriptor on the class comes first
        for name in cls._DEFERRED:
            setattr(cls, name, _DeferredField(name))

    def _resolve(self) -> None:
        """Make every deferred field's value, in place (its place among the fields kept)."""
        for name in self._DEFERRED:
            value = self.__dict__.get(name)
            if isinstance(value, Deferred):
                self.__dict__[name] = value.value()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Lazy):
            self._resolve()
            other._resolve()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        self._resolve()
        return super().__iter__()

    def __repr_args__(self) -> Any:
        self._resolve()
        return super().__repr_args__()


class PairTable(_Lazy):
    """Every (member, lot) pair, column by column (one list per column, one row per pair).

    The ``explanation`` column may be held as a :class:`Deferred` until it is first read: reading
    it, dumping the table or comparing it gives the same list of sentences either way.
    """

    _DEFERRED = ("explanation",)

    @field_serializer("explanation")
    def _explanation(self, value: Any) -> list[str]:
        return self.explanation

    member: list[str]
    lot: list[str]
    contract: list[str]
    eligible: list[bool]
    reasons: list[list[str]]
    """Codes of the reasons excluding the pair (empty when eligible)."""
    explanation: list[str]
    """The reasons in words, or how the award was reached."""
    capacity: list[Money | None]
    """Declared capacity in pounds (units × unit price on unit-priced lots); None if none."""
    capacity_units: list[int | None]
    fair_share: list[Decimal]
    """What the rule gives with no side-constraint, to 1/10000 of a penny."""
    award: list[Money]
    award_units: list[int | None]
    binding: list[str | None]
    """The condition that stopped the award from being higher, if any."""
    shadow_price: list[float | None]
    """Dual value of that condition in the solver, when meaningful."""

    def __len__(self) -> int:
        return len(self.member)


class MemberSummary(Record):
    """A member's totals across the whole portfolio."""

    member: str
    name: str
    membership: str
    size_band: str
    eligible_lots: int
    capacity: Money
    """Declared capacity on the lots it is eligible for."""
    fair_share: Decimal
    award: Money
    share_of_awards: Decimal
    """Its share of all member awards (six decimal places)."""
    top_slice_contribution: Decimal
    """Its part of the hub's top-slice: each contract's top-slice in proportion to its awards."""


class ConstraintReport(Record):
    """One side-constraint row: its bound, where the allocation sits, and what it costs."""

    name: str
    """``<family>:<ids>``, e.g. ``max_member_share:luton-advice:advice-2026``."""
    family: str
    description: str
    sense: str
    bound: Money
    """The policy's bound in pounds (0 for the case-mix rows, which compare two sums)."""
    value: Decimal
    """The constrained quantity in the final allocation, in pounds (before rounding)."""
    binding: bool
    """Whether the row is tight."""
    shadow_price: float | None
    """Change in the worst-off award/fair-share ratio per pound of relaxation (stage 1)."""


class ConstraintPrice(Record):
    """What one side-constraint costs in fairness: the optimum with it against without it.

    Every figure is measured on the programme's exact optimum, before rounding to whole pence
    and units (so rounding is never counted as a price), and stated to the penny or to six
    places; the audit's ``metrics`` are those of the rounded awards.
    """

    setting: str
    """The policy field (``max_member_share`` ...; ``pooled capacities`` for pools)."""
    moved_from_rule: Money
    """Money the exact optimum moves away from the rule's fair shares with every constraint in
    force: half the sum of |award − fair share|."""
    moved_without: Money | None
    """The same with this constraint switched off (None if the problem then has no solution)."""
    price: Money | None
    """How much of the movement this constraint causes: the difference of the two exact
    movements (never below zero), to the penny."""
    min_ratio: Decimal | None
    """Worst award / fair share of the exact optimum with every constraint."""
    min_ratio_without: Decimal | None
    """Worst award / fair share of the exact optimum without this constraint."""


class FairnessMetrics(Record):
    """How fair the allocation is, in numbers."""

    min_ratio: Decimal | None
    """Smallest award / fair share over eligible pairs with a fair share (1 = exactly fair)."""
    max_ratio: Decimal | None
    """Largest award / fair share."""
    gini: Decimal | None
    """Gini coefficient of members' award / eligible capacity (0 = everyone alike)."""
    largest_member: str | None
    largest_member_share: Decimal | None
    """The largest member's share of all member awards."""
    moved_from_rule: Money | None = None
    """Money the side-constraints moved away from the rule's fair shares: half the sum of
    |award − fair share| (0 up to rounding when nothing binds)."""


class SolverInfo(Record):
    """How the allocation was computed."""

    method: str
    """``closed_form`` (the exact rule, provably optimal) or ``lp`` (PuLP + HiGHS)."""
    solver: str
    """Solver name and version, or ``exact`` for the closed form."""
    status: str
    """The solver's own status."""
    stages: int
    """Leximin stages solved (0 for the closed form)."""
    variables: int
    constraints: int
    worst_ratio: float | None
    """Optimum of the first stage: the worst-off award / fair share ratio."""


class Check(Record):
    """One independent verification check."""

    name: str
    """The documented condition checked."""
    passed: bool
    detail: str


class ExcludedCapacity(Record):
    """Capacity on a lot held by a member that is not eligible for it."""

    member: str
    capacity: Money
    reasons: list[str]


class LotShortfall(Record):
    """A lot that eligible capacity cannot absorb."""

    lot: str
    contract: str
    needed: Money
    """The lot's member pot (value less top-slice)."""
    available: Money
    """Eligible members' capacity on the lot."""
    shortfall: Money
    excluded: list[ExcludedCapacity]
    """What ineligible members with capacity could have covered, and why they are excluded."""
    excluded_total: Money


class Relaxation(Record):
    """The smallest relaxation of one condition, alone, that would make an allocation possible."""

    condition: str
    """The condition's family (``max_member_share``, ``small_org_share``, ``floor`` for minimum
    awards and kept providers, ``budget`` for money left unplaced ...)."""
    possible: bool
    """Whether relaxing this condition alone suffices."""
    amount: Money | None
    """Total relaxation in pounds (the elastic programme's least total for this condition)."""
    details: list[str]
    """Each relaxed row in the policy's own terms."""
    setting: str | None = None
    """The policy field that sets this condition, when it has one."""
    current: str | None = None
    """Its value now."""
    required: str | None = None
    """The least change of that value alone that makes an allocation possible (found by
    bisection on the full pipeline), or None when no value does."""


class Diagnosis(Record):
    """Why no allocation exists, in words and numbers."""

    summary: str
    lots: list[LotShortfall] = Field(default_factory=list)
    """Lots whose eligible capacity is short of their member pot."""
    messages: list[str] = Field(default_factory=list)
    relaxations: list[Relaxation] = Field(default_factory=list)
    """For conflicts between conditions: the smallest relaxation of each, alone."""


class BidEvaluation(Record):
    """One bid in a sub-tender's evaluation matrix."""

    member: str
    """The bidding member."""
    scores: dict[str, str | None]
    """Score per criterion (``quality``, ``social_value``, ``impact``, ``capacity``, ``price``),
    six decimal places; ``null`` when not scored."""
    total: str
    """Σ weight × score, six decimal places (exactly: ``total_exact``)."""
    total_exact: str
    """The total as an exact fraction, ``"p/q"``."""
    rank: int | None
    """1 for the best qualifying bid; ``null`` when it did not qualify."""
    qualified: bool
    reasons: list[str]
    """Why it did not qualify (empty when it did)."""
    abnormally_low: str | None
    """Why its price is abnormally low, when it is (flagged even when not excluded)."""
    price: Money | None
    """The bid's price (``price_quality`` only)."""
    capacity: Money
    """What it can deliver, in pounds (units × unit price on unit-priced lots)."""
    award: Money
    """Its award on the lot."""
    gap: str | None
    """A qualifying bid that won nothing: the total score it lacked to reach the last winner's,
    six decimal places (``"0.000000"``: tied, ranked below by quality, capacity or id)."""


class SavingTransfer(Record):
    """Where a winning price's saving went."""

    source: str
    """The winner whose price was below the pot."""
    to: str | None
    """The winner it went to; ``null``: it stayed with the source as more units."""
    amount: Money
    """The saving, to the nearest penny (awards are rounded afterwards, exactly)."""
    units: int | None = None
    """On a lot priced per unit, a saving kept as more units: the whole units it buys at the
    winner's own unit price (⌊saving ÷ unit price⌋), delivered on top of ``award_units``;
    ``null`` otherwise."""


class TenderReport(Record):
    """The competition for one sub-tendered lot."""

    lot: str
    contract: str
    competition: str
    """``fixed_price`` or ``price_quality``."""
    weights: dict[str, str]
    """The published criterion weights."""
    min_quality: str
    """The minimum quality score to qualify."""
    price_scoring: str | None
    """How prices were scored (``price_quality`` only)."""
    max_winners: int | None
    split: str
    saving: str
    """Where savings go: ``more_units`` or ``other_winners``."""
    bids: list[BidEvaluation]
    """Qualified bids in rank order, then the others by member id."""
    winners: list[str]
    """Members awarded a share of the lot, in rank order."""
    savings: list[SavingTransfer]
    decisions: list[str]
    """The competition's decisions in words: who won what and why, winners added for capacity,
    work a side-constraint moved down the ranking."""


class CashFlowMember(Record):
    """One member's peak working capital in the cash-flow forecast."""

    member: str
    size_band: str
    awards: Money
    """Its awards."""
    full_cost: Money
    """Its full cost of delivering them."""
    peak_need: Money
    """Its peak working capital: exact, rounded up to the penny."""
    peak_month: int | None
    """The first month (1: the first month of delivery) the peak occurs in; null: never short."""
    reserves: Money | None
    """Its declared reserves."""
    limit: Money | None
    """``cash_flow.reserves_flag_share`` × its reserves, rounded down to the penny."""
    flagged: bool
    """Whether its peak is above that limit (or it needs working capital and declares no
    reserves)."""


class CashFlowReport(Record):
    """The cash-flow forecast of the allocation, in short (the months: ``money_over_time``)."""

    horizon: int
    """Months forecast: the longest term plus the last payments' delays."""
    members: list[CashFlowMember]
    """Every member with an award, by id."""
    hub_peak_need: Money
    """The hub's peak working capital."""
    hub_peak_month: int | None
    hub_advance_cost: Money
    """How much the hub's advances to members raise its peak."""
    flagged: list[str]
    """The members flagged, by id."""


class AwardCost(Record):
    """One award on a capacity that declares its full cost."""

    member: str
    lot: str
    contract: str
    award: Money
    full_cost: Money
    """The award × the full cost of a pound (``cost_ratio``, or ``unit_cost`` over what a unit
    pays the members), rounded up to the penny."""
    surplus: Money
    """Award less full cost when it covers it (0 otherwise)."""
    subsidy: Money
    """Full cost less award when it does not: what the member would have to put in (0 when
    covered).  The margin is ``surplus − subsidy``."""
    covered: bool


class SocialValueRow(Record):
    """Where one contract's money goes (``contract`` = ``total``: every contract's)."""

    contract: str
    value: Money
    top_slice: Money
    hub_share: Decimal | None
    """Top-slice over value (six decimal places)."""
    awards: Money
    """The members' awards."""
    small_share: Decimal | None
    """Share of the awards to micro and small organisations (null: no awards)."""
    local_share: Decimal | None
    """Share to organisations based in the lot's area (``members[].based_in``)."""
    organisations: int
    """Members with an award."""
    targets_missed: list[str]
    """The ``policy.social_value`` targets this row misses, by name."""


class Audit(_Lazy):
    """The explanation of an allocation.

    ``pairs``, ``members`` and ``fingerprint`` may be held as a :class:`Deferred` until first
    read: a solve works them out only when they are read, dumped or compared, from the input and
    the awards it fixed, and they are the same either way.
    """

    _DEFERRED = ("pairs", "members", "fingerprint", "cash_flow", "full_cost", "social_value")

    @field_serializer("pairs")
    def _pairs(self, value: Any) -> PairTable:
        return self.pairs

    @field_serializer("members")
    def _members(self, value: Any) -> list[MemberSummary]:
        return self.members

    @field_serializer("fingerprint")
    def _fingerprint(self, value: Any) -> str:
        return self.fingerprint

    @field_serializer("cash_flow")
    def _cash_flow(self, value: Any) -> CashFlowReport | None:
        return self.cash_flow

    @field_serializer("full_cost")
    def _full_cost(self, value: Any) -> list[AwardCost] | None:
        return self.full_cost

    @field_serializer("social_value")
    def _social_value(self, value: Any) -> list[SocialValueRow] | None:
        return self.social_value

    pairs: PairTable
    members: list[MemberSummary]
    metrics: FairnessMetrics
    solver: SolverInfo
    checks: list[Check]
    fingerprint: str
    """SHA-256 of the input problem's canonical JSON."""
    versions: dict[str, str]
    """Library versions that produced the allocation."""
    rounding: str
    """The rounding method used for pence and units."""
    constraints: list[ConstraintReport] = Field(default_factory=list)
    """Every side-constraint row, binding or not."""
    decisions: list[str] = Field(default_factory=list)
    """Sub-contracts not made (minimum award) or kept (providers per area), and why."""
    prices: list[ConstraintPrice] = Field(default_factory=list)
    """The price of each side-constraint in fairness terms (when computed)."""
    # an allocation without a sub-tendered lot is written exactly as before the field existed
    tenders: list[TenderReport] = Field(
        default_factory=list,
        exclude_if=lambda tenders: not tenders,
        json_schema_extra={"description": "Written only when the problem has a sub-tendered lot."},
    )
    """The competition of each sub-tendered lot; written only when there is one."""
    # money over time: each written only when the problem uses it, so other outputs are unchanged
    cash_flow: CashFlowReport | None = Field(
        default=None,
        exclude_if=lambda report: report is None,
        json_schema_extra={
            "description": "Written only when the problem has cash_flow terms or "
            "policy.max_reserves_share."
        },
    )
    """Each member's peak working capital; written only when the problem forecasts cash flow."""
    full_cost: list[AwardCost] | None = Field(
        default=None,
        exclude_if=lambda costs: costs is None,
        json_schema_extra={
            "description": "Written only when a capacity declares a full cost or the policy "
            "asks for full-cost recovery."
        },
    )
    """Each award's full cost and margin; written only when a capacity declares a full cost."""
    social_value: list[SocialValueRow] | None = Field(
        default=None,
        exclude_if=lambda rows: rows is None,
        json_schema_extra={
            "description": "Written only when the policy sets social_value targets or a member "
            "gives based_in."
        },
    )
    """Per contract and in total, where the money goes; written only when asked for."""

    def __repr__(self) -> str:
        passed = sum(c.passed for c in self.checks)
        return (
            f"Audit({len(self.members)} members, {len(self.pairs)} pairs, "
            f"{passed}/{len(self.checks)} checks passed, method={self.solver.method})"
        )

    def _repr_html_(self) -> str:
        """Rich display in Jupyter: fairness metrics, checks and member–lot pairs."""
        return present.render(present.AUDIT_HTML, self)


def awards_frame(awards: Sequence[Award], money: MoneyAs = "float") -> pd.DataFrame:
    """Awards as a DataFrame, one row each (member, lot, contract, amount, units).

    ``money`` as every table of ``allocate`` (:mod:`allocate.core.frames`).
    """
    table = frame(
        {
            "member": [a.member for a in awards],
            "lot": [a.lot for a in awards],
            "contract": [a.contract for a in awards],
            "amount": [a.amount for a in awards],
            "units": nullable_ints([a.units for a in awards]),
        }
    )
    return numeric(table, money, pounds=["amount"])


class Allocation(_Lazy):
    """The answer: status, top-slice per contract, awards and the audit.

    The ``certificate`` may be held as a :class:`Deferred` until it is first read (as an
    attribute, in a dump or JSON, a comparison, a copy or a pickle): the same certificate either
    way, made once; a caller who never reads it never pays for it.
    """

    _DEFERRED = ("certificate",)

    @field_serializer("certificate")
    def _certificate(self, value: Any) -> Certificate | None:
        return self.certificate

    format_version: Literal["1.2"] = FORMAT_VERSION
    """The version of the output format (:data:`FORMAT_VERSION`); first in the JSON."""
    status: Status
    problem_name: str = ""
    rule: str
    contracts: list[ContractResult]
    awards: list[Award]
    """One per eligible (member, lot) pair with a positive award, ordered by lot then member."""
    audit: Audit
    diagnosis: Diagnosis | None = None
    certificate: Certificate | None = None
    """The proof that the allocation is leximin-optimal, or that none exists, checkable without a
    solver (:func:`allocate.check_certificate`); None where the library issues none (see
    ``docs/certificates.md``)."""

    _timings: dict[str, float] = PrivateAttr(default_factory=dict)

    # Equality ignores the timings so that a JSON round-trip compares equal.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Allocation):
            return NotImplemented
        self._resolve()
        other._resolve()
        return self.__dict__ == other.__dict__

    __hash__ = None

    @property
    def timings(self) -> dict[str, float]:
        """Seconds spent in each stage of this run (not serialised)."""
        return dict(self._timings)

    def with_timings(self, timings: dict[str, float]) -> Allocation:
        """A copy of this allocation that carries the seconds each stage took (not serialised)."""
        timed = self.model_copy()
        timed._timings = dict(timings)
        return timed

    def raise_for_status(self) -> Allocation:
        """Return ``self`` when the status is ok, else raise; chainable.

        Raises
        ------
        InfeasibleError
            When the status is ``infeasible``.
        SolverError
            For any other status that is not ok.
        """
        if self.status.is_ok:
            return self
        if self.status is Status.INFEASIBLE:
            summary = self.diagnosis.summary if self.diagnosis else "infeasible"
            raise InfeasibleError(summary, self)
        detail = self.diagnosis.summary if self.diagnosis else self.audit.solver.status
        raise SolverError(f"status {self.status.value}: {detail}", self)

    # -- totals ------------------------------------------------------------------------

    @property
    def top_slice(self) -> Decimal:
        """The hub's total top-slice across contracts."""
        return sum((c.top_slice for c in self.contracts), Decimal(0))

    def award(self, member: str, lot: str | None = None) -> Decimal:
        """A member's award on one lot, or its total when no lot is given."""
        return sum(
            (a.amount for a in self.awards if a.member == member and (lot is None or a.lot == lot)),
            Decimal(0),
        )

    def explain(self, member: str, lot: str) -> str:
        """One member's award on one lot in a sentence, with the numbers.

        Raises ``KeyError`` when the pair is not in the problem.
        """
        t = self.audit.pairs
        for k in range(len(t)):
            if t.member[k] == member and t.lot[k] == lot:
                break
        else:
            raise KeyError(f"no member {member!r} on lot {lot!r} in this allocation")
        if not t.eligible[k]:
            return f"{member} on {lot}: {t.explanation[k]}"
        cap = t.capacity[k]
        units = f" ({t.award_units[k]} units)" if t.award_units[k] is not None else ""
        return (
            f"{member} on {lot}: award {format_money(t.award[k])}{units}; fair share under the "
            f"{self.rule} rule {format_money(t.fair_share[k])}; capacity "
            f"{format_money(cap) if cap is not None else 'none'}; bound by "
            f"{t.binding[k] or 'nothing'}. {t.explanation[k][:1].upper()}{t.explanation[k][1:]}."
        )

    # -- tables ------------------------------------------------------------------------

    def to_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """Awards as a DataFrame (one row per award).

        ``money`` gives the ``amount`` as ``float`` pounds (the default), whole ``pence``
        or exact ``decimal`` pounds, as every table of ``allocate`` does
        (:mod:`allocate.core.frames`).
        """
        return awards_frame(self.awards, money)

    def members_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """Per-member totals across the portfolio (``money`` as for :meth:`to_frame`)."""
        table = frame(
            [m.model_dump() for m in self.audit.members], columns=list(MemberSummary.model_fields)
        )
        numeric(
            table,
            money,
            pounds=["capacity", "award"],
            fine=["fair_share", "top_slice_contribution"],
            numbers=["share_of_awards"],
        )
        return table.set_index("member")

    def pairs_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """Every (member, lot) pair: eligibility, capacity, fair share, award, binding condition.

        ``money`` as for :meth:`to_frame`; under ``pence`` the fair share, kept to 1/10,000
        of a penny, is ``float64`` pence.
        """
        check_money(money)
        table = frame(self.audit.pairs.model_dump())
        table["capacity_units"] = nullable_ints(self.audit.pairs.capacity_units)
        table["award_units"] = nullable_ints(self.audit.pairs.award_units)
        table["reasons"] = [", ".join(r) for r in self.audit.pairs.reasons]
        return numeric(
            table,
            money,
            pounds=["capacity", "award"],
            fine=["fair_share"],
            numbers=["shadow_price"],
        )

    def eligibility_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """Eligibility of every (member, lot) pair with the reasons, in codes and words.

        It holds no money; ``money`` is accepted (and checked) like every table's.
        """
        table = self.pairs_frame(money=money)
        return table[["member", "lot", "contract", "eligible", "reasons", "explanation"]]

    def contracts_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """Per-contract split between hub and members (``money`` as for :meth:`to_frame`)."""
        check_money(money)
        rows = [c.model_dump(exclude={"steps", "lot_top_slices"}) for c in self.contracts]
        columns = [f for f in ContractResult.model_fields if f not in ("steps", "lot_top_slices")]
        table = frame(rows, columns=columns)
        numeric(
            table,
            money,
            pounds=["value", "top_slice", "members_total", "under_funded"],
            numbers=["rate", "effective_rate"],
        )
        return table.set_index("id")

    def tenders_frame(self, *, money: MoneyAs = "float") -> pd.DataFrame:
        """Every bid of every sub-tendered lot: scores, total, rank, qualification and award.

        One row per bid, lot by lot in the order of :attr:`Audit.tenders` (qualified bids in
        rank order, then the others by member id); no rows when no lot is sub-tendered.  The
        scores, ``total`` and ``gap`` are numbers (six decimal places; ``NaN``/``None`` when not
        scored), ``price``, ``capacity`` and ``award`` money (``money`` as for :meth:`to_frame`);
        ``winner`` says whether the bid won a share, ``reasons`` why it did not qualify.
        """
        check_money(money)
        scores = ["quality", "social_value", "impact", "capacity_score", "price_score"]
        columns = [
            "lot",
            "contract",
            "member",
            "rank",
            "qualified",
            "winner",
            *scores,
            "total",
            "gap",
            "price",
            "capacity",
            "award",
            "abnormally_low",
            "reasons",
        ]
        rows = []
        for t in self.audit.tenders:
            won = set(t.winners)
            for b in t.bids:
                given = [b.scores.get(c) for c in ("quality", "social_value", "impact")]
                given += [b.scores.get("capacity"), b.scores.get("price")]
                rows.append(
                    [
                        t.lot,
                        t.contract,
                        b.member,
                        b.rank,
                        b.qualified,
                        b.member in won,
                        *(Decimal(x) if x is not None else None for x in given),
                        Decimal(b.total),
                        Decimal(b.gap) if b.gap is not None else None,
                        b.price,
                        b.capacity,
                        b.award,
                        b.abnormally_low,
                        "; ".join(b.reasons),
                    ]
                )
        table = frame(rows, columns=columns)
        table["rank"] = nullable_ints([t.rank for r in self.audit.tenders for t in r.bids])
        return numeric(
            table,
            money,
            pounds=["price", "capacity", "award"],
            numbers=[*scores, "total", "gap"],
        )

    # -- reports -----------------------------------------------------------------------

    def to_markdown(self) -> str:
        """The audit as a readable Markdown report."""
        return present.render(present.ALLOCATION_MARKDOWN, self)

    def summary(self) -> str:
        """A few lines for a terminal."""
        return present.render(present.ALLOCATION_TEXT, self)

    def _repr_html_(self) -> str:
        """Rich display in Jupyter: status badge, contracts, members and fairness."""
        return present.render(present.ALLOCATION_HTML, self)

    def __repr__(self) -> str:
        members = len({a.member for a in self.awards})
        return (
            f"Allocation(status={self.status.value}, rule={self.rule}, "
            f"contracts={len(self.contracts)}, awards={len(self.awards)} to {members} members, "
            f"top_slice={self.top_slice})"
        )

    def __str__(self) -> str:
        return self.__repr__()
