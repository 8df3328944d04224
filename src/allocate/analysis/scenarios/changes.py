"""The changes a scenario makes to a problem, and the helpers that make them.

Each change is a small frozen dataclass with an ``apply_to`` that edits a problem's
``model_dump()`` in place; a helper (:func:`set_policy`, :func:`scale_capacity` ...) makes it
from friendly arguments.  :class:`~allocate.analysis.scenarios.scenario.Scenario` applies them
in order and validates the result once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, ClassVar

from pydantic import BaseModel

from allocate.analysis.scenarios.errors import ChangeError
from allocate.analysis.scenarios.frozen import FrozenMap, freeze, thaw
from allocate.core.model import (
    Bid,
    Contract,
    Hub,
    Member,
    MemberPaymentTerms,
    PaymentTerms,
    Policy,
    SizeBand,
    TenderPolicy,
    TopSlicePolicy,
)

__all__ = [
    "Change",
    "add_member",
    "remove_bid",
    "remove_member",
    "scale_capacity",
    "scale_contract",
    "set_advances",
    "set_bid",
    "set_capacity",
    "set_hub",
    "set_member_payments",
    "set_payment_terms",
    "set_policy",
    "set_quality",
    "set_reserves",
    "set_tender",
    "set_top_slice",
    "update_contract",
    "update_member",
]

_PENNY = Decimal("0.01")


def _call(name: str, *args: Any, **kwargs: Any) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def parse_factor(value: Any, *, allow_zero: bool) -> Decimal:
    """A scale factor as an exact Decimal (floats via their shortest repr: 1.1 is 1.1)."""
    if isinstance(value, bool):
        raise ChangeError("the factor must be a number", value)
    try:
        factor = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ChangeError("the factor must be a number", value) from None
    if not factor.is_finite() or factor < 0 or (factor == 0 and not allow_zero):
        need = "zero or more" if allow_zero else "more than zero"
        raise ChangeError(f"the factor must be finite and {need}", value)
    return factor


def _find(items: list[dict[str, Any]], ident: str, what: str) -> dict[str, Any]:
    for item in items:
        if item["id"] == ident:
            return item
    known = ", ".join(repr(i["id"]) for i in items[:8])
    more = ", ..." if len(items) > 8 else ""
    raise ChangeError(f"unknown {what} (known: {known}{more})", ident)


def _check_fields(model: type[BaseModel], fields: Iterable[str], what: str) -> None:
    for name in fields:
        if name not in model.model_fields:
            raise ChangeError(
                f"{what} has no field {name!r} (fields: {', '.join(model.model_fields)})", name
            )


# -- changes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change(ABC):
    """Base of every change: an immutable, picklable record of one edit to a problem."""

    kind: ClassVar[str] = "change"
    #: What the change edits: ``problem``, or (:mod:`.life_changes`) ``review`` or ``years``.
    edits: ClassVar[str] = "problem"

    @abstractmethod
    def apply_to(self, data: dict[str, Any]) -> None:
        """Make the change in ``data`` (a problem's ``model_dump()``), in place."""

    def __str__(self) -> str:
        return self.kind


@dataclass(frozen=True, slots=True)
class _SetFields(Change):
    """Replace fields of one top-level part of the problem (``top_slice``, ``policy``, ``hub``)."""

    fields: FrozenMap
    target: ClassVar[str] = ""
    model: ClassVar[type[BaseModel]] = BaseModel

    def apply_to(self, data: dict[str, Any]) -> None:
        values = thaw(self.fields)
        _check_fields(self.model, values, self.target.replace("_", "-"))
        data[self.target] = {**data[self.target], **values}

    def __str__(self) -> str:
        return _call(self.kind, **thaw(self.fields))


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
class SetTender(Change):
    """Change the published sub-tender evaluation (made by :func:`set_tender`)."""

    fields: FrozenMap
    kind: ClassVar[str] = "set_tender"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = thaw(self.fields)
        _check_fields(TenderPolicy, values, "policy.tender")
        tender = dict(data["policy"].get("tender") or {})
        if isinstance(values.get("weights"), dict):
            values["weights"] = {**(tender.get("weights") or {}), **values["weights"]}
        data["policy"]["tender"] = {**tender, **values}

    def __str__(self) -> str:
        return _call(self.kind, **thaw(self.fields))


@dataclass(frozen=True, slots=True)
class SetPaymentTerms(Change):
    """How a commissioner pays: every contract's default, or one contract's own terms."""

    contract: str | None
    fields: FrozenMap
    kind: ClassVar[str] = "set_payment_terms"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = thaw(self.fields)
        _check_fields(PaymentTerms, values, "payment terms")
        if self.contract is None:
            cash = dict(data.get("cash_flow") or {})
            cash["commissioner"] = {**(cash.get("commissioner") or {}), **values}
            data["cash_flow"] = cash
        else:
            contract = _find(data["contracts"], self.contract, "contract")
            contract["payment_terms"] = {**(contract.get("payment_terms") or {}), **values}

    def __str__(self) -> str:
        args = () if self.contract is None else (self.contract,)
        return _call(self.kind, *args, **thaw(self.fields))


@dataclass(frozen=True, slots=True)
class SetMemberPayments(Change):
    """How the hub pays its members (``basis``, ``days``, ``advance_bands``)."""

    fields: FrozenMap
    kind: ClassVar[str] = "set_member_payments"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = thaw(self.fields)
        _check_fields(MemberPaymentTerms, values, "cash_flow.members")
        cash = dict(data.get("cash_flow") or {})
        cash["members"] = {**(cash.get("members") or {}), **values}
        data["cash_flow"] = cash

    def __str__(self) -> str:
        return _call(self.kind, **thaw(self.fields))


@dataclass(frozen=True, slots=True)
class SetReserves(Change):
    """A member's declared reserves (``None``: none declared)."""

    member: str
    amount: Any
    kind: ClassVar[str] = "set_reserves"

    def apply_to(self, data: dict[str, Any]) -> None:
        member = _find(data["members"], self.member, "member")
        if self.amount is None:
            member.pop("reserves", None)
        else:
            member["reserves"] = self.amount

    def __str__(self) -> str:
        return _call(self.kind, self.member, self.amount)


@dataclass(frozen=True, slots=True)
class SetBid(Change):
    """A member's bid for a lot, changed or made (made by :func:`set_bid`)."""

    member: str
    lot: str
    fields: FrozenMap
    kind: ClassVar[str] = "set_bid"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = thaw(self.fields)
        _check_fields(Bid, values, "bid")
        _find(data["members"], self.member, "member")
        bids = list(data.get("bids") or [])
        old: dict[str, Any] = next(
            (b for b in bids if (b["member"], b["lot"]) == (self.member, self.lot)), {}
        )
        rest = [b for b in bids if (b["member"], b["lot"]) != (self.member, self.lot)]
        data["bids"] = [*rest, {**old, **values, "member": self.member, "lot": self.lot}]

    def __str__(self) -> str:
        return _call(self.kind, self.member, self.lot, **thaw(self.fields))


@dataclass(frozen=True, slots=True)
class RemoveBid(Change):
    """A member withdraws its bid for a lot (made by :func:`remove_bid`)."""

    member: str
    lot: str
    kind: ClassVar[str] = "remove_bid"

    def apply_to(self, data: dict[str, Any]) -> None:
        bids = list(data.get("bids") or [])
        kept = [b for b in bids if (b["member"], b["lot"]) != (self.member, self.lot)]
        if len(kept) == len(bids):
            raise ChangeError("no such bid", f"{self.member}/{self.lot}")
        data["bids"] = kept

    def __str__(self) -> str:
        return _call(self.kind, self.member, self.lot)


@dataclass(frozen=True, slots=True)
class AddMember(Change):
    """A member joins, with its capacities (made by :func:`add_member`)."""

    member: FrozenMap
    capacities: tuple[FrozenMap, ...] = ()
    kind: ClassVar[str] = "add_member"

    def apply_to(self, data: dict[str, Any]) -> None:
        member = thaw(self.member)
        ident = member.get("id")
        if not isinstance(ident, str):
            raise ChangeError("the new member needs a string 'id'", ident)
        if any(m["id"] == ident for m in data["members"]):
            raise ChangeError("a member with this id already exists", ident)
        lots = {lot["id"] for c in data["contracts"] for lot in c["lots"]}
        caps = [{"member": ident, **thaw(c)} for c in self.capacities]
        for cap in caps:
            if cap["member"] != ident:
                raise ChangeError("a capacity of the new member names another member", cap)
            if cap.get("lot") is not None and cap["lot"] not in lots:
                raise ChangeError("capacity on an unknown lot", cap["lot"])
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
    fields: FrozenMap
    label: str = "update_member"
    kind: ClassVar[str] = "update_member"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = thaw(self.fields)
        _check_fields(Member, values, "a member")
        if "id" in values:
            raise ChangeError("a member's id cannot be changed (remove and add instead)")
        found = _find(data["members"], self.member, "member")
        data["members"] = [{**m, **values} if m is found else m for m in data["members"]]

    def __str__(self) -> str:
        return _call(self.label, self.member, **thaw(self.fields))


@dataclass(frozen=True, slots=True)
class ScaleCapacity(Change):
    """A member's capacities times a factor (made by :func:`scale_capacity`)."""

    member: str
    factor: Any
    lot: str | None = None
    kind: ClassVar[str] = "scale_capacity"

    def apply_to(self, data: dict[str, Any]) -> None:
        factor = parse_factor(self.factor, allow_zero=True)
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
            raise ChangeError(f"member {self.member!r} declares no capacity{where}", self.lot)
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
            raise ChangeError("unknown lot", self.lot)
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
        factor = parse_factor(self.factor, allow_zero=False)
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
            raise ChangeError("the factor leaves the contract with no value", self.factor)
        data["contracts"] = [
            {**c, "lots": lots, "value": total} if c is found else c for c in data["contracts"]
        ]

    def __str__(self) -> str:
        return _call(self.kind, self.contract, self.factor)


@dataclass(frozen=True, slots=True)
class UpdateContract(Change):
    """Replace fields of a contract (made by :func:`update_contract`)."""

    contract: str
    fields: FrozenMap
    kind: ClassVar[str] = "update_contract"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = thaw(self.fields)
        _check_fields(Contract, values, "a contract")
        for name in ("id", "lots", "value"):
            if name in values:
                raise ChangeError(
                    f"update_contract cannot change {name!r} (use scale_contract for the value)",
                    name,
                )
        found = _find(data["contracts"], self.contract, "contract")
        data["contracts"] = [{**c, **values} if c is found else c for c in data["contracts"]]

    def __str__(self) -> str:
        return _call(self.kind, self.contract, **thaw(self.fields))


# -- change helpers ------------------------------------------------------------------------


def set_top_slice(**fields: Any) -> SetTopSlice:
    """Change the top-slice policy: ``method``, ``rate``, ``max_rate``, ``target_rate``, ...

    >>> str(set_top_slice(method="glide_path", target_year=3))
    "set_top_slice(method='glide_path', target_year=3)"
    """
    return SetTopSlice(freeze(fields))


def set_policy(**fields: Any) -> SetPolicy:
    """Change the allocation policy: ``rule``, a threshold, a side-constraint (``None``: off).

    >>> str(set_policy(quality_threshold=0.8))
    'set_policy(quality_threshold=0.8)'
    """
    return SetPolicy(freeze(fields))


def set_hub(**fields: Any) -> SetHub:
    """Change the hub, e.g. ``set_hub(annual_cost="120000")``."""
    return SetHub(freeze(fields))


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
    return AddMember(freeze(data), tuple(freeze(r) for r in records))


def remove_member(member: str) -> RemoveMember:
    """A member leaves; its capacities and exclusions go with it."""
    return RemoveMember(member)


def update_member(member: str, **fields: Any) -> UpdateMember:
    """Replace fields of a member, e.g. ``update_member("a", reporting_compliance=0.95)``."""
    return UpdateMember(member, freeze(fields))


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
    return UpdateMember(member, freeze(fields), label="set_quality")


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
    return UpdateContract(contract, freeze(fields))


def set_tender(**fields: Any) -> SetTender:
    """Change the sub-tender evaluation: ``competition``, ``weights`` (merged), ``min_quality`` ...

    >>> str(set_tender(min_quality=0.6))
    'set_tender(min_quality=0.6)'
    """
    return SetTender(freeze(fields))


def set_bid(member: str, lot: str, **fields: Any) -> SetBid:
    """Change a member's bid for a lot (its scores, price, capacity), or make one.

    >>> str(set_bid("a", "l1", quality=0.9))
    "set_bid('a', 'l1', quality=0.9)"
    """
    return SetBid(member, lot, freeze(fields))


def set_payment_terms(contract: str | None = None, **fields: Any) -> SetPaymentTerms:
    """How the commissioners pay (merged): every contract's default, or ``contract``'s own.

    Fields of :class:`~allocate.PaymentTerms`: ``frequency``, ``timing``, ``lag_months``,
    ``results_share``, ``results_lag_months``, ``delivery_profile``.

    >>> str(set_payment_terms(frequency="quarterly", results_share="0.2"))
    "set_payment_terms(frequency='quarterly', results_share='0.2')"
    >>> str(set_payment_terms("c1", timing="advance"))
    "set_payment_terms('c1', timing='advance')"
    """
    return SetPaymentTerms(contract, freeze(fields))


def set_member_payments(**fields: Any) -> SetMemberPayments:
    """How the hub pays members (merged): ``basis``, ``days``, ``advance_bands``.

    >>> str(set_member_payments(basis="on_claim", days=14))
    "set_member_payments(basis='on_claim', days=14)"
    """
    return SetMemberPayments(freeze(fields))


def set_advances(*bands: SizeBand | str) -> SetMemberPayments:
    """The size bands the hub pays each month's delivery in advance (none: no advances).

    >>> str(set_advances("micro", "small"))
    "set_member_payments(advance_bands=['micro', 'small'])"
    """
    return SetMemberPayments(freeze({"advance_bands": tuple(str(b) for b in bands)}))


def set_reserves(member: str, amount: Any) -> SetReserves:
    """A member's unrestricted reserves in pounds (``None``: none declared).

    >>> str(set_reserves("a", "5000"))
    "set_reserves('a', '5000')"
    """
    return SetReserves(member, amount)


def remove_bid(member: str, lot: str) -> RemoveBid:
    """Withdraw a member's bid for a lot."""
    return RemoveBid(member, lot)
