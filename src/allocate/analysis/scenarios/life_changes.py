"""Changes to a review or a year plan: what-ifs over the life of a contract.

A scenario's changes may edit the problem (:mod:`~allocate.analysis.scenarios.changes`), the
review a version is reallocated by (:class:`ReviewChange`: the review policy, an outcome, a
delivery, every delivery scaled) or the year plan a contract is allocated by
(:class:`YearChange`: the stability share, one year's differences).  Each is a small frozen
record whose ``apply_to`` edits the input's ``model_dump()`` in place;
:class:`~allocate.analysis.scenarios.scenario.Scenario` applies them in order and validates the
result once (:meth:`~allocate.analysis.scenarios.scenario.Scenario.apply_review`,
:meth:`~allocate.analysis.scenarios.scenario.Scenario.apply_years`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any, ClassVar

from allocate.analysis.scenarios.changes import Change, _call, _check_fields, parse_factor
from allocate.analysis.scenarios.errors import ChangeError
from allocate.analysis.scenarios.frozen import FrozenMap, freeze, thaw
from allocate.core.review import ReviewInput, ReviewOutcome, ReviewPolicy
from allocate.core.years import YearInput

__all__ = [
    "ReviewChange",
    "YearChange",
    "scale_deliveries",
    "set_delivery",
    "set_outcome",
    "set_review",
    "set_review_policy",
    "set_stability",
    "set_year",
]

_PENNY = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ReviewChange(Change):
    """Base of the changes to a review (:class:`~allocate.review.ReviewInput`)."""

    edits: ClassVar[str] = "review"


@dataclass(frozen=True, slots=True)
class YearChange(Change):
    """Base of the changes to a year plan (:class:`~allocate.review.YearPlanInput`)."""

    edits: ClassVar[str] = "years"


@dataclass(frozen=True, slots=True)
class SetReview(ReviewChange):
    """Replace fields of the review: ``elapsed``, ``label``, ``left``, ``joined`` ..."""

    fields: FrozenMap
    kind: ClassVar[str] = "set_review"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = thaw(self.fields)
        _check_fields(ReviewInput, values, "the review")
        data.update(values)

    def __str__(self) -> str:
        return _call(self.kind, **thaw(self.fields))


@dataclass(frozen=True, slots=True)
class SetReviewPolicy(ReviewChange):
    """What each review outcome means: ``good``, ``requires_improvement``, ``inadequate``."""

    fields: FrozenMap
    kind: ClassVar[str] = "set_review_policy"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = thaw(self.fields)
        _check_fields(ReviewPolicy, values, "the review policy")
        data["policy"] = {**data["policy"], **values}

    def __str__(self) -> str:
        return _call(self.kind, **thaw(self.fields))


@dataclass(frozen=True, slots=True)
class SetOutcome(ReviewChange):
    """A member's review outcome, given or (``None``) taken away: the member is then ``good``."""

    member: str
    outcome: str | None
    kind: ClassVar[str] = "set_outcome"

    def apply_to(self, data: dict[str, Any]) -> None:
        if self.outcome is not None and self.outcome not in {o.value for o in ReviewOutcome}:
            known = ", ".join(o.value for o in ReviewOutcome)
            raise ChangeError(f"unknown review outcome (known: {known})", self.outcome)
        kept = [o for o in data["outcomes"] if o["member"] != self.member]
        if self.outcome is not None:
            kept.append({"member": self.member, "outcome": self.outcome})
        data["outcomes"] = kept

    def __str__(self) -> str:
        return _call(self.kind, self.member, self.outcome)


@dataclass(frozen=True, slots=True)
class SetDelivery(ReviewChange):
    """A member's delivery so far on one lot, replaced or given (money or units)."""

    member: str
    lot: str
    amount: str | None = None
    units: int | None = None
    kind: ClassVar[str] = "set_delivery"

    def apply_to(self, data: dict[str, Any]) -> None:
        if (self.amount is None) == (self.units is None):
            raise ChangeError("give exactly one of amount (pounds) or units", self.amount)
        kept = [d for d in data["deliveries"] if (d["member"], d["lot"]) != (self.member, self.lot)]
        new = {"member": self.member, "lot": self.lot, "amount": self.amount, "units": self.units}
        data["deliveries"] = [*kept, new]

    def __str__(self) -> str:
        what = {"amount": self.amount} if self.units is None else {"units": self.units}
        return _call(self.kind, self.member, self.lot, **what)


@dataclass(frozen=True, slots=True)
class ScaleDeliveries(ReviewChange):
    """Deliveries so far times a factor: every one, a member's, or one lot's."""

    factor: Any
    member: str | None = None
    lot: str | None = None
    kind: ClassVar[str] = "scale_deliveries"

    def apply_to(self, data: dict[str, Any]) -> None:
        factor = parse_factor(self.factor, allow_zero=True)
        out = []
        hit = False
        for d in data["deliveries"]:
            if (self.member is None or d["member"] == self.member) and (
                self.lot is None or d["lot"] == self.lot
            ):
                hit = True
                d = dict(d)
                if d.get("amount") is not None:
                    d["amount"] = (Decimal(d["amount"]) * factor).quantize(_PENNY, ROUND_DOWN)
                if d.get("units") is not None:
                    d["units"] = int((Decimal(d["units"]) * factor).quantize(1, ROUND_HALF_EVEN))
            out.append(d)
        if not hit:
            where = "/".join(x for x in (self.member, self.lot) if x is not None) or "any award"
            raise ChangeError("the review gives no delivery to scale", where)
        data["deliveries"] = out

    def __str__(self) -> str:
        extra = {k: v for k, v in (("member", self.member), ("lot", self.lot)) if v is not None}
        return _call(self.kind, self.factor, **extra)


@dataclass(frozen=True, slots=True)
class SetStability(YearChange):
    """The stability rule's share (``None`` switches the rule off)."""

    share: Any
    kind: ClassVar[str] = "set_stability"

    def apply_to(self, data: dict[str, Any]) -> None:
        data["stability"] = self.share

    def __str__(self) -> str:
        return _call(self.kind, self.share)


@dataclass(frozen=True, slots=True)
class SetYear(YearChange):
    """One contract year's differences (``values``, ``capacities``, ``members``), merged."""

    year: int
    fields: FrozenMap
    kind: ClassVar[str] = "set_year"

    def apply_to(self, data: dict[str, Any]) -> None:
        values = thaw(self.fields)
        _check_fields(YearInput, values, "a year")
        if "year" in values:
            raise ChangeError("set_year names its year once, as its first argument", values["year"])
        years = list(data["years"])
        at = next((k for k, y in enumerate(years) if y["year"] == self.year), None)
        if at is None:
            years.append({"year": self.year, **values})
        else:
            years[at] = {**years[at], **values}
        data["years"] = years

    def __str__(self) -> str:
        return _call(self.kind, self.year, **thaw(self.fields))


# -- change helpers ------------------------------------------------------------------------


def set_review(**fields: Any) -> SetReview:
    """Change fields of the review: ``elapsed``, ``label``, ``left``, ``joined``.

    >>> str(set_review(elapsed="0.75"))
    "set_review(elapsed='0.75')"
    """
    return SetReview(freeze(fields))


def set_review_policy(**fields: Any) -> SetReviewPolicy:
    """What each outcome means (merged): ``keep``, ``delivery_rate`` or ``no_new_work``.

    Fields: ``good``, ``requires_improvement``, ``inadequate``.

    >>> str(set_review_policy(requires_improvement="no_new_work"))
    "set_review_policy(requires_improvement='no_new_work')"
    """
    return SetReviewPolicy(freeze({k: str(v) for k, v in fields.items()}))


def set_outcome(member: str, outcome: ReviewOutcome | str | None) -> SetOutcome:
    """A member's review outcome (``None``: none given, so ``good``).

    >>> str(set_outcome("b", "inadequate"))
    "set_outcome('b', 'inadequate')"
    """
    return SetOutcome(member, None if outcome is None else str(outcome))


def set_delivery(
    member: str, lot: str, amount: Any = None, *, units: int | None = None
) -> SetDelivery:
    """A member's delivery so far on one lot, in pounds or (``units=``) whole units.

    >>> str(set_delivery("a", "l1", "450"))
    "set_delivery('a', 'l1', amount='450')"
    """
    return SetDelivery(member, lot, None if amount is None else str(amount), units)


def scale_deliveries(
    factor: Any, member: str | None = None, lot: str | None = None
) -> ScaleDeliveries:
    """Deliveries so far times ``factor``: every one, or ``member``'s, or on ``lot``.

    Money is rounded down to the penny, units to whole units (half to even); a delivery scaled
    above its award makes the scenario invalid, naming the award and the value.

    >>> str(scale_deliveries("0.8", member="b"))
    "scale_deliveries('0.8', member='b')"
    """
    return ScaleDeliveries(factor, member, lot)


def set_stability(share: Any) -> SetStability:
    """The year plan's stability share (``None``: no stability rule).

    >>> str(set_stability("0.1"))
    "set_stability('0.1')"
    """
    return SetStability(None if share is None else str(share))


def set_year(year: int, **fields: Any) -> SetYear:
    """One contract year's differences, merged into the plan's.

    Fields of :class:`~allocate.review.YearInput`: ``values`` (by lot), ``capacities`` or
    ``members`` (replacing those the plan gives for the year).

    >>> str(set_year(2, values={"l1": "400"}))
    "set_year(2, values={'l1': '400'})"
    """
    return SetYear(year, freeze(fields))
