"""What-ifs and sweeps: named changes to a problem, solved side by side, on any executor.

A :class:`Scenario` is a name and a list of **changes**, each a small, immutable, picklable
record made by a helper below.  :meth:`Scenario.apply` returns a *validated copy* of a problem
with the changes made, in order; the problem itself is never touched, and a scenario with no
change returns a problem equal to the one given.  An invalid change raises
:class:`ScenarioError`, which names the scenario, the change and the offending value.

=================================  ===============================================================
helper                             change
=================================  ===============================================================
:func:`set_top_slice`              the top-slice method or rates (``method="glide_path"`` ...)
:func:`set_policy`                 the rule, a threshold or a side-constraint (``None`` = off)
:func:`set_hub`                    the hub (its ``annual_cost``)
:func:`add_member`                 a member joins, with its capacities
:func:`remove_member`              a member leaves (its capacities and exclusions go with it)
:func:`update_member`              any field of a member (income, reporting compliance ...)
:func:`set_quality`                a member's quality score and/or QA result
:func:`scale_capacity`             a member's capacity, on every lot or one, times a factor
:func:`set_capacity`               a member's capacity on one lot, set (or declared)
:func:`scale_contract`             a contract grows or shrinks (every lot times a factor)
:func:`update_contract`            any other field of a contract (its ``year`` ...)
=================================  ===============================================================

:func:`sweep` solves many scenarios, in the calling process or on any
:class:`concurrent.futures.Executor` (a process pool, or a Dask cluster through
``client.get_executor()``); results come back in the order of the scenarios and are identical
whichever executor ran them.  :func:`compare` turns a sweep into a tidy DataFrame with the
differences from a baseline.  Three analyses are built on them: :func:`glide_path`,
:func:`sensitivity` and :func:`constraint_prices`.

Examples
--------
>>> from allocate.examples import demo_problem
>>> problem = demo_problem()
>>> joins = Scenario("Luton Youth doubles its capacity", [scale_capacity("luton-youth", 2)])
>>> frame = compare(problem, [joins])
>>> row = frame.query("scenario != 'baseline' and measure == 'award' and item == 'luton-youth'")
>>> print(row[["value", "baseline", "change"]].to_string(index=False))
   value baseline   change
57345.13 32079.21 25265.92
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import math
import os
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel

from allocate.core.errors import AllocateError, ProblemError
from allocate.core.model import Contract, Hub, Member, Policy, Problem, TopSlicePolicy
from allocate.core.outcome import Allocation, Status
from allocate.pipeline.solve import solve

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Change",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "add_member",
    "compare",
    "constraint_prices",
    "glide_path",
    "remove_member",
    "scale_capacity",
    "scale_contract",
    "sensitivity",
    "set_capacity",
    "set_hub",
    "set_policy",
    "set_quality",
    "set_top_slice",
    "sweep",
    "update_contract",
    "update_member",
]

_PENNY = Decimal("0.01")
_Q6 = Decimal("0.000001")


# -- errors --------------------------------------------------------------------------------


class ScenarioError(AllocateError, ValueError):
    """A scenario could not be applied: names the scenario, the change and the value.

    Attributes
    ----------
    scenario
        The scenario's name.
    position
        Which change failed, counting from 1 (0 when the scenario itself is malformed).
    change
        The failing change, as the call that made it (``"scale_capacity('a', -1)"``).
    reason
        What is wrong, in words.
    value
        The offending value, when there is one.

    Examples
    --------
    >>> print(ScenarioError("drop", 1, "remove_member('x')", "unknown member", "x"))
    scenario 'drop', change 1 remove_member('x'): unknown member [value: 'x']
    """

    def __init__(
        self, scenario: str, position: int, change: str, reason: str, value: Any = None
    ) -> None:
        self.scenario = scenario
        self.position = position
        self.change = change
        self.reason = reason
        self.value = value
        where = f"scenario {scenario!r}"
        if position:
            where += f", change {position} {change}"
        text = f"{where}: {reason}"
        if value is not None:
            text += f" [value: {value!r}]"
        super().__init__(text)

    def __reduce__(self) -> tuple[Any, ...]:  # picklable across processes and Dask workers
        return (type(self), (self.scenario, self.position, self.change, self.reason, self.value))


class _ChangeError(Exception):
    """Raised inside a change; :meth:`Scenario.apply` adds the scenario and the position."""

    def __init__(self, reason: str, value: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.value = value


# -- frozen keyword arguments --------------------------------------------------------------


class _FrozenMap(tuple[tuple[str, Any], ...]):
    """A dict stored as sorted ``(key, value)`` pairs, so that changes stay hashable."""

    __slots__ = ()


def _freeze(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _freeze(value.model_dump())
    if isinstance(value, Mapping):
        return _FrozenMap(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, _FrozenMap):
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _call(name: str, *args: Any, **kwargs: Any) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _factor(value: Any, *, allow_zero: bool) -> Decimal:
    """A scale factor as an exact Decimal (floats via their shortest repr: 1.1 is 1.1)."""
    if isinstance(value, bool):
        raise _ChangeError("the factor must be a number", value)
    try:
        factor = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise _ChangeError("the factor must be a number", value) from None
    if not factor.is_finite() or factor < 0 or (factor == 0 and not allow_zero):
        need = "zero or more" if allow_zero else "more than zero"
        raise _ChangeError(f"the factor must be finite and {need}", value)
    return factor


def _find(items: list[dict[str, Any]], ident: str, what: str) -> dict[str, Any]:
    for item in items:
        if item["id"] == ident:
            return item
    known = ", ".join(repr(i["id"]) for i in items[:8])
    more = ", ..." if len(items) > 8 else ""
    raise _ChangeError(f"unknown {what} (known: {known}{more})", ident)


def _check_fields(model: type[BaseModel], fields: Iterable[str], what: str) -> None:
    for name in fields:
        if name not in model.model_fields:
            raise _ChangeError(
                f"{what} has no field {name!r} (fields: {', '.join(model.model_fields)})", name
            )


# -- changes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change(ABC):
    """Base of every change: an immutable, picklable record of one edit to a problem."""

    kind: ClassVar[str] = "change"

    @abstractmethod
    def apply_to(self, data: dict[str, Any]) -> None:
        """Make the change in ``data`` (a problem's ``model_dump()``), in place."""

    def __str__(self) -> str:
        return self.kind


@dataclass(frozen=True, slots=True)
class _SetFields(Change):
    """Replace fields of one top-level part of the problem (``top_slice``, ``policy``, ``hub``)."""

    fields: _FrozenMap
    target: ClassVar[str] = ""
    model: ClassVar[type[BaseModel]] = BaseModel

    def apply_to(self, data: dict[str, Any]) -> None:
        values = _thaw(self.fields)
        _check_fields(self.model, values, self.target.replace("_", "-"))
        data[self.target] = {**data[self.target], **values}

    def __str__(self) -> str:
        return _call(self.kind, **_thaw(self.fields))


@dataclass(frozen=True, slots=True)
class SetTopSlice(_SetFields):
    """Change the top-slice policy (made by :func:`set_top_slice`)."""

    kind: ClassVar[str] = "set_top_slice"
    target: ClassVar[str] = "top_slice"
    model: ClassVar[type[BaseModel]] = TopSlicePolicy


@dataclass(frozen=True, slots=True)
class SetPolicy(_SetFields):
    """Change the allocation policy (made by :func:`set_policy`)."""

    kind: ClassVar[str] = "set_policy"
    target: ClassVar[str] = "policy"
    model: ClassVar[type[BaseModel]] = Policy


@dataclass(frozen=True, slots=True)
class SetHub(_SetFields):
    """Change the hub (made by :func:`set_hub`)."""

    kind: ClassVar[str] = "set_hub"
    target: ClassVar[str] = "hub"
    model: ClassVar[type[BaseModel]] = Hub


@dataclass(frozen=True, slots=True)
class AddMember(Change):
    """A member joins, with its capacities (made by :func:`add_member`)."""

    member: _FrozenMap
    capacities: tuple[_FrozenMap, ...] = ()
    kind: ClassVar[str] = "add_member"

    def apply_to(self, data: dict[str, Any]) -> None:
        member = _thaw(self.member)
        ident = member.get("id")
        if not isinstance(ident, str):
            raise _ChangeError("the new member needs a string 'id'", ident)
        if any(m["id"] == ident for m in data["members"]):
            raise _ChangeError("a member with this id already exists", ident)
        lots = {lot["id"] for c in data["contracts"] for lot in c["lots"]}
        caps = [{"member": ident, **_thaw(c)} for c in self.capacities]
        for cap in caps:
            if cap["member"] != ident:
                raise _ChangeError("a capacity of the new member names another member", cap)
            if cap.get("lot") is not None and cap["lot"] not in lots:
                raise _ChangeError("capacity on an unknown lot", cap["lot"])
        data["members"] = [*data["members"], member]
        data["capacities"] = [*data["capacities"], *caps]

    def __str__(self) -> str:
        ident = dict(self.member).get("id")
        lots = [dict(c).get("lot") or dict(c).get("theme") for c in self.capacities]
        return _call(self.kind, ident, capacities=lots)


@dataclass(frozen=True, slots=True)
class RemoveMember(Change):
    """A member leaves (made by :func:`remove_member`)."""

    member: str
    kind: ClassVar[str] = "remove_member"

    def apply_to(self, data: dict[str, Any]) -> None:
        _find(data["members"], self.member, "member")
        data["members"] = [m for m in data["members"] if m["id"] != self.member]
        data["capacities"] = [c for c in data["capacities"] if c["member"] != self.member]
        policy = data["policy"]
        exclusions = [e for e in policy["exclusions"] if e["member"] != self.member]
        data["policy"] = {**policy, "exclusions": exclusions}

    def __str__(self) -> str:
        return _call(self.kind, self.member)


@dataclass(frozen=True, slots=True)
class UpdateMember(Change):
    """Replace fields of a member (made by :func:`update_member` and :func:`set_quality`)."""

    member: str
    fields: _FrozenMap
    label: str = "update_member"
    kind: ClassVar[str] = "update_member"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = _thaw(self.fields)
        _check_fields(Member, values, "a member")
        if "id" in values:
            raise _ChangeError("a member's id cannot be changed (remove and add instead)")
        found = _find(data["members"], self.member, "member")
        data["members"] = [{**m, **values} if m is found else m for m in data["members"]]

    def __str__(self) -> str:
        return _call(self.label, self.member, **_thaw(self.fields))


@dataclass(frozen=True, slots=True)
class ScaleCapacity(Change):
    """A member's capacities times a factor (made by :func:`scale_capacity`)."""

    member: str
    factor: Any
    lot: str | None = None
    kind: ClassVar[str] = "scale_capacity"

    def apply_to(self, data: dict[str, Any]) -> None:
        factor = _factor(self.factor, allow_zero=True)
        _find(data["members"], self.member, "member")
        out = []
        hit = False
        for cap in data["capacities"]:
            if cap["member"] == self.member and (self.lot is None or cap["lot"] == self.lot):
                hit = True
                cap = dict(cap)
                if cap["amount"] is not None:
                    cap["amount"] = (cap["amount"] * factor).quantize(_PENNY, ROUND_HALF_EVEN)
                if cap["units"] is not None:
                    units = (Decimal(cap["units"]) * factor).quantize(1, ROUND_HALF_EVEN)
                    cap["units"] = int(units)
            out.append(cap)
        if not hit:
            where = f" on lot {self.lot!r}" if self.lot is not None else ""
            raise _ChangeError(f"member {self.member!r} declares no capacity{where}", self.lot)
        data["capacities"] = out

    def __str__(self) -> str:
        extra = {} if self.lot is None else {"lot": self.lot}
        return _call(self.kind, self.member, self.factor, **extra)


@dataclass(frozen=True, slots=True)
class SetCapacity(Change):
    """A member's capacity on one lot, replaced or declared (made by :func:`set_capacity`)."""

    member: str
    lot: str
    amount: Any = None
    units: int | None = None
    kind: ClassVar[str] = "set_capacity"

    def apply_to(self, data: dict[str, Any]) -> None:
        _find(data["members"], self.member, "member")
        if not any(lot["id"] == self.lot for c in data["contracts"] for lot in c["lots"]):
            raise _ChangeError("unknown lot", self.lot)
        new = {"member": self.member, "lot": self.lot, "amount": self.amount, "units": self.units}
        caps = [c for c in data["capacities"] if (c["member"], c["lot"]) != (self.member, self.lot)]
        data["capacities"] = [*caps, new]

    def __str__(self) -> str:
        what = {"amount": self.amount} if self.units is None else {"units": self.units}
        return _call(self.kind, self.member, self.lot, **what)


@dataclass(frozen=True, slots=True)
class ScaleContract(Change):
    """A contract grows or shrinks: every lot times a factor (made by :func:`scale_contract`)."""

    contract: str
    factor: Any
    kind: ClassVar[str] = "scale_contract"

    def apply_to(self, data: dict[str, Any]) -> None:
        factor = _factor(self.factor, allow_zero=False)
        found = _find(data["contracts"], self.contract, "contract")
        lots = []
        for lot in found["lots"]:
            lot = dict(lot)
            price = lot["unit_price"]
            if price:
                # whole units stay whole: scale the units, then price them
                units = (lot["value"] / price * factor).quantize(1, ROUND_HALF_EVEN)
                lot["value"] = units * price
            else:
                lot["value"] = (lot["value"] * factor).quantize(_PENNY, ROUND_HALF_EVEN)
            lots.append(lot)
        total = sum((lot["value"] for lot in lots), Decimal(0))
        if total == 0:
            raise _ChangeError("the factor leaves the contract with no value", self.factor)
        data["contracts"] = [
            {**c, "lots": lots, "value": total} if c is found else c for c in data["contracts"]
        ]

    def __str__(self) -> str:
        return _call(self.kind, self.contract, self.factor)


@dataclass(frozen=True, slots=True)
class UpdateContract(Change):
    """Replace fields of a contract (made by :func:`update_contract`)."""

    contract: str
    fields: _FrozenMap
    kind: ClassVar[str] = "update_contract"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = _thaw(self.fields)
        _check_fields(Contract, values, "a contract")
        for name in ("id", "lots", "value"):
            if name in values:
                raise _ChangeError(
                    f"update_contract cannot change {name!r} (use scale_contract for the value)",
                    name,
                )
        found = _find(data["contracts"], self.contract, "contract")
        data["contracts"] = [{**c, **values} if c is found else c for c in data["contracts"]]

    def __str__(self) -> str:
        return _call(self.kind, self.contract, **_thaw(self.fields))


# -- change helpers ------------------------------------------------------------------------


def set_top_slice(**fields: Any) -> SetTopSlice:
    """Change the top-slice policy: ``method``, ``rate``, ``max_rate``, ``target_rate``, ...

    >>> str(set_top_slice(method="glide_path", target_year=3))
    "set_top_slice(method='glide_path', target_year=3)"
    """
    return SetTopSlice(_freeze(fields))


def set_policy(**fields: Any) -> SetPolicy:
    """Change the allocation policy: ``rule``, a threshold, a side-constraint (``None``: off).

    >>> str(set_policy(quality_threshold=0.8))
    'set_policy(quality_threshold=0.8)'
    """
    return SetPolicy(_freeze(fields))


def set_hub(**fields: Any) -> SetHub:
    """Change the hub, e.g. ``set_hub(annual_cost="120000")``."""
    return SetHub(_freeze(fields))


def add_member(
    member: Member | Mapping[str, Any],
    capacities: Mapping[str, Any] | Iterable[Mapping[str, Any] | BaseModel] = (),
) -> AddMember:
    """A member joins.

    Parameters
    ----------
    member
        The new member: a :class:`~allocate.Member` or its fields as a dict.
    capacities
        Either ``{lot_id: pounds}`` or capacity records (dicts or
        :class:`~allocate.Capacity`, ``member`` optional) for units or pooled capacities.

    Examples
    --------
    >>> c = add_member({"id": "new", "annual_income": "40000", "quality_score": 0.8,
    ...                 "qa_passed": True, "reporting_compliance": 0.9}, {"l1": "500"})
    >>> str(c)
    "add_member('new', capacities=['l1'])"
    """
    data = member.model_dump() if isinstance(member, BaseModel) else dict(member)
    if isinstance(capacities, Mapping):
        records: list[Any] = [{"lot": lot, "amount": amount} for lot, amount in capacities.items()]
    else:
        records = [
            c.model_dump(exclude_none=True) if isinstance(c, BaseModel) else dict(c)
            for c in capacities
        ]
    return AddMember(_freeze(data), tuple(_freeze(r) for r in records))


def remove_member(member: str) -> RemoveMember:
    """A member leaves; its capacities and exclusions go with it."""
    return RemoveMember(member)


def update_member(member: str, **fields: Any) -> UpdateMember:
    """Replace fields of a member, e.g. ``update_member("a", reporting_compliance=0.95)``."""
    return UpdateMember(member, _freeze(fields))


def set_quality(
    member: str, score: float | None = None, *, qa_passed: bool | None = None
) -> UpdateMember:
    """A member's quality score and/or quality-assurance result changes.

    >>> str(set_quality("a", 0.9))
    "set_quality('a', quality_score=0.9)"
    """
    fields: dict[str, Any] = {}
    if score is not None:
        fields["quality_score"] = score
    if qa_passed is not None:
        fields["qa_passed"] = qa_passed
    return UpdateMember(member, _freeze(fields), label="set_quality")


def scale_capacity(member: str, factor: Any, lot: str | None = None) -> ScaleCapacity:
    """A member's declared capacity times ``factor``, on every lot or on ``lot`` only.

    Money is rounded to the penny and units to whole units (half to even).  ``0`` withdraws
    the capacity.

    >>> str(scale_capacity("a", 1.5))
    "scale_capacity('a', 1.5)"
    """
    return ScaleCapacity(member, factor, lot)


def set_capacity(
    member: str, lot: str, amount: Any = None, *, units: int | None = None
) -> SetCapacity:
    """A member's capacity on one lot, in pounds or (``units=``) whole units: replaced or new."""
    return SetCapacity(member, lot, None if amount is None else str(amount), units)


def scale_contract(contract: str, factor: Any) -> ScaleContract:
    """A contract grows or shrinks: every lot's value times ``factor``.

    Money lots are rounded to the penny; unit-priced lots to whole units at the same price.
    Capacities are unchanged (so a large enough growth makes the problem infeasible).

    >>> str(scale_contract("c1", "1.2"))
    "scale_contract('c1', '1.2')"
    """
    return ScaleContract(contract, factor)


def update_contract(contract: str, **fields: Any) -> UpdateContract:
    """Replace other fields of a contract, e.g. ``update_contract("c1", year=2)``."""
    return UpdateContract(contract, _freeze(fields))


# -- scenarios -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named set of changes to a problem.

    Parameters
    ----------
    name
        Shown in every result and error.
    changes
        The changes, applied in order.
    description
        Optional words for reports.

    Examples
    --------
    >>> from allocate.examples import example_dict
    >>> p = Problem.model_validate(example_dict())
    >>> Scenario("nothing").apply(p) == p
    True
    >>> s = Scenario("5%", [set_top_slice(rate="0.05")])
    >>> str(s.apply(p).top_slice.rate)
    '0.05'
    """

    name: str
    changes: Sequence[Change] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ScenarioError(str(self.name), 0, "", "a scenario needs a non-empty name")
        changes = tuple(self.changes)
        for k, change in enumerate(changes, 1):
            if not isinstance(change, Change):
                raise ScenarioError(
                    self.name,
                    k,
                    repr(change),
                    "not a change: make changes with set_policy(), scale_capacity() ...",
                    change,
                )
        object.__setattr__(self, "changes", changes)

    def apply(self, problem: Problem) -> Problem:
        """A validated copy of ``problem`` with the changes made (``problem`` is untouched).

        Raises
        ------
        ScenarioError
            When a change names something unknown, or leaves the problem invalid.
        """
        if not self.changes:
            return problem
        data = problem.model_dump()
        for k, change in enumerate(self.changes, 1):
            self._apply_one(data, k, change)
        try:
            return Problem.model_validate(data)
        except ProblemError as exc:
            raise self._blame(problem, exc) from None

    def _apply_one(self, data: dict[str, Any], k: int, change: Change) -> None:
        try:
            change.apply_to(data)
        except _ChangeError as exc:
            raise ScenarioError(self.name, k, str(change), exc.reason, exc.value) from None

    def _blame(self, problem: Problem, final: ProblemError) -> ScenarioError:
        """The first change after which the problem no longer validates."""
        data = problem.model_dump()
        for k, change in enumerate(self.changes, 1):
            self._apply_one(data, k, change)
            try:
                Problem.model_validate(data)
            except ProblemError as exc:
                return _invalid(self.name, k, str(change), exc)
        return _invalid(self.name, len(self.changes), str(self.changes[-1]), final)

    def __repr__(self) -> str:
        inner = "; ".join(str(c) for c in self.changes) or "no change"
        return f"Scenario({self.name!r}: {inner})"


def _invalid(name: str, k: int, change: str, exc: ProblemError) -> ScenarioError:
    first = exc.issues[0] if exc.issues else None
    reason = "the problem becomes invalid: " + "; ".join(
        f"{i.location}{f' (id {i.id!r})' if i.id else ''}: {i.message}" for i in exc.issues
    )
    return ScenarioError(name, k, change, reason, first.value if first else None)


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioResult:
    """What one scenario gave: compact, exact, and equal whichever executor computed it."""

    scenario: str
    """The scenario's name."""
    status: str
    """The allocation's status (``optimal``, ``infeasible`` ...) or ``invalid``."""
    awards: dict[str, Decimal] = field(default_factory=dict)
    """Each member's total award across contracts (every member, zero included)."""
    fair_shares: dict[str, Decimal] = field(default_factory=dict)
    """Each member's total fair share under the rule."""
    capacities: dict[str, Decimal] = field(default_factory=dict)
    """Each member's capacity on the lots it is eligible for."""
    contract_awards: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    """Positive awards by contract, then member."""
    top_slices: dict[str, Decimal] = field(default_factory=dict)
    """The hub's top-slice by contract."""
    rates: dict[str, Decimal] = field(default_factory=dict)
    """The effective top-slice rate by contract."""
    metrics: dict[str, Decimal | None] = field(default_factory=dict)
    """Totals and fairness metrics (see :data:`METRICS`)."""
    largest_member: str | None = None
    fingerprint: str = ""
    """SHA-256 of the scenario's problem."""
    error: str | None = None
    """Why the scenario is ``invalid``."""
    allocation: Allocation | None = None
    """The whole allocation, when the sweep was asked to keep it."""
    exception: ScenarioError | None = field(default=None, compare=False, repr=False)
    seconds: float = field(default=0.0, compare=False)
    """Wall time to apply and solve (not compared)."""

    @property
    def ok(self) -> bool:
        """Whether the scenario has a usable allocation."""
        return self.status == Status.OPTIMAL.value


#: The metrics of a :class:`ScenarioResult`, in the order :func:`compare` lists them.
METRICS: tuple[tuple[str, str], ...] = (
    ("total", "top_slice"),
    ("total", "awards"),
    ("total", "members_funded"),
    ("fairness", "min_ratio"),
    ("fairness", "max_ratio"),
    ("fairness", "gini"),
    ("fairness", "largest_member_share"),
    ("fairness", "moved_from_rule"),
)


def _summarise(
    name: str, problem: Problem, allocation: Allocation, keep: bool, seconds: float
) -> ScenarioResult:
    audit = allocation.audit
    by_contract: dict[str, dict[str, Decimal]] = {c.id: {} for c in allocation.contracts}
    for a in allocation.awards:
        row = by_contract[a.contract]
        row[a.member] = row.get(a.member, Decimal(0)) + a.amount
    ok = allocation.status.is_ok
    awards = {m.member: m.award for m in audit.members}
    mt = audit.metrics
    top = allocation.top_slice
    return ScenarioResult(
        scenario=name,
        status=allocation.status.value,
        awards=awards,
        fair_shares={m.member: m.fair_share for m in audit.members},
        capacities={m.member: m.capacity for m in audit.members},
        contract_awards=by_contract,
        top_slices={c.id: c.top_slice for c in allocation.contracts},
        rates={c.id: c.effective_rate for c in allocation.contracts},
        metrics={
            "top_slice": top,
            "awards": sum(awards.values(), Decimal(0)) if ok else None,
            "members_funded": Decimal(sum(1 for v in awards.values() if v > 0)) if ok else None,
            "min_ratio": mt.min_ratio,
            "max_ratio": mt.max_ratio,
            "gini": mt.gini,
            "largest_member_share": mt.largest_member_share,
            "moved_from_rule": mt.moved_from_rule,
        },
        largest_member=mt.largest_member,
        fingerprint=audit.fingerprint,
        allocation=allocation if keep else None,
        seconds=seconds,
    )


def _run_one(
    problem: Problem, scenario: Scenario, options: Mapping[str, Any], keep: bool
) -> ScenarioResult:
    t0 = time.perf_counter()
    try:
        changed = scenario.apply(problem)
    except ScenarioError as exc:
        return ScenarioResult(
            scenario=scenario.name,
            status="invalid",
            error=str(exc),
            exception=exc,
            seconds=time.perf_counter() - t0,
        )
    allocation = solve(changed, **options)
    return _summarise(scenario.name, changed, allocation, keep, time.perf_counter() - t0)


def _run_chunk(
    problem: Problem, scenarios: Sequence[Scenario], options: Mapping[str, Any], keep: bool
) -> list[ScenarioResult]:
    """Worker entry point: one task per chunk, so the problem is shipped once per chunk."""
    return [_run_one(problem, s, options, keep) for s in scenarios]


# -- progress ------------------------------------------------------------------------------

Progress = bool | None | Callable[[int, int], None]
#: Sweeps at least this long show a bar by default (when tqdm is installed and stderr is a TTY).
AUTO_PROGRESS_MIN = 200


class _Reporter:
    def __init__(self, progress: Progress, total: int) -> None:
        self.total = total
        self.done = 0
        self.callback: Callable[[int, int], None] | None = None
        self.bar: Any = None
        if callable(progress):
            self.callback = progress
            return
        want = progress
        if want is None:
            want = total >= AUTO_PROGRESS_MIN and sys.stderr.isatty()
        if not want:
            return
        try:
            tqdm = importlib.import_module("tqdm").tqdm
        except ImportError:
            if progress is None:
                return
            raise ImportError("progress bars need tqdm: pip install 'allocate[progress]'") from None
        self.bar = tqdm(total=total, desc="scenarios", unit="scenario", file=sys.stderr)

    def advance(self, n: int) -> None:
        self.done += n
        if self.callback is not None:
            self.callback(self.done, self.total)
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# -- sweeps --------------------------------------------------------------------------------

#: What :func:`sweep` passes to :func:`allocate.solve` unless ``solve_options`` says otherwise.
SWEEP_SOLVE_DEFAULTS: dict[str, Any] = {"diagnose": False, "price_constraints": False}


def _chunks(items: Sequence[Scenario], size: int) -> Iterator[list[Scenario]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def sweep(
    problem: Problem,
    scenarios: Iterable[Scenario],
    executor: cf.Executor | None = None,
    *,
    chunksize: int | None = None,
    progress: Progress = None,
    errors: Literal["raise", "record"] = "raise",
    keep_allocations: bool = False,
    solve_options: Mapping[str, Any] | None = None,
) -> list[ScenarioResult]:
    """Solve many scenarios of one problem; results in the order of ``scenarios``.

    Parameters
    ----------
    problem
        The problem every scenario changes.
    scenarios
        The scenarios (names need not be unique here; :func:`compare` requires it).
    executor
        ``None`` runs them one after another in this process.  Any
        :class:`concurrent.futures.Executor` runs them in chunks as its tasks: a
        ``ProcessPoolExecutor`` for the cores of one machine, or a Dask cluster through
        ``distributed.Client(...).get_executor()`` when one machine is not enough.  Each
        scenario is solved the same deterministic way wherever it runs, so the results are
        identical whichever executor ran them.
    chunksize
        Scenarios per task (executors only); by default about four tasks per core, at most 64
        scenarios each.
    progress
        ``True`` for a tqdm progress bar (``pip install 'allocate[progress]'``), ``False`` for
        none, a callable ``f(done, total)`` to report elsewhere; ``None`` (default) shows a bar
        for sweeps of 200 scenarios or more when tqdm is installed and stderr is a terminal.
    errors
        ``"raise"`` (default): an invalid scenario raises its :class:`ScenarioError`.
        ``"record"``: it comes back with status ``invalid`` and the error in words.
    keep_allocations
        Keep every scenario's whole :class:`~allocate.Allocation` (memory: one full audit each).
    solve_options
        Keyword arguments for :func:`allocate.solve` (``method``, ``time_limit`` ...).  Sweeps
        default to ``diagnose=False`` and ``price_constraints=False``: the extra solves that
        explain an infeasible problem or price its constraints are rarely wanted thousands of
        times (ask for them here, or use :func:`constraint_prices`).

    Returns
    -------
    list of ScenarioResult
        One per scenario, in order.

    Examples
    --------
    >>> from allocate.examples import demo_problem
    >>> results = sweep(demo_problem(), [Scenario(f"{r}%", [set_top_slice(rate=f"0.0{r}")])
    ...                                  for r in (5, 7, 9)])
    >>> [(r.scenario, str(r.metrics["top_slice"])) for r in results]
    [('5%', '61000.00'), ('7%', '85400.00'), ('9%', '109800.00')]
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"sweep() takes a Problem, not {type(problem).__name__}")
    if errors not in ("raise", "record"):
        raise ValueError(f"errors must be 'raise' or 'record', not {errors!r}")
    items = list(scenarios)
    for k, s in enumerate(items):
        if not isinstance(s, Scenario):
            raise TypeError(f"scenarios[{k}] is a {type(s).__name__}, not a Scenario")
    options: dict[str, Any] = {**SWEEP_SOLVE_DEFAULTS, **(solve_options or {})}
    reporter = _Reporter(progress, len(items))
    results: list[ScenarioResult] = []
    try:
        if executor is None:
            for s in items:
                result = _run_one(problem, s, options, keep_allocations)
                _check(result, errors)
                results.append(result)
                reporter.advance(1)
            return results
        if chunksize is None:
            chunksize = max(1, min(64, math.ceil(len(items) / (4 * (os.cpu_count() or 1)))))
        if chunksize < 1:
            raise ValueError(f"chunksize must be at least 1, not {chunksize}")
        chunks = list(_chunks(items, chunksize))
        futures = {
            executor.submit(_run_chunk, problem, chunk, options, keep_allocations): k
            for k, chunk in enumerate(chunks)
        }
        done: dict[int, list[ScenarioResult]] = {}
        try:
            for future in cf.as_completed(futures):
                chunk_results = future.result()
                for result in chunk_results:
                    _check(result, errors)
                done[futures[future]] = chunk_results
                reporter.advance(len(chunk_results))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return [r for k in range(len(chunks)) for r in done[k]]
    finally:
        reporter.close()


def _check(result: ScenarioResult, errors: str) -> None:
    if errors == "raise" and result.status == "invalid":
        if result.exception is not None:
            raise result.exception
        raise ScenarioError(result.scenario, 0, "", result.error or "invalid")  # pragma: no cover


# -- comparison ----------------------------------------------------------------------------

COMPARE_COLUMNS = ["scenario", "status", "measure", "item", "value", "baseline", "change"]


def compare(
    problem: Problem,
    scenarios: Iterable[Scenario],
    *,
    baseline: str | None = None,
    executor: cf.Executor | None = None,
    **sweep_options: Any,
) -> pd.DataFrame:
    """Solve scenarios and tabulate them against a baseline, as a tidy DataFrame.

    One row per scenario and quantity (``measure``, ``item``):

    ============  =====================  ====================================================
    measure       item                   value
    ============  =====================  ====================================================
    award         a member id            its total award across contracts (£)
    top_slice     a contract id          the hub's top-slice of the contract (£)
    total         ``top_slice``,         the hub's total, the members' total, how many
                  ``awards``,            members receive anything
                  ``members_funded``
    fairness      ``min_ratio``, ...     the audit's fairness metrics
    ============  =====================  ====================================================

    ``value``, ``baseline`` and ``change`` (value − baseline) are exact ``Decimal`` (use
    ``.astype(float)`` to plot); a member absent from one side (joined or left) counts £0 there;
    values of a scenario with no allocation (``status`` not ``optimal``) are missing.

    Parameters
    ----------
    problem
        The problem.
    scenarios
        Scenarios with unique names.
    baseline
        The name of the scenario to compare against; by default the unchanged problem, added
        as a scenario named ``"baseline"``.
    executor, **sweep_options
        As for :func:`sweep`.

    Examples
    --------
    >>> from allocate.examples import demo_problem
    >>> f = compare(demo_problem(), [Scenario("5%", [set_top_slice(rate="0.05")])])
    >>> totals = f.query("scenario == '5%' and measure == 'total'")
    >>> print(totals[["item", "value", "change"]].to_string(index=False))
              item      value    change
         top_slice   61000.00 -61000.00
            awards 1159000.00  61000.00
    members_funded          8         0
    """
    items = list(scenarios)
    if baseline is None:
        items = [Scenario("baseline"), *items]
        baseline = "baseline"
    names = [s.name for s in items]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"scenario names must be unique in a comparison; repeated: {dupes}")
    if baseline not in names:
        raise ValueError(f"no scenario is named {baseline!r} (the baseline)")
    results = sweep(problem, items, executor, **sweep_options)
    base = results[names.index(baseline)]
    return _tidy(results, base)


def _quantities(r: ScenarioResult) -> dict[tuple[str, str], Decimal | None]:
    out: dict[tuple[str, str], Decimal | None] = {}
    for member, amount in r.awards.items():
        out["award", member] = amount if r.ok else None
    for contract, amount in r.top_slices.items():
        out["top_slice", contract] = amount if r.ok else None
    for key in METRICS:
        out[key] = r.metrics.get(key[1]) if r.ok else None
    return out


def _tidy(results: list[ScenarioResult], base: ScenarioResult) -> pd.DataFrame:
    import pandas as pd

    base_q = _quantities(base)
    order: dict[tuple[str, str], int] = {}
    per: list[dict[tuple[str, str], Decimal | None]] = []
    for r in results:
        q = _quantities(r)
        per.append(q)
        for key in q:
            order.setdefault(key, len(order))
    measures = {"award": 0, "top_slice": 1, "total": 2, "fairness": 3}
    keys = sorted(order, key=lambda k: (measures[k[0]], order[k]))
    rows = []
    for r, q in zip(results, per, strict=True):
        for key in keys:
            if r.status == "invalid":
                continue
            absent_is_zero = key[0] in ("award", "top_slice")
            value = q.get(key, Decimal(0) if absent_is_zero and r.ok else None)
            ref = base_q.get(key, Decimal(0) if absent_is_zero and base.ok else None)
            change = value - ref if value is not None and ref is not None else None
            rows.append((r.scenario, r.status, key[0], key[1], value, ref, change))
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


# -- built-in analyses ---------------------------------------------------------------------


def _annual(amount: Decimal, years: int) -> Decimal:
    return (amount / years).quantize(_PENNY, ROUND_HALF_EVEN)


def glide_path(
    problem: Problem,
    contract: str | None = None,
    *,
    target_year: int | None = None,
    max_rate: Any = None,
    target_rate: Any = None,
    executor: cf.Executor | None = None,
    **sweep_options: Any,
) -> pd.DataFrame:
    """The top-slice glide path over a contract's years, and what it means for each member.

    Solves the problem once per contract year with the ``glide_path`` top-slice method (from
    ``max_rate`` in year 1 to ``target_rate`` by ``target_year``, the last year of the term by
    default) and reports, for the hub and for every member funded by the contract, the
    **income in that year** (the award over the term divided by the term, to the penny) and
    its change from year 1.

    Parameters
    ----------
    problem
        The problem; its top-slice policy's rates are kept unless given here.
    contract
        The contract id; by default the one with the longest term.
    target_year
        The year by which the rate reaches ``target_rate``.
    max_rate, target_rate
        Override the policy's rates (e.g. ``"0.10"`` and ``"0.05"``).
    executor, **sweep_options
        As for :func:`sweep`.

    Returns
    -------
    pandas.DataFrame
        Columns ``year``, ``rate`` (the contract's effective rate), ``party`` (``hub`` or a
        member id), ``role`` (``hub``/``member``), ``income``, ``change`` (from year 1) and
        ``status``.

    Examples
    --------
    >>> from allocate.examples import demo_problem
    >>> g = glide_path(demo_problem(), "advice-2026")
    >>> print(g[g.party == "hub"][["year", "rate", "income", "change"]].to_string(index=False))
     year     rate   income   change
        1 0.100000 16000.00     0.00
        2 0.075000 12000.00 -4000.00
        3 0.050000  8000.00 -8000.00
    """
    import pandas as pd

    if contract is None:
        chosen = max(problem.contracts, key=lambda c: c.term_years)
    else:
        matches = [c for c in problem.contracts if c.id == contract]
        if not matches:
            known = ", ".join(repr(c.id) for c in problem.contracts)
            raise ValueError(f"unknown contract {contract!r} (known: {known})")
        chosen = matches[0]
    term = chosen.term_years
    policy: dict[str, Any] = {"method": "glide_path", "target_year": target_year or term}
    if max_rate is not None:
        policy["max_rate"] = max_rate
    if target_rate is not None:
        policy["target_rate"] = target_rate
    scenarios = [
        Scenario(f"year {y}", [set_top_slice(**policy), update_contract(chosen.id, year=y)])
        for y in range(1, term + 1)
    ]
    results = sweep(problem, scenarios, executor, **sweep_options)
    members = sorted(
        {m for r in results for m, v in r.contract_awards.get(chosen.id, {}).items() if v > 0}
    )
    rows: list[tuple[Any, ...]] = []
    first: dict[str, Decimal] = {}
    for y, r in enumerate(results, 1):
        parties = [("hub", "hub", r.top_slices.get(chosen.id))]
        awards = r.contract_awards.get(chosen.id, {})
        parties += [(m, "member", awards.get(m, Decimal(0))) for m in members]
        for party, role, amount in parties:
            income = _annual(amount, term) if amount is not None and r.ok else None
            if y == 1 and income is not None:
                first[party] = income
            change = income - first[party] if income is not None and party in first else None
            rows.append((y, r.rates.get(chosen.id), party, role, income, change, r.status))
    return pd.DataFrame(
        rows, columns=["year", "rate", "party", "role", "income", "change", "status"]
    )


def sensitivity(
    problem: Problem,
    members: Sequence[str] | None = None,
    *,
    capacity_factors: Sequence[Any] = ("0.8", "0.9", "1.1", "1.2"),
    quality_deltas: Sequence[float] = (-0.1, -0.05, 0.05, 0.1),
    executor: cf.Executor | None = None,
    **sweep_options: Any,
) -> pd.DataFrame:
    """How each member's award responds to its own capacity and quality score.

    For every member (by default every member that declared capacity) the problem is solved
    with that member's capacity times each factor, and with its quality score moved by each
    delta (kept within 0 and 1).  A score moved across the policy's ``quality_threshold``
    shows up as an award falling to zero (or rising from it).

    Returns
    -------
    pandas.DataFrame
        One row per member and step: ``member``, ``parameter`` (``capacity`` or
        ``quality_score``), ``step`` (the factor or delta), ``base`` and ``value`` (the
        parameter before and after: capacity in £, or the score), ``status``, ``award_base``,
        ``award``, ``change`` and ``elasticity`` — the relative change of the award over the
        relative change of the parameter (missing when the base award is zero).

    Examples
    --------
    >>> from allocate.examples import demo_problem
    >>> s = sensitivity(demo_problem(), ["luton-youth"], capacity_factors=["1.1"],
    ...                 quality_deltas=[-0.05])
    >>> print(s[["parameter", "step", "award_base", "award", "elasticity"]].to_string(index=False))
        parameter  step award_base    award elasticity
         capacity   1.1   32079.21 34872.80   0.870841
    quality_score -0.05   32079.21     0.00  14.800000

    Luton Youth Voice's score of 0.74 less 0.05 falls below the demo's quality threshold of 0.7,
    so it loses its award: a large elasticity flags a threshold crossed.
    """
    import pandas as pd

    declared = {c.member for c in problem.capacities}
    chosen = (
        [m.id for m in problem.members if m.id in declared] if members is None else list(members)
    )
    index = problem.member_index
    for m in chosen:
        if m not in index:
            raise ValueError(f"unknown member {m!r}")
    plan: list[tuple[str, str, Any, Decimal, Decimal]] = []
    scenarios = [Scenario("baseline")]
    base_capacity = _declared_capacity(problem)
    for m in chosen:
        for f in capacity_factors:
            factor = _factor_or_raise(f)
            scenarios.append(Scenario(f"{m}: capacity x{f}", [scale_capacity(m, f)]))
            cap = base_capacity.get(m, Decimal(0))
            plan.append((m, "capacity", f, cap, (cap * factor).quantize(_PENNY)))
        q = Decimal(repr(index[m].quality_score))
        for d in quality_deltas:
            new = min(Decimal(1), max(Decimal(0), q + Decimal(repr(d))))
            scenarios.append(Scenario(f"{m}: quality {d:+}", [set_quality(m, float(new))]))
            plan.append((m, "quality_score", d, q, new))
    results = sweep(problem, scenarios, executor, **sweep_options)
    base = results[0]
    rows = []
    for (m, parameter, step, before, after), r in zip(plan, results[1:], strict=True):
        award_base = base.awards.get(m) if base.ok else None
        award = r.awards.get(m) if r.ok else None
        change = award - award_base if award is not None and award_base is not None else None
        elasticity = None
        if change is not None and award_base and before and after != before:
            rel_award = change / award_base
            rel_param = (after - before) / before
            elasticity = (rel_award / rel_param).quantize(_Q6) + 0  # + 0: no "-0.000000"
        rows.append(
            (m, parameter, step, before, after, r.status, award_base, award, change, elasticity)
        )
    columns = [
        "member",
        "parameter",
        "step",
        "base",
        "value",
        "status",
        "award_base",
        "award",
        "change",
        "elasticity",
    ]
    return pd.DataFrame(rows, columns=columns)


def _factor_or_raise(value: Any) -> Decimal:
    try:
        return _factor(value, allow_zero=True)
    except _ChangeError as exc:
        raise ValueError(f"capacity factor {value!r}: {exc.reason}") from None


def _declared_capacity(problem: Problem) -> dict[str, Decimal]:
    """Each member's declared per-lot capacity in pounds (units at the lot's unit price)."""
    out: dict[str, Decimal] = {}
    for cap in problem.capacities:
        if cap.lot is None:
            amount = cap.amount or Decimal(0)
        elif cap.units is not None:
            price = problem.lot_index[cap.lot][1].unit_price or Decimal(0)
            amount = price * cap.units
        else:
            amount = cap.amount or Decimal(0)
        out[cap.member] = out.get(cap.member, Decimal(0)) + amount
    return out


#: How :func:`constraint_prices` switches a policy setting off.
SWITCHED_OFF: dict[str, Any] = {
    "min_award": None,
    "max_member_share": None,
    "max_dependency": None,
    "small_org_share": None,
    "case_mix_tolerance": None,
    "min_providers_per_area": None,
    "exclusions": (),
}

PRICE_COLUMNS = [
    "constraint",
    "setting",
    "status_on",
    "status_off",
    "min_ratio_on",
    "min_ratio_off",
    "max_ratio_on",
    "max_ratio_off",
    "moved_on",
    "moved_off",
    "price",
    "members_affected",
    "largest_change_member",
    "largest_change",
]
MEMBER_PRICE_COLUMNS = ["constraint", "member", "award_on", "award_off", "change"]


def constraint_prices(
    problem: Problem,
    *,
    by_member: bool = False,
    executor: cf.Executor | None = None,
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
         constraint moved_on moved_off    price
    small_org_share 11778.82    137.50 11641.32
                all 11778.82    137.50 11641.32

    Ring-fencing 5% of each pot for micro and small members moves £11,641.32 from the
    proportional shares (the £137.50 without it is rounding to whole clients on unit-priced
    lots).
    """
    import pandas as pd

    policy = problem.policy
    active = [*policy.side_constraints]
    if policy.exclusions:
        active.append("exclusions")
    if not active:
        return pd.DataFrame([], columns=MEMBER_PRICE_COLUMNS if by_member else PRICE_COLUMNS)
    scenarios = [Scenario("on")]
    scenarios += [Scenario(f"without {n}", [set_policy(**{n: SWITCHED_OFF[n]})]) for n in active]
    scenarios.append(Scenario("none", [set_policy(**{n: SWITCHED_OFF[n] for n in active})]))
    options = {**sweep_options, "keep_allocations": True}
    results = sweep(problem, scenarios, executor, **options)
    on, offs, none = results[0], results[1:-1], results[-1]
    reference = _pair_fair_shares(none.allocation) if none.ok else {}
    labels = [*active, "all"]
    settings = [_setting(getattr(policy, n)) for n in active] + ["every one above"]
    rows = []
    member_rows = []
    m_on = _pair_metrics(on, reference)
    for name, setting, off in zip(labels, settings, [*offs, none], strict=True):
        m_off = _pair_metrics(off, reference)
        moved: dict[str, Decimal] = {}
        if on.ok and off.ok:
            for member in sorted(set(on.awards) | set(off.awards)):
                a_on = on.awards.get(member, Decimal(0))
                a_off = off.awards.get(member, Decimal(0))
                member_rows.append((name, member, a_on, a_off, a_on - a_off))
                if a_on != a_off:
                    moved[member] = a_on - a_off
        largest = max(moved, key=lambda m: (abs(moved[m]), m), default=None)
        price = (
            m_on["moved"] - m_off["moved"]
            if m_on["moved"] is not None and m_off["moved"] is not None
            else None
        )
        rows.append(
            (
                name,
                setting,
                on.status,
                off.status,
                m_on["min_ratio"],
                m_off["min_ratio"],
                m_on["max_ratio"],
                m_off["max_ratio"],
                m_on["moved"],
                m_off["moved"],
                price,
                len(moved) if on.ok and off.ok else None,
                largest,
                moved[largest] if largest is not None else None,
            )
        )
    if by_member:
        return pd.DataFrame(member_rows, columns=MEMBER_PRICE_COLUMNS)
    return pd.DataFrame(rows, columns=PRICE_COLUMNS)


def _setting(value: Any) -> str:
    if isinstance(value, tuple):
        return f"{len(value)} exclusion(s)"
    return str(value)


def _pair_fair_shares(allocation: Allocation | None) -> dict[tuple[str, str], Decimal]:
    assert allocation is not None
    t = allocation.audit.pairs
    return {(t.member[k], t.lot[k]): t.fair_share[k] for k in range(len(t)) if t.eligible[k]}


def _pair_metrics(
    result: ScenarioResult, reference: Mapping[tuple[str, str], Decimal]
) -> dict[str, Decimal | None]:
    if not result.ok or result.allocation is None or not reference:
        return {"moved": None, "min_ratio": None, "max_ratio": None}
    t = result.allocation.audit.pairs
    awards = {(t.member[k], t.lot[k]): t.award[k] for k in range(len(t))}
    total = sum((abs(awards.get(key, Decimal(0)) - f) for key, f in reference.items()), Decimal(0))
    # an award on a pair the reference does not fund is all moved
    total += sum((a for key, a in awards.items() if key not in reference), Decimal(0))
    ratios = [awards.get(key, Decimal(0)) / f for key, f in reference.items() if f > 0]
    return {
        "moved": (total / 2).quantize(_PENNY, ROUND_HALF_EVEN),
        "min_ratio": min(ratios).quantize(_Q6) if ratios else None,
        "max_ratio": max(ratios).quantize(_Q6) if ratios else None,
    }
